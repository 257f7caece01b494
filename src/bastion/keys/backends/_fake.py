"""An in-memory stand-in for an external KMS, proving the backend port.

:class:`FakeKms` behaves as Vault transit or AWS KMS would from Bastion's side: the material is
created and kept inside the "remote" service (a dict here) and the database stores only an opaque
handle naming it. Use it in tests of code built on the key service; it holds everything in
memory, so it is never a production backend.
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bastion.errors import InvalidCiphertext, Tampered
from bastion.keys import _asymmetric
from bastion.keys.backends._port import MATERIAL_SIZE, MaterialRef
from bastion.types import KeyId

_PREFIX = "fake-kms"


class FakeKms:
    """External-KMS double: material stays in this object; handles go to the database."""

    name = "fake-kms"
    origin = "EXTERNAL_KEY_STORE"

    def __init__(self) -> None:
        self._material: dict[str, AESGCM | _asymmetric.PrivateKey] = {}

    def __len__(self) -> int:
        """How many material versions the fake service holds."""
        return len(self._material)

    def _new_handle(self, key_id: KeyId, version: int) -> str:
        return f"{_PREFIX}:{key_id}:{version}:{uuid.uuid4()}"

    def create_material(self, key_id: KeyId, version: int) -> bytes:
        handle = self._new_handle(key_id, version)
        self._material[handle] = AESGCM(os.urandom(MATERIAL_SIZE))
        return handle.encode()

    def _held(self, ref: MaterialRef) -> AESGCM | _asymmetric.PrivateKey:
        handle = ref.stored.decode("utf-8", errors="replace")
        parts = handle.split(":")
        held = self._material.get(handle)
        bound = len(parts) == 4 and parts[1:3] == [ref.key_id, str(ref.version)]
        if held is None or not bound:
            raise Tampered(
                f"The external key store has no material for key '{ref.key_id}' version "
                f"{ref.version}: the stored handle was modified, copied from another key, or the "
                "material was deleted there"
            )
        return held

    def _aead(self, ref: MaterialRef) -> AESGCM:
        held = self._held(ref)
        if not isinstance(held, AESGCM):
            raise Tampered(
                f"The external key store holds a key pair, not symmetric material, for key "
                f"'{ref.key_id}' version {ref.version}: the key's row was modified"
            )
        return held

    def _private(self, ref: MaterialRef, key_spec: str) -> _asymmetric.PrivateKey:
        held = self._held(ref)
        spec = _asymmetric.SIGNING_SPECS.get(key_spec)
        if isinstance(held, AESGCM) or spec is None or not spec.matches(held):
            raise Tampered(
                f"The external key store holds no {key_spec} key pair for key '{ref.key_id}' "
                f"version {ref.version}: the key's row was modified"
            )
        return held

    def encrypt(self, ref: MaterialRef, *, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return self._aead(ref).encrypt(nonce, plaintext, aad)

    def decrypt(self, ref: MaterialRef, *, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        aead = self._aead(ref)
        try:
            return aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag as exc:
            raise InvalidCiphertext("The ciphertext does not authenticate") from exc

    def destroy_material(self, ref: MaterialRef) -> None:
        self._material.pop(ref.stored.decode("utf-8", errors="replace"), None)

    def create_signing_material(self, key_id: KeyId, version: int, key_spec: str) -> bytes:
        spec = _asymmetric.SIGNING_SPECS[key_spec]
        handle = self._new_handle(key_id, version)
        self._material[handle] = _asymmetric.load_private(spec.generate(), spec)
        return handle.encode()

    def sign(
        self,
        ref: MaterialRef,
        *,
        key_spec: str,
        signing_algorithm: str,
        message: bytes,
        message_type: str,
    ) -> bytes:
        return _asymmetric.sign(
            self._private(ref, key_spec),
            algorithm=signing_algorithm,
            message=message,
            message_type=message_type,
        )

    def get_public_key(self, ref: MaterialRef, *, key_spec: str) -> bytes:
        return _asymmetric.public_der(self._private(ref, key_spec))
