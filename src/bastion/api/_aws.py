"""What the AWS wire protocols share: who is calling, and the errors only they have.

Beside its own JSON API, the server speaks two AWS protocols so that ``boto3`` and the AWS CLI work
with ``endpoint_url`` alone (docs/api.md, "boto3 / AWS CLI compatibility"): KMS's JSON 1.1
(``POST /`` with ``X-Amz-Target: TrentService.<Operation>``, :mod:`bastion.api.routers.aws_kms`)
and S3's REST-XML, path-style under ``/aws/s3`` (:mod:`bastion.api.routers.aws_s3`).

A wire request authenticates like any other (SigV4 by header, a presigned URL, or a bearer token,
all checked by the :class:`~bastion.api.Authenticator`, which audits refusals); what differs is
how a refusal is worded: :class:`AuthFailure` says which kind it is, and each protocol turns the
kind into its own error code (``SignatureDoesNotMatch``, ``InvalidSignatureException`` …).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bastion.access._authn import (
    EXPIRED_TOKEN,
    INVALID_SIGNATURE,
    INVALID_TOKEN,
    MALFORMED,
    PRESIGNED_EXPIRED,
    PRESIGNED_MALFORMED,
    REPLAYED,
    SKEWED,
)
from bastion.api._auth import (
    MAX_AUTHORIZATION,
    SIGV4_SCHEME,
    Authenticator,
    Caller,
    raw_url,
    request_context,
)
from bastion.errors import AccessDenied, Invalid, NotFound


class AuthKind(StrEnum):
    """Why a wire request did not authenticate."""

    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown-key"
    EXPIRED_TOKEN = "expired-token"  # noqa: S105  (a kind of refusal, not a secret)
    SIGNATURE = "signature"
    SKEWED = "skewed"
    REPLAYED = "replayed"
    EXPIRED_URL = "expired-url"


_KINDS = {
    INVALID_TOKEN: AuthKind.UNKNOWN_KEY,
    EXPIRED_TOKEN: AuthKind.EXPIRED_TOKEN,
    INVALID_SIGNATURE: AuthKind.SIGNATURE,
    SKEWED: AuthKind.SKEWED,
    REPLAYED: AuthKind.REPLAYED,
    MALFORMED: AuthKind.MALFORMED,
    PRESIGNED_MALFORMED: AuthKind.MALFORMED,
    PRESIGNED_EXPIRED: AuthKind.EXPIRED_URL,
}

NO_CREDENTIALS = (
    "This request has no credentials; sign it with AWS Signature Version 4 using a Bastion access "
    "key (boto3 does when given aws_access_key_id and aws_secret_access_key)"
)
UNSUPPORTED_SCHEME = (
    "Unsupported Authorization scheme; sign with AWS4-HMAC-SHA256 (SigV4) or send 'Bearer <token>'"
)


class AuthFailure(Exception):
    """The request did not authenticate (already recorded in the trail by the authenticator)."""

    def __init__(self, kind: AuthKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class WireError(Exception):
    """An error a wire protocol reports with its own code and status (never reaches a room)."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class BadDigest(Invalid):
    """A body does not match the checksum or Content-MD5 its request declared."""

    aws_code = "BadDigest"


class ContentSha256Mismatch(Invalid):
    """A body does not match the ``x-amz-content-sha256`` its signature covers."""

    aws_code = "XAmzContentSHA256Mismatch"


class IncompleteBody(Invalid):
    """A body is shorter or longer than its request declared, or its framing is broken."""

    aws_code = "IncompleteBody"


class NoSuchUpload(NotFound):
    """No multipart upload in progress has this id (for this caller, bucket and key)."""

    aws_code = "NoSuchUpload"


def request_id() -> str:
    """A fresh id for the response's request-id header."""
    return uuid.uuid4().hex.upper()


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.bastion.authenticator
    return authenticator


def _has_presigned_query(request: Request) -> bool:
    return "X-Amz-Algorithm" in request.query_params or "X-Amz-Signature" in request.query_params


async def wire_caller(request: Request, *, body: bytes | None) -> Caller:
    """The caller of a wire request, or :class:`AuthFailure`.

    ``body`` is the whole body, or None when it streams into a room afterwards (its SigV4
    payload hash or trailing checksum is then checked as it arrives, see
    :mod:`bastion.api._aws_body`).
    """
    context = request_context(request)
    header = request.headers.get("authorization")
    if header is None and not _has_presigned_query(request):
        raise AuthFailure(AuthKind.MISSING, NO_CREDENTIALS)
    if header is not None and _has_presigned_query(request):
        raise AuthFailure(
            AuthKind.MALFORMED,
            "Send either an Authorization header or a presigned URL's X-Amz-* query, not both",
        )
    if header is not None and len(header) > MAX_AUTHORIZATION:
        raise AuthFailure(AuthKind.MALFORMED, MALFORMED)
    scheme, _, credentials = (header or "").partition(" ")
    authenticator = _authenticator(request)
    try:
        if header is None or scheme == SIGV4_SCHEME:
            principal = await run_in_threadpool(
                authenticator.authenticate_sigv4,
                request.method,
                raw_url(request),
                request.headers.items(),
                body,
                context=context,
            )
        elif scheme.lower() == "bearer" and credentials.strip():
            principal = await run_in_threadpool(
                authenticator.authenticate_bearer, credentials.strip(), context=context
            )
        else:
            raise AuthFailure(AuthKind.MALFORMED, UNSUPPORTED_SCHEME)
    except AccessDenied as exc:
        raise AuthFailure(_KINDS.get(exc.message, AuthKind.UNKNOWN_KEY), exc.message) from exc
    return Caller(principal=principal, context=context)


__all__ = [
    "AuthFailure",
    "AuthKind",
    "BadDigest",
    "ContentSha256Mismatch",
    "IncompleteBody",
    "NoSuchUpload",
    "WireError",
    "request_id",
    "wire_caller",
]
