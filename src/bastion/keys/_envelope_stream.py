"""Tink's AES-GCM-HKDF streaming AEAD wire format, segment by segment, on ``cryptography``.

This is the published format of Tink's ``AesGcmHkdfStreaming`` key type
(https://developers.google.com/tink/streaming-aead/aes_gcm_hkdf_streaming), implemented with
``cryptography``'s AES-GCM and HKDF instead of the ``tink`` package because, measured in
``benchmarks/RESULTS.md`` ("Envelope encryption"), the ``tink`` binding holds the GIL while it
encrypts, so the SHA-256 of the plaintext that the store records cannot run beside it, and its
Python stream adapters cost more CPU per byte. Nothing here is a new construction:
``tests/keys/test_envelope.py`` proves byte-level interoperability with tink 1.16 in both
directions (tink decrypts what this writes, this decrypts what tink writes).

For a 32-byte input key and a ciphertext segment size ``S``::

    stream header = 0x28 || salt (32 random bytes) || nonce prefix (7 random bytes)    40 bytes
    segment key   = HKDF-SHA256(ikm=input key, salt=salt, info=associated data), 32 bytes
    segment i     = AES-256-GCM(segment key, nonce prefix || uint32_be(i) || last, no AAD)
    plaintext per segment: S - 56 bytes in the first, S - 16 in the others, the last one shorter
    (possibly empty); ``last`` is 0x01 only on the final segment.

Every segment is authenticated before its plaintext is handed on. Truncation at a segment boundary
fails because the new final segment was sealed with ``last = 0``; reordering or duplication fails
because the index is in the nonce; appended bytes fail because they change the final segment.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bastion.errors import Invalid, InvalidCiphertext

KEY_SIZE = 32
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
STREAM_HEADER_SIZE = 1 + KEY_SIZE + NONCE_PREFIX_SIZE
MAX_SEGMENTS = 1 << 32
# Plaintext buffers in flight while the SHA-256 worker catches up; each is one segment.
_HASH_SLOTS = 3

NOT_AUTHENTIC = (
    "The envelope failed authentication at segment {index}: the data key is wrong, the header "
    "was edited, or the ciphertext was modified, truncated, reordered or extended"
)
TRUNCATED_STREAM_HEADER = (
    "The envelope is truncated or not a Tink AES-GCM-HKDF stream: its 40-byte stream header "
    "is missing or malformed"
)
TRUNCATED_SEGMENT = (
    "The envelope is truncated: segment {index} is {size} bytes, shorter than its 16-byte tag"
)
TOO_MANY_SEGMENTS = "The envelope has more than 2**32 segments, which the format cannot number"


def _segment_aead(ikm: bytes, salt: bytes, aad: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=aad)
    return AESGCM(hkdf.derive(ikm))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, last)


def fill(src: BinaryIO, view: memoryview) -> int:
    """Read into ``view`` until it is full or ``src`` ends; returns the bytes read."""
    readinto = getattr(src, "readinto", None)
    got = 0
    while got < len(view):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            chunk = src.read(len(view) - got)
            n = len(chunk)
            view[got : got + n] = chunk
        if n is None:
            raise Invalid(
                "src", got="a non-blocking stream", expected="a blocking readable binary stream"
            )
        if n == 0:
            break
        got += n
    return got


def write_all(dst: BinaryIO, data: memoryview | bytes) -> None:
    """Write all of ``data``, also to raw streams that accept part of a write."""
    view = memoryview(data)
    while view:
        n = dst.write(view)
        if n is None or n >= len(view):
            return
        view = view[n:]


class _Pieces:
    """Cuts ``src`` into a first piece of ``first`` bytes, then pieces of ``size`` bytes.

    Each piece is read with one byte more than it needs, so that it is known to be the last one
    (``src`` ends inside it) without another read; the extra byte starts the next piece.
    """

    def __init__(self, src: BinaryIO, *, first: int, size: int) -> None:
        self._src = src
        self._want = first
        self._size = size
        self._carry: int | None = None
        self.done = False

    def read_into(self, buffer: bytearray) -> tuple[memoryview, bool]:
        """Fill ``buffer`` (at least ``size + 1`` long) with the next piece: (piece, is_last)."""
        view = memoryview(buffer)
        start = 0
        if self._carry is not None:
            view[0] = self._carry
            start = 1
        want = self._want
        got = start + fill(self._src, view[start : want + 1])
        self._want = self._size
        if got > want:
            self._carry = view[want]
            return view[:want], False
        self._carry = None
        self.done = True
        return view[:got], True


class Sha256Worker:
    """SHA-256 of consecutive slices, computed on one worker thread beside the caller's work.

    ``hashlib`` releases the GIL on large updates, so hashing segment ``i`` overlaps encrypting
    and writing segment ``i + 1``. A slot's buffer may be refilled only after :meth:`wait`.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[int, Future[None]] = {}

    def update(self, slot: int, data: memoryview, *, last: bool) -> None:
        if self._pool is None and last:
            self._hash.update(data)  # a one-segment object: no thread needed
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bastion-sha256")
        self._pending[slot] = self._pool.submit(self._hash.update, data)

    def wait(self, slot: int) -> None:
        pending = self._pending.pop(slot, None)
        if pending is not None:
            pending.result()

    def hexdigest(self) -> str:
        for slot in list(self._pending):
            self.wait(slot)
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def plaintext_sizes(segment_size: int) -> tuple[int, int]:
    """Plaintext bytes in the first and in every later segment."""
    return segment_size - STREAM_HEADER_SIZE - TAG_SIZE, segment_size - TAG_SIZE


