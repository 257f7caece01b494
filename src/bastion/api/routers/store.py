"""``/s3``: buckets and envelope-encrypted objects, S3-style paths and headers, JSON listings.

``PUT /s3/<bucket>/<key>`` streams the body into the store (never held whole in memory);
``GET`` streams the decrypted object back. Object keys may contain ``/``; the store refuses
``..`` segments, absolute keys, backslashes and control characters (400 naming ``key``).
Each route is one :class:`~bastion.store.StoreClient` call through the gate.
"""

from __future__ import annotations

import base64
import email.utils
from datetime import UTC
from typing import Annotated, BinaryIO, cast
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from bastion.api._app import StoreDep
from bastion.api._auth import CallerDep
from bastion.api._body import RequestBodyReader, declared_sha256, stream_file
from bastion.api._errors import error_responses, hidden_as_not_found
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.errors import Invalid
from bastion.store import Bucket, ObjectInfo

router = APIRouter(prefix="/s3", tags=["s3"], responses=error_responses(403, 404, 409, 422, 507))

META_PREFIX = "x-amz-meta-"
SSE_KEY_HEADER = "x-amz-server-side-encryption-aws-kms-key-id"
_BINARY = {"schema": {"type": "string", "format": "binary"}}


# ------------------------------------------------------------------------------------ models


class CreateBucketBody(RequestModel):
    DefaultKmsKeyId: str | None = None
    Tags: dict[str, str] | None = None


class BucketOut(ResponseModel):
    Name: str
    Arn: str
    DefaultKmsKeyArn: str
    CreationDate: Timestamp
    Tags: dict[str, str]


class BucketResponse(ResponseModel):
    Bucket: BucketOut


class BucketListResponse(ResponseModel):
    Buckets: list[BucketOut]


class ObjectOut(ResponseModel):
    Key: str
    Size: int
    ETag: str
    ChecksumSHA256: str
    StorageClass: str
    LastModified: Timestamp


class ListObjectsResponse(ResponseModel):
    Name: str
    Prefix: str
    MaxKeys: int
    KeyCount: int
    IsTruncated: bool
    NextContinuationToken: str | None
    Contents: list[ObjectOut]


class PutObjectResponse(ResponseModel):
    Bucket: str
    Key: str
    VersionId: str
    ETag: str
    Size: int
    ChecksumSHA256: str
    ServerSideEncryption: str
    SSEKMSKeyId: str
    StorageClass: str


# ------------------------------------------------------------------------------------ helpers


def _bucket(bucket: Bucket) -> BucketOut:
    return BucketOut(
        Name=bucket.name,
        Arn=bucket.arn,
        DefaultKmsKeyArn=bucket.default_kms_key_arn,
        CreationDate=bucket.created_at,
        Tags=dict(bucket.tags),
    )


