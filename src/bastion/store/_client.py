"""The store as callers see it: every method is one action through the gate.

Names (bucket, object key, tags, metadata, storage class) are validated before the call reaches
the gate, so a malformed name never reaches the database or the trail; everything that depends on
stored state (a missing bucket, a disabled key) is decided inside the audited call.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, BinaryIO, Protocol, TypeVar

from bastion.access import Principal, ResourceInfo, request_tag_keys
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import BastionError, Invalid
from bastion.events import EventLog
from bastion.gate import Gate, RequestContext
from bastion.keys import KeysClient
from bastion.settings import Settings
from bastion.store import _actions as actions
from bastion.store._blobs import BlobStore
from bastion.store._models import (
    SERVER_SIDE_ENCRYPTION,
    Bucket,
    ObjectInfo,
    ObjectListing,
    StorageClass,
)
from bastion.store._names import (
    MAX_BUCKET_TAGS,
    MAX_OBJECT_TAGS,
    bucket_arn,
    object_arn,
    validate_bucket_name,
    validate_key_fragment,
    validate_metadata,
    validate_object_key,
    validate_tags,
)
from bastion.store._service import Body, Progress, StoreService
from bastion.types import AccountId, BucketName, ObjectKey

T = TypeVar("T")

MAX_KEYS_LIMIT = 1000
STORAGE_CLASS_EXPECTED = "one of " + ", ".join(c.value for c in StorageClass)


class StoreRuntime(Protocol):
    """What the store needs from the runtime (``bastion._runtime.Runtime`` provides it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def events(self) -> EventLog: ...


def _tagged(context: RequestContext, tags: Mapping[str, str]) -> RequestContext:
    """``context`` with ``aws:RequestTag/<key>`` and ``aws:TagKeys`` for the tags being set."""
    extra = request_tag_keys(tags)
    return replace(context, extra={**context.extra, **extra}) if extra else context


def _sse(info: ObjectInfo) -> dict[str, Any]:
    return {
        "x-amz-server-side-encryption": SERVER_SIDE_ENCRYPTION,
        "x-amz-server-side-encryption-aws-kms-key-id": info.kms_key_arn,
        "x-amz-version-id": info.version_id,
        "ETag": info.etag,
    }


class StoreClient:
    """Buckets and envelope-encrypted objects (S3 with SSE-KMS semantics).

    >>> store = bastion.connect(home=".bastion").store  # doctest: +SKIP
    >>> store.create_bucket("fraud-data", default_key_id="alias/fraud-data")  # doctest: +SKIP
    >>> store.put_object("fraud-data", "train/2026-01.csv", Path("train.csv"))  # doctest: +SKIP
    >>> store.get_object("fraud-data", "train/2026-01.csv")[:20]  # doctest: +SKIP
    """

    def __init__(self, runtime: StoreRuntime, *, keys: KeysClient) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self._service = StoreService(
            db=runtime.db,
            clock=runtime.clock,
            settings=settings,
            account_id=runtime.account_id,
            keys=keys,
            events=runtime.events,
            blobs=BlobStore(
                settings.resolved_store_url, storage_options=settings.store.storage_options
            ),
        )
        runtime.gate.register_resource_provider("s3", self._resource_tags)

    def _resource_tags(self, arn: str) -> ResourceInfo | None:
        """Tags for the authorizer: a bucket's as ``aws:ResourceTag/…``, an object's as
        ``s3:ExistingObjectTag/…`` (``None`` when there is no such bucket or object)."""
        if not arn.isprintable():
            return None
        bucket, _, key = arn.split(":", 5)[-1].partition("/")
        try:
            if not key:
                return ResourceInfo(tags=self._service.head_bucket(BucketName(bucket)).tags)
            tags = self._service.head_object(BucketName(bucket), ObjectKey(key)).tags
        except BastionError:
            return None
        return ResourceInfo(context={f"s3:ExistingObjectTag/{k}": v for k, v in tags.items()})

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        try:
            return self.runtime.gate.call(
                self.runtime.principal,
                action,
                resource,
                params,
                handler,
                context=context,
                respond=respond,
            )
        finally:
            self.runtime.events.deliver_if_pending()

    def _key(self, key: object, operation: str) -> ObjectKey:
        return validate_object_key(
            key, max_length=self.runtime.settings.store.max_key_length, operation=operation
        )

    # ----------------------------------------------------------------------------- buckets

    def create_bucket(
        self,
        name: str,
        *,
        default_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> Bucket:
        """Create a bucket whose objects are encrypted under ``default_key_id`` by default.

        ``default_key_id`` is a key id, key ARN, alias name or alias ARN; without it the bucket
        uses the store-managed key ``alias/bastion/s3`` (created on first use).
        """
        bucket = validate_bucket_name(name, operation="CreateBucket")
        clean_tags = validate_tags(tags, limit=MAX_BUCKET_TAGS, operation="CreateBucket")
        params: dict[str, Any] = {"bucketName": bucket, "tags": clean_tags}
        if default_key_id is not None:
            params["x-amz-server-side-encryption-aws-kms-key-id"] = default_key_id
        ctx = context or RequestContext()
        return self._call(
            actions.CREATE_BUCKET,
            bucket_arn(bucket),
            params,
            lambda: self._service.create_bucket(
                bucket, default_key_id=default_key_id, tags=clean_tags, context=ctx
            ),
            _tagged(ctx, clean_tags),
            respond=lambda b: {"defaultKmsKeyArn": b.default_kms_key_arn},
        )

    def head_bucket(self, name: str, *, context: RequestContext | None = None) -> Bucket:
        """The bucket's description; NotFound when it does not exist."""
        bucket = validate_bucket_name(name, operation="HeadBucket")
        return self._call(
            actions.LIST_BUCKET,
            bucket_arn(bucket),
            {"bucketName": bucket},
            lambda: self._service.head_bucket(bucket),
            context,
        )

    def list_buckets(self, *, context: RequestContext | None = None) -> list[Bucket]:
        """Every bucket, by name."""
        return self._call(
            actions.LIST_ALL_MY_BUCKETS,
            "arn:bastion:s3:::*",
            {},
            self._service.list_buckets,
            context,
        )

    def delete_bucket(self, name: str, *, context: RequestContext | None = None) -> None:
        """Delete an empty bucket (Conflict while it holds objects)."""
        bucket = validate_bucket_name(name, operation="DeleteBucket")
        self._call(
            actions.DELETE_BUCKET,
            bucket_arn(bucket),
            {"bucketName": bucket},
            lambda: self._service.delete_bucket(bucket),
            context,
        )

    # ----------------------------------------------------------------------------- objects

    def put_object(
        self,
        bucket: str,
        key: str,
        body: Body,
        *,
        kms_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        storage_class: StorageClass | str = StorageClass.STANDARD,
        metadata: Mapping[str, str] | None = None,
        on_progress: Progress | None = None,
        context: RequestContext | None = None,
    ) -> ObjectInfo:
        """Encrypt ``body`` (bytes, a binary file object or a file path) into ``bucket/key``.

        The object gets a fresh data key under ``kms_key_id`` (else the bucket's default key).
        The write is atomic: on any failure the previous version stays readable and nothing of
        the new one remains. ``on_progress`` receives the running count of bytes read.
        """
        op = "PutObject"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        clean_tags = validate_tags(tags, limit=MAX_OBJECT_TAGS, operation=op)
        clean_meta = validate_metadata(metadata, operation=op)
        cls = _storage_class(storage_class, op)
        params: dict[str, Any] = {
            "bucketName": b,
            "key": k,
            "x-amz-storage-class": cls.value,
            "x-amz-server-side-encryption": SERVER_SIDE_ENCRYPTION,
        }
        if kms_key_id is not None:
            params["x-amz-server-side-encryption-aws-kms-key-id"] = kms_key_id
        ctx = context or RequestContext()
        return self._call(
            actions.PUT_OBJECT,
            object_arn(b, k),
            params,
            lambda: self._service.put_object(
                b,
                k,
                body,
                kms_key_id=kms_key_id,
                tags=clean_tags,
                storage_class=cls,
                metadata=clean_meta,
                on_progress=on_progress,
                context=ctx,
            ),
            _tagged(ctx, clean_tags),
            respond=_sse,
        )

    def get_object(self, bucket: str, key: str, *, context: RequestContext | None = None) -> bytes:
        """The whole decrypted object in memory (use :meth:`download_object` for large ones)."""
        buffer = io.BytesIO()
        self.download_object(bucket, key, buffer, context=context)
        return buffer.getvalue()

    def download_object(
        self,
        bucket: str,
        key: str,
        dest: BinaryIO | str | os.PathLike[str],
        *,
        on_progress: Progress | None = None,
        context: RequestContext | None = None,
    ) -> ObjectInfo:
        """Stream the decrypted object into ``dest`` (a binary file object or a path).

        A path is written under a temporary name and renamed only once the object's SHA-256 has
        been checked; a file object may hold partial data when :class:`Tampered` is raised.
        """
        op = "GetObject"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        ctx = context or RequestContext()
        return self._call(
            actions.GET_OBJECT,
            object_arn(b, k),
            {"bucketName": b, "key": k},
            lambda: self._service.download_object(b, k, dest, on_progress=on_progress, context=ctx),
            ctx,
            respond=_sse,
        )

    def open_object(
        self, bucket: str, key: str, *, context: RequestContext | None = None
    ) -> BinaryIO:
        """A file object that decrypts as it is read (constant memory); close it when done.

        Reading to the end checks the recorded size and SHA-256 (:class:`Tampered` otherwise).
        """
        op = "GetObject"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        ctx = context or RequestContext()
        return self._call(
            actions.GET_OBJECT,
            object_arn(b, k),
            {"bucketName": b, "key": k},
            lambda: self._service.open_object(b, k, ctx),
            ctx,
        )

    def head_object(
        self, bucket: str, key: str, *, context: RequestContext | None = None
    ) -> ObjectInfo:
        """What is recorded about the object (size, SHA-256, key ARN, tags …); no decryption."""
        op = "HeadObject"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        return self._call(
            actions.GET_OBJECT,
            object_arn(b, k),
            {"bucketName": b, "key": k},
            lambda: self._service.head_object(b, k),
            context,
        )

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        max_keys: int = MAX_KEYS_LIMIT,
        continuation_token: str | None = None,
        start_after: str | None = None,
        context: RequestContext | None = None,
    ) -> ObjectListing:
        """One page of keys in UTF-8 binary order (ListObjectsV2).

        ``continuation_token`` (from the previous page) wins over ``start_after``.
        """
        op = "ListObjectsV2"
        b = validate_bucket_name(bucket, operation=op)
        limit = self.runtime.settings.store.max_key_length
        prefix = validate_key_fragment(prefix, field="prefix", max_length=limit, operation=op)
        if (
            isinstance(max_keys, bool)
            or not isinstance(max_keys, int)
            or not (1 <= max_keys <= MAX_KEYS_LIMIT)
        ):
            raise Invalid(
                "max_keys",
                got=max_keys,
                expected=f"an integer in [1, {MAX_KEYS_LIMIT}]",
                operation=op,
            )
        after: str | None = None
        if continuation_token is not None:
            after = validate_key_fragment(
                continuation_token, field="continuation_token", max_length=limit, operation=op
            )
        elif start_after is not None:
            after = validate_key_fragment(
                start_after, field="start_after", max_length=limit, operation=op
            )
        params: dict[str, Any] = {"bucketName": b, "prefix": prefix, "max-keys": max_keys}
        if start_after is not None:
            params["start-after"] = start_after
        return self._call(
            actions.LIST_BUCKET,
            bucket_arn(b),
            params,
            lambda: self._service.list_objects(b, prefix=prefix, max_keys=max_keys, after=after),
            context,
        )

    def delete_object(
        self, bucket: str, key: str, *, context: RequestContext | None = None
    ) -> bool:
        """Delete the object; True if one was deleted, False if there was none (as S3, no error)."""
        op = "DeleteObject"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        return self._call(
            actions.DELETE_OBJECT,
            object_arn(b, k),
            {"bucketName": b, "key": k},
            lambda: self._service.delete_object(b, k),
            context,
            respond=lambda deleted: {"deleted": deleted},
        )

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        kms_key_id: str | None = None,
        context: RequestContext | None = None,
    ) -> ObjectInfo:
        """Copy an object, re-encrypting it with a fresh data key under the destination's key.

        Needs ``s3:GetObject`` on the source and ``s3:PutObject`` on the destination (both
        audited). ``kms_key_id`` defaults to the destination bucket's default key; tags, user
        metadata and storage class are copied.
        """
        op = "CopyObject"
        sb = validate_bucket_name(src_bucket, operation=op)
        sk = self._key(src_key, op)
        db = validate_bucket_name(dst_bucket, operation=op)
        dk = self._key(dst_key, op)
        ctx = context or RequestContext()
        params: dict[str, Any] = {
            "bucketName": db,
            "key": dk,
            "x-amz-copy-source": f"{sb}/{sk}",
            "x-amz-server-side-encryption": SERVER_SIDE_ENCRYPTION,
        }
        if kms_key_id is not None:
            params["x-amz-server-side-encryption-aws-kms-key-id"] = kms_key_id

        def read_source_and_write() -> ObjectInfo:
            return self._call(
                actions.GET_OBJECT,
                object_arn(sb, sk),
                {"bucketName": sb, "key": sk},
                lambda: self._service.copy_object(
                    sb, sk, db, dk, kms_key_id=kms_key_id, context=ctx
                ),
                ctx,
            )

        return self._call(
            actions.PUT_OBJECT, object_arn(db, dk), params, read_source_and_write, ctx, respond=_sse
        )

    def put_object_tagging(
        self,
        bucket: str,
        key: str,
        tags: Mapping[str, str],
        *,
        context: RequestContext | None = None,
    ) -> None:
        """Replace the object's tags (at most 10)."""
        op = "PutObjectTagging"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        clean_tags = validate_tags(tags, limit=MAX_OBJECT_TAGS, operation=op)
        self._call(
            actions.PUT_OBJECT_TAGGING,
            object_arn(b, k),
            {"bucketName": b, "key": k, "tagging": clean_tags},
            lambda: self._service.put_object_tagging(b, k, clean_tags),
            _tagged(context or RequestContext(), clean_tags),
        )

    def get_object_tagging(
        self, bucket: str, key: str, *, context: RequestContext | None = None
    ) -> dict[str, str]:
        """The object's tags."""
        op = "GetObjectTagging"
        b = validate_bucket_name(bucket, operation=op)
        k = self._key(key, op)
        return self._call(
            actions.GET_OBJECT_TAGGING,
            object_arn(b, k),
            {"bucketName": b, "key": k},
            lambda: self._service.get_object_tagging(b, k),
            context,
        )


def _storage_class(value: object, operation: str) -> StorageClass:
    if isinstance(value, str) and value in StorageClass.__members__:
        return StorageClass(value)
    raise Invalid("storage_class", got=value, expected=STORAGE_CLASS_EXPECTED, operation=operation)


__all__ = ["StoreClient", "StoreRuntime"]
