"""The default backend: material generated here and kept in the database, sealed by the root key.

Symmetric material is 32 random bytes; an asymmetric key's material is its private key (PKCS #8
DER). Both are sealed the same way, with the key id and version as associated data.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bastion.errors import InvalidCiphertext, Tampered
from bastion.keys import _asymmetric
from bastion.keys._root import RootSealer
from bastion.keys.backends._port import MATERIAL_SIZE, MaterialRef
from bastion.types import KeyId


def material_aad(key_id: str, version: int) -> bytes:
    """Associated data of a sealed material row: a row moved to another key does not open."""
    return f"bastion/kms-key-material/v1/{key_id}/{version}".encode()


class LocalKeystore:
    """Key material sealed by the :class:`RootSealer`; unsealed only for one operation."""

    name = "local"
    origin = "AWS_KMS"

    def __init__(self, sealer: RootSealer) -> None:
        self._sealer = sealer

    def create_material(self, key_id: KeyId, version: int) -> bytes:
        return self._sealer.seal(os.urandom(MATERIAL_SIZE), aad=material_aad(key_id, version))

    def _open(self, ref: MaterialRef) -> bytes:
        try:
            return self._sealer.open(ref.stored, aad=material_aad(ref.key_id, ref.version))
        except InvalidCiphertext as exc:
            raise Tampered(
                f"The stored material of key '{ref.key_id}' version {ref.version} failed "
                "authentication: the database row was modified or copied from another key, or "
                "the root key is not the one this home was initialised with; restore the row "
                "from a backup"
            ) from exc

    def _aead(self, ref: MaterialRef) -> AESGCM:
        material = self._open(ref)
        if len(material) != MATERIAL_SIZE:
            raise Tampered(
                f"The stored material of key '{ref.key_id}' version {ref.version} has "
                f"{len(material)} bytes instead of {MATERIAL_SIZE}; restore the row from a backup"
            )
        return AESGCM(material)

    def encrypt(self, ref: MaterialRef, *, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return self._aead(ref).encrypt(nonce, plaintext, aad)

    def decrypt(self, ref: MaterialRef, *, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        aead = self._aead(ref)
        try:
            return aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag as exc:
            raise InvalidCiphertext("The ciphertext does not authenticate") from exc

    def destroy_material(self, ref: MaterialRef) -> None:
        """Nothing to do: deleting the sealed row destroys the material."""

    def create_signing_material(self, key_id: KeyId, version: int, key_spec: str) -> bytes:
        private = _asymmetric.SIGNING_SPECS[key_spec].generate()
        return self._sealer.seal(private, aad=material_aad(key_id, version))

    def _private(self, ref: MaterialRef, key_spec: str) -> _asymmetric.PrivateKey:
        try:
            return _asymmetric.load_private(self._open(ref), _asymmetric.SIGNING_SPECS[key_spec])
        except (KeyError, ValueError) as exc:
            raise Tampered(
                f"The stored material of key '{ref.key_id}' version {ref.version} is not a "
                f"{key_spec} private key: the key's row was modified; restore it from a backup"
            ) from exc

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
