"""The root key: seals every piece of key material Bastion keeps at rest.

Where it comes from, first match wins:

1. ``BASTION_ROOT_KEY`` (base64 of 32 bytes), e.g. injected by a secret manager;
2. ``BASTION_ROOT_PASSPHRASE``, stretched with Argon2id (memory-hard) and the salt in
   ``<home>/root.salt``;
3. the file ``<home>/root.key`` (mode 0600), written by ``bastion init``.

``<home>/root.check`` holds a value sealed at init, so a wrong key or passphrase is refused with a
clear error instead of silently producing garbage. Sealing is AES-256-GCM from ``cryptography``
with the caller's associated data (what the sealed thing is), so a sealed blob cannot be moved to
another row.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from bastion.errors import Invalid, InvalidCiphertext, NotFound
from bastion.settings import Settings

KEY_FILE = "root.key"
SALT_FILE = "root.salt"
CHECK_FILE = "root.check"
_SEAL_VERSION = b"\x01"
_CHECK_AAD = b"bastion/root-check"
_CHECK_VALUE = b"bastion root key check v1"


class RootSealer:
    """Seals and opens small secrets (key material) under the root key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise Invalid("root_key", got=f"{len(key)} bytes", expected="exactly 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """Encrypt and authenticate ``plaintext`` bound to ``aad``."""
        nonce = os.urandom(12)
        return _SEAL_VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, *, aad: bytes) -> bytes:
        """Decrypt a sealed blob; raises :class:`InvalidCiphertext` on any tampering."""
        if len(sealed) < 29 or sealed[:1] != _SEAL_VERSION:
            raise InvalidCiphertext("Sealed key material is malformed; the row may be corrupt")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], aad)
        except InvalidTag as exc:
            raise InvalidCiphertext(
                "Sealed key material failed authentication: the root key is wrong or the stored "
                "row was modified"
            ) from exc


def _derive(passphrase: str, salt: bytes) -> bytes:
    kdf = Argon2id(salt=salt, length=32, iterations=3, lanes=4, memory_cost=64 * 1024)
    return kdf.derive(passphrase.encode())


def _key_from_settings(settings: Settings, *, create: bool) -> tuple[bytes, str]:
    home = settings.home
    if settings.root_key is not None:
        raw = settings.root_key.get_secret_value()
        try:
            key = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Invalid(
                "BASTION_ROOT_KEY", got="<not base64>", expected="base64 of 32 random bytes"
            ) from exc
        if len(key) != 32:
            raise Invalid(
                "BASTION_ROOT_KEY", got=f"{len(key)} bytes", expected="base64 of 32 random bytes"
            )
        return key, "environment"
    if settings.root_passphrase is not None:
        salt_path = home / SALT_FILE
        if not salt_path.exists():
            if not create:
                raise NotFound(f"{salt_path} is missing; run 'bastion init' first")
            _write_private(salt_path, secrets.token_bytes(16))
        return _derive(settings.root_passphrase.get_secret_value(), salt_path.read_bytes()), (
            "passphrase"
        )
    key_path = home / KEY_FILE
    if not key_path.exists():
        if not create:
            raise NotFound(f"Root key {key_path} is missing; run 'bastion init' first")
        _write_private(key_path, secrets.token_bytes(32))
    key = key_path.read_bytes()
    return key, "file"


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600, refusing to overwrite anything."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def load_root_sealer(settings: Settings, *, create: bool = False) -> tuple[RootSealer, str]:
    """Load (or, with ``create``, make) the root key; returns the sealer and its source."""
    key, source = _key_from_settings(settings, create=create)
    sealer = RootSealer(key)
    check_path = settings.home / CHECK_FILE
    if check_path.exists():
        try:
            value = sealer.open(check_path.read_bytes(), aad=_CHECK_AAD)
        except InvalidCiphertext as exc:
            raise Invalid(
                "root_key",
                got=f"a key from {source}",
                expected="the root key this home was initialised with (check BASTION_ROOT_KEY "
                "or BASTION_ROOT_PASSPHRASE)",
            ) from exc
        if value != _CHECK_VALUE:
            raise Invalid("root_key", got=source, expected="the root key of this home")
    elif create:
        _write_private(check_path, sealer.seal(_CHECK_VALUE, aad=_CHECK_AAD))
    else:
        raise NotFound(f"{check_path} is missing; run 'bastion init' first")
    return sealer, source
