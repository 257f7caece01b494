"""Multipart uploads for the S3 wire protocol: parts staged encrypted, then ONE store write.

``boto3``'s ``upload_file`` sends files above 8 MiB as a multipart upload (CreateMultipartUpload,
UploadPart … in parallel, CompleteMultipartUpload). The store writes whole objects only, so the
parts wait here until the upload completes:

* Each part is written to a private folder (``<home>/multipart``, mode 0700) encrypted with
  AES-256-GCM under a random key that exists only in this server's memory: staged bytes are
  unreadable at rest, and an upload interrupted by a restart is gone (``NoSuchUpload``). Records
  of at most 1 MiB carry their upload, part and index in the associated data, so no record can be
  moved, reordered or dropped without the read failing.
* CreateMultipartUpload, UploadPart and AbortMultipartUpload are each one gate call, authorized
  and audited as ``s3:PutObject`` on the object (AWS authorizes the first two as ``s3:PutObject``
  too); the request parameters carry ``uploadId`` and ``partNumber``. Only the principal that
  created an upload may add to it, complete it or abort it.
* CompleteMultipartUpload is ONE :meth:`~bastion.store.StoreClient.put_object` whose body is the
  listed parts, decrypted in order: the object is encrypted under its KMS key like any other and
  the store's own checks (size, SHA-256, atomic commit) apply. The staged parts are then removed.
* Limits as S3: part numbers 1-10000, every part but the last at least 5 MiB; an upload may hold
  at most the server's ``max_object_bytes`` in all; at most :data:`MAX_UPLOADS` uploads are open
  at once and an upload untouched for :data:`UPLOAD_TTL` is discarded.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bastion._runtime import Runtime
from bastion.access import request_tag_keys
from bastion.api._aws import BadDigest, NoSuchUpload
from bastion.api._aws_body import WireBody, b64, new_checksum
from bastion.api._errors import too_large
from bastion.errors import BastionError, Invalid, Tampered
from bastion.gate import RequestContext
from bastion.store import StorageClass
from bastion.store._actions import PUT_OBJECT
from bastion.store._names import (
    MAX_OBJECT_TAGS,
    object_arn,
    validate_bucket_name,
    validate_metadata,
    validate_object_key,
    validate_tags,
)
from bastion.types import Arn

log = logging.getLogger(__name__)

MAX_PART_NUMBER = 10_000
MIN_PART_SIZE = 5 * (1 << 20)
MAX_UPLOADS = 1000
UPLOAD_TTL = timedelta(days=1)
RECORD = 1 << 20
_LENGTH = struct.Struct(">I")


class TooManyUploads(BastionError):
    """The server holds as many multipart uploads in progress as it allows."""

    status = 429
    code = "too-many-uploads"
    aws_code = "SlowDown"


class InvalidPart(Invalid):
    """A part listed in CompleteMultipartUpload was not uploaded, or its ETag/checksum differ."""

    aws_code = "InvalidPart"


class InvalidPartOrder(Invalid):
    """The parts of CompleteMultipartUpload are not in ascending order."""

    aws_code = "InvalidPartOrder"


class EntityTooSmall(Invalid):
    """A part other than the last is smaller than 5 MiB."""

    aws_code = "EntityTooSmall"


@dataclass(frozen=True, kw_only=True)
class UploadOptions:
    """What CreateMultipartUpload fixes for the object: the same as PutObject's headers."""

    kms_key_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    storage_class: StorageClass = StorageClass.STANDARD
    checksum_algorithm: str | None = None


@dataclass(frozen=True, kw_only=True)
class Part:
    """One staged part."""

    number: int
    path: Path
    size: int
    etag: str
    checksum: str | None


@dataclass(kw_only=True)
class Upload:
    """One multipart upload in progress."""

    upload_id: str
    principal_arn: Arn
    bucket: str
    key: str
    options: UploadOptions
    folder: Path
    secret: bytes = field(repr=False)
    parts: dict[int, Part] = field(default_factory=dict)
    touched: float = field(default_factory=time.monotonic)

    @property
    def staged_bytes(self) -> int:
        return sum(part.size for part in self.parts.values())


