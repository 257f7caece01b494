"""Encrypt / Decrypt / ReEncrypt / data keys: encryption context, hostile blobs, rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.errors import Disabled, Invalid, InvalidCiphertext, NotFound
from bastion.keys import KeysClient
from bastion.keys._ciphertext import NOT_AUTHENTIC
from bastion.testing import FrozenClock

CTX = {"aws:s3:arn": "arn:bastion:s3:::models/fraud.onnx", "purpose": "model"}


def test_encrypt_decrypt_round_trip(keys: KeysClient) -> None:
    key = keys.create_key()
    result = keys.encrypt(key.key_id, b"model weights", encryption_context=CTX)
    assert result.key_id == key.arn
    assert b"model weights" not in result.ciphertext_blob
    out = keys.decrypt(result.ciphertext_blob, encryption_context=dict(reversed(CTX.items())))
    assert out.plaintext == b"model weights" and out.key_id == key.arn
    assert "model weights" not in repr(out)


def test_no_context_equals_empty_context(keys: KeysClient) -> None:
    key = keys.create_key()
    blob = keys.encrypt(key.key_id, b"x").ciphertext_blob
    assert keys.decrypt(blob, encryption_context={}).plaintext == b"x"
    blob = keys.encrypt(key.key_id, b"y", encryption_context={}).ciphertext_blob
    assert keys.decrypt(blob).plaintext == b"y"


@pytest.mark.parametrize(
    "wrong",
    [
        None,
        {},
        {"aws:s3:arn": "arn:bastion:s3:::models/fraud.onnx"},
        {**CTX, "extra": "1"},
        {**CTX, "purpose": "Model"},
        {"AWS:S3:ARN": CTX["aws:s3:arn"], "purpose": "model"},
    ],
    ids=["missing", "empty", "fewer", "extra", "value-case", "key-case"],
)
def test_wrong_encryption_context_fails(keys: KeysClient, wrong: dict[str, str] | None) -> None:
    key = keys.create_key()
    blob = keys.encrypt(key.key_id, b"secret", encryption_context=CTX).ciphertext_blob
    with pytest.raises(InvalidCiphertext) as info:
        keys.decrypt(blob, encryption_context=wrong)
    assert info.value.message == NOT_AUTHENTIC


def test_failures_do_not_say_which_check_failed(keys: KeysClient) -> None:
    a, b = keys.create_key(), keys.create_key()
    blob = keys.encrypt(a.key_id, b"secret", encryption_context=CTX).ciphertext_blob
    messages = set()
    for call in (
        lambda: keys.decrypt(blob, encryption_context={"other": "ctx"}),
        lambda: keys.decrypt(blob, encryption_context=CTX, key_id=b.key_id),
        lambda: keys.decrypt(blob[:-1], encryption_context=CTX),
        lambda: keys.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), encryption_context=CTX),
    ):
        with pytest.raises(InvalidCiphertext) as info:
            call()
        messages.add(info.value.message)
    assert messages == {NOT_AUTHENTIC}


def test_blob_from_another_key_fails(keys: KeysClient) -> None:
    a, b = keys.create_key(), keys.create_key()
    blob_a = keys.encrypt(a.key_id, b"secret").ciphertext_blob
    blob_b = keys.encrypt(b.key_id, b"secret").ciphertext_blob
    # graft b's key id into a's blob: the header is authenticated, so it fails
    grafted = blob_a[:3] + blob_b[3:19] + blob_a[19:]
    with pytest.raises(InvalidCiphertext):
        keys.decrypt(grafted)
    # naming a different key than the one inside the blob fails
    with pytest.raises(InvalidCiphertext):
        keys.decrypt(blob_a, key_id=b.key_id)
    assert keys.decrypt(blob_a, key_id=a.arn).plaintext == b"secret"
    # naming an unknown key is NotFound, like KMS
    with pytest.raises(NotFound):
        keys.decrypt(blob_a, key_id="alias/none")


def test_every_truncation_and_bit_flip_fails(keys: KeysClient) -> None:
    key = keys.create_key()
    blob = keys.encrypt(key.key_id, b"abc", encryption_context=CTX).ciphertext_blob
    for n in range(len(blob)):
        with pytest.raises((InvalidCiphertext, Invalid)):
            keys.decrypt(blob[:n], encryption_context=CTX)
    for i in range(len(blob)):
        for bit in (0, 7):
            flipped = bytearray(blob)
            flipped[i] ^= 1 << bit
            with pytest.raises(InvalidCiphertext):
                keys.decrypt(bytes(flipped), encryption_context=CTX)
    with pytest.raises(InvalidCiphertext):
        keys.decrypt(blob + b"\x00", encryption_context=CTX)
    assert keys.decrypt(blob, encryption_context=CTX).plaintext == b"abc"


@pytest.mark.parametrize("blob", [b"", b"x" * 6145, "text"])
def test_blob_of_wrong_size_or_type_is_invalid(keys: KeysClient, blob: object) -> None:
    with pytest.raises(Invalid) as info:
        keys.decrypt(blob)  # type: ignore[arg-type]
    assert info.value.field == "ciphertext_blob"


def test_plaintext_limits(keys: KeysClient) -> None:
    key = keys.create_key()
    assert keys.decrypt(keys.encrypt(key.key_id, b"x" * 4096).ciphertext_blob).plaintext == (
        b"x" * 4096
    )
    with pytest.raises(Invalid) as info:
        keys.encrypt(key.key_id, b"x" * 4097)
    assert info.value.message == (
        "The 'plaintext' parameter of Encrypt must be bytes of length 1 to 4096 (use envelope "
        "encryption for more). Got '<4097 bytes>' instead."
    )
    for bad in (b"", "text"):
        with pytest.raises(Invalid, match="'plaintext'"):
            keys.encrypt(key.key_id, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("ctx", [{"k": 1}, {1: "v"}, {"": "v"}, ["k", "v"], "k=v"])
def test_bad_encryption_context_is_invalid(keys: KeysClient, ctx: object) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid) as info:
        keys.encrypt(key.key_id, b"x", encryption_context=ctx)  # type: ignore[arg-type]
    assert info.value.field == "encryption_context"


def test_generate_data_key(keys: KeysClient) -> None:
    key = keys.create_key()
    keys.create_alias("alias/data", key.key_id)
    dk = keys.generate_data_key("alias/data", encryption_context=CTX)
    assert len(dk.plaintext) == 32 and dk.key_id == key.arn
    assert dk.plaintext.hex() not in repr(dk) and "plaintext" not in repr(dk)
    opened = keys.decrypt(dk.ciphertext_blob, encryption_context=CTX)
    assert opened.plaintext == dk.plaintext and opened.key_id == key.arn
    assert len(keys.generate_data_key(key.key_id, key_spec="AES_128").plaintext) == 16
    assert len(keys.generate_data_key(key.key_id, number_of_bytes=1024).plaintext) == 1024
    assert (
        keys.generate_data_key(key.key_id).plaintext != keys.generate_data_key(key.key_id).plaintext
    )
    without = keys.generate_data_key_without_plaintext(key.key_id, encryption_context=CTX)
    assert not hasattr(without, "plaintext")
    assert len(keys.decrypt(without.ciphertext_blob, encryption_context=CTX).plaintext) == 32


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key_spec": "AES_512"}, "key_spec"),
        ({"number_of_bytes": 0}, "number_of_bytes"),
        ({"number_of_bytes": 1025}, "number_of_bytes"),
        ({"key_spec": "AES_256", "number_of_bytes": 32}, "number_of_bytes"),
    ],
)
def test_generate_data_key_bad_sizes(
    keys: KeysClient, kwargs: dict[str, object], field: str
) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid) as info:
        keys.generate_data_key(key.key_id, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert "parameter of GenerateDataKey " in info.value.message


def test_re_encrypt_moves_ciphertext_to_another_key_and_context(keys: KeysClient) -> None:
    a, b = keys.create_key(), keys.create_key()
    blob = keys.encrypt(a.key_id, b"payload", encryption_context=CTX).ciphertext_blob
    moved = keys.re_encrypt(
        blob, b.key_id, source_encryption_context=CTX, destination_encryption_context={"n": "2"}
    )
    assert moved.key_id == b.arn and moved.source_key_id == a.arn
    assert keys.decrypt(moved.ciphertext_blob, encryption_context={"n": "2"}).plaintext == (
        b"payload"
    )
    with pytest.raises(InvalidCiphertext):
        keys.re_encrypt(blob, b.key_id)  # source context missing
    keys.disable_key(b.key_id)
    with pytest.raises(Disabled):
        keys.re_encrypt(blob, b.key_id, source_encryption_context=CTX)


def test_rotation_keeps_old_ciphertexts_decrypting(keys: KeysClient) -> None:
    key = keys.create_key()
    blobs = [keys.encrypt(key.key_id, b"v1", encryption_context=CTX).ciphertext_blob]
    for _ in range(3):
        assert keys.rotate_key_on_demand(key.key_id) == key.arn
        blobs.append(keys.encrypt(key.key_id, b"vn", encryption_context=CTX).ciphertext_blob)
    assert keys.describe_key(key.key_id).current_version == 4
    # each blob names the material version it was made with: 1, 2, 3, 4
    assert [int.from_bytes(b[19:23], "big") for b in blobs] == [1, 2, 3, 4]
    for blob in blobs:
        assert keys.decrypt(blob, encryption_context=CTX).key_id == key.arn
    rotations = keys.list_key_rotations(key.key_id)
    assert [(r.version, r.rotation_type.value) for r in rotations] == [
        (2, "ON_DEMAND"),
        (3, "ON_DEMAND"),
        (4, "ON_DEMAND"),
    ]


def test_automatic_rotation_at_maintenance(keys: KeysClient, clock: FrozenClock) -> None:
    key = keys.create_key()
    old = keys.encrypt(key.key_id, b"old").ciphertext_blob
    status = keys.get_key_rotation_status(key.key_id)
    assert not status.key_rotation_enabled and status.next_rotation_date is None
    status = keys.enable_key_rotation(key.key_id, rotation_period_in_days=90)
    assert status.key_rotation_enabled and status.rotation_period_in_days == 90
    start = clock.now()
    assert keys.get_key_rotation_status(key.arn).next_rotation_date == start + timedelta(days=90)
    clock.advance(days=89)
    assert keys.run_maintenance().rotated == ()
    clock.advance(days=1)
    assert keys.run_maintenance().rotated == (key.arn,)
    assert keys.run_maintenance().rotated == ()  # not due again yet
    assert keys.get_key_rotation_status(key.key_id).next_rotation_date == start + timedelta(
        days=180
    )
    (rotation,) = keys.list_key_rotations(key.key_id)
    assert (
        rotation.rotation_type.value == "AUTOMATIC"
        and rotation.rotation_date == start + timedelta(days=90)
    )
    assert keys.decrypt(old).plaintext == b"old"
    new = keys.encrypt(key.key_id, b"new").ciphertext_blob
    assert int.from_bytes(new[19:23], "big") == 2
    # on-demand rotation does not move the automatic schedule
    keys.rotate_key_on_demand(key.key_id)
    assert keys.get_key_rotation_status(key.key_id).next_rotation_date == start + timedelta(
        days=180
    )
    keys.disable_key_rotation(key.key_id)
    clock.advance(days=400)
    assert keys.run_maintenance().rotated == ()


def test_disabled_key_is_not_rotated_until_enabled(keys: KeysClient, clock: FrozenClock) -> None:
    key = keys.create_key()
    keys.enable_key_rotation(key.key_id, rotation_period_in_days=90)
    keys.disable_key(key.key_id)
    clock.advance(days=100)
    assert keys.run_maintenance().rotated == ()
    keys.enable_key(key.key_id)
    assert keys.run_maintenance().rotated == (key.arn,)


def test_rotation_status_is_off_while_pending_deletion(keys: KeysClient) -> None:
    key = keys.create_key()
    keys.enable_key_rotation(key.key_id)
    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    assert not keys.get_key_rotation_status(key.key_id).key_rotation_enabled
    keys.cancel_key_deletion(key.key_id)
    status = keys.get_key_rotation_status(key.key_id)
    assert status.key_rotation_enabled and status.rotation_period_in_days == 365


@pytest.mark.parametrize("days", [89, 2561, True])
def test_rotation_period_outside_90_to_2560(keys: KeysClient, days: object) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid) as info:
        keys.enable_key_rotation(key.key_id, rotation_period_in_days=days)  # type: ignore[arg-type]
    assert info.value.message.startswith(
        "The 'rotation_period_in_days' parameter of EnableKeyRotation must be an integer in "
        "[90, 2560]."
    )


def test_round_trip_property(keys: KeysClient) -> None:
    key = keys.create_key()
    text = st.text(max_size=20)
    contexts = st.none() | st.dictionaries(st.text(min_size=1, max_size=20), text, max_size=5)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(plaintext=st.binary(min_size=1, max_size=4096), ctx=contexts, other=contexts)
    def check(plaintext: bytes, ctx: dict[str, str] | None, other: dict[str, str] | None) -> None:
        blob = keys.encrypt(key.key_id, plaintext, encryption_context=ctx).ciphertext_blob
        assert keys.decrypt(blob, encryption_context=ctx).plaintext == plaintext
        if (ctx or {}) != (other or {}):
            with pytest.raises(InvalidCiphertext):
                keys.decrypt(blob, encryption_context=other)

    check()
