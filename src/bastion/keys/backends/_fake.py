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
from bastion.keys.backends._port import MATERIAL_SIZE, MaterialRef
from bastion.types import KeyId

_PREFIX = "fake-kms"


class FakeKms:
    """External-KMS double: material stays in this object; handles go to the database."""

    name = "fake-kms"
    origin = "EXTERNAL_KEY_STORE"

    def __init__(self) -> None:
        self._material: dict[str, AESGCM] = {}

    def __len__(self) -> int:
        """How many material versions the fake service holds."""
        return len(self._material)

    def create_material(self, key_id: KeyId, version: int) -> bytes:
        handle = f"{_PREFIX}:{key_id}:{version}:{uuid.uuid4()}"
        self._material[handle] = AESGCM(os.urandom(MATERIAL_SIZE))
        return handle.encode()

    def _aead(self, ref: MaterialRef) -> AESGCM:
        handle = ref.stored.decode("utf-8", errors="replace")
        parts = handle.split(":")
        aead = self._material.get(handle)
        bound = len(parts) == 4 and parts[1:3] == [ref.key_id, str(ref.version)]
        if aead is None or not bound:
            raise Tampered(
                f"The external key store has no material for key '{ref.key_id}' version "
                f"{ref.version}: the stored handle was modified, copied from another key, or the "
                "material was deleted there"
            )
        return aead

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
