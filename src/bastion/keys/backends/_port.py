"""The key backend port: where a master key's material lives and is used.

The key service owns key ids, versions, states and the ciphertext format; a backend only creates
material for one version of one key and encrypts/decrypts with it (symmetric keys), or creates a
key pair and signs with it (asymmetric ``SIGN_VERIFY`` keys). What ``create_material``
returns is stored in the database as is, so for the local keystore it is the material *sealed* by
the root key, and for an external KMS (Vault transit, AWS KMS) an opaque handle that names the
material held there. The material itself never leaves a backend.

Contract (checked by ``tests/keys/test_backends.py`` over every implementation):

- ``encrypt``/``decrypt`` are AES-256-GCM-like AEADs keyed by one version's material, with the
  12-byte nonce chosen by the service (it is part of the ciphertext header) and ``aad`` bound;
- ``decrypt`` raises :class:`~bastion.errors.InvalidCiphertext` when the ciphertext or ``aad`` does
  not authenticate;
- a stored value that is damaged or belongs to another key/version raises
  :class:`~bastion.errors.Tampered` naming the key, never produces output;
- ``destroy_material`` forgets the material (idempotent);
- ``create_signing_material`` makes a key pair of a key spec of
  :data:`bastion.keys._asymmetric.SIGNING_SPECS`; ``sign`` signs in AWS KMS's formats (the service
  has checked the algorithm, message type and length first); ``get_public_key`` returns the DER
  ``SubjectPublicKeyInfo``. The private key never leaves the backend; a stored value that is
  damaged, moved, or holds a key of another spec raises :class:`~bastion.errors.Tampered`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bastion.types import KeyId

NONCE_SIZE = 12
MATERIAL_SIZE = 32


@dataclass(frozen=True, kw_only=True)
class MaterialRef:
    """One version of one key, with what the backend asked the database to keep for it."""

    key_id: KeyId
    version: int
    stored: bytes = field(repr=False)


class KeyBackend(Protocol):
    """Creates and uses the material of master-key versions."""

    @property
    def name(self) -> str:
        """Stable name recorded with every key (``local``, ``fake-kms`` …)."""
        ...

    @property
    def origin(self) -> str:
        """KMS ``Origin`` reported for keys of this backend."""
        ...

    def create_material(self, key_id: KeyId, version: int) -> bytes:
        """Make fresh material for ``key_id`` version ``version``; return what to store."""
        ...

    def encrypt(self, ref: MaterialRef, *, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt and authenticate ``plaintext`` bound to ``aad``; returns ciphertext + tag."""
        ...

    def decrypt(self, ref: MaterialRef, *, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        """Reverse :meth:`encrypt`; raises InvalidCiphertext when it does not authenticate."""
        ...

    def destroy_material(self, ref: MaterialRef) -> None:
        """Forget the material of one version (the key was deleted)."""
        ...

    def create_signing_material(self, key_id: KeyId, version: int, key_spec: str) -> bytes:
        """Make a fresh key pair of ``key_spec`` for ``key_id``; return what to store."""
        ...

    def sign(
        self,
        ref: MaterialRef,
        *,
        key_spec: str,
        signing_algorithm: str,
        message: bytes,
        message_type: str,
    ) -> bytes:
        """Sign ``message`` (``RAW``) or a digest (``DIGEST``) with the private key."""
        ...

    def get_public_key(self, ref: MaterialRef, *, key_spec: str) -> bytes:
        """The public key as DER ``SubjectPublicKeyInfo``."""
        ...
