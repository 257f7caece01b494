"""Bodies as AWS SDKs send them: ``aws-chunked`` framing, checksums, payload hashes, Content-MD5.

What boto3 sends by default for an object upload over HTTPS is ``Content-Encoding: aws-chunked``
with ``x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER``: the body is framed in chunks
(``<hex size>\\r\\n<bytes>\\r\\n`` … ``0\\r\\n``) and ends with a trailer
``x-amz-checksum-crc32:<base64>``. Over plain HTTP it sends the hex SHA-256 of the body in
``x-amz-content-sha256`` and the checksum in a header instead. Small bodies (XML) carry a
checksum header too.

:class:`PayloadRules` reads what a request declares; :class:`PayloadCheck` hashes the decoded
bytes as they pass and compares at the end; :class:`AwsChunkedDecoder` removes the framing
incrementally; :class:`WireBody` is the blocking file object a worker thread hands to the store,
so that any mismatch is raised from ``read`` and the store keeps nothing. Supported checksums:
CRC32, SHA1 and SHA256 (CRC32C and CRC64NVME are refused with a 400 that says so).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bastion.access._authn import STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD
from bastion.api._aws import BadDigest, ContentSha256Mismatch, IncompleteBody, WireError

CHECKSUM_HEADER = "x-amz-checksum-"
SUPPORTED_CHECKSUMS = ("crc32", "sha1", "sha256")
KNOWN_CHECKSUMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
MAX_LINE = 4096
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_NOT_CHECKSUMS = {"x-amz-checksum-type", "x-amz-checksum-algorithm", "x-amz-checksum-mode"}


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    """CRC32 (zlib's polynomial, as S3's ``x-amz-checksum-crc32``) with hashlib's manners."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


def new_checksum(algorithm: str) -> _Digest:
    """A fresh running checksum for ``algorithm`` (one of :data:`SUPPORTED_CHECKSUMS`)."""
    if algorithm == "crc32":
        return _Crc32()
    return hashlib.new(algorithm)


def b64(data: bytes) -> str:
    """Base64 text (standard alphabet, padded), as AWS headers carry digests."""
    return base64.b64encode(data).decode("ascii")


def _checksum_algorithm(name: str) -> str:
    algorithm = name.removeprefix(CHECKSUM_HEADER)
    if algorithm not in KNOWN_CHECKSUMS:
        raise WireError("InvalidRequest", f"Unknown checksum header '{name[:80]}'")
    if algorithm not in SUPPORTED_CHECKSUMS:
        raise WireError(
            "InvalidRequest",
            f"The checksum algorithm {algorithm.upper()} is not supported by this server; use "
            "CRC32 (boto3's default), SHA1 or SHA256",
        )
    return algorithm