def _aad(upload_id: str, number: int, index: int) -> bytes:
    return f"{upload_id}/{number}/{index}".encode()


class Staging:
    """The parts of the uploads in progress on this server (see the module docstring)."""

    def __init__(self, root: Path, *, max_upload_bytes: int) -> None:
        self.root = root
        self.max_upload_bytes = max_upload_bytes
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def _own_folder(self) -> Path:
        """This server's staging folder, made on first use; stale ones of old servers go."""
        if self._folder is None:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            cutoff = time.time() - UPLOAD_TTL.total_seconds()
            for old in self.root.iterdir():
                if old.is_dir() and old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
            self._folder = Path(tempfile.mkdtemp(prefix="server-", dir=self.root))
        return self._folder

    def _expire(self) -> None:
        cutoff = time.monotonic() - UPLOAD_TTL.total_seconds()
        for upload in [u for u in self._uploads.values() if u.touched < cutoff]:
            log.info("api.s3.multipart_expired upload=%s", upload.upload_id)
            self._drop(upload)

    def _drop(self, upload: Upload) -> None:
        self._uploads.pop(upload.upload_id, None)
        shutil.rmtree(upload.folder, ignore_errors=True)

    def create(self, principal_arn: Arn, bucket: str, key: str, options: UploadOptions) -> Upload:
        """A new upload for ``bucket/key`` owned by ``principal_arn``."""
        with self._lock:
            self._expire()
            if len(self._uploads) >= MAX_UPLOADS:
                raise TooManyUploads(
                    f"This server already holds {MAX_UPLOADS} multipart uploads in progress; "
                    "complete or abort some, then retry"
                )
            upload_id = secrets.token_urlsafe(32)
            folder = self._own_folder() / upload_id
            folder.mkdir(mode=0o700)
            upload = Upload(
                upload_id=upload_id,
                principal_arn=principal_arn,
                bucket=bucket,
                key=key,
                options=options,
                folder=folder,
                secret=AESGCM.generate_key(bit_length=256),
            )
            self._uploads[upload_id] = upload
        log.info("api.s3.multipart_created upload=%s bucket=%s", upload_id, bucket)
        return upload

    def get(self, upload_id: str, principal_arn: Arn, bucket: str, key: str) -> Upload:
        """The caller's upload ``upload_id`` of ``bucket/key``; NoSuchUpload otherwise."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if (
                upload is None
                or upload.principal_arn != principal_arn
                or (upload.bucket, upload.key) != (bucket, key)
            ):
                raise NoSuchUpload(
                    f"No multipart upload '{upload_id[:80]}' of '{key}' in bucket '{bucket}' is "
                    "in progress for you (it was completed, aborted or expired, or the server "
                    "restarted); start a new one"
                )
            upload.touched = time.monotonic()
            return upload

    def write_part(self, upload: Upload, number: int, body: WireBody) -> Part:
        """Stage part ``number`` from ``body``, encrypted; replaces an earlier upload of it."""
        aead = AESGCM(upload.secret)
        fd, name = tempfile.mkstemp(prefix=f"part-{number:05d}-", dir=upload.folder)
        path = Path(name)
        others = upload.staged_bytes - (upload.parts[number].size if number in upload.parts else 0)
        try:
            with os.fdopen(fd, "wb") as out:
                index = size = 0
                while chunk := body.read(RECORD):
                    size += len(chunk)
                    if others + size > self.max_upload_bytes:
                        raise too_large(self.max_upload_bytes)
                    nonce = os.urandom(12)
                    sealed = aead.encrypt(nonce, chunk, _aad(upload.upload_id, number, index))
                    out.write(_LENGTH.pack(len(sealed)) + nonce + sealed)
                    index += 1
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        check = body.check
        part = Part(
            number=number,
            path=path,
            size=size,
            etag=f'"{check.md5_hex}"',
            checksum=check.checksum_value,
        )
        with self._lock:
            old = upload.parts.get(number)
            upload.parts[number] = part
            upload.touched = time.monotonic()
        if old is not None:
            old.path.unlink(missing_ok=True)
        return part

    def parts_reader(
        self, upload: Upload, listed: Sequence[tuple[int, str, str | None]]
    ) -> PartsReader:
        """A reader of the listed parts, in order, after S3's checks (``listed``: part number,
        ETag and checksum as CompleteMultipartUpload names them)."""
        if not listed:
            raise Invalid("Part", got=0, expected="at least one part", operation="Complete")
        chosen: list[Part] = []
        previous = 0
        for number, etag, checksum in listed:
            if number <= previous:
                raise InvalidPartOrder(
                    "PartNumber", got=number, expected=f"a number greater than {previous}"
                )
            previous = number
            part = upload.parts.get(number)
            if part is None or part.etag.strip('"') != etag.strip('"'):
                raise InvalidPart(
                    f"Part[{number}]",
                    got=etag,
                    expected="the ETag that UploadPart returned for an uploaded part",
                )
            if checksum is not None and checksum != part.checksum:
                raise InvalidPart(
                    f"Part[{number}]",
                    got=checksum,
                    expected=f"the checksum that UploadPart returned ({part.checksum})",
                )
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise EntityTooSmall(
                    f"Part[{part.number}]",
                    got=f"{part.size} bytes",
                    expected="at least 5 MiB for every part but the last",
                )
        return PartsReader(upload, chosen)

    def discard(self, upload: Upload) -> None:
        """Forget ``upload`` and remove its staged parts."""
        with self._lock:
            self._drop(upload)


class PartsReader:
    """The plaintext of staged parts, in order (a blocking file object for the store)."""

    def __init__(self, upload: Upload, parts: Sequence[Part]) -> None:
        self._upload = upload
        self._aead = AESGCM(upload.secret)
        self._parts = list(parts)
        self._file: BinaryIO | None = None
        self._index = 0
        self._seen = 0
        self._pending = b""
        self._offset = 0
        self.size = sum(part.size for part in parts)
        self.checks: list[Callable[[bytes], None]] = []

    def readable(self) -> bool:
        return True

    def _next_record(self) -> bytes:
        while self._parts:
            part = self._parts[0]
            if self._file is None:
                self._file = part.path.open("rb")
                self._index = self._seen = 0
            head = self._file.read(_LENGTH.size)
            if not head:
                self._file.close()
                self._file = None
                self._parts.pop(0)
                if self._seen != part.size:
                    raise self._damaged(part)
                continue
            if len(head) != _LENGTH.size:
                raise self._damaged(part)
            (length,) = _LENGTH.unpack(head)
            record = self._file.read(12 + length)
            if len(record) != 12 + length:
                raise self._damaged(part)
            try:
                plain = self._aead.decrypt(
                    record[:12], record[12:], _aad(self._upload.upload_id, part.number, self._index)
                )
            except InvalidTag:
                raise self._damaged(part) from None
            self._index += 1
            self._seen += len(plain)
            for check in self.checks:
                check(plain)
            return plain
        return b""

    def _damaged(self, part: Part) -> Tampered:
        return Tampered(
            f"Staged part {part.number} of multipart upload '{self._upload.upload_id}' was "
            "modified or truncated on disk; abort the upload and start again"
        )

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        if size is None or size < 0:
            out = [self._pending[self._offset :]]
            self._pending, self._offset = b"", 0
            while chunk := self._next_record():
                out.append(chunk)
            return b"".join(out)
        if self._offset >= len(self._pending):
            self._pending, self._offset = self._next_record(), 0
        data = self._pending[self._offset : self._offset + size]
        self._offset += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def full_object_check(reader: PartsReader, algorithm: str, expected: str) -> None:
    """Have ``reader`` compare the whole object's ``algorithm`` checksum with ``expected`` (a
    FULL_OBJECT checksum sent with CompleteMultipartUpload) when its last byte has been read."""
    digest = new_checksum(algorithm)
    seen = 0

    def check(plain: bytes) -> None:
        nonlocal seen
        digest.update(plain)
        seen += len(plain)
        computed = b64(digest.digest()) if seen == reader.size else expected
        if computed != expected:
            raise BadDigest(
                f"x-amz-checksum-{algorithm}",
                got=expected,
                expected=f"the {algorithm.upper()} of the assembled object ({computed})",
            )

    reader.checks.append(check)


class MultipartClient:
    """The gate calls of a multipart upload, made as the runtime's principal."""

    def __init__(self, runtime: Runtime, staging: Staging) -> None:
        self.runtime = runtime
        self.staging = staging

    def _names(self, bucket: str, key: str, operation: str) -> tuple[str, str]:
        limit = self.runtime.settings.store.max_key_length
        b = validate_bucket_name(bucket, operation=operation)
        k = validate_object_key(key, max_length=limit, operation=operation)
        return b, k

    def _call(
        self,
        bucket: str,
        key: str,
        params: Mapping[str, Any],
        handler: Callable[[], Any],
        context: RequestContext,
    ) -> Any:
        return self.runtime.gate.call(
            self.runtime.principal,
            PUT_OBJECT,
            object_arn(bucket, key),
            {"bucketName": bucket, "key": key, **params},
            handler,
            context=context,
        )

    def create(
        self, bucket: str, key: str, options: UploadOptions, *, context: RequestContext
    ) -> Upload:
        """CreateMultipartUpload (authorized as ``s3:PutObject``, tags as request tags)."""
        op = "CreateMultipartUpload"
        b, k = self._names(bucket, key, op)
        tags = validate_tags(options.tags, limit=MAX_OBJECT_TAGS, operation=op)
        clean = replace(
            options, tags=tags, metadata=validate_metadata(options.metadata, operation=op)
        )
        extra = request_tag_keys(tags)
        ctx = replace(context, extra={**context.extra, **extra}) if extra else context
        upload: Upload = self._call(
            b,
            k,
            {"multipartUpload": "create"},
            lambda: self.staging.create(self.runtime.principal.arn, b, k, clean),
            ctx,
        )
        return upload

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        body: WireBody,
        *,
        context: RequestContext,
    ) -> Part:
        """UploadPart (authorized as ``s3:PutObject``)."""
        b, k = self._names(bucket, key, "UploadPart")
        if not 1 <= number <= MAX_PART_NUMBER:
            raise Invalid(
                "partNumber",
                got=number,
                expected=f"an integer in [1, {MAX_PART_NUMBER}]",
                operation="UploadPart",
            )

        def stage() -> Part:
            upload = self.staging.get(upload_id, self.runtime.principal.arn, b, k)
            return self.staging.write_part(upload, number, body)

        part: Part = self._call(b, k, {"uploadId": upload_id, "partNumber": number}, stage, context)
        return part

    def upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        """The caller's upload (no gate call: completing it is the store's PutObject)."""
        b, k = self._names(bucket, key, "CompleteMultipartUpload")
        return self.staging.get(upload_id, self.runtime.principal.arn, b, k)

    def abort(self, bucket: str, key: str, upload_id: str, *, context: RequestContext) -> None:
        """AbortMultipartUpload (authorized as ``s3:PutObject``)."""
        b, k = self._names(bucket, key, "AbortMultipartUpload")

        def drop() -> None:
            upload = self.staging.get(upload_id, self.runtime.principal.arn, b, k)
            self.staging.discard(upload)

        self._call(b, k, {"uploadId": upload_id, "multipartUpload": "abort"}, drop, context)


__all__ = [
    "MAX_PART_NUMBER",
    "MIN_PART_SIZE",
    "EntityTooSmall",
    "InvalidPart",
    "InvalidPartOrder",
    "MultipartClient",
    "Part",
    "PartsReader",
    "Staging",
    "TooManyUploads",
    "Upload",
    "UploadOptions",
    "full_object_check",
]