def encrypt(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    ikm: bytes,
    aad: bytes,
    segment_size: int,
    sha: Sha256Worker,
    on_progress: Callable[[int], None] | None,
) -> int:
    """Encrypt ``src`` to ``dst``; returns the plaintext size, also reported after each segment."""
    salt = os.urandom(KEY_SIZE)
    prefix = os.urandom(NONCE_PREFIX_SIZE)
    aead = _segment_aead(ikm, salt, aad)
    write_all(dst, bytes([STREAM_HEADER_SIZE]) + salt + prefix)
    first, later = plaintext_sizes(segment_size)
    pieces = _Pieces(src, first=first, size=later)
    slots = [bytearray(later + 1) for _ in range(_HASH_SLOTS)]
    out = memoryview(bytearray(segment_size))
    index = total = 0
    while not pieces.done:
        if index >= MAX_SEGMENTS:
            raise Invalid(
                "src",
                got="a stream longer than 2**32 segments",
                expected="a smaller stream or a larger segment_size",
            )
        slot = index % _HASH_SLOTS
        sha.wait(slot)
        piece, last = pieces.read_into(slots[slot])
        sha.update(slot, piece, last=last)
        sealed = out[: len(piece) + TAG_SIZE]
        aead.encrypt_into(_nonce(prefix, index, last), piece, None, sealed)
        write_all(dst, sealed)
        total += len(piece)
        index += 1
        if on_progress is not None:
            on_progress(total)
    return total


class SegmentDecrypter:
    """Decrypts and authenticates one segment at a time from ``src``."""

    def __init__(self, src: BinaryIO, *, ikm: bytes, aad: bytes, segment_size: int) -> None:
        header = bytearray(STREAM_HEADER_SIZE)
        if fill(src, memoryview(header)) != STREAM_HEADER_SIZE or header[0] != STREAM_HEADER_SIZE:
            raise InvalidCiphertext(TRUNCATED_STREAM_HEADER)
        self._aead = _segment_aead(ikm, bytes(header[1 : 1 + KEY_SIZE]), aad)
        self._prefix = bytes(header[1 + KEY_SIZE :])
        self._pieces = _Pieces(src, first=segment_size - STREAM_HEADER_SIZE, size=segment_size)
        self._sealed = bytearray(segment_size + 1)
        self._index = 0
        self._failure: str | None = None
        self._done = False
        self.plaintext_size = segment_size - TAG_SIZE

    @property
    def done(self) -> bool:
        """True once the final segment has been authenticated."""
        return self._done

    def next_into(self, buffer: bytearray) -> memoryview:
        """Authenticate the next segment and decrypt it into ``buffer``; returns the plaintext.

        After a failure every later call fails with the same message: the stream is not resumed.
        """
        if self._failure is not None:
            raise InvalidCiphertext(self._failure)
        index = self._index
        if index >= MAX_SEGMENTS:
            self._failure = TOO_MANY_SEGMENTS
            raise InvalidCiphertext(self._failure)
        sealed, last = self._pieces.read_into(self._sealed)
        if len(sealed) < TAG_SIZE:
            self._failure = TRUNCATED_SEGMENT.format(index=index, size=len(sealed))
            raise InvalidCiphertext(self._failure)
        plain = memoryview(buffer)[: len(sealed) - TAG_SIZE]
        try:
            self._aead.decrypt_into(_nonce(self._prefix, index, last), sealed, None, plain)
        except InvalidTag as exc:
            self._failure = NOT_AUTHENTIC.format(index=index)
            raise InvalidCiphertext(self._failure) from exc
        self._index = index + 1
        self._done = last
        return plain


def decrypt(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    ikm: bytes,
    aad: bytes,
    segment_size: int,
    sha: Sha256Worker,
    on_progress: Callable[[int], None] | None,
) -> int:
    """Decrypt ``src`` to ``dst`` segment by segment; returns the plaintext size."""
    segments = SegmentDecrypter(src, ikm=ikm, aad=aad, segment_size=segment_size)
    slots = [bytearray(segments.plaintext_size) for _ in range(_HASH_SLOTS)]
    index = total = 0
    while not segments.done:
        slot = index % _HASH_SLOTS
        sha.wait(slot)
        plain = segments.next_into(slots[slot])
        sha.update(slot, plain, last=segments.done)
        write_all(dst, plain)
        total += len(plain)
        index += 1
        if on_progress is not None:
            on_progress(total)
    return total
