"""Who is calling: every request authenticates by bearer token or AWS Signature Version 4.

``Authorization: Bearer <token>`` or ``Authorization: AWS4-HMAC-SHA256 Credential=…`` — anything
else, or nothing, is 401 in the JSON error shape. The :class:`Authenticator` port turns the
credentials into a :class:`~bastion.access.Principal`; the gate then authorizes that principal
for each call. The :class:`~bastion.gate.RequestContext` of the call comes from the real
connection: ``source_ip`` is the TCP peer (the server never trusts ``X-Forwarded-For``),
``secure_transport`` is whether the request arrived over TLS, ``user_agent`` is the header; the
gate turns them into ``aws:SourceIp`` and ``aws:SecureTransport``. Nothing in the context ever
comes from a client-controlled header other than the user agent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from bastion.access import Principal
from bastion.api._errors import Unauthenticated
from bastion.errors import AccessDenied, Invalid
from bastion.gate import RequestContext

_OBJECT_PATH = re.compile(r"^/(?:aws/)?s3/[^/]+/.")
SIGV4_SCHEME = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
CONTENT_SHA256 = "x-amz-content-sha256"
MAX_USER_AGENT = 1024
MAX_AUTHORIZATION = 8192

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="A Bastion access token (`bastion access token create`); or sign the request "
    "with AWS Signature Version 4 using a Bastion access key.",
)


class Authenticator(Protocol):
    """Credentials to a principal: ``bastion.access.Authenticator`` (``runtime.authenticator``)
    has this shape, see docs/access.md. Both raise :class:`~bastion.errors.AccessDenied` with a
    message safe to show, having recorded the refusal in the trail already.
    """

    def authenticate_bearer(
        self, token: str, *, context: RequestContext | None = None
    ) -> Principal: ...

    def authenticate_sigv4(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
        *,
        context: RequestContext | None = None,
    ) -> Principal: ...


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The authenticated principal of one request and where the request came from."""

    principal: Principal
    context: RequestContext


def request_context(request: Request) -> RequestContext:
    """The gate's context from the real connection (peer address, TLS, user agent)."""
    client = request.scope.get("client")
    source_ip = str(client[0]) if client else "unknown"
    secure = request.scope.get("scheme") == "https"
    user_agent = request.headers.get("user-agent", "")[:MAX_USER_AGENT]
    return RequestContext(source_ip=source_ip, user_agent=user_agent, secure_transport=secure)


def raw_url(request: Request) -> str:
    """The URL as the client sent it (raw path and query), for SigV4's canonical request."""
    scope = request.scope
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    host = request.headers.get("host", "")
    url = f"{scope.get('scheme', 'http')}://{host}{path.decode('latin-1')}"
    return f"{url}?{query.decode('latin-1')}" if query else url


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.bastion.authenticator
    return authenticator


_REFUSED = "The credentials in the request did not authenticate"
_STREAMED = (
    "'UNSIGNED-PAYLOAD' on a SigV4-signed upload: the body streams into the store, so it cannot "
    "be hashed before the signature is checked (TLS protects it in transit; a bearer-token "
    "upload may send the hex SHA-256, which is checked as the body arrives)"
)


def _streamed_payload(request: Request) -> bytes:
    """The body to verify a SigV4 signature with, for a route that streams its body.

    The signature must cover ``x-amz-content-sha256: UNSIGNED-PAYLOAD``; the body itself is not
    part of the signature then, so nothing has to be read before the upload starts.
    """
    declared = request.headers.get(CONTENT_SHA256)
    if declared != UNSIGNED_PAYLOAD:
        raise Invalid(CONTENT_SHA256, got=declared, expected=_STREAMED)
    return b""


async def _principal(request: Request, context: RequestContext, *, streamed: bool) -> Principal:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated(
            "This request has no credentials; send 'Authorization: Bearer <token>' or sign it "
            "with AWS Signature Version 4"
        )
    if len(header) > MAX_AUTHORIZATION:
        raise Unauthenticated(_REFUSED)
    scheme, _, credentials = header.partition(" ")
    authenticator = _authenticator(request)
    try:
        if scheme.lower() == "bearer" and credentials.strip():
            return await run_in_threadpool(
                authenticator.authenticate_bearer, credentials.strip(), context=context
            )
        if scheme == SIGV4_SCHEME:
            body = _streamed_payload(request) if streamed else await request.body()
            return await run_in_threadpool(
                authenticator.authenticate_sigv4,
                request.method,
                raw_url(request),
                request.headers.items(),
                body,
                context=context,
            )
    except AccessDenied as exc:
        # exc.message is safe to show; exc.reason went to the trail only.
        raise Unauthenticated(exc.message) from exc
    raise Unauthenticated(
        "Unsupported Authorization scheme; use 'Bearer <token>' or AWS4-HMAC-SHA256 (SigV4)"
    )


_BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def streams_body(scope: Scope) -> bool:
    """True for the routes whose body streams instead of being read whole: object uploads
    (``PUT /s3/<bucket>/<key>``; under ``/aws/s3``, PutObject and UploadPart, not the XML body
    of PutObjectTagging)."""
    if scope["method"] != "PUT" or not _OBJECT_PATH.match(scope["path"]):
        return False
    query: bytes = scope.get("query_string", b"")
    return b"tagging" not in {pair.partition(b"=")[0] for pair in query.split(b"&")}


async def authenticate(request: Request, _doc: _BearerDoc) -> Caller:
    """FastAPI dependency: the caller of the request (run once per request; a streamed upload's
    body is not read here)."""
    context = request_context(request)
    principal = await _principal(request, context, streamed=streams_body(request.scope))
    return Caller(principal=principal, context=context)


CallerDep = Annotated[Caller, Depends(authenticate)]

__all__ = [
    "CONTENT_SHA256",
    "SIGV4_SCHEME",
    "UNSIGNED_PAYLOAD",
    "Authenticator",
    "Caller",
    "CallerDep",
    "authenticate",
    "bearer_scheme",
    "raw_url",
    "request_context",
    "streams_body",
]
