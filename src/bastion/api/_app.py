"""``create_app``: the FastAPI application over one Bastion home.

The application holds one :class:`~bastion._runtime.Runtime` (database, root sealer, trail, gate)
for its lifetime. Each request authenticates (see :mod:`bastion.api._auth`), and the routers
build the room's client for that request's principal: every route is one call through the gate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion._runtime import Runtime, open_runtime
from bastion.access import AccessClient
from bastion.api._auth import Authenticator, CallerDep, streams_body
from bastion.api._errors import (
    error_response,
    install_error_handlers,
    too_large,
)
from bastion.api._input import check_text
from bastion.api._options import ApiOptions
from bastion.audit import AuditClient
from bastion.capture import CaptureWriter, capture_writer
from bastion.clock import Clock
from bastion.keys import KeysClient
from bastion.serving import InvocationMeter, ModelHosts, registry_loader, service_publisher
from bastion.settings import Settings
from bastion.store import StoreClient

log = logging.getLogger(__name__)

INVOKE_BODY_LIMIT = 6 * 1024 * 1024 + 1
"""InvokeEndpoint bodies may be 6 MB (SageMaker's limit; the route names it when exceeded)."""
_INVOCATIONS = re.compile(r"^/endpoints/[^/]+/invocations$")

API_VERSION = "1"
_EDGE_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


@dataclass(frozen=True, kw_only=True)
class ApiState:
    """What every request shares: the runtime, the authenticator and the options."""

    runtime: Runtime
    authenticator: Authenticator
    options: ApiOptions
    hosts: ModelHosts
    meter: InvocationMeter
    capture: CaptureWriter


def api_state(request: Request) -> ApiState:
    """The application's shared state."""
    state: ApiState = request.app.state.bastion
    return state


def caller_runtime(request: Request, caller: CallerDep) -> Runtime:
    """The runtime acting as the request's principal."""
    return api_state(request).runtime.acting_as(caller.principal)


RuntimeDep = Annotated[Runtime, Depends(caller_runtime)]


def keys_client(runtime: RuntimeDep) -> KeysClient:
    """The key service as the caller."""
    return KeysClient(runtime)


def store_client(runtime: RuntimeDep) -> StoreClient:
    """The store as the caller (its key calls are made as the caller too)."""
    return StoreClient(runtime, keys=KeysClient(runtime))


def audit_client(runtime: RuntimeDep) -> AuditClient:
    """The trail as the caller."""
    return AuditClient(runtime)


def access_client(runtime: RuntimeDep) -> AccessClient:
    """Identities, policies and credentials as the caller."""
    return AccessClient(runtime)


KeysDep = Annotated[KeysClient, Depends(keys_client)]
StoreDep = Annotated[StoreClient, Depends(store_client)]
AuditDep = Annotated[AuditClient, Depends(audit_client)]
AccessDep = Annotated[AccessClient, Depends(access_client)]


class EdgeMiddleware:
    """Bounds request bodies and adds ``Cache-Control: no-store`` to every response.

    An object upload (``PUT /s3/<bucket>/<key>``) may be ``max_object_bytes`` and streams: it
    is counted as the route reads it, and crossing the limit fails the read (the store then
    keeps nothing). Any other body may be ``max_json_bytes``; it is read here first, so an
    oversize one is refused before any route sees it. A declared ``Content-Length`` over the
    limit is refused before anything is read.
    """

    def __init__(self, app: ASGIApp, *, options: ApiOptions) -> None:
        self.app = app
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_EDGE_HEADERS]}
            await send(message)

        streamed = streams_body(scope)
        limit = self.options.max_object_bytes if streamed else self.options.max_json_bytes
        if _INVOCATIONS.match(scope["path"]):
            limit = max(limit, INVOKE_BODY_LIMIT)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send_with_headers, limit)
            return
        if streamed:
            await self.app(scope, _counted(receive, limit), send_with_headers)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(scope, receive, send_with_headers, limit)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send_with_headers)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(too_large(limit), headers={"connection": "close"})
        await response(scope, receive, send)


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that fails with 413 once more than ``limit`` body bytes went through."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that first hands over the body read already, then the real messages."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1")
            return int(text) if text.isdigit() and len(text) <= 19 else None
    return None


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document, with validation failures documented as the 400 error shape."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in str(responses.get("422")):
                    del responses["422"]
                operation["summary"] = operation["operationId"]
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    return build


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    authenticator: Authenticator | None = None,
    options: ApiOptions | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The control-plane API over the home ``settings`` names.

    ``runtime`` reuses an open runtime (the caller keeps ownership and closes it); otherwise the
    application opens one now and releases it at shutdown. ``authenticator`` turns credentials
    into principals: by default the runtime's own (``runtime.authenticator``: API tokens, role
    session tokens and SigV4 access keys of the home).
    """
    from bastion.api.routers import (
        access,
        audit,
        aws_kms,
        aws_s3,
        cards,
        endpoints,
        keys,
        lineage,
        metrics,
        models,
        monitor,
        store,
    )

    owned = runtime is None
    rt = runtime if runtime is not None else open_runtime(settings, clock=clock)
    opts = options or ApiOptions.from_settings(settings)

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        log.info("api.start home=%s", settings.home)
        served.state.bastion.capture.start()  # ships what a killed server left in its log
        try:
            yield
        finally:
            served.state.bastion.meter.flush()
            served.state.bastion.capture.close()
            if owned:
                rt.db.dispose()
            log.info("api.stop home=%s", settings.home)

    app = FastAPI(
        title="Bastion control plane",
        version=API_VERSION,
        description="Keys (KMS semantics), the encrypted store (S3 semantics), the audit "
        "trail (CloudTrail semantics) and access control (IAM/STS semantics). Every route is "
        "one action through the gate: authenticated, authorized and recorded. Errors share one "
        "JSON shape.",
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
        dependencies=[Depends(check_text)],
    )
    auth: Authenticator = authenticator if authenticator is not None else rt.authenticator
    app.state.bastion = ApiState(
        runtime=rt,
        authenticator=auth,
        options=opts,
        hosts=ModelHosts(registry_loader(rt)),
        meter=InvocationMeter(service_publisher(rt)),
        capture=capture_writer(rt),
    )
    install_error_handlers(app)
    app.include_router(keys.router)
    app.include_router(store.router)
    app.include_router(audit.router)
    app.include_router(access.router)
    app.include_router(cards.router)
    app.include_router(lineage.router)
    app.include_router(monitor.router)
    app.include_router(models.router)
    app.include_router(endpoints.configs)
    app.include_router(endpoints.router)
    app.include_router(metrics.router)
    aws_kms.mount(app)
    aws_s3.mount(app)
    app.add_middleware(EdgeMiddleware, options=opts)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


__all__ = [
    "AccessDep",
    "ApiState",
    "AuditDep",
    "KeysDep",
    "RuntimeDep",
    "StoreDep",
    "api_state",
    "create_app",
]
