"""The store's operations (reached only through the gate, via :class:`StoreClient`).

A put runs in three steps, so that no failure leaves half an object visible:

1. a fresh data key is generated under the object's master key (encryption context
   ``{"aws:s3:arn": <object arn>}``) and the body is envelope-encrypted into a **new blob**;
2. one transaction switches the object's row to the new blob (last committed put wins);
3. the previous version's blob is removed.

A failure in 1 removes the new blob and changes nothing; a crash between 1 and 2 leaves only an
unreferenced blob; readers always follow the row, so they see one whole version or the other.
On read, the blob's envelope header must agree with the row, the data key must decrypt under the
recorded master key with the object's encryption context, every segment must authenticate and the
plaintext's SHA-256 and size must match the recorded ones; anything else is :class:`Tampered`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import (
    Conflict,
    Invalid,
    InvalidCiphertext,
    NotFound,
    Tampered,
)
from bastion.events import EventLog
from bastion.gate import RequestContext
from bastion.keys import KeysClient
from bastion.keys._envelope import (
    EnvelopeHeader,
    EnvelopeStats,
    algorithm_for,
    open_envelope_reader,
    read_envelope,
    read_header,
    write_envelope,
)
from bastion.settings import Settings
from bastion.store._blobs import BlobStore
from bastion.store._events import OBJECT_CREATED, OBJECT_REMOVED
from bastion.store._models import (
    MANAGED_KEY_ALIAS,
    Bucket,
    ObjectInfo,
    ObjectListing,
    ObjectSummary,
    StorageClass,
)
from bastion.store._names import bucket_arn, object_arn
from bastion.store._tables import store_buckets, store_objects
from bastion.types import AccountId, Arn, BucketName, ObjectKey

log = logging.getLogger(__name__)

Body = bytes | bytearray | memoryview | BinaryIO | str | os.PathLike[str]
Progress = Callable[[int], None]

S3_SERVICE = "s3.amazonaws.com"
CONTEXT_KEY = "aws:s3:arn"
BODY_EXPECTED = "bytes, a binary file object, or the path of a readable file"
_OPEN_ATTEMPTS = 10


def encryption_context(bucket: str, key: str) -> dict[str, str]:
    """The encryption context every object's data key is bound to (as S3 does for SSE-KMS)."""
    return {CONTEXT_KEY: object_arn(bucket, key)}


