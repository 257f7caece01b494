"""Envelope encryption of large objects: a header naming the wrapped data key, then a stream.

An envelope on disk or in the object store is::

    b"BSTNENV" || version (1 byte, 1) || header length (uint32 big-endian) || header || stream

``header`` is canonical JSON (sorted keys, no spaces, ASCII) of :class:`EnvelopeHeader`, with
``wrapped_key`` in base64. ``stream`` is Tink's AES-GCM-HKDF streaming AEAD
(``tink/AES256_GCM_HKDF_1MB`` by default: 1 MiB ciphertext segments) keyed by the object's 32-byte
data key, with the exact header bytes as associated data, so editing the header, the data or the
segment order is detected. Memory stays constant whatever the size: a few segments are in flight.

On decrypt every segment is authenticated before its plaintext is written; a failure at segment
``n`` raises :class:`~bastion.errors.InvalidCiphertext` after segments ``0 .. n-1`` were written,
so callers decrypt to a temporary file that they remove on failure. See ``docs/envelope.md``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from bastion.errors import Invalid, InvalidCiphertext
from bastion.keys import _envelope_stream as stream

log = logging.getLogger(__name__)

MAGIC = b"BSTNENV"
FORMAT_VERSION = 1
MAX_HEADER_SIZE = 64 * 1024
MIN_SEGMENT_SIZE = 64
MAX_SEGMENT_SIZE = 8 << 20
DEFAULT_SEGMENT_SIZE = 1 << 20
_PREAMBLE = struct.Struct(">7sBI")
_ALGORITHM_RE = re.compile(r"tink/AES256_GCM_HKDF_([1-9][0-9]*)(MB|KB|B)")
_UNITS = {"MB": 1 << 20, "KB": 1 << 10, "B": 1}
_HEADER_FIELDS = {"algorithm", "encryption_context", "key_arn", "wrapped_key"}

NOT_AN_ENVELOPE = "Not a Bastion envelope: it does not start with {magic!r}"
UNSUPPORTED_VERSION = (
    "Envelope format version {version} is not supported: this Bastion reads version {supported}; "
    "upgrade Bastion to read it"
)
TRUNCATED_PREAMBLE = "The envelope is truncated: it ends inside its {size}-byte preamble"
BAD_HEADER_LENGTH = (
    "The envelope header length {length} is outside 1..{limit} bytes; the object is corrupt"
)
TRUNCATED_HEADER = "The envelope is truncated: its header is {length} bytes but only {got} remain"
MALFORMED_HEADER = "The envelope header is malformed ({reason}); the object is corrupt"
DATA_KEY_EXPECTED = "32 bytes: the plaintext of an AES_256 data key from GenerateDataKey"


def algorithm_for(segment_size: int) -> str:
    """The algorithm name for a ciphertext segment size, e.g. ``tink/AES256_GCM_HKDF_1MB``."""
    for unit in ("MB", "KB"):
        if segment_size % _UNITS[unit] == 0:
            return f"tink/AES256_GCM_HKDF_{segment_size // _UNITS[unit]}{unit}"
    return f"tink/AES256_GCM_HKDF_{segment_size}B"


ALGORITHM = algorithm_for(DEFAULT_SEGMENT_SIZE)


def _segment_size_of(algorithm: str) -> int | None:
    match = _ALGORITHM_RE.fullmatch(algorithm)
    if match is None:
        return None
    size = int(match.group(1)) * _UNITS[match.group(2)]
    if algorithm_for(size) != algorithm or not MIN_SEGMENT_SIZE <= size <= MAX_SEGMENT_SIZE:
        return None
    return size


_ALGORITHM_EXPECTED = (
    f"'tink/AES256_GCM_HKDF_<size>' with a segment size in {MIN_SEGMENT_SIZE}.."
    f"{MAX_SEGMENT_SIZE} bytes written as algorithm_for(size), e.g. {ALGORITHM!r}"
)


@dataclass(frozen=True, kw_only=True)
class EnvelopeHeader:
    """What a reader needs to unwrap the data key; authenticated as the stream's associated data."""

    key_arn: str
    wrapped_key: bytes
    encryption_context: dict[str, str]
    algorithm: str


@dataclass(frozen=True, kw_only=True)
class EnvelopeStats:
    """Plaintext size in bytes and its SHA-256 (hex), computed while streaming."""

    size: int
    sha256: str


