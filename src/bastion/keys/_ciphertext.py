"""The ciphertext blob of Encrypt / GenerateDataKey, and the encryption-context encoding.

::

    offset  size  field
    0       2     magic b"BK"
    2       1     format version (1)
    3       16    key id (UUID bytes)
    19      4     material version (unsigned, big-endian)
    23      12    AES-GCM nonce (random per blob)
    35      n+16  AES-256-GCM ciphertext and tag under that key version's material

The associated data is the 35-byte header followed by the canonical encoding of the encryption
context (sorted, compact, ASCII JSON; an empty context and no context are the same), so a blob
that is truncated, bit-flipped, moved to another key, or opened with any other context fails to
authenticate.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from bastion.errors import Invalid, InvalidCiphertext
from bastion.keys.backends._port import NONCE_SIZE
from bastion.types import KeyId

MAGIC = b"BK"
FORMAT_VERSION = 1
_HEADER = struct.Struct(f">2sB16sI{NONCE_SIZE}s")
HEADER_SIZE = _HEADER.size
TAG_SIZE = 16
MAX_BLOB_SIZE = 6144
MAX_VERSION = 2**31 - 1  # fits the INTEGER column on every database

NOT_AUTHENTIC = (
    "The ciphertext blob does not authenticate: it was changed or truncated, it was made by "
    "another key or installation, or the encryption context differs from the one given when it "
    "was encrypted (it must match exactly)"
)

CONTEXT_EXPECTED = "a mapping of non-empty string keys to string values (or None)"


@dataclass(frozen=True, kw_only=True)
class Header:
    """The clear-text header of a blob (authenticated, not secret)."""

    key_id: KeyId
    version: int
    nonce: bytes
    raw: bytes


def pack_header(key_id: str, version: int, nonce: bytes) -> bytes:
    """The 35-byte header naming the key version and nonce."""
    return _HEADER.pack(MAGIC, FORMAT_VERSION, uuid.UUID(key_id).bytes, version, nonce)


def split_blob(blob: bytes) -> tuple[Header, bytes]:
    """Parse a blob into its header and body; a malformed blob is InvalidCiphertext."""
    if len(blob) < HEADER_SIZE + TAG_SIZE:
        raise InvalidCiphertext(NOT_AUTHENTIC)
    magic, fmt, key_bytes, version, nonce = _HEADER.unpack_from(blob)
    if magic != MAGIC or fmt != FORMAT_VERSION or not 1 <= version <= MAX_VERSION:
        raise InvalidCiphertext(NOT_AUTHENTIC)
    key_id = KeyId(str(uuid.UUID(bytes=key_bytes)))
    header = Header(key_id=key_id, version=version, nonce=nonce, raw=blob[:HEADER_SIZE])
    return header, blob[HEADER_SIZE:]


def peek_key_id(blob: object) -> KeyId | None:
    """The key id a blob claims (unauthenticated; for naming the audited resource only)."""
    if not isinstance(blob, bytes | bytearray):
        return None
    try:
        return split_blob(bytes(blob))[0].key_id
    except InvalidCiphertext:
        return None


def validate_blob(blob: object, *, operation: str) -> bytes:
    """Check a ciphertext blob's type and size (KMS: 1-6144 bytes)."""
    if not isinstance(blob, bytes | bytearray) or not 1 <= len(blob) <= MAX_BLOB_SIZE:
        got = f"<{len(blob)} bytes>" if isinstance(blob, bytes | bytearray) else type(blob).__name__
        raise Invalid(
            "ciphertext_blob",
            got=got,
            expected=f"bytes of length 1 to {MAX_BLOB_SIZE}",
            operation=operation,
        )
    return bytes(blob)


def canonical_context(context: object, *, field: str, operation: str) -> bytes:
    """Validate an encryption context and encode it canonically (key order does not matter)."""
    if context is None:
        return b"{}"
    if not isinstance(context, Mapping):
        raise Invalid(
            field, got=type(context).__name__, expected=CONTEXT_EXPECTED, operation=operation
        )
    for key, value in context.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise Invalid(
                field,
                got=f"entry {key!r}: {value!r}",
                expected=CONTEXT_EXPECTED,
                operation=operation,
            )
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode("ascii")