@dataclass(frozen=True, kw_only=True)
class PayloadRules:
    """What a request declares about its body."""

    chunked: bool
    sha256: str | None
    content_md5: str | None
    checksum: str | None
    checksum_value: str | None
    decoded_length: int | None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> PayloadRules:
        """The rules in ``headers`` (lower-case names); WireError when they contradict."""
        declared = headers.get("x-amz-content-sha256")
        encodings = [e.strip() for e in headers.get("content-encoding", "").split(",")]
        chunked = "aws-chunked" in encodings
        if (declared == STREAMING_UNSIGNED_TRAILER) != chunked:
            raise WireError(
                "InvalidRequest",
                "Content-Encoding: aws-chunked goes with x-amz-content-sha256: "
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER, and only with it",
            )
        sha256 = None
        if declared is not None and declared not in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER):
            if not _HEX64.fullmatch(declared):
                raise WireError(
                    "InvalidArgument",
                    "x-amz-content-sha256 must be the lowercase hex SHA-256 of the body, "
                    "UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                )
            sha256 = declared
        named = [n for n in headers if n.startswith(CHECKSUM_HEADER) and n not in _NOT_CHECKSUMS]
        trailer = headers.get("x-amz-trailer")
        if len(named) + (trailer is not None) > 1:
            raise WireError("InvalidRequest", "Send at most one x-amz-checksum-* value")
        checksum = value = None
        if named:
            checksum, value = _checksum_algorithm(named[0]), headers[named[0]]
        elif trailer is not None:
            if not chunked:
                raise WireError(
                    "InvalidRequest", "x-amz-trailer needs Content-Encoding: aws-chunked"
                )
            checksum = _checksum_algorithm(trailer.strip().lower())
        decoded_length = None
        if chunked:
            text = headers.get("x-amz-decoded-content-length", "")
            if not text.isdigit() or len(text) > 19:
                raise WireError(
                    "MissingContentLength",
                    "An aws-chunked body needs x-amz-decoded-content-length (its decoded size)",
                    status=411,
                )
            decoded_length = int(text)
        return cls(
            chunked=chunked,
            sha256=sha256,
            content_md5=headers.get("content-md5"),
            checksum=checksum,
            checksum_value=value,
            decoded_length=decoded_length,
        )


class PayloadCheck:
    """Hashes a body's decoded bytes as they pass and checks them against its rules at the end.

    ``md5`` asks for the MD5 too (a multipart part's ETag), whether or not Content-MD5 came.
    """

    def __init__(self, rules: PayloadRules, *, md5: bool = False) -> None:
        self.rules = rules
        self.size = 0
        self._sha256 = hashlib.sha256() if rules.sha256 is not None else None
        wants_md5 = md5 or rules.content_md5 is not None
        self._md5 = hashlib.md5(usedforsecurity=False) if wants_md5 else None
        self._checksum = new_checksum(rules.checksum) if rules.checksum is not None else None
        self.checksum_value: str | None = None
        self.md5_hex: str | None = None

    def update(self, data: bytes) -> None:
        self.size += len(data)
        for digest in (self._sha256, self._md5, self._checksum):
            if digest is not None:
                digest.update(data)

    def finish(self, trailers: Mapping[str, str]) -> None:
        """Compare every declared digest (``trailers``: what followed an aws-chunked body)."""
        rules = self.rules
        if rules.decoded_length is not None and self.size != rules.decoded_length:
            raise IncompleteBody(
                "x-amz-decoded-content-length",
                got=rules.decoded_length,
                expected=f"the size of the decoded body that was sent ({self.size} bytes)",
            )
        if self._sha256 is not None and self._sha256.hexdigest() != rules.sha256:
            raise ContentSha256Mismatch(
                "x-amz-content-sha256",
                got=rules.sha256,
                expected=f"the SHA-256 of the body that was sent ({self._sha256.hexdigest()})",
            )
        if self._md5 is not None:
            self.md5_hex = self._md5.hexdigest()
            if rules.content_md5 is not None and b64(self._md5.digest()) != rules.content_md5:
                raise BadDigest(
                    "Content-MD5",
                    got=rules.content_md5,
                    expected=f"the MD5 of the body that was sent ({b64(self._md5.digest())})",
                )
        if self._checksum is None or rules.checksum is None:
            return
        name = CHECKSUM_HEADER + rules.checksum
        declared = rules.checksum_value if rules.checksum_value is not None else trailers.get(name)
        computed = b64(self._checksum.digest())
        if declared is None:
            raise IncompleteBody(name, got=None, expected="a trailer that x-amz-trailer announced")
        if declared != computed:
            raise BadDigest(
                name,
                got=declared,
                expected=f"the {rules.checksum.upper()} of the body ({computed})",
            )
        self.checksum_value = computed


class AwsChunkedDecoder:
    """Removes ``aws-chunked`` framing (unsigned chunks with a trailer) incrementally."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._remaining = 0
        self._state = "size"
        self.trailers: dict[str, str] = {}

    @property
    def done(self) -> bool:
        return self._state == "done"

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > MAX_LINE:
                raise _framing("a chunk-size or trailer line longer than 4096 bytes")
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def feed(self, data: bytes) -> bytes:
        """The payload bytes in ``data`` (framing removed); IncompleteBody on broken framing."""
        if self.done:
            if data:
                raise _framing("bytes after the end of the aws-chunked body")
            return b""
        self._buffer += data
        out = bytearray()
        while True:
            if self._state == "size":
                line = self._line()
                if line is None:
                    break
                size_text = line.split(b";", 1)[0]
                if not _HEX_SIZE.fullmatch(size_text):
                    raise _framing(f"a chunk-size line {line[:40]!r}")
                self._remaining = int(size_text, 16)
                self._state = "data" if self._remaining else "trailer"
            elif self._state == "data":
                take = min(self._remaining, len(self._buffer))
                if not take:
                    break
                out += self._buffer[:take]
                del self._buffer[:take]
                self._remaining -= take
                if not self._remaining:
                    self._state = "crlf"
            elif self._state == "crlf":
                if len(self._buffer) < 2:
                    break
                if self._buffer[:2] != b"\r\n":
                    raise _framing("chunk data longer than its declared size")
                del self._buffer[:2]
                self._state = "size"
            else:
                line = self._line()
                if line is None:
                    break
                if not line:
                    self._state = "done"
                    if self._buffer:
                        raise _framing("bytes after the end of the aws-chunked body")
                    break
                self._trailer(line)
        return bytes(out)

    def _trailer(self, line: bytes) -> None:
        name, sep, value = line.partition(b":")
        if not sep or len(self.trailers) >= 8:
            raise _framing(f"a trailer line {line[:40]!r}")
        try:
            self.trailers[name.decode("ascii").strip().lower()] = value.decode("ascii").strip()
        except UnicodeDecodeError:
            raise _framing("a trailer that is not ASCII") from None

    def finish(self) -> None:
        """Raise IncompleteBody unless the final chunk and the trailer end arrived."""
        if not self.done:
            raise _framing("an aws-chunked body that ends before its final 0-size chunk")


def _framing(what: str) -> IncompleteBody:
    return IncompleteBody(
        "body", got=what, expected="aws-chunked framing: <hex size>\\r\\n<bytes>\\r\\n … 0\\r\\n"
    )


def verified_body(body: bytes, rules: PayloadRules) -> bytes:
    """A whole (small) body with its framing removed, checked against every declared digest."""
    trailers: dict[str, str] = {}
    if rules.chunked:
        decoder = AwsChunkedDecoder()
        body = decoder.feed(body)
        decoder.finish()
        trailers = decoder.trailers
    check = PayloadCheck(rules)
    check.update(body)
    check.finish(trailers)
    return body


class RawReader(Protocol):
    """A blocking source of raw body bytes (``bastion.api._body.RequestBodyReader``)."""

    def read(self, size: int = -1) -> bytes: ...


class WireBody:
    """A blocking binary file object over a request body as an AWS SDK frames it.

    Reads decoded payload bytes; at the end of the body every digest the request declared is
    compared, and a mismatch is raised from ``read`` (so a store write aborts).
    """

    def __init__(self, raw: RawReader, rules: PayloadRules, *, md5: bool = False) -> None:
        self._raw = raw
        self._decoder = AwsChunkedDecoder() if rules.chunked else None
        self.check = PayloadCheck(rules, md5=md5)
        self._pending = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _pull(self) -> None:
        raw = self._raw.read(1 << 20)
        if not raw:
            self._done = True
            trailers: dict[str, str] = {}
            if self._decoder is not None:
                self._decoder.finish()
                trailers = self._decoder.trailers
            self.check.finish(trailers)
            return
        data = self._decoder.feed(raw) if self._decoder is not None else raw
        self.check.update(data)
        self._pending = self._pending[self._offset :] + data
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` decoded bytes (all that is left when negative); ``b""`` at the end."""
        if size is None or size < 0:
            while not self._done:
                self._pull()
            data = self._pending[self._offset :]
            self._pending, self._offset = b"", 0
            return data
        while self._offset >= len(self._pending) and not self._done:
            self._pull()
        data = self._pending[self._offset : self._offset + size]
        self._offset += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next decoded bytes; 0 at the end."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def decode_base64(value: str, *, field: str) -> bytes:
    """Strict base64 (a header value); WireError naming ``field`` otherwise."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise WireError("InvalidArgument", f"{field} must be base64 text") from None


__all__ = [
    "SUPPORTED_CHECKSUMS",
    "AwsChunkedDecoder",
    "PayloadCheck",
    "PayloadRules",
    "WireBody",
    "b64",
    "decode_base64",
    "new_checksum",
    "verified_body",
]
