"""S3's wire protocol (REST-XML, path-style) under ``/aws/s3``: ``boto3.client("s3",
endpoint_url="https://<host>:<port>/aws/s3")`` works as is, ``upload_file``/``download_file`` and
presigned URLs included.

Each operation is one :class:`~bastion.store.StoreClient` call through the gate (DeleteObjects is
one per key, as IAM authorizes each; multipart uploads are described in
:mod:`bastion.api._aws_multipart`). Errors have S3's XML shape
(``<Error><Code>NoSuchKey</Code><Message>…</Message>…</Error>``) and status. What boto3 sends by
default is verified before anything is kept: the SigV4 payload hash, ``aws-chunked`` bodies with
their trailing CRC32, checksum headers and Content-MD5 (see :mod:`bastion.api._aws_body`).

Served: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
GetBucketEncryption, GetBucketTagging, ListObjects, ListObjectsV2, PutObject, GetObject (Range,
If-Match/If-None-Match/If-Modified-Since/If-Unmodified-Since), HeadObject, DeleteObject,
DeleteObjects, CopyObject, Get/Put/DeleteObjectTagging, Create/Complete/AbortMultipartUpload and
UploadPart. Anything else S3 has is ``501 NotImplemented`` naming the operation; settings Bastion
cannot keep (SSE-C, ACLs other than private, object lock, versions, REPLACE directives on copy)
are refused rather than ignored. The routes are left out of the OpenAPI document.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import BinaryIO, cast
from urllib.parse import quote, unquote

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bastion.api._app import api_state
from bastion.api._auth import Caller, streams_body
from bastion.api._aws import AuthFailure, AuthKind, WireError, request_id, wire_caller
from bastion.api._aws_body import PayloadRules, WireBody, b64, verified_body
from bastion.api._aws_multipart import (
    MultipartClient,
    Staging,
    UploadOptions,
    full_object_check,
)
from bastion.api._aws_xml import Content, XmlNode, parse_xml, xml_document
from bastion.api._body import CHUNK, RequestBodyReader, stream_file
from bastion.api._errors import PayloadTooLarge
from bastion.api._input import check_text
from bastion.api.routers.store import (
    META_PREFIX,
    SSE_KEY_HEADER,
    _header_value,
    _metadata,
    _tagging,
)
from bastion.errors import (
    AccessDenied,
    BastionError,
    Conflict,
    Disabled,
    Invalid,
    InvalidCiphertext,
    InvalidState,
    NotFound,
)
from bastion.keys import KeysClient
from bastion.store import ObjectInfo, ObjectSummary, StorageClass, StoreClient

log = logging.getLogger(__name__)

PREFIX = "/aws/s3"
XML = "application/xml"
MAX_DELETE = 1000
MAX_KEYS = 1000

_STORAGE_IN = {
    "STANDARD": StorageClass.STANDARD,
    "STANDARD_IA": StorageClass.INFREQUENT_ACCESS,
    "GLACIER_IR": StorageClass.ARCHIVE,
    **{c.value: c for c in StorageClass},
}
_STORAGE_OUT = {
    StorageClass.STANDARD: "STANDARD",
    StorageClass.INFREQUENT_ACCESS: "STANDARD_IA",
    StorageClass.ARCHIVE: "GLACIER_IR",
}
"""S3's storage class names for Bastion's (STANDARD_IA and GLACIER_IR are the instant-read
classes closest to Bastion's INFREQUENT_ACCESS and ARCHIVE; Bastion's names are accepted too)."""

_AUTH_ERRORS = {
    AuthKind.MISSING: (403, "AccessDenied"),
    AuthKind.MALFORMED: (400, "AuthorizationHeaderMalformed"),
    AuthKind.UNKNOWN_KEY: (403, "InvalidAccessKeyId"),
    AuthKind.EXPIRED_TOKEN: (400, "ExpiredToken"),
    AuthKind.SIGNATURE: (403, "SignatureDoesNotMatch"),
    AuthKind.SKEWED: (403, "RequestTimeTooSkewed"),
    AuthKind.REPLAYED: (429, "SlowDown"),
    AuthKind.EXPIRED_URL: (403, "AccessDenied"),
}
"""S3's status and code for each authentication failure. A replayed signature (the same request
signed twice in one second) is ``SlowDown`` so that SDKs retry it, signed anew."""

_SUBRESOURCES = frozenset(
    [
        "accelerate",
        "acl",
        "analytics",
        "attributes",
        "cors",
        "delete",
        "encryption",
        "intelligent-tiering",
        "inventory",
        "legal-hold",
        "lifecycle",
        "location",
        "logging",
        "metadataTable",
        "metrics",
        "notification",
        "object-lock",
        "ownershipControls",
        "partNumber",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "replication",
        "requestPayment",
        "restore",
        "retention",
        "select",
        "session",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    ]
)
_ROUTES: dict[tuple[str, str, frozenset[str]], str] = {
    ("GET", "service", frozenset()): "ListBuckets",
    ("PUT", "bucket", frozenset()): "CreateBucket",
    ("HEAD", "bucket", frozenset()): "HeadBucket",
    ("DELETE", "bucket", frozenset()): "DeleteBucket",
    ("GET", "bucket", frozenset()): "ListObjects",
    ("GET", "bucket", frozenset({"location"})): "GetBucketLocation",
    ("GET", "bucket", frozenset({"encryption"})): "GetBucketEncryption",
    ("GET", "bucket", frozenset({"tagging"})): "GetBucketTagging",
    ("POST", "bucket", frozenset({"delete"})): "DeleteObjects",
    ("GET", "object", frozenset()): "GetObject",
    ("HEAD", "object", frozenset()): "HeadObject",
    ("PUT", "object", frozenset()): "PutObject",
    ("DELETE", "object", frozenset()): "DeleteObject",
    ("GET", "object", frozenset({"tagging"})): "GetObjectTagging",
    ("PUT", "object", frozenset({"tagging"})): "PutObjectTagging",
    ("DELETE", "object", frozenset({"tagging"})): "DeleteObjectTagging",
    ("POST", "object", frozenset({"uploads"})): "CreateMultipartUpload",
    ("PUT", "object", frozenset({"uploadId", "partNumber"})): "UploadPart",
    ("POST", "object", frozenset({"uploadId"})): "CompleteMultipartUpload",
    ("DELETE", "object", frozenset({"uploadId"})): "AbortMultipartUpload",
}


# ------------------------------------------------------------------------------------ errors


def not_implemented(what: str) -> WireError:
    """S3's 501 for something this server does not do."""
    return WireError(
        "NotImplemented",
        f"{what} is not implemented by Bastion's S3 endpoint; see docs/api.md "
        "(boto3 / AWS CLI compatibility) for what it serves",
        status=501,
    )