def _etag(sha256: str) -> str:
    return f'"{sha256}"'


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class StoreService:
    """Buckets and envelope-encrypted objects: metadata in the database, bytes in blobs."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        account_id: AccountId,
        keys: KeysClient,
        events: EventLog,
        blobs: BlobStore,
    ) -> None:
        self.db = db
        self.events = events
        self.clock = clock
        self.settings = settings
        self.account_id = account_id
        self.keys = keys
        self.blobs = blobs

    # ----------------------------------------------------------------------------- buckets

    def create_bucket(
        self,
        name: BucketName,
        *,
        default_key_id: str | None,
        tags: dict[str, str],
        context: RequestContext,
    ) -> Bucket:
        if self._bucket_row(name) is not None:
            raise Conflict(f"Bucket '{name}' already exists; choose another name")
        key_arn = (
            self._enabled_key_arn(default_key_id, context)
            if default_key_id is not None
            else self._managed_key_arn(context)
        )
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, _bucket_lock(name))
            exists = conn.execute(
                sa.select(store_buckets.c.name).where(store_buckets.c.name == name)
            ).first()
            if exists is not None:
                raise Conflict(f"Bucket '{name}' already exists; choose another name")
            conn.execute(
                store_buckets.insert().values(
                    name=name,
                    account_id=self.account_id,
                    default_kms_key_arn=key_arn,
                    tags=tags,
                    created_at=now,
                )
            )
        log.info("store.create_bucket bucket=%s key=%s", name, key_arn)
        return Bucket(
            name=name, arn=bucket_arn(name), default_kms_key_arn=key_arn, created_at=now, tags=tags
        )

    def head_bucket(self, name: BucketName) -> Bucket:
        row = self._bucket_row(name)
        if row is None:
            raise _no_bucket(name)
        return _bucket(row)

    def list_buckets(self) -> list[Bucket]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(store_buckets).order_by(store_buckets.c.name)).all()
        return [_bucket(row) for row in rows]

    def delete_bucket(self, name: BucketName) -> None:
        with self.db.write() as conn:
            self._lock_bucket(conn, name)
            count = conn.execute(
                sa.select(sa.func.count()).where(store_objects.c.bucket == name)
            ).scalar_one()
            if count:
                raise Conflict(
                    f"Bucket '{name}' is not empty ({count} objects); delete its objects first"
                )
            conn.execute(store_buckets.delete().where(store_buckets.c.name == name))
        log.info("store.delete_bucket bucket=%s", name)

    def _enabled_key_arn(self, key_id: str, context: RequestContext) -> Arn:
        meta = self.keys.describe_key(key_id, context=_via_s3(context))
        if not meta.enabled:
            raise Invalid(
                "default_key_id",
                got=key_id,
                expected=f"an enabled key (it is {meta.key_state}); enable it or pick another",
                operation="CreateBucket",
            )
        return Arn(meta.arn)

    def _managed_key_arn(self, context: RequestContext) -> Arn:
        """The store-managed key (``alias/bastion/s3``), created on first use."""
        via = _via_s3(context)
        with contextlib.suppress(NotFound):
            return Arn(self.keys.describe_key(MANAGED_KEY_ALIAS, context=via).arn)
        meta = self.keys.create_key(
            description="Default key that protects objects in the Bastion store when no other "
            "key is configured",
            context=via,
        )
        try:
            self.keys.create_alias(MANAGED_KEY_ALIAS, meta.key_id, context=via)
        except Conflict:
            # Another process created the alias first: use its key, retire ours.
            self.keys.schedule_key_deletion(meta.key_id, pending_window_in_days=7, context=via)
            return Arn(self.keys.describe_key(MANAGED_KEY_ALIAS, context=via).arn)
        log.info("store.managed_key_created key=%s", meta.arn)
        return Arn(meta.arn)

    def _lock_bucket(self, conn: Connection, name: str) -> None:
        """Serialise this transaction with other writes to ``name``; NotFound if it is gone."""
        self.db.lock(conn, _bucket_lock(name))
        found = conn.execute(
            sa.select(store_buckets.c.name).where(store_buckets.c.name == name)
        ).first()
        if found is None:
            raise _no_bucket(name)

    def _bucket_row(self, name: str) -> Row[Any] | None:
        with self.db.read() as conn:
            return conn.execute(
                sa.select(store_buckets).where(store_buckets.c.name == name)
            ).first()

    def _require_bucket(self, name: str) -> Row[Any]:
        row = self._bucket_row(name)
        if row is None:
            raise _no_bucket(name)
        return row

    # ----------------------------------------------------------------------------- objects: write

    def put_object(
        self,
        bucket: BucketName,
        key: ObjectKey,
        body: Body,
        *,
        kms_key_id: str | None,
        tags: dict[str, str],
        storage_class: StorageClass,
        metadata: dict[str, str],
        on_progress: Progress | None,
        context: RequestContext,
    ) -> ObjectInfo:
        bucket_row = self._require_bucket(bucket)
        with _open_body(body) as src:
            return self._write_object(
                bucket,
                key,
                src,
                kms_key_id=kms_key_id or bucket_row.default_kms_key_arn,
                tags=tags,
                storage_class=storage_class,
                metadata=metadata,
                on_progress=on_progress,
                context=context,
            )

    def copy_object(
        self,
        src_bucket: BucketName,
        src_key: ObjectKey,
        dst_bucket: BucketName,
        dst_key: ObjectKey,
        *,
        kms_key_id: str | None,
        context: RequestContext,
    ) -> ObjectInfo:
        dst_row = self._require_bucket(dst_bucket)
        source, reader = self._open_verified(src_bucket, src_key, context)
        with reader:
            return self._write_object(
                dst_bucket,
                dst_key,
                reader,
                kms_key_id=kms_key_id or dst_row.default_kms_key_arn,
                tags=dict(source.tags),
                storage_class=source.storage_class,
                metadata=dict(source.metadata),
                on_progress=None,
                context=context,
                expect_sha256=source.sha256,
            )

    def _write_object(
        self,
        bucket: BucketName,
        key: ObjectKey,
        src: BinaryIO,
        *,
        kms_key_id: str,
        tags: dict[str, str],
        storage_class: StorageClass,
        metadata: dict[str, str],
        on_progress: Progress | None,
        context: RequestContext,
        expect_sha256: str | None = None,
    ) -> ObjectInfo:
        what = f"object '{key}' of bucket '{bucket}'"
        name = self.blobs.new_name(bucket)
        header, stats = self._seal_into_blob(
            name,
            src,
            kms_key_id=kms_key_id,
            encryption_context=encryption_context(bucket, key),
            on_progress=on_progress,
            context=context,
            what=what,
        )
        sha256 = stats.sha256
        if expect_sha256 is not None and sha256 != expect_sha256:
            self.blobs.remove(name)
            raise Tampered(f"The copy of {what} does not match its source's recorded SHA-256")
        info = ObjectInfo(
            bucket=bucket,
            key=key,
            arn=object_arn(bucket, key),
            version_id=uuid.uuid4().hex,
            size=stats.size,
            sha256=sha256,
            etag=_etag(sha256),
            storage_class=storage_class,
            kms_key_arn=Arn(header.key_arn),
            last_modified=self.clock.now(),
            tags=tags,
            metadata=metadata,
        )
        try:
            replaced = self._commit(info, blob=name, header=header)
        except BaseException:
            self.blobs.remove(name)
            raise
        if replaced is not None:
            self.blobs.remove(replaced)
        log.info(
            "store.put bucket=%s key=%s version=%s size=%d", bucket, key, info.version_id, info.size
        )
        return info

    def _seal_into_blob(
        self,
        name: str,
        src: BinaryIO,
        *,
        kms_key_id: str,
        encryption_context: dict[str, str],
        on_progress: Progress | None,
        context: RequestContext,
        what: str,
    ) -> tuple[EnvelopeHeader, EnvelopeStats]:
        """Encrypt ``src`` into blob ``name`` under a fresh data key.

        The plaintext data key exists only inside this call: it encrypts this one blob and is
        dropped when the call returns; the wrapped copy travels in the header.
        """
        data_key = self.keys.generate_data_key(
            kms_key_id, encryption_context=encryption_context, context=_via_s3(context)
        )
        segment_size = self.settings.store.segment_size
        header = EnvelopeHeader(
            key_arn=data_key.key_id,
            wrapped_key=data_key.ciphertext_blob,
            encryption_context=encryption_context,
            algorithm=algorithm_for(segment_size),
        )
        stats = self.blobs.write(
            name,
            lambda dst: write_envelope(
                src,
                dst,
                header=header,
                data_key=data_key.plaintext,
                segment_size=segment_size,
                on_progress=on_progress,
            ),
            what=what,
        )
        return header, stats

    def _commit(self, info: ObjectInfo, *, blob: str, header: EnvelopeHeader) -> str | None:
        """Point the object's row at ``blob``; returns the blob of the version it replaced."""
        values = {
            "version_id": info.version_id,
            "blob": blob,
            "size": info.size,
            "sha256": info.sha256,
            "storage_class": info.storage_class.value,
            "kms_key_arn": info.kms_key_arn,
            "wrapped_key": header.wrapped_key,
            "algorithm": header.algorithm,
            "tags": dict(info.tags),
            "user_metadata": dict(info.metadata),
            "last_modified": info.last_modified,
        }
        with self.db.write() as conn:
            self._lock_bucket(conn, info.bucket)
            old = conn.execute(
                sa.select(store_objects.c.blob).where(_object_is(info.bucket, info.key))
            ).scalar_one_or_none()
            if old is None:
                conn.execute(
                    store_objects.insert().values(bucket=info.bucket, key=info.key, **values)
                )
            else:
                conn.execute(
                    store_objects.update().where(_object_is(info.bucket, info.key)).values(**values)
                )
            self.events.emit(
                conn,
                kind=OBJECT_CREATED,
                subject=object_arn(info.bucket, info.key),
                account_id=self.account_id,
                detail={
                    "bucket": info.bucket,
                    "key": info.key,
                    "version_id": info.version_id,
                    "size": info.size,
                    "sha256": info.sha256,
                    "kms_key_arn": info.kms_key_arn,
                    "storage_class": info.storage_class.value,
                },
            )
        return None if old is None else str(old)

    def delete_object(self, bucket: BucketName, key: ObjectKey) -> bool:
        with self.db.write() as conn:
            self._lock_bucket(conn, bucket)
            blob = conn.execute(
                sa.select(store_objects.c.blob).where(_object_is(bucket, key))
            ).scalar_one_or_none()
            if blob is not None:
                conn.execute(store_objects.delete().where(_object_is(bucket, key)))
                self.events.emit(
                    conn,
                    kind=OBJECT_REMOVED,
                    subject=object_arn(bucket, key),
                    account_id=self.account_id,
                    detail={"bucket": bucket, "key": key},
                )
        if blob is None:
            return False
        self.blobs.remove(str(blob))
        log.info("store.delete bucket=%s key=%s", bucket, key)
        return True

    def put_object_tagging(self, bucket: BucketName, key: ObjectKey, tags: dict[str, str]) -> None:
        with self.db.write() as conn:
            self.db.lock(conn, _bucket_lock(bucket))
            done = conn.execute(
                store_objects.update().where(_object_is(bucket, key)).values(tags=tags)
            ).rowcount
        if not done:
            self._require_bucket(bucket)
            raise _no_object(bucket, key)

    # ----------------------------------------------------------------------------- objects: read

    def head_object(self, bucket: BucketName, key: ObjectKey) -> ObjectInfo:
        return _info(self._object_row(bucket, key))

    def get_object_tagging(self, bucket: BucketName, key: ObjectKey) -> dict[str, str]:
        return dict(self.head_object(bucket, key).tags)

    def list_objects(
        self,
        bucket: BucketName,
        *,
        prefix: str,
        max_keys: int,
        after: str | None,
    ) -> ObjectListing:
        self._require_bucket(bucket)
        key = store_objects.c.key
        query = sa.select(
            key,
            store_objects.c.size,
            store_objects.c.sha256,
            store_objects.c.storage_class,
            store_objects.c.last_modified,
        ).where(store_objects.c.bucket == bucket)
        if prefix:
            query = query.where(key >= prefix, sa.func.substr(key, 1, len(prefix)) == prefix)
        if after is not None:
            query = query.where(key > after)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(key).limit(max_keys + 1)).all()
        page = rows[:max_keys]
        truncated = len(rows) > max_keys
        objects = tuple(
            ObjectSummary(
                key=ObjectKey(row.key),
                size=row.size,
                etag=_etag(row.sha256),
                sha256=row.sha256,
                storage_class=_storage_class(row.storage_class, bucket, row.key),
                last_modified=_utc(row.last_modified),
            )
            for row in page
        )
        return ObjectListing(
            bucket=bucket,
            prefix=prefix,
            max_keys=max_keys,
            objects=objects,
            is_truncated=truncated,
            next_continuation_token=page[-1].key if truncated else None,
        )

    def download_object(
        self,
        bucket: BucketName,
        key: ObjectKey,
        dest: BinaryIO | str | os.PathLike[str],
        *,
        on_progress: Progress | None,
        context: RequestContext,
    ) -> ObjectInfo:
        if isinstance(dest, str | os.PathLike):
            return self._download_to_path(bucket, key, Path(dest), on_progress, context)
        info, src, header, data_key = self._open_blob(bucket, key, context)
        with src:
            try:
                stats = read_envelope(
                    src, dest, header=header, data_key=data_key, on_progress=on_progress
                )
            except InvalidCiphertext as exc:
                raise _tampered_blob(bucket, key) from exc
            except FileNotFoundError as exc:
                raise _replaced_while_reading(bucket, key) from exc
            finally:
                del data_key
        _check_digest(info, size=stats.size, sha256=stats.sha256)
        return info

    def _download_to_path(
        self,
        bucket: BucketName,
        key: ObjectKey,
        dest: Path,
        on_progress: Progress | None,
        context: RequestContext,
    ) -> ObjectInfo:
        if dest.is_dir():
            raise Invalid("dest", got=str(dest), expected="a file path, not a directory")
        temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            with temp.open("wb") as fh:
                info = self.download_object(
                    bucket, key, fh, on_progress=on_progress, context=context
                )
            temp.replace(dest)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return info

    def open_object(self, bucket: BucketName, key: ObjectKey, context: RequestContext) -> BinaryIO:
        return self._open_verified(bucket, key, context)[1]

    def _open_verified(
        self, bucket: BucketName, key: ObjectKey, context: RequestContext
    ) -> tuple[ObjectInfo, BinaryIO]:
        info, src, header, data_key = self._open_blob(bucket, key, context)
        try:
            plain = open_envelope_reader(src, header=header, data_key=data_key)
        except InvalidCiphertext as exc:
            src.close()
            raise _tampered_blob(bucket, key) from exc
        except BaseException:
            src.close()
            raise
        finally:
            del data_key
        raw = _VerifyingReader(plain, src, info=info)
        return info, _ObjectReader(raw, info)

    def _open_blob(
        self, bucket: BucketName, key: ObjectKey, context: RequestContext
    ) -> tuple[ObjectInfo, BinaryIO, EnvelopeHeader, bytes]:
        """Open the current version's blob, check its header against the row, unwrap its key.

        A put that commits between reading the row and opening its blob removes that blob;
        the row is then read again (a few times) so the reader gets the newer whole version.
        """
        for _ in range(_OPEN_ATTEMPTS):
            row = self._object_row(bucket, key)
            info = _info(row)
            try:
                src, header = self._open_envelope(row)
            except FileNotFoundError:
                current = self._object_row_or_none(bucket, key)
                if current is not None and current.version_id != row.version_id:
                    continue
                if current is None:
                    raise _no_object(bucket, key) from None
                raise Tampered(
                    f"The stored bytes of object '{key}' in bucket '{bucket}' are missing "
                    f"(blob {row.blob}); restore them from a backup or delete the object"
                ) from None
            try:
                self._check_header(row, header)
                data_key = self.keys.decrypt(
                    row.wrapped_key,
                    encryption_context=encryption_context(bucket, key),
                    context=_via_s3(context),
                ).plaintext
            except InvalidCiphertext as exc:
                src.close()
                raise _tampered_blob(bucket, key) from exc
            except BaseException:
                src.close()
                raise
            return info, src, header, data_key
        raise Conflict(
            f"Object '{key}' in bucket '{bucket}' is being replaced too often to read; retry"
        )

    def _open_envelope(self, row: Row[Any]) -> tuple[BinaryIO, EnvelopeHeader]:
        """Open a blob and read its envelope header; FileNotFoundError when the blob is gone."""
        src = self.blobs.open(row.blob)
        try:
            return src, read_header(src)
        except InvalidCiphertext as exc:
            src.close()
            raise _tampered_blob(row.bucket, row.key) from exc
        except BaseException:
            src.close()
            raise

    @staticmethod
    def _check_header(row: Row[Any], header: EnvelopeHeader) -> None:
        expected = encryption_context(row.bucket, row.key)
        mismatches = [
            name
            for name, ok in (
                ("key ARN", header.key_arn == row.kms_key_arn),
                ("wrapped data key", bytes(header.wrapped_key) == bytes(row.wrapped_key)),
                ("encryption context", dict(header.encryption_context) == expected),
                ("algorithm", header.algorithm == row.algorithm),
            )
            if not ok
        ]
        if mismatches:
            raise Tampered(
                f"Object '{row.key}' in bucket '{row.bucket}': the database row and the stored "
                f"blob disagree on the {', '.join(mismatches)}; one of them was modified"
            )

    def _object_row_or_none(self, bucket: str, key: str) -> Row[Any] | None:
        with self.db.read() as conn:
            return conn.execute(sa.select(store_objects).where(_object_is(bucket, key))).first()

    def _object_row(self, bucket: str, key: str) -> Row[Any]:
        row = self._object_row_or_none(bucket, key)
        if row is None:
            self._require_bucket(bucket)
            raise _no_object(bucket, key)
        return row