def _checksum(sha256_hex: str) -> str:
    """S3's ``x-amz-checksum-sha256``: base64 of the digest."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _header_value(value: str) -> str:
    """A header-safe value: printable ASCII as is, anything else RFC 2047 encoded (as S3)."""
    if value.isascii() and value.isprintable():
        return value
    return "=?UTF-8?B?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="


def _object_headers(info: ObjectInfo) -> dict[str, str]:
    headers = {
        "content-length": str(info.size),
        "etag": info.etag,
        "last-modified": email.utils.format_datetime(
            info.last_modified.astimezone(UTC), usegmt=True
        ),
        "x-amz-version-id": info.version_id,
        "x-amz-server-side-encryption": info.server_side_encryption,
        SSE_KEY_HEADER: info.kms_key_arn,
        "x-amz-storage-class": str(info.storage_class),
        "x-amz-checksum-sha256": _checksum(info.sha256),
        "x-amz-tagging-count": str(len(info.tags)),
    }
    for name, value in info.metadata.items():
        headers[META_PREFIX + name] = _header_value(value)
    return headers


def _metadata(request: Request) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for name, value in request.headers.items():
        if name.startswith(META_PREFIX):
            short = name[len(META_PREFIX) :]
            if short in metadata:
                raise Invalid(name, got=value, expected="one value per metadata header")
            metadata[short] = value
    return metadata


def _tagging(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    try:
        pairs = parse_qsl(value, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Invalid(
            "x-amz-tagging", got=value, expected="URL-encoded pairs such as 'team=fraud&tier=1'"
        ) from None
    tags = dict(pairs)
    if len(tags) != len(pairs):
        raise Invalid("x-amz-tagging", got=value, expected="each tag key at most once")
    return tags


def object_not_found(bucket: str, key: str) -> str:
    """The 404 text for an object the caller may not see: the same as for a missing object."""
    return f"Object '{key}' not found in bucket '{bucket}'"


def bucket_not_found(bucket: str) -> str:
    """The 404 text for a bucket the caller may not see: the same as for a missing bucket."""
    return f"Bucket '{bucket}' not found; create it with create_bucket / 'store mb'"


# ------------------------------------------------------------------------------------ buckets


@router.get("", name="ListBuckets")
def list_buckets(store: StoreDep, caller: CallerDep) -> BucketListResponse:
    """Every bucket, by name."""
    return BucketListResponse(
        Buckets=[_bucket(b) for b in store.list_buckets(context=caller.context)]
    )


@router.put("/{bucket}", name="CreateBucket")
def create_bucket(
    bucket: str, store: StoreDep, caller: CallerDep, body: CreateBucketBody | None = None
) -> BucketResponse:
    """Create a bucket; its objects are encrypted under ``DefaultKmsKeyId`` (else the
    store-managed key ``alias/bastion/s3``)."""
    spec = body or CreateBucketBody()
    created = store.create_bucket(
        bucket, default_key_id=spec.DefaultKmsKeyId, tags=spec.Tags, context=caller.context
    )
    return BucketResponse(Bucket=_bucket(created))


@router.head("/{bucket}", name="HeadBucket", response_class=Response)
def head_bucket(bucket: str, store: StoreDep, caller: CallerDep) -> Response:
    """200 with the bucket's default key in ``x-amz-server-side-encryption-aws-kms-key-id``."""
    with hidden_as_not_found("s3:ListBucket", bucket_not_found(bucket)):
        found = store.head_bucket(bucket, context=caller.context)
    return Response(status_code=200, headers={SSE_KEY_HEADER: found.default_kms_key_arn})


@router.get("/{bucket}", name="ListObjectsV2")
def list_objects(
    bucket: str,
    store: StoreDep,
    caller: CallerDep,
    prefix: Annotated[str, Query(max_length=4096)] = "",
    max_keys: Annotated[int, Query(alias="max-keys")] = 1000,
    continuation_token: Annotated[
        str | None, Query(alias="continuation-token", max_length=4096)
    ] = None,
    start_after: Annotated[str | None, Query(alias="start-after", max_length=4096)] = None,
) -> ListObjectsResponse:
    """One page of keys in UTF-8 binary order; pass ``NextContinuationToken`` back for more."""
    with hidden_as_not_found("s3:ListBucket", bucket_not_found(bucket)):
        page = store.list_objects(
            bucket,
            prefix=prefix,
            max_keys=max_keys,
            continuation_token=continuation_token,
            start_after=start_after,
            context=caller.context,
        )
    return ListObjectsResponse(
        Name=page.bucket,
        Prefix=page.prefix,
        MaxKeys=page.max_keys,
        KeyCount=page.key_count,
        IsTruncated=page.is_truncated,
        NextContinuationToken=page.next_continuation_token,
        Contents=[
            ObjectOut(
                Key=o.key,
                Size=o.size,
                ETag=o.etag,
                ChecksumSHA256=_checksum(o.sha256),
                StorageClass=str(o.storage_class),
                LastModified=o.last_modified,
            )
            for o in page.objects
        ],
    )


