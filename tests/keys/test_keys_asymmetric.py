"""Asymmetric signing keys with KMS semantics: Sign, Verify, GetPublicKey, on SQLite and PostgreSQL.

Signatures are checked with ``cryptography`` and the public key alone (interop with anything that
verifies KMS signatures), and every refusal is the KMS one: the wrong key usage, a disabled or
pending-deletion key, a key policy that denies, or a malformed request naming its field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

import bastion as bastion_pkg
from bastion.access import RequestContext, RootOnlyAuthorizer
from bastion.errors import (
    AccessDenied,
    Disabled,
    Invalid,
    InvalidKeyUsage,
    InvalidSignature,
    InvalidState,
    Tampered,
    UnsupportedOperation,
)
from bastion.gate import Gate
from bastion.keys import KeyMetadata, KeysClient, KeyService, _asymmetric
from bastion.keys._tables import kms_key_versions, kms_keys
from bastion.keys.backends import FakeKms, KeyBackend
from bastion.sdk import Bastion
from bastion.testing import FrozenClock, MemoryTrail

HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}
HASHLIB = {"SHA_256": "sha256", "SHA_384": "sha384", "SHA_512": "sha512"}
CURVES = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
ROUND_TRIP = [
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("RSA_2048", "RSASSA_PSS_SHA_512"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384"),
    ("RSA_3072", "RSASSA_PSS_SHA_384"),
    ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"),
]
MESSAGE = b"model manifest sha256=" + b"ab" * 32


def signing_key(keys: KeysClient, spec: str = "ECC_NIST_P256", **kwargs: Any) -> KeyMetadata:
    return keys.create_key(key_usage="SIGN_VERIFY", key_spec=spec, **kwargs)


def verify_offline(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    """Verify as a third party would: ``cryptography`` and the DER public key only."""
    public = serialization.load_der_public_key(public_der)
    if isinstance(public, ed25519.Ed25519PublicKey):
        assert algorithm == "ED25519_SHA_512"
        public.verify(signature, message)
        return
    chosen = HASHES[algorithm[-7:]]()
    if isinstance(public, ec.EllipticCurvePublicKey):
        assert algorithm.startswith("ECDSA_")
        public.verify(signature, message, ec.ECDSA(chosen))
        return
    assert isinstance(public, rsa.RSAPublicKey)
    pad: padding.AsymmetricPadding = (
        padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
        if algorithm.startswith("RSASSA_PSS")
        else padding.PKCS1v15()
    )
    public.verify(signature, message, pad, chosen)


# ------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize(("spec", "algorithm"), ROUND_TRIP)
def test_sign_verify_round_trip_and_offline_interop(
    keys: KeysClient, spec: str, algorithm: str
) -> None:
    key = signing_key(keys, spec)
    assert key.key_usage == "SIGN_VERIFY" and key.key_spec == spec
    assert algorithm in key.signing_algorithms and key.encryption_algorithms == ()

    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm=algorithm)
    assert signed.key_id == key.arn and signed.signing_algorithm == algorithm
    result = keys.verify(key.key_id, MESSAGE, signed.signature, signing_algorithm=algorithm)
    assert result.signature_valid is True and result.key_id == key.arn

    public = keys.get_public_key(key.key_id)
    assert public.key_id == key.arn and public.key_spec == spec
    assert public.key_usage == "SIGN_VERIFY" and public.signing_algorithms == key.signing_algorithms
    assert public.pem.startswith("-----BEGIN PUBLIC KEY-----")
    verify_offline(public.public_key, algorithm, MESSAGE, signed.signature)
    if spec in CURVES:  # ECDSA signatures are DER SEQUENCE {r, s}, as KMS returns them
        assert signed.signature[0] == 0x30
        loaded = serialization.load_der_public_key(public.public_key)
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        assert isinstance(loaded.curve, CURVES[spec])
    if spec == "ECC_NIST_EDWARDS25519":
        assert len(signed.signature) == 64


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256"),
        ("ECC_NIST_P384", "ECDSA_SHA_384"),
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ],
)
def test_digest_signatures_verify_as_signatures_of_the_message(
    keys: KeysClient, spec: str, algorithm: str
) -> None:
    key = signing_key(keys, spec)
    hasher = hashlib.new(HASHLIB[algorithm[-7:]])
    big = b"x" * 100_000  # too big for RAW; its digest is what gets signed
    hasher.update(big)
    digest = hasher.digest()
    signed = keys.sign(key.key_id, digest, signing_algorithm=algorithm, message_type="DIGEST")
    keys.verify(
        key.key_id, digest, signed.signature, signing_algorithm=algorithm, message_type="DIGEST"
    )
    verify_offline(keys.get_public_key(key.key_id).public_key, algorithm, big, signed.signature)
    with pytest.raises(InvalidSignature):  # RAW would hash the digest again
        keys.verify(key.key_id, digest, signed.signature, signing_algorithm=algorithm)


def test_keys_are_named_by_alias_and_arn(keys: KeysClient) -> None:
    key = signing_key(keys)
    keys.create_alias("alias/model-signing", key.key_id)
    signed = keys.sign("alias/model-signing", MESSAGE, signing_algorithm="ECDSA_SHA_256")
    assert signed.key_id == key.arn
    keys.verify(key.arn, MESSAGE, signed.signature, signing_algorithm="ECDSA_SHA_256")
    assert keys.describe_key("alias/model-signing").signing_algorithms == ("ECDSA_SHA_256",)


def test_each_key_has_its_own_key_pair(keys: KeysClient) -> None:
    one, two = signing_key(keys), signing_key(keys)
    assert keys.get_public_key(one.key_id).public_key != keys.get_public_key(two.key_id).public_key
    signed = keys.sign(one.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    with pytest.raises(InvalidSignature):
        keys.verify(two.key_id, MESSAGE, signed.signature, signing_algorithm="ECDSA_SHA_256")


# ------------------------------------------------------------------------------ tampering


def test_a_changed_message_or_signature_does_not_verify(keys: KeysClient) -> None:
    key = signing_key(keys, "ECC_NIST_EDWARDS25519")
    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm="ED25519_SHA_512")
    flipped = bytes([MESSAGE[0] ^ 1]) + MESSAGE[1:]
    with pytest.raises(InvalidSignature) as info:
        keys.verify(key.key_id, flipped, signed.signature, signing_algorithm="ED25519_SHA_512")
    assert info.value.aws_code == "KMSInvalidSignatureException"
    assert info.value.status == 400 and key.arn in info.value.message
    bad = signed.signature[:-1] + bytes([signed.signature[-1] ^ 1])
    with pytest.raises(InvalidSignature):
        keys.verify(key.key_id, MESSAGE, bad, signing_algorithm="ED25519_SHA_512")
    with pytest.raises(CryptoInvalidSignature):  # and outside Bastion too
        verify_offline(
            keys.get_public_key(key.key_id).public_key, "ED25519_SHA_512", flipped, signed.signature
        )


def test_a_signature_under_another_algorithm_does_not_verify(keys: KeysClient) -> None:
    key = signing_key(keys, "RSA_2048")
    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm="RSASSA_PSS_SHA_256")
    for other in ("RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_384"):
        with pytest.raises(InvalidSignature):
            keys.verify(key.key_id, MESSAGE, signed.signature, signing_algorithm=other)


_PUBLIC = {
    spec: _asymmetric.load_public(
        _asymmetric.public_der(
            _asymmetric.load_private(
                _asymmetric.SIGNING_SPECS[spec].generate(), _asymmetric.SIGNING_SPECS[spec]
            )
        )
    )
    for spec in ("ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "RSA_2048")
}


@settings(max_examples=200, deadline=None)
@given(
    junk=st.binary(min_size=1, max_size=600),
    pair=st.sampled_from(
        [
            ("ECC_NIST_P256", "ECDSA_SHA_256"),
            ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
            ("RSA_2048", "RSASSA_PSS_SHA_256"),
            ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
        ]
    ),
)
def test_random_signatures_never_verify_and_never_crash(junk: bytes, pair: tuple[str, str]) -> None:
    spec, algorithm = pair
    assert not _asymmetric.is_valid(
        _PUBLIC[spec], algorithm=algorithm, message=MESSAGE, message_type="RAW", signature=junk
    )


def test_junk_signatures_are_invalid_signatures(keys: KeysClient) -> None:
    key = signing_key(keys)
    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256").signature
    for junk in (signed[:-3], b"\x30\x02\x01", b"\x00" * 72, signed + b"\x00"):
        with pytest.raises(InvalidSignature):
            keys.verify(key.key_id, MESSAGE, junk, signing_algorithm="ECDSA_SHA_256")


# ------------------------------------------------------------------------------ key usage


def test_creating_refuses_pairs_kms_refuses(keys: KeysClient) -> None:
    with pytest.raises(Invalid, match="'key_usage' parameter of CreateKey must be 'SIGN_VERIFY'"):
        keys.create_key(key_spec="ECC_NIST_P256")  # ENCRYPT_DECRYPT is the default usage
    with pytest.raises(Invalid, match="'key_usage' parameter of CreateKey") as info:
        keys.create_key(key_usage="SIGN_VERIFY")  # SYMMETRIC_DEFAULT is the default spec
    assert "ECC_NIST_P256" in info.value.message
    with pytest.raises(Invalid, match="'key_spec' parameter of CreateKey") as info:
        keys.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P999")
    assert info.value.field == "key_spec"
    with pytest.raises(Invalid, match="'key_spec'"):
        keys.create_key(key_usage="SIGN_VERIFY", key_spec=["ECC_NIST_P256"])  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="'key_usage'"):
        keys.create_key(key_usage="GENERATE_VERIFY_MAC", key_spec="ECC_NIST_P256")
    assert keys.list_keys() == []


def test_encryption_operations_refuse_a_signing_key(keys: KeysClient) -> None:
    sign_key = signing_key(keys)
    enc_key = keys.create_key()
    blob = keys.encrypt(enc_key.key_id, b"secret").ciphertext_blob
    refused: list[Callable[[], object]] = [
        lambda: keys.encrypt(sign_key.key_id, b"x"),
        lambda: keys.generate_data_key(sign_key.key_id),
        lambda: keys.generate_data_key_without_plaintext(sign_key.key_id),
        lambda: keys.re_encrypt(blob, sign_key.key_id),
    ]
    for call in refused:
        with pytest.raises(InvalidKeyUsage) as info:
            call()
        assert info.value.aws_code == "InvalidKeyUsageException"
        assert "SIGN_VERIFY" in info.value.message and sign_key.arn in info.value.message
    with pytest.raises(InvalidKeyUsage):  # a decrypt naming the signing key
        keys.decrypt(blob, key_id=sign_key.key_id)


def test_signing_operations_refuse_an_encryption_key(keys: KeysClient) -> None:
    key = keys.create_key()
    with pytest.raises(InvalidKeyUsage, match="Sign needs a SIGN_VERIFY key"):
        keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    with pytest.raises(InvalidKeyUsage, match="Verify needs a SIGN_VERIFY key"):
        keys.verify(key.key_id, MESSAGE, b"sig", signing_algorithm="ECDSA_SHA_256")
    with pytest.raises(UnsupportedOperation, match="has no public key") as info:
        keys.get_public_key(key.key_id)
    assert info.value.aws_code == "UnsupportedOperationException"


def test_asymmetric_keys_do_not_rotate(keys: KeysClient) -> None:
    key = signing_key(keys)
    for call in (
        lambda: keys.enable_key_rotation(key.key_id),
        lambda: keys.disable_key_rotation(key.key_id),
        lambda: keys.rotate_key_on_demand(key.key_id),
    ):
        with pytest.raises(UnsupportedOperation, match="only symmetric encryption keys rotate"):
            call()
    assert keys.get_key_rotation_status(key.key_id).key_rotation_enabled is False
    assert keys.list_key_rotations(key.key_id) == []
    assert keys.describe_key(key.key_id).current_version == 1


# ------------------------------------------------------------------------------ states


def test_disabled_and_pending_deletion_keys_refuse(keys: KeysClient, clock: FrozenClock) -> None:
    key = signing_key(keys)
    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    calls: list[Callable[[], object]] = [
        lambda: keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256"),
        lambda: keys.verify(
            key.key_id, MESSAGE, signed.signature, signing_algorithm="ECDSA_SHA_256"
        ),
        lambda: keys.get_public_key(key.key_id),
    ]
    keys.disable_key(key.key_id)
    for call in calls:
        with pytest.raises(Disabled):
            call()
    keys.enable_key(key.key_id)
    for call in calls:
        call()
    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    for call in calls:
        with pytest.raises(InvalidState, match="pending deletion"):
            call()
    keys.cancel_key_deletion(key.key_id)
    keys.enable_key(key.key_id)
    keys.verify(key.key_id, MESSAGE, signed.signature, signing_algorithm="ECDSA_SHA_256")

    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    clock.advance(days=8)
    assert keys.run_maintenance().deleted == (key.arn,)
    assert keys.list_keys() == []


# ------------------------------------------------------------------------------ hostile input


def test_malformed_requests_name_their_field(keys: KeysClient) -> None:
    key = signing_key(keys)
    ed = signing_key(keys, "ECC_NIST_EDWARDS25519")
    cases: list[tuple[str, str, Callable[[], object]]] = [
        (
            "message",
            "bytes of length 1 to 4096",
            lambda: keys.sign(key.key_id, b"x" * 4097, signing_algorithm="ECDSA_SHA_256"),
        ),
        (
            "message",
            "bytes of length 1 to 4096",
            lambda: keys.sign(key.key_id, b"", signing_algorithm="ECDSA_SHA_256"),
        ),
        (
            "message",
            "bytes of length 1 to 4096",
            lambda: keys.sign(key.key_id, "text", signing_algorithm="ECDSA_SHA_256"),  # type: ignore[arg-type]
        ),
        (
            "message_type",
            "'RAW' or 'DIGEST'",
            lambda: keys.sign(
                key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256", message_type="HASH"
            ),
        ),
        (
            "signing_algorithm",
            "one of ECDSA_SHA_256 (the signing algorithms of a ECC_NIST_P256",
            lambda: keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_384"),
        ),
        (
            "signing_algorithm",
            "one of ED25519_SHA_512",
            lambda: keys.sign(ed.key_id, MESSAGE, signing_algorithm="ED25519_PH_SHA_512"),
        ),
        (
            "signing_algorithm",
            "one of ECDSA_SHA_256",
            lambda: keys.sign(key.key_id, MESSAGE, signing_algorithm=None),  # type: ignore[arg-type]
        ),
        (
            "message",
            "a 32-byte digest for ECDSA_SHA_256",
            lambda: keys.sign(
                key.key_id, b"x" * 31, signing_algorithm="ECDSA_SHA_256", message_type="DIGEST"
            ),
        ),
        (
            "message_type",
            "'RAW' for ED25519_SHA_512",
            lambda: keys.sign(
                ed.key_id, b"x" * 64, signing_algorithm="ED25519_SHA_512", message_type="DIGEST"
            ),
        ),
        (
            "signature",
            "bytes of length 1 to 6144",
            lambda: keys.verify(
                key.key_id, MESSAGE, b"s" * 6145, signing_algorithm="ECDSA_SHA_256"
            ),
        ),
        (
            "signature",
            "bytes of length 1 to 6144",
            lambda: keys.verify(key.key_id, MESSAGE, b"", signing_algorithm="ECDSA_SHA_256"),
        ),
    ]
    for field, expected, call in cases:
        with pytest.raises(Invalid) as info:
            call()
        assert info.value.field == field, (field, info.value.message)
        assert expected in info.value.message, info.value.message
        assert "xxxx" not in info.value.message  # never echoes the payload


# ------------------------------------------------------------------------------ access and audit


SIGNER_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
    }
)


@pytest.fixture
def signer(bastion: Bastion) -> Iterator[Bastion]:
    """A user whose IAM policy allows every kms action (key policies still apply)."""
    bastion.access.create_user("signer")
    bastion.access.put_user_policy("signer", "kms-all", SIGNER_POLICY)
    token = bastion.access.create_api_token(user_name="signer").token
    runtime = bastion.runtime
    client = bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock, token=token)
    yield client
    client.close()


def _key_policy(account: str, *deny: dict[str, Any]) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:bastion:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        *deny,
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def test_key_policy_conditions_on_algorithm_and_message_type(
    bastion: Bastion, signer: Bastion
) -> None:
    policy = _key_policy(
        bastion.account_id,
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["kms:Sign", "kms:Verify"],
            "Resource": "*",
            "Condition": {"StringLike": {"kms:SigningAlgorithm": "RSASSA_PKCS1*"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:Sign",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:MessageType": "DIGEST"}},
        },
    )
    key = signing_key(bastion.keys, "RSA_2048", policy=policy)
    keys = signer.keys
    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm="RSASSA_PSS_SHA_256")
    keys.verify(key.key_id, MESSAGE, signed.signature, signing_algorithm="RSASSA_PSS_SHA_256")
    with pytest.raises(AccessDenied):
        keys.sign(key.key_id, MESSAGE, signing_algorithm="RSASSA_PKCS1_V1_5_SHA_256")
    with pytest.raises(AccessDenied):
        keys.sign(
            key.key_id, b"d" * 32, signing_algorithm="RSASSA_PSS_SHA_256", message_type="DIGEST"
        )
    forged = RequestContext(extra={"kms:SigningAlgorithm": "RSASSA_PSS_SHA_256"})
    with pytest.raises(AccessDenied):  # the request's own values win over the caller's
        keys.sign(
            key.key_id, MESSAGE, signing_algorithm="RSASSA_PKCS1_V1_5_SHA_256", context=forged
        )


def test_key_policy_can_deny_signing_but_not_the_public_key(
    bastion: Bastion, signer: Bastion
) -> None:
    policy = _key_policy(
        bastion.account_id,
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*"},
    )
    key = signing_key(bastion.keys, policy=policy)
    with pytest.raises(AccessDenied):
        signer.keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    assert signer.keys.get_public_key(key.key_id).key_spec == "ECC_NIST_P256"


def test_create_key_conditions_on_key_spec(bastion: Bastion) -> None:
    only_p256 = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "kms:CreateKey",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"kms:KeySpec": "ECC_NIST_P256"}},
            },
        ],
    }
    bastion.access.create_user("maker")
    bastion.access.put_user_policy("maker", "p256-only", json.dumps(only_p256))
    token = bastion.access.create_api_token(user_name="maker").token
    runtime = bastion.runtime
    with bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock, token=token) as maker:
        assert signing_key(maker.keys).key_spec == "ECC_NIST_P256"
        with pytest.raises(AccessDenied):
            signing_key(maker.keys, "ECC_NIST_EDWARDS25519")
        with pytest.raises(AccessDenied):
            maker.keys.create_key()


def test_sign_and_verify_are_audited_without_the_message(
    bastion: Bastion, clock: FrozenClock
) -> None:
    trail = MemoryTrail()
    gate = Gate(authorizer=RootOnlyAuthorizer(), trail=trail, clock=clock, region="local")
    keys = KeysClient(replace(bastion.runtime, gate=gate))
    key = signing_key(keys)
    signed = keys.sign(key.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    with pytest.raises(InvalidSignature):
        keys.verify(key.key_id, b"other", signed.signature, signing_algorithm="ECDSA_SHA_256")
    keys.get_public_key(key.key_id)
    create, sign, verify, public = trail.events[-4:]
    assert create["requestParameters"]["keySpec"] == "ECC_NIST_P256"
    assert create["requestParameters"]["keyUsage"] == "SIGN_VERIFY"
    assert create["responseElements"]["keyMetadata"]["signingAlgorithms"] == ["ECDSA_SHA_256"]
    assert "encryptionAlgorithms" not in create["responseElements"]["keyMetadata"]
    expected = {"keyId": key.key_id, "messageType": "RAW", "signingAlgorithm": "ECDSA_SHA_256"}
    assert sign["eventName"] == "Sign" and sign["requestParameters"] == expected
    assert sign["readOnly"] is True and sign["responseElements"] is None
    assert verify["eventName"] == "Verify" and verify["requestParameters"] == expected
    assert verify["errorCode"] == "KMSInvalidSignatureException"
    assert public["eventName"] == "GetPublicKey" and public["requestParameters"] == {
        "keyId": key.key_id
    }
    text = json.dumps(trail.events)
    assert MESSAGE.decode() not in text and signed.signature.hex() not in text


# ------------------------------------------------------------------------------ backends


def test_every_backend_signs_and_keeps_the_private_key(
    make_service: Callable[..., KeyService], backend: KeyBackend
) -> None:
    service = make_service(backend)
    key = service.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_EDWARDS25519")
    assert key.backend == backend.name
    signed = service.sign(key.key_id, MESSAGE, signing_algorithm="ED25519_SHA_512")
    service.verify(key.key_id, MESSAGE, signed.signature, signing_algorithm="ED25519_SHA_512")
    public = service.get_public_key(key.key_id).public_key
    verify_offline(public, "ED25519_SHA_512", MESSAGE, signed.signature)
    with service.db.read() as conn:
        stored = bytes(
            conn.execute(
                sa.select(kms_key_versions.c.material).where(
                    kms_key_versions.c.key_id == key.key_id
                )
            ).scalar_one()
        )
    with pytest.raises(ValueError):  # what the database holds is not a usable private key
        serialization.load_der_private_key(stored, password=None)
    assert public not in stored


def test_fake_kms_forgets_a_deleted_key_pair(
    make_service: Callable[..., KeyService], clock: FrozenClock
) -> None:
    fake = FakeKms()
    service = make_service(fake)
    key = service.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P256")
    assert len(fake) == 1
    service.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    clock.advance(days=8)
    assert service.delete_if_due(key.key_id)
    assert len(fake) == 0


def _set(service: KeyService, key_id: str, **values: Any) -> None:
    table = kms_key_versions if "material" in values else kms_keys
    with service.db.write() as conn:
        conn.execute(table.update().where(table.c.key_id == key_id).values(**values))


def test_edited_rows_are_refused_as_tampered(
    make_service: Callable[..., KeyService], backend: KeyBackend
) -> None:
    service = make_service(backend)
    p256 = service.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P256")
    p384 = service.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P384")
    # the spec column says P-384 but the material is a P-256 key
    _set(service, p256.key_id, key_spec="ECC_NIST_P384")
    with pytest.raises(Tampered, match=p256.key_id):
        service.get_public_key(p256.key_id)
    _set(service, p256.key_id, key_spec="ECC_NIST_P256")
    # the usage says SIGN_VERIFY but the spec is symmetric
    _set(service, p256.key_id, key_spec="SYMMETRIC_DEFAULT")
    with pytest.raises(Tampered, match="row was modified"):
        service.sign(p256.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    _set(service, p256.key_id, key_spec="ECC_NIST_P256")
    # material copied from another key
    with service.db.read() as conn:
        other = conn.execute(
            sa.select(kms_key_versions.c.material).where(kms_key_versions.c.key_id == p384.key_id)
        ).scalar_one()
    _set(service, p256.key_id, material=other)
    with pytest.raises(Tampered, match=p256.key_id):
        service.sign(p256.key_id, MESSAGE, signing_algorithm="ECDSA_SHA_256")
    # a signing key's material used as symmetric material
    _set(service, p384.key_id, key_usage="ENCRYPT_DECRYPT", key_spec="SYMMETRIC_DEFAULT")
    with pytest.raises(Tampered, match=p384.key_id):
        service.encrypt(p384.key_id, b"x")