class _ObjectReader(io.BufferedReader):
    """What ``open_object`` returns: the buffered plaintext, and ``info``, the object's record
    (size, ETag, metadata …) for a caller that sends headers before the bytes."""

    def __init__(self, raw: io.RawIOBase, info: ObjectInfo) -> None:
        super().__init__(raw, buffer_size=1 << 16)
        self.info = info


class _VerifyingReader(io.RawIOBase):
    """Plaintext of one object; at end of stream its size and SHA-256 must match the record."""

    def __init__(self, plain: BinaryIO, blob: BinaryIO, *, info: ObjectInfo) -> None:
        super().__init__()
        self._plain = plain
        self._blob = blob
        self._info = info
        self._hash = hashlib.sha256()
        self._seen = 0
        self._verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._plain.read(len(view))
        except InvalidCiphertext as exc:
            raise _tampered_blob(self._info.bucket, self._info.key) from exc
        except FileNotFoundError as exc:
            raise _replaced_while_reading(self._info.bucket, self._info.key) from exc
        if not data:
            if not self._verified:
                _check_digest(self._info, size=self._seen, sha256=self._hash.hexdigest())
                self._verified = True
            return 0
        count = len(data)
        view[:count] = data
        self._hash.update(data)
        self._seen += count
        if self._seen > self._info.size:
            raise Tampered(
                f"Object '{self._info.key}' in bucket '{self._info.bucket}' is longer than its "
                f"recorded size ({self._info.size} bytes); the stored data was modified"
            )
        return count

    def close(self) -> None:
        if not self.closed:
            try:
                self._plain.close()
            finally:
                self._blob.close()
        super().close()