@router.delete("/{bucket}", name="DeleteBucket", status_code=204)
def delete_bucket(bucket: str, store: StoreDep, caller: CallerDep) -> Response:
    """Delete an empty bucket (409 while it holds objects)."""
    store.delete_bucket(bucket, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ objects


@router.put(
    "/{bucket}/{key:path}",
    name="PutObject",
    response_model=PutObjectResponse,
    openapi_extra={
        "requestBody": {"required": False, "content": {"application/octet-stream": _BINARY}}
    },
)
async def put_object(
    request: Request,
    bucket: str,
    key: str,
    store: StoreDep,
    caller: CallerDep,
    kms_key_id: Annotated[str | None, Header(alias=SSE_KEY_HEADER, max_length=2048)] = None,
    storage_class: Annotated[str, Header(alias="x-amz-storage-class", max_length=64)] = "STANDARD",
    tagging: Annotated[str | None, Header(alias="x-amz-tagging", max_length=4096)] = None,
) -> Response:
    """Encrypt the body into ``bucket/key`` under a fresh data key, streaming; atomic.

    Headers as S3: ``x-amz-server-side-encryption-aws-kms-key-id`` (else the bucket's key),
    ``x-amz-storage-class``, ``x-amz-tagging`` (``k=v&k2=v2``), ``x-amz-meta-*``, and
    ``x-amz-content-sha256`` (the body is refused when it does not match).
    """
    reader = RequestBodyReader(request, sha256=declared_sha256(request))
    info = await run_in_threadpool(
        store.put_object,
        bucket,
        key,
        cast(BinaryIO, reader),
        kms_key_id=kms_key_id,
        tags=_tagging(tagging),
        storage_class=storage_class,
        metadata=_metadata(request),
        context=caller.context,
    )
    headers = {k: v for k, v in _object_headers(info).items() if k != "content-length"}
    payload = PutObjectResponse(
        Bucket=info.bucket,
        Key=info.key,
        VersionId=info.version_id,
        ETag=info.etag,
        Size=info.size,
        ChecksumSHA256=_checksum(info.sha256),
        ServerSideEncryption=info.server_side_encryption,
        SSEKMSKeyId=info.kms_key_arn,
        StorageClass=str(info.storage_class),
    )
    return Response(
        content=payload.model_dump_json(), media_type="application/json", headers=headers
    )


@router.get(
    "/{bucket}/{key:path}",
    name="GetObject",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The decrypted object",
            "content": {"application/octet-stream": _BINARY},
        }
    },
)
async def get_object(
    bucket: str, key: str, store: StoreDep, caller: CallerDep
) -> StreamingResponse:
    """Stream the decrypted object; its SHA-256 is checked as the last bytes are read (a
    mismatch drops the connection, so a client never takes a damaged object as whole)."""
    with hidden_as_not_found("s3:GetObject", object_not_found(bucket, key)):
        reader = await run_in_threadpool(store.open_object, bucket, key, context=caller.context)
    info = getattr(reader, "info", None)
    headers = _object_headers(info) if isinstance(info, ObjectInfo) else {}
    return StreamingResponse(
        stream_file(reader, what=f"{bucket}/{key}"),
        media_type="application/octet-stream",
        headers=headers,
    )


@router.head("/{bucket}/{key:path}", name="HeadObject", response_class=Response)
def head_object(bucket: str, key: str, store: StoreDep, caller: CallerDep) -> Response:
    """The object's headers (size, ETag, SHA-256, key ARN, metadata …) without its bytes."""
    with hidden_as_not_found("s3:GetObject", object_not_found(bucket, key)):
        info = store.head_object(bucket, key, context=caller.context)
    return Response(status_code=200, headers=_object_headers(info))


@router.delete("/{bucket}/{key:path}", name="DeleteObject", status_code=204)
def delete_object(bucket: str, key: str, store: StoreDep, caller: CallerDep) -> Response:
    """Delete the object; 204 also when there was none (as S3)."""
    store.delete_object(bucket, key, context=caller.context)
    return Response(status_code=204)


__all__ = ["bucket_not_found", "object_not_found", "router"]