def s3_error(exc: BastionError, operation: str) -> tuple[int, str]:
    """S3's status and code for an error from the store, the keys or the gate."""
    if isinstance(exc, AccessDenied):
        return 403, "AccessDenied"
    if isinstance(exc, NotFound):
        if exc.aws_code != NotFound.aws_code:
            return 404, exc.aws_code
        if exc.message.startswith("Bucket '"):
            return 404, "NoSuchBucket"
        if exc.message.startswith("Object '"):
            return 404, "NoSuchKey"
        return 400, "KMS.NotFoundException"
    if isinstance(exc, Disabled | InvalidState | InvalidCiphertext):
        return 400, f"KMS.{exc.aws_code}"
    if isinstance(exc, Conflict):
        codes = {"CreateBucket": "BucketAlreadyOwnedByYou", "DeleteBucket": "BucketNotEmpty"}
        return 409, codes.get(operation, "OperationAborted")
    if isinstance(exc, PayloadTooLarge):
        return 400, "EntityTooLarge"
    if isinstance(exc, Invalid):
        if exc.aws_code != Invalid.aws_code:
            return 400, exc.aws_code
        if exc.field == "bucket":
            return 400, "InvalidBucketName"
        if exc.field == "key" and "bytes" in str(exc.got):
            return 400, "KeyTooLongError"
        return 400, "InvalidArgument"
    return exc.status, exc.aws_code


def _error_response(status: int, code: str, message: str, call: _Where, *, head: bool) -> Response:
    headers = {"x-amz-request-id": call.rid}
    if call.streamed:
        # The body may be unread (an upload refused before it started, a client waiting for
        # 100-continue): close the connection so its bytes never parse as a next request.
        headers["connection"] = "close"
    if head:
        return Response(status_code=status, headers=headers)
    content: list[tuple[str, Content]] = [("Code", code), ("Message", message)]
    if call.bucket:
        content.append(("BucketName", call.bucket))
    if call.key:
        content.append(("Key", call.key))
    content.append(("RequestId", call.rid))
    body = xml_document("Error", content, namespace=False)
    return Response(body, status_code=status, media_type=XML, headers=headers)


# ------------------------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class _Where:
    bucket: str
    key: str
    rid: str
    streamed: bool