# --------------------------------------------------------------------------------- helpers


class _CallerBody(io.RawIOBase):
    """The caller's body: a failure to read it is the caller's problem, not the store's."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner
        self._readinto = getattr(inner, "readinto", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        view = memoryview(buffer).cast("B")
        try:
            if self._readinto is not None:
                return int(self._readinto(view))
            chunk = self._inner.read(len(view))
        except OSError as exc:
            raise Invalid(
                "body", got=f"a read that failed ({exc})", expected="a body that can be read"
            ) from exc
        view[: len(chunk)] = chunk
        return len(chunk)


@contextlib.contextmanager
def _open_body(body: Body) -> Iterator[BinaryIO]:
    if isinstance(body, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(body))
    elif isinstance(body, str | os.PathLike):
        path = Path(body)
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise Invalid("body", got=str(path), expected=BODY_EXPECTED) from exc
        with fh:
            yield cast(BinaryIO, _CallerBody(fh))
    elif callable(getattr(body, "read", None)):
        yield cast(BinaryIO, _CallerBody(body))
    else:
        raise Invalid("body", got=type(body).__name__, expected=BODY_EXPECTED)


def _via_s3(context: RequestContext) -> RequestContext:
    """The context of the KMS calls the store makes on the caller's behalf (SSE-KMS style)."""
    return dataclasses.replace(
        context,
        invoked_by=S3_SERVICE,
        extra={**context.extra, "kms:ViaService": S3_SERVICE},
    )