def _check_header(header: EnvelopeHeader, operation: str) -> int:
    """Validate a caller's header; returns its segment size."""
    if not isinstance(header.key_arn, str) or not header.key_arn:
        raise Invalid(
            "header.key_arn", got=header.key_arn, expected="a non-empty ARN", operation=operation
        )
    if not isinstance(header.wrapped_key, bytes) or not header.wrapped_key:
        raise Invalid(
            "header.wrapped_key",
            got=header.wrapped_key,
            expected="the non-empty KMS ciphertext blob of the data key (bytes)",
            operation=operation,
        )
    context = header.encryption_context
    if not isinstance(context, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in context.items()
    ):
        raise Invalid(
            "header.encryption_context",
            got=context,
            expected="a dict of str to str",
            operation=operation,
        )
    size = _segment_size_of(header.algorithm) if isinstance(header.algorithm, str) else None
    if size is None:
        raise Invalid(
            "header.algorithm",
            got=header.algorithm,
            expected=_ALGORITHM_EXPECTED,
            operation=operation,
        )
    return size


def _check_data_key(data_key: bytes, operation: str) -> bytes:
    if not isinstance(data_key, bytes | bytearray) or len(data_key) != stream.KEY_SIZE:
        shown = f"<{len(data_key)} bytes>" if isinstance(data_key, bytes | bytearray) else "?"
        raise Invalid(
            "data_key",
            got=shown,
            expected=DATA_KEY_EXPECTED,
            operation=operation,
        )
    return bytes(data_key)