@dataclass(frozen=True)
class _Call:
    """One authenticated S3 request and the clients that serve it."""

    request: Request
    caller: Caller
    bucket: str
    key: str
    body: bytes | None
    rid: str

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    @cached_property
    def store(self) -> StoreClient:
        runtime = api_state(self.request).runtime.acting_as(self.caller.principal)
        return StoreClient(runtime, keys=KeysClient(runtime))

    @cached_property
    def multipart(self) -> MultipartClient:
        state = api_state(self.request)
        staging: Staging = self.request.app.state.aws_s3_staging
        return MultipartClient(state.runtime.acting_as(self.caller.principal), staging)

    def xml(self, root: str, *, checksum: bool = True) -> XmlNode:
        """The request's XML body (its digests verified), rooted at ``root``.

        ``checksum=False`` leaves out the ``x-amz-checksum-*`` header, which on
        CompleteMultipartUpload is the whole object's, not the body's.
        """
        rules = PayloadRules.of(self.headers)
        if not checksum:
            rules = replace(rules, checksum=None, checksum_value=None)
        return parse_xml(verified_body(self.body or b"", rules), root=root)

    def reply(
        self,
        root: str | None = None,
        content: Content = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        out = {"x-amz-request-id": self.rid, **(headers or {})}
        if root is None:
            return Response(status_code=status, headers=out)
        return Response(
            xml_document(root, content), status_code=status, media_type=XML, headers=out
        )


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def _storage_in(value: str | None) -> StorageClass:
    if value is None:
        return StorageClass.STANDARD
    if value not in _STORAGE_IN:
        raise WireError(
            "InvalidStorageClass",
            f"The storage class '{value[:40]}' is not one this server keeps; use STANDARD, "
            "STANDARD_IA or GLACIER_IR",
        )
    return _STORAGE_IN[value]


def _sse_key(headers: Mapping[str, str]) -> str | None:
    """The KMS key a write names (``x-amz-server-side-encryption-aws-kms-key-id``), after
    refusing server-side encryption settings Bastion cannot honour."""
    sse = headers.get("x-amz-server-side-encryption")
    if sse not in (None, "aws:kms", "AES256"):
        raise WireError(
            "InvalidArgument",
            f"x-amz-server-side-encryption '{sse[:40]}' is not supported; every object is "
            "encrypted under a KMS key (aws:kms)",
        )
    if any(name.startswith("x-amz-server-side-encryption-customer-") for name in headers):
        raise not_implemented("Server-side encryption with customer keys (SSE-C)")
    if "x-amz-server-side-encryption-context" in headers:
        raise not_implemented(
            "x-amz-server-side-encryption-context (the encryption context is always the "
            "object's ARN)"
        )
    key = headers.get(SSE_KEY_HEADER)
    if key is not None and sse != "aws:kms":
        raise WireError(
            "InvalidArgument",
            f"{SSE_KEY_HEADER} needs x-amz-server-side-encryption: aws:kms",
        )
    return key


def _refuse_unkeepable(headers: Mapping[str, str]) -> None:
    acl = headers.get("x-amz-acl")
    if acl not in (None, "private", "bucket-owner-full-control") or any(
        name.startswith("x-amz-grant-") for name in headers
    ):
        raise not_implemented("Access control lists (use IAM and bucket policies)")
    if any(name.startswith("x-amz-object-lock-") for name in headers):
        raise not_implemented("Object lock")
    if "if-none-match" in headers or "if-match" in headers:
        raise not_implemented("Conditional writes")
    if "x-amz-website-redirect-location" in headers:
        raise not_implemented("Website redirects")


def _write_options(call: _Call) -> UploadOptions:
    _refuse_unkeepable(call.headers)
    algorithm = call.headers.get("x-amz-checksum-algorithm")
    return UploadOptions(
        kms_key_id=_sse_key(call.headers),
        tags=_tagging(call.headers.get("x-amz-tagging")) or {},
        metadata=_metadata(call.request),
        storage_class=_storage_in(call.headers.get("x-amz-storage-class")),
        checksum_algorithm=algorithm.lower() if algorithm else None,
    )


def _sse_headers(info: ObjectInfo) -> dict[str, str]:
    return {
        "etag": info.etag,
        "x-amz-server-side-encryption": info.server_side_encryption,
        SSE_KEY_HEADER: info.kms_key_arn,
        "x-amz-version-id": info.version_id,
    }


def _object_headers(info: ObjectInfo, *, checksum: bool) -> dict[str, str]:
    headers = {
        **_sse_headers(info),
        "last-modified": _http_date(info.last_modified),
        "accept-ranges": "bytes",
        "content-type": "binary/octet-stream",
    }
    if info.storage_class is not StorageClass.STANDARD:
        headers["x-amz-storage-class"] = _STORAGE_OUT[info.storage_class]
    if info.tags:
        headers["x-amz-tagging-count"] = str(len(info.tags))
    if checksum:
        headers["x-amz-checksum-sha256"] = b64(bytes.fromhex(info.sha256))
        headers["x-amz-checksum-type"] = "FULL_OBJECT"
    for name, value in info.metadata.items():
        headers[META_PREFIX + name] = _header_value(value)
    return headers


def _reader_info(reader: BinaryIO) -> ObjectInfo:
    """What the store recorded about the object a reader of ``open_object`` reads."""
    info = getattr(reader, "info", None)
    if not isinstance(info, ObjectInfo):
        raise TypeError("the store's object reader does not carry the object's record")
    return info


def _parse_http_date(value: str) -> datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _precondition(headers: Mapping[str, str], info: ObjectInfo) -> int | None:
    """304 or 412 when a conditional header says so (S3's order of evaluation), else None."""
    etag = info.etag.strip('"')
    modified = info.last_modified.replace(microsecond=0)

    def matches(value: str) -> bool:
        return any(t.strip().strip('"') in (etag, "*") for t in value.split(","))

    if_match = headers.get("if-match")
    if if_match is not None and not matches(if_match):
        return 412
    since = _parse_http_date(headers.get("if-unmodified-since", ""))
    if if_match is None and since is not None and modified > since:
        return 412
    if_none = headers.get("if-none-match")
    if if_none is not None and matches(if_none):
        return 304
    since = _parse_http_date(headers.get("if-modified-since", ""))
    if if_none is None and since is not None and modified <= since:
        return 304
    return None


def _byte_range(value: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` of a single ``bytes=`` range, None for the whole object (also for
    forms S3 ignores); WireError 416 when it cannot be satisfied."""
    if value is None or not value.startswith("bytes=") or "," in value:
        return None
    first_text, sep, last_text = value[6:].strip().partition("-")
    numbers = [t for t in (first_text, last_text) if t]
    if not sep or not numbers or not all(t.isdigit() and len(t) <= 19 for t in numbers):
        return None
    if not first_text:
        length = int(last_text)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first and last_text:
        return None
    if first >= size:
        raise _unsatisfiable(size)
    return first, min(last, size - 1)


def _unsatisfiable(size: int) -> WireError:
    return WireError(
        "InvalidRange",
        f"The requested range is not satisfiable (the object has {size} bytes)",
        status=416,
    )


async def _stream_range(reader: BinaryIO, first: int, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes of ``reader`` from ``first`` (read and dropped up to it: each segment
    of the object is still authenticated), read in a worker thread; the reader is closed."""
    try:
        skip = first
        while skip:
            dropped = await run_in_threadpool(reader.read, min(skip, CHUNK))
            if not dropped:
                return
            skip -= len(dropped)
        left = length
        while left:
            chunk = await run_in_threadpool(reader.read, min(left, CHUNK))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        reader.close()


def _int_query(call: _Call, name: str, default: int) -> int:
    text = call.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 9:
        raise WireError("InvalidArgument", f"{name} must be a non-negative integer")
    return int(text)


def _encoder(call: _Call) -> Callable[[str], str]:
    encoding = call.query.get("encoding-type")
    if encoding is None:
        return lambda text: text
    if encoding != "url":
        raise WireError("InvalidArgument", "encoding-type must be 'url'")
    return lambda text: quote(text, safe="/")


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode("ascii")


def _untoken(token: str) -> str:
    try:
        key = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode()
        if key:
            return key
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise WireError("InvalidArgument", "The continuation token is not one this server gave")


# ------------------------------------------------------------------------------------ buckets

Handler = Callable[[_Call], Awaitable[Response]]
_HANDLERS: dict[str, Handler] = {}


def _handles(operation: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[operation] = handler
        return handler

    return register


@_handles("ListBuckets")
async def _list_buckets(call: _Call) -> Response:
    buckets = await run_in_threadpool(call.store.list_buckets, context=call.caller.context)
    prefix = call.query.get("prefix", "")
    principal = call.caller.principal
    region = api_state(call.request).runtime.region
    entries: list[tuple[str, Content]] = [
        (
            "Bucket",
            [("Name", b.name), ("CreationDate", b.created_at), ("BucketRegion", region)],
        )
        for b in buckets
        if b.name.startswith(prefix)
    ]
    owner: list[tuple[str, Content]] = [("ID", principal.account_id)]
    return call.reply("ListAllMyBucketsResult", [("Buckets", entries), ("Owner", owner)])


@_handles("CreateBucket")
async def _create_bucket(call: _Call) -> Response:
    _refuse_unkeepable(call.headers)
    if call.headers.get("x-amz-bucket-object-lock-enabled", "false").lower() == "true":
        raise not_implemented("Object lock")
    region = api_state(call.request).runtime.region
    if call.body:
        constraint = call.xml("CreateBucketConfiguration").text_of("LocationConstraint")
        if constraint not in (None, "", region):
            raise WireError(
                "InvalidLocationConstraint",
                f"This server's region is '{region}'; the location constraint must be it",
            )
    await run_in_threadpool(call.store.create_bucket, call.bucket, context=call.caller.context)
    return call.reply(headers={"location": f"/{call.bucket}"})


@_handles("HeadBucket")
async def _head_bucket(call: _Call) -> Response:
    await run_in_threadpool(call.store.head_bucket, call.bucket, context=call.caller.context)
    region = api_state(call.request).runtime.region
    return call.reply(headers={"x-amz-bucket-region": region})


@_handles("DeleteBucket")
async def _delete_bucket(call: _Call) -> Response:
    await run_in_threadpool(call.store.delete_bucket, call.bucket, context=call.caller.context)
    return call.reply(status=204)


@_handles("GetBucketLocation")
async def _bucket_location(call: _Call) -> Response:
    await run_in_threadpool(call.store.head_bucket, call.bucket, context=call.caller.context)
    return call.reply("LocationConstraint", api_state(call.request).runtime.region)


@_handles("GetBucketEncryption")
async def _bucket_encryption(call: _Call) -> Response:
    bucket = await run_in_threadpool(
        call.store.head_bucket, call.bucket, context=call.caller.context
    )
    default: list[tuple[str, Content]] = [
        ("SSEAlgorithm", "aws:kms"),
        ("KMSMasterKeyID", bucket.default_kms_key_arn),
    ]
    rule: list[tuple[str, Content]] = [
        ("ApplyServerSideEncryptionByDefault", default),
        ("BucketKeyEnabled", False),
    ]
    return call.reply("ServerSideEncryptionConfiguration", [("Rule", rule)])


def _tag_set(tags: Mapping[str, str]) -> list[tuple[str, Content]]:
    tag_list: list[tuple[str, Content]] = [
        ("Tag", [("Key", k), ("Value", v)]) for k, v in sorted(tags.items())
    ]
    return [("TagSet", tag_list)]


@_handles("GetBucketTagging")
async def _bucket_tagging(call: _Call) -> Response:
    bucket = await run_in_threadpool(
        call.store.head_bucket, call.bucket, context=call.caller.context
    )
    if not bucket.tags:
        raise WireError("NoSuchTagSet", "The bucket has no tags", status=404)
    return call.reply("Tagging", _tag_set(bucket.tags))


def _listing_entry(obj: ObjectSummary, encode: Callable[[str], str]) -> tuple[str, Content]:
    return (
        "Contents",
        [
            ("Key", encode(obj.key)),
            ("LastModified", obj.last_modified),
            ("ETag", obj.etag),
            ("ChecksumAlgorithm", "SHA256"),
            ("ChecksumType", "FULL_OBJECT"),
            ("Size", obj.size),
            ("StorageClass", _STORAGE_OUT[obj.storage_class]),
        ],
    )


@_handles("ListObjects")
async def _list_objects(call: _Call) -> Response:
    """ListObjectsV2 (``list-type=2``) and ListObjects (v1): one store listing per request.

    With a delimiter, keys under a common prefix are rolled up into ``CommonPrefixes``; a page
    may then hold fewer than ``max-keys`` entries while ``IsTruncated`` is true (clients follow
    the token, as S3 allows). A token is the last key the page looked at, so the next page skips
    the rest of a common prefix already returned.
    """
    v2 = call.query.get("list-type") == "2"
    if call.query.get("list-type") not in (None, "2"):
        raise WireError("InvalidArgument", "list-type must be 2 (or absent for ListObjects)")
    encode = _encoder(call)
    prefix = call.query.get("prefix", "")
    delimiter = call.query.get("delimiter", "")
    max_keys = min(_int_query(call, "max-keys", MAX_KEYS), MAX_KEYS)
    token = call.query.get("continuation-token") if v2 else None
    start_after = call.query.get("start-after") if v2 else call.query.get("marker")
    after = _untoken(token) if token is not None else start_after or None
    page = await run_in_threadpool(
        call.store.list_objects,
        call.bucket,
        prefix=prefix,
        max_keys=max(max_keys, 1),
        continuation_token=after if token is not None else None,
        start_after=after if token is None else None,
        context=call.caller.context,
    )
    objects = page.objects if max_keys else ()
    skip = None
    if delimiter and after is not None and after.startswith(prefix):
        rest = after[len(prefix) :]
        if delimiter in rest:
            skip = prefix + rest.split(delimiter, 1)[0] + delimiter
    contents: list[tuple[str, Content]] = []
    prefixes: list[str] = []
    for obj in objects:
        rest = obj.key[len(prefix) :]
        if delimiter and delimiter in rest:
            common = prefix + rest.split(delimiter, 1)[0] + delimiter
            if common != skip and (not prefixes or prefixes[-1] != common):
                prefixes.append(common)
            continue
        contents.append(_listing_entry(obj, encode))
    truncated = page.is_truncated and bool(max_keys)
    last = page.next_continuation_token
    body: list[tuple[str, Content]] = [("Name", call.bucket)]
    body.append(("Prefix", encode(prefix) if v2 else prefix))
    if v2:
        if token is not None:
            body.append(("ContinuationToken", token))
        if truncated and last is not None:
            body.append(("NextContinuationToken", _token(last)))
        if start_after:
            body.append(("StartAfter", encode(start_after)))
        body.append(("KeyCount", len(contents) + len(prefixes)))
    else:
        body.append(("Marker", encode(start_after or "")))
        if truncated and last is not None:
            body.append(("NextMarker", encode(last)))
    body.append(("MaxKeys", max_keys))
    if delimiter:
        body.append(("Delimiter", encode(delimiter)))
    if "encoding-type" in call.query:
        body.append(("EncodingType", "url"))
    body.append(("IsTruncated", truncated))
    body.extend(contents)
    body.extend(("CommonPrefixes", [("Prefix", encode(p))]) for p in prefixes)
    return call.reply("ListBucketResult", body)


@_handles("DeleteObjects")
async def _delete_objects(call: _Call) -> Response:
    document = call.xml("Delete")
    quiet = (document.text_of("Quiet") or "false").strip().lower() == "true"
    targets = document.all("Object")
    if not 1 <= len(targets) <= MAX_DELETE:
        raise WireError("MalformedXML", f"Delete must name between 1 and {MAX_DELETE} objects")

    def delete_each() -> list[tuple[str, Content]]:
        results: list[tuple[str, Content]] = []
        for target in targets:
            key = target.text_of("Key") or ""
            try:
                if target.one("VersionId") is not None:
                    raise not_implemented("Deleting object versions")
                call.store.delete_object(call.bucket, key, context=call.caller.context)
            except (BastionError, WireError) as exc:
                code = exc.code if isinstance(exc, WireError) else s3_error(exc, "DeleteObject")[1]
                entry: list[tuple[str, Content]] = [
                    ("Key", key),
                    ("Code", code),
                    ("Message", exc.message),
                ]
                results.append(("Error", entry))
                continue
            if not quiet:
                results.append(("Deleted", [("Key", key)]))
        return results

    return call.reply("DeleteResult", await run_in_threadpool(delete_each))


# ------------------------------------------------------------------------------------ objects


@_handles("PutObject")
async def _put_object(call: _Call) -> Response:
    if "x-amz-copy-source" in call.headers:
        return await _copy_object(call)
    options = _write_options(call)
    body = WireBody(RequestBodyReader(call.request, sha256=None), PayloadRules.of(call.headers))
    info = await run_in_threadpool(
        call.store.put_object,
        call.bucket,
        call.key,
        cast(BinaryIO, body),
        kms_key_id=options.kms_key_id,
        tags=options.tags,
        storage_class=options.storage_class,
        metadata=options.metadata,
        context=call.caller.context,
    )
    headers = _sse_headers(info)
    rules = body.check.rules
    if rules.checksum is not None and body.check.checksum_value is not None:
        headers[f"x-amz-checksum-{rules.checksum}"] = body.check.checksum_value
        headers["x-amz-checksum-type"] = "FULL_OBJECT"
    return call.reply(headers=headers)


def _copy_source(value: str) -> tuple[str, str]:
    source, _, version = value.partition("?")
    if version:
        raise not_implemented("Copying an object version")
    bucket, _, key = unquote(source).lstrip("/").partition("/")
    if not bucket or not key:
        raise WireError(
            "InvalidArgument", "x-amz-copy-source must be '<bucket>/<key>' (URL-encoded)"
        )
    return bucket, key


async def _copy_object(call: _Call) -> Response:
    headers = call.headers
    if any(name.startswith("x-amz-copy-source-if-") for name in headers):
        raise not_implemented("Conditional copies")
    for directive in ("x-amz-metadata-directive", "x-amz-tagging-directive"):
        if headers.get(directive, "COPY") != "COPY":
            raise not_implemented(f"{directive}: REPLACE (a copy keeps the source's)")
    if "x-amz-storage-class" in headers:
        raise not_implemented("Changing the storage class on copy")
    _refuse_unkeepable(headers)
    src_bucket, src_key = _copy_source(headers["x-amz-copy-source"])
    info = await run_in_threadpool(
        call.store.copy_object,
        src_bucket,
        src_key,
        call.bucket,
        call.key,
        kms_key_id=_sse_key(headers),
        context=call.caller.context,
    )
    result: list[tuple[str, Content]] = [
        ("ETag", info.etag),
        ("LastModified", info.last_modified),
        ("ChecksumSHA256", b64(bytes.fromhex(info.sha256))),
    ]
    return call.reply("CopyObjectResult", result, headers=_sse_headers(info))


def _override_headers(call: _Call) -> dict[str, str]:
    """GetObject's ``response-*`` parameters: headers the caller asks to see in the reply."""
    names = {
        "response-content-type": "content-type",
        "response-content-disposition": "content-disposition",
        "response-content-encoding": "content-encoding",
        "response-content-language": "content-language",
        "response-cache-control": "cache-control",
        "response-expires": "expires",
    }
    out = {}
    for param, header in names.items():
        value = call.query.get(param)
        if value is not None:
            if not (value.isascii() and value.isprintable()):
                raise WireError("InvalidArgument", f"{param} must be printable ASCII")
            out[header] = value
    return out


@_handles("GetObject")
async def _get_object(call: _Call) -> Response:
    overrides = _override_headers(call)
    reader = await run_in_threadpool(
        call.store.open_object, call.bucket, call.key, context=call.caller.context
    )
    try:
        info = _reader_info(reader)
        status = _precondition(call.headers, info)
        span = _byte_range(call.headers.get("range"), info.size)
    except BaseException:
        reader.close()
        raise
    if status is not None:
        reader.close()
        headers = {"etag": info.etag, "last-modified": _http_date(info.last_modified)}
        if status == 412:
            raise WireError(
                "PreconditionFailed", "At least one of the preconditions did not hold", status=412
            )
        return call.reply(status=status, headers=headers)
    wants_checksum = call.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
    headers = _object_headers(info, checksum=wants_checksum and span is None)
    headers.update(overrides)
    headers["x-amz-request-id"] = call.rid
    if span is None:
        headers["content-length"] = str(info.size)
        return StreamingResponse(
            stream_file(reader, what=f"{call.bucket}/{call.key}"), headers=headers
        )
    first, last = span
    headers["content-length"] = str(last - first + 1)
    headers["content-range"] = f"bytes {first}-{last}/{info.size}"
    return StreamingResponse(
        _stream_range(reader, first, last - first + 1), status_code=206, headers=headers
    )


@_handles("HeadObject")
async def _head_object(call: _Call) -> Response:
    info = await run_in_threadpool(
        call.store.head_object, call.bucket, call.key, context=call.caller.context
    )
    status = _precondition(call.headers, info)
    if status is not None:
        return call.reply(status=status, headers={"etag": info.etag})
    wants_checksum = call.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
    headers = _object_headers(info, checksum=wants_checksum)
    headers["content-length"] = str(info.size)
    return call.reply(headers=headers)


@_handles("DeleteObject")
async def _delete_object(call: _Call) -> Response:
    await run_in_threadpool(
        call.store.delete_object, call.bucket, call.key, context=call.caller.context
    )
    return call.reply(status=204)


@_handles("GetObjectTagging")
async def _get_tagging(call: _Call) -> Response:
    tags = await run_in_threadpool(
        call.store.get_object_tagging, call.bucket, call.key, context=call.caller.context
    )
    return call.reply("Tagging", _tag_set(tags))


@_handles("PutObjectTagging")
async def _put_tagging(call: _Call) -> Response:
    tag_set = call.xml("Tagging").one("TagSet")
    tags: dict[str, str] = {}
    for tag in tag_set.all("Tag") if tag_set is not None else []:
        key, value = tag.text_of("Key"), tag.text_of("Value")
        if key is None or value is None or key in tags:
            raise WireError("InvalidTag", "Each Tag needs one Key and one Value, keys distinct")
        tags[key] = value
    await run_in_threadpool(
        call.store.put_object_tagging, call.bucket, call.key, tags, context=call.caller.context
    )
    return call.reply()


@_handles("DeleteObjectTagging")
async def _delete_tagging(call: _Call) -> Response:
    await run_in_threadpool(
        call.store.put_object_tagging, call.bucket, call.key, {}, context=call.caller.context
    )
    return call.reply(status=204)


# ------------------------------------------------------------------------------------ multipart


@_handles("CreateMultipartUpload")
async def _create_upload(call: _Call) -> Response:
    options = _write_options(call)
    if options.checksum_algorithm not in (None, "crc32", "sha1", "sha256"):
        raise WireError(
            "InvalidRequest",
            "x-amz-checksum-algorithm must be CRC32, SHA1 or SHA256 on this server",
        )
    upload = await run_in_threadpool(
        call.multipart.create, call.bucket, call.key, options, context=call.caller.context
    )
    content: list[tuple[str, Content]] = [
        ("Bucket", call.bucket),
        ("Key", call.key),
        ("UploadId", upload.upload_id),
    ]
    headers = {"x-amz-server-side-encryption": "aws:kms"}
    if options.kms_key_id is not None:
        headers[SSE_KEY_HEADER] = options.kms_key_id
    if options.checksum_algorithm is not None:
        headers["x-amz-checksum-algorithm"] = options.checksum_algorithm.upper()
    return call.reply("InitiateMultipartUploadResult", content, headers=headers)


@_handles("UploadPart")
async def _upload_part(call: _Call) -> Response:
    if "x-amz-copy-source" in call.headers:
        raise not_implemented("UploadPartCopy (copy the object with CopyObject)")
    number_text = call.query.get("partNumber", "")
    if not number_text.isdigit() or len(number_text) > 6:
        raise WireError("InvalidArgument", "partNumber must be an integer in [1, 10000]")
    body = WireBody(
        RequestBodyReader(call.request, sha256=None), PayloadRules.of(call.headers), md5=True
    )
    part = await run_in_threadpool(
        call.multipart.upload_part,
        call.bucket,
        call.key,
        call.query["uploadId"],
        int(number_text),
        body,
        context=call.caller.context,
    )
    headers = {"etag": part.etag, "x-amz-server-side-encryption": "aws:kms"}
    if part.checksum is not None and body.check.rules.checksum is not None:
        headers[f"x-amz-checksum-{body.check.rules.checksum}"] = part.checksum
    return call.reply(headers=headers)


def _listed_parts(document: XmlNode) -> list[tuple[int, str, str | None]]:
    listed = []
    for part in document.all("Part"):
        number = (part.text_of("PartNumber") or "").strip()
        etag = part.text_of("ETag")
        if not number.isdigit() or len(number) > 6 or etag is None:
            raise WireError("MalformedXML", "Each Part needs a PartNumber and an ETag")
        checksums = [child.text for child in part.children if child.tag.startswith("Checksum")]
        listed.append((int(number), etag, checksums[0] if checksums else None))
    return listed


@_handles("CompleteMultipartUpload")
async def _complete_upload(call: _Call) -> Response:
    document = call.xml("CompleteMultipartUpload", checksum=False)
    multipart = call.multipart
    upload = multipart.upload(call.bucket, call.key, call.query["uploadId"])
    reader = multipart.staging.parts_reader(upload, _listed_parts(document))
    if call.headers.get("x-amz-checksum-type", "").upper() == "FULL_OBJECT":
        rules = PayloadRules.of(call.headers)
        if rules.checksum is not None and rules.checksum_value is not None:
            full_object_check(reader, rules.checksum, rules.checksum_value)
    options = upload.options
    try:
        info = await run_in_threadpool(
            call.store.put_object,
            call.bucket,
            call.key,
            cast(BinaryIO, reader),
            kms_key_id=options.kms_key_id,
            tags=options.tags,
            storage_class=options.storage_class,
            metadata=options.metadata,
            context=call.caller.context,
        )
    finally:
        reader.close()
    multipart.staging.discard(upload)
    content: list[tuple[str, Content]] = [
        ("Location", f"{PREFIX}/{call.bucket}/{quote(call.key)}"),
        ("Bucket", call.bucket),
        ("Key", call.key),
        ("ETag", info.etag),
    ]
    return call.reply("CompleteMultipartUploadResult", content, headers=_sse_headers(info))


@_handles("AbortMultipartUpload")
async def _abort_upload(call: _Call) -> Response:
    await run_in_threadpool(
        call.multipart.abort,
        call.bucket,
        call.key,
        call.query["uploadId"],
        context=call.caller.context,
    )
    return call.reply(status=204)


# ------------------------------------------------------------------------------------ endpoint


def _operation(method: str, bucket: str, key: str, query: Mapping[str, str]) -> str:
    level = "object" if key else "bucket" if bucket else "service"
    subresources = frozenset(query) & _SUBRESOURCES
    operation = _ROUTES.get((method, level, subresources))
    if operation is None:
        if (method, level, frozenset()) not in _ROUTES and not subresources:
            raise WireError(
                "MethodNotAllowed",
                f"{method} is not allowed on this {level}",
                status=405,
            )
        named = ", ".join(sorted(subresources)) or method
        raise not_implemented(f"The S3 operation '{method} ?{named}' on a {level}")
    return operation


async def s3_endpoint(request: Request) -> Response:
    """Dispatch one S3 REST request to its handler (one store call through the gate)."""
    rid = request_id()
    path = request.scope["path"][len(PREFIX) :].lstrip("/")
    bucket, _, key = path.partition("/")
    streamed = streams_body(request.scope)
    where = _Where(bucket=bucket, key=key, rid=rid, streamed=streamed)
    head = request.method == "HEAD"
    operation = "Unknown"
    try:
        operation = _operation(request.method, bucket, key, request.query_params)
        body = None if streamed else await request.body()
        caller = await wire_caller(request, body=body)
        owner = request.headers.get("x-amz-expected-bucket-owner")
        if owner is not None and owner != api_state(request).runtime.account_id:
            raise WireError("AccessDenied", "The bucket belongs to another account", status=403)
        await check_text(request)
        call = _Call(request, caller, bucket, key, body, rid)
        return await _HANDLERS[operation](call)
    except AuthFailure as exc:
        status, code = _AUTH_ERRORS[exc.kind]
        if exc.kind is AuthKind.MALFORMED and "X-Amz-Algorithm" in request.query_params:
            code = "AuthorizationQueryParametersError"
        return _error_response(status, code, exc.message, where, head=head)
    except WireError as exc:
        return _error_response(exc.status, exc.code, exc.message, where, head=head)
    except BastionError as exc:
        status, code = s3_error(exc, operation)
        if status >= 500:
            log.warning("api.s3.error operation=%s code=%s", operation, exc.code)
        return _error_response(status, code, exc.message, where, head=head)
    except Exception:
        log.exception("api.s3.unexpected_error operation=%s request_id=%s", operation, rid)
        message = "Internal error; the server log has the details (search for the request id)"
        return _error_response(500, "InternalError", message, where, head=head)


def mount(app: FastAPI) -> None:
    """Serve S3's REST protocol under ``/aws/s3`` (left out of the OpenAPI document)."""
    state = app.state.bastion
    app.state.aws_s3_staging = Staging(
        state.runtime.settings.home / "multipart",
        max_upload_bytes=state.options.max_object_bytes,
    )
    methods = ["GET", "PUT", "POST", "DELETE", "HEAD"]
    for path in (PREFIX, PREFIX + "/", PREFIX + "/{path:path}"):
        app.router.add_route(path, s3_endpoint, methods=methods, include_in_schema=False)


__all__ = ["PREFIX", "mount", "not_implemented", "s3_endpoint", "s3_error"]