def _bucket_lock(bucket: str) -> str:
    return f"store:bucket:{bucket}"


def _object_is(bucket: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(store_objects.c.bucket == bucket, store_objects.c.key == key)


def _no_bucket(bucket: str) -> NotFound:
    return NotFound(f"Bucket '{bucket}' not found; create it with create_bucket / 'store mb'")


def _no_object(bucket: str, key: str) -> NotFound:
    return NotFound(f"Object '{key}' not found in bucket '{bucket}'")


def _tampered_blob(bucket: str, key: str) -> Tampered:
    return Tampered(
        f"Object '{key}' in bucket '{bucket}' failed authentication: its stored bytes or its "
        "wrapped data key were modified, or its master key's material is gone"
    )


def _replaced_while_reading(bucket: str, key: str) -> Conflict:
    return Conflict(
        f"Object '{key}' in bucket '{bucket}' was replaced or deleted while it was being read; "
        "read it again"
    )


def _check_digest(info: ObjectInfo, *, size: int, sha256: str) -> None:
    if size != info.size or sha256 != info.sha256:
        raise Tampered(
            f"Object '{info.key}' in bucket '{info.bucket}' does not match its recorded "
            f"SHA-256 and size ({info.size} bytes); the stored data or its record was modified"
        )


def _storage_class(value: str, bucket: str, key: str) -> StorageClass:
    try:
        return StorageClass(value)
    except ValueError:
        raise Tampered(
            f"The record of object '{key}' in bucket '{bucket}' is corrupt: unknown storage "
            f"class {value!r}"
        ) from None


def _string_map(value: Any, *, what: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Tampered(f"The record of {what} is corrupt: its tags or metadata are not strings")
    return dict(value)


def _bucket(row: Row[Any]) -> Bucket:
    return Bucket(
        name=BucketName(row.name),
        arn=bucket_arn(row.name),
        default_kms_key_arn=Arn(row.default_kms_key_arn),
        created_at=_utc(row.created_at),
        tags=_string_map(row.tags, what=f"bucket '{row.name}'"),
    )


def _info(row: Row[Any]) -> ObjectInfo:
    what = f"object '{row.key}' in bucket '{row.bucket}'"
    return ObjectInfo(
        bucket=BucketName(row.bucket),
        key=ObjectKey(row.key),
        arn=object_arn(row.bucket, row.key),
        version_id=row.version_id,
        size=row.size,
        sha256=row.sha256,
        etag=_etag(row.sha256),
        storage_class=_storage_class(row.storage_class, row.bucket, row.key),
        kms_key_arn=Arn(row.kms_key_arn),
        last_modified=_utc(row.last_modified),
        tags=_string_map(row.tags, what=what),
        metadata=_string_map(row.user_metadata, what=what),
    )