def serialize_header(header: EnvelopeHeader) -> bytes:
    """The canonical header bytes: written to the envelope and used as associated data."""
    document = {
        "algorithm": header.algorithm,
        "encryption_context": header.encryption_context,
        "key_arn": header.key_arn,
        "wrapped_key": base64.b64encode(header.wrapped_key).decode("ascii"),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _parse_header(raw: bytes) -> EnvelopeHeader:
    try:
        document: Any = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidCiphertext(MALFORMED_HEADER.format(reason="not ASCII JSON")) from exc
    if not isinstance(document, dict) or set(document) != _HEADER_FIELDS:
        reason = f"expected exactly the fields {sorted(_HEADER_FIELDS)}"
        raise InvalidCiphertext(MALFORMED_HEADER.format(reason=reason))
    context = document["encryption_context"]
    if not (
        isinstance(document["key_arn"], str)
        and document["key_arn"]
        and isinstance(document["algorithm"], str)
        and isinstance(document["wrapped_key"], str)
        and isinstance(context, dict)
        and all(isinstance(v, str) for v in context.values())
    ):
        raise InvalidCiphertext(MALFORMED_HEADER.format(reason="a field has the wrong type"))
    if _segment_size_of(document["algorithm"]) is None:
        reason = f"unsupported algorithm {document['algorithm']!r}"
        raise InvalidCiphertext(MALFORMED_HEADER.format(reason=reason))
    try:
        wrapped_key = base64.b64decode(document["wrapped_key"], validate=True)
    except (binascii.Error, ValueError) as exc:
        reason = "wrapped_key is not base64"
        raise InvalidCiphertext(MALFORMED_HEADER.format(reason=reason)) from exc
    header = EnvelopeHeader(
        key_arn=document["key_arn"],
        wrapped_key=wrapped_key,
        encryption_context=context,
        algorithm=document["algorithm"],
    )
    if not wrapped_key or serialize_header(header) != raw:
        reason = "not in canonical form"
        raise InvalidCiphertext(MALFORMED_HEADER.format(reason=reason))
    return header


def _read_exact(src: BinaryIO, size: int) -> bytes:
    buffer = bytearray(size)
    got = stream.fill(src, memoryview(buffer))
    return bytes(buffer[:got])


def write_envelope(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    header: EnvelopeHeader,
    data_key: bytes,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> EnvelopeStats:
    """Encrypt ``src`` into ``dst`` as an envelope; ``on_progress`` gets the bytes done so far.

    ``header.algorithm`` must be ``algorithm_for(segment_size)`` (``ALGORITHM`` for the default).
    """
    operation = "write_envelope"
    key = _check_data_key(data_key, operation)
    if (
        not isinstance(segment_size, int)
        or not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE
    ):
        raise Invalid(
            "segment_size",
            got=segment_size,
            expected=f"an integer in [{MIN_SEGMENT_SIZE}, {MAX_SEGMENT_SIZE}]",
            operation=operation,
        )
    if _check_header(header, operation) != segment_size:
        raise Invalid(
            "header.algorithm",
            got=header.algorithm,
            expected=f"{algorithm_for(segment_size)!r} to match segment_size={segment_size}",
            operation=operation,
        )
    raw = serialize_header(header)
    if len(raw) > MAX_HEADER_SIZE:
        raise Invalid(
            "header",
            got=f"{len(raw)} bytes serialized",
            expected=f"at most {MAX_HEADER_SIZE} bytes (a smaller encryption context)",
            operation=operation,
        )
    stream.write_all(dst, _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(raw)) + raw)
    sha = stream.Sha256Worker()
    try:
        size = stream.encrypt(
            src,
            dst,
            ikm=key,
            aad=raw,
            segment_size=segment_size,
            sha=sha,
            on_progress=on_progress,
        )
        digest = sha.hexdigest()
    finally:
        sha.close()
    log.debug("keys.envelope.write key=%s bytes=%d", header.key_arn, size)
    return EnvelopeStats(size=size, sha256=digest)


def read_header(src: BinaryIO) -> EnvelopeHeader:
    """Read and check the preamble and header; leaves ``src`` at the start of the stream."""
    preamble = _read_exact(src, _PREAMBLE.size)
    if len(preamble) < _PREAMBLE.size:
        if not MAGIC.startswith(preamble[: len(MAGIC)]):
            raise InvalidCiphertext(NOT_AN_ENVELOPE.format(magic=MAGIC))
        raise InvalidCiphertext(TRUNCATED_PREAMBLE.format(size=_PREAMBLE.size))
    magic, version, length = _PREAMBLE.unpack(preamble)
    if magic != MAGIC:
        raise InvalidCiphertext(NOT_AN_ENVELOPE.format(magic=MAGIC))
    if version != FORMAT_VERSION:
        raise InvalidCiphertext(
            UNSUPPORTED_VERSION.format(version=version, supported=FORMAT_VERSION)
        )
    if not 0 < length <= MAX_HEADER_SIZE:
        raise InvalidCiphertext(BAD_HEADER_LENGTH.format(length=length, limit=MAX_HEADER_SIZE))
    raw = _read_exact(src, length)
    if len(raw) < length:
        raise InvalidCiphertext(TRUNCATED_HEADER.format(length=length, got=len(raw)))
    return _parse_header(raw)


def read_envelope(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    header: EnvelopeHeader,
    data_key: bytes,
    on_progress: Callable[[int], None] | None = None,
) -> EnvelopeStats:
    """Decrypt the stream after the header from ``src`` into ``dst``, authenticating each segment.

    Raises :class:`~bastion.errors.InvalidCiphertext` on a wrong key, an edited header, or a
    modified, truncated, reordered or extended stream; earlier authenticated segments may already
    be in ``dst`` by then.
    """
    operation = "read_envelope"
    key = _check_data_key(data_key, operation)
    segment_size = _check_header(header, operation)
    sha = stream.Sha256Worker()
    try:
        size = stream.decrypt(
            src,
            dst,
            ikm=key,
            aad=serialize_header(header),
            segment_size=segment_size,
            sha=sha,
            on_progress=on_progress,
        )
        digest = sha.hexdigest()
    finally:
        sha.close()
    log.debug("keys.envelope.read key=%s bytes=%d", header.key_arn, size)
    return EnvelopeStats(size=size, sha256=digest)


class _PlaintextReader(io.RawIOBase):
    """A readable raw stream of authenticated plaintext; closing it closes the source."""

    def __init__(self, src: BinaryIO, segments: stream.SegmentDecrypter) -> None:
        super().__init__()
        self._src = src
        self._segments = segments
        self._buffer = bytearray(segments.plaintext_size)
        self._pending = segments.next_into(self._buffer)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.closed:
            raise ValueError("read from a closed envelope reader")
        target = memoryview(buffer).cast("B")
        while not self._pending and not self._segments.done:
            self._pending = self._segments.next_into(self._buffer)
        n = min(len(target), len(self._pending))
        target[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._src.close()
        super().close()


def open_envelope_reader(src: BinaryIO, *, header: EnvelopeHeader, data_key: bytes) -> BinaryIO:
    """A file-like object of the plaintext after the header of ``src``, decrypted as it is read.

    The first segment is authenticated here, so a wrong key or an edited header fails at once;
    later segments fail on the ``read`` that reaches them. Closing the reader closes ``src``.
    """
    operation = "open_envelope_reader"
    key = _check_data_key(data_key, operation)
    segment_size = _check_header(header, operation)
    segments = stream.SegmentDecrypter(
        src, ikm=key, aad=serialize_header(header), segment_size=segment_size
    )
    raw = _PlaintextReader(src, segments)
    return cast(BinaryIO, io.BufferedReader(raw, buffer_size=io.DEFAULT_BUFFER_SIZE))


__all__ = [
    "ALGORITHM",
    "EnvelopeHeader",
    "EnvelopeStats",
    "algorithm_for",
    "open_envelope_reader",
    "read_envelope",
    "read_header",
    "serialize_header",
    "write_envelope",
]
