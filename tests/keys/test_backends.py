"""One conformance suite over every key backend: the port contract, then the service on top."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from bastion.errors import InvalidCiphertext, Tampered
from bastion.keys import KeyService
from bastion.keys.backends import FakeKms, KeyBackend, MaterialRef
from bastion.testing import FrozenClock
from bastion.types import KeyId

KID = KeyId("0b1f0cf6-0000-4000-8000-000000000001")
OTHER = KeyId("0b1f0cf6-0000-4000-8000-000000000002")


def _ref(backend: KeyBackend, key_id: KeyId = KID, version: int = 1) -> MaterialRef:
    return MaterialRef(
        key_id=key_id, version=version, stored=backend.create_material(key_id, version)
    )


def test_port_round_trip(backend: KeyBackend) -> None:
    ref = _ref(backend)
    nonce = os.urandom(12)
    ct = backend.encrypt(ref, nonce=nonce, plaintext=b"hello", aad=b"aad")
    assert b"hello" not in ct and len(ct) == 5 + 16
    assert backend.decrypt(ref, nonce=nonce, ciphertext=ct, aad=b"aad") == b"hello"
    assert "stored" not in repr(ref)


def test_port_rejects_wrong_aad_nonce_or_ciphertext(backend: KeyBackend) -> None:
    ref = _ref(backend)
    nonce = os.urandom(12)
    ct = backend.encrypt(ref, nonce=nonce, plaintext=b"hello", aad=b"aad")
    for kwargs in (
        {"nonce": nonce, "ciphertext": ct, "aad": b"other"},
        {"nonce": os.urandom(12), "ciphertext": ct, "aad": b"aad"},
        {"nonce": nonce, "ciphertext": ct[:-1], "aad": b"aad"},
        {"nonce": nonce, "ciphertext": bytes([ct[0] ^ 1]) + ct[1:], "aad": b"aad"},
    ):
        with pytest.raises(InvalidCiphertext):
            backend.decrypt(ref, **kwargs)  # type: ignore[arg-type]


def test_port_versions_have_distinct_material(backend: KeyBackend) -> None:
    v1, v2 = _ref(backend, version=1), _ref(backend, version=2)
    nonce = os.urandom(12)
    ct = backend.encrypt(v1, nonce=nonce, plaintext=b"hello", aad=b"")
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(v2, nonce=nonce, ciphertext=ct, aad=b"")


def test_port_refuses_stored_value_of_another_key_or_version(backend: KeyBackend) -> None:
    ref = _ref(backend)
    for moved in (
        MaterialRef(key_id=OTHER, version=1, stored=ref.stored),
        MaterialRef(key_id=KID, version=2, stored=ref.stored),
        MaterialRef(key_id=KID, version=1, stored=ref.stored[:-1] + b"!"),
    ):
        with pytest.raises(Tampered) as info:
            backend.encrypt(moved, nonce=os.urandom(12), plaintext=b"x", aad=b"")
        assert f"key '{moved.key_id}' version {moved.version}" in info.value.message


def test_port_destroy_is_idempotent(backend: KeyBackend) -> None:
    ref = _ref(backend)
    backend.destroy_material(ref)
    backend.destroy_material(ref)


def test_fake_kms_forgets_destroyed_material() -> None:
    fake = FakeKms()
    ref = _ref(fake)
    assert len(fake) == 1
    fake.destroy_material(ref)
    assert len(fake) == 0
    with pytest.raises(Tampered, match="external key store"):
        fake.encrypt(ref, nonce=os.urandom(12), plaintext=b"x", aad=b"")


def test_service_semantics_over_backend(
    make_service: Callable[..., KeyService], backend: KeyBackend, clock: FrozenClock
) -> None:
    service = make_service(backend)
    key = service.create_key(description="conformance")
    assert key.backend == backend.name and key.origin == backend.origin
    ctx = {"purpose": "conformance"}
    old = service.encrypt(key.key_id, b"v1", encryption_context=ctx).ciphertext_blob
    service.rotate_key_on_demand(key.key_id)
    new = service.encrypt(key.key_id, b"v2", encryption_context=ctx).ciphertext_blob
    assert service.decrypt(old, encryption_context=ctx).plaintext == b"v1"
    assert service.decrypt(new, encryption_context=ctx).plaintext == b"v2"
    with pytest.raises(InvalidCiphertext):
        service.decrypt(new, encryption_context={"purpose": "other"})
    dk = service.generate_data_key(key.key_id, encryption_context=ctx)
    assert service.decrypt(dk.ciphertext_blob, encryption_context=ctx).plaintext == dk.plaintext
    service.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    clock.advance(days=7)
    assert service.due_deletions() == [key.key_id]
    assert service.delete_if_due(key.key_id)
    assert service.list_keys() == []
    if isinstance(backend, FakeKms):
        assert len(backend) == 0  # the external store was told to forget both versions
