"""One JSON error shape for every error the API returns, and the errors only HTTP has.

Every error body is :meth:`bastion.errors.BastionError.to_dict`::

    {"ok": false, "status": 404, "code": "not-found", "error": "Key 'x' not found…", "field": null}

That includes FastAPI's request validation (400 ``invalid``, naming the field), unknown routes
(404), wrong methods (405), oversize bodies (413), missing or bad credentials (401) and anything
unexpected (500 ``internal``, details only in the server log). The HTTP-only errors below extend
the one error tree; they never reach a service.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.errors import AccessDenied, BastionError, Invalid, NotFound

log = logging.getLogger(__name__)

_GOT_LIMIT = 80


class Unauthenticated(BastionError):
    """The request carries no credentials, or credentials that do not authenticate."""

    status = 401
    code = "unauthenticated"
    aws_code = "UnrecognizedClientException"


class MethodNotAllowed(BastionError):
    """The route exists but not with this HTTP method."""

    status = 405
    code = "method-not-allowed"
    aws_code = "MethodNotAllowed"


class PayloadTooLarge(BastionError):
    """The request body is larger than the server accepts."""

    status = 413
    code = "too-large"
    aws_code = "EntityTooLarge"


def too_large(limit: int) -> PayloadTooLarge:
    """The 413 error for a body over ``limit`` bytes."""
    return PayloadTooLarge(
        f"The request body is larger than this server accepts here ({limit} bytes); send less, "
        "or raise the server's limit (max_json_bytes, or max_object_bytes for objects)"
    )


class InternalError(BastionError):
    """Something unexpected failed; the details are in the server log only."""


class ErrorBody(BaseModel):
    """The JSON error shape (OpenAPI schema of every error response)."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})

    ok: bool
    status: int
    code: str
    error: str
    field: str | None


def error_response(exc: BastionError, *, headers: dict[str, str] | None = None) -> JSONResponse:
    """``exc`` as the one JSON shape with its HTTP status."""
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


_DESCRIPTIONS = {
    400: "Invalid input: a parameter, header or body has a wrong value (``field`` names it)",
    401: "No credentials, or credentials that do not authenticate",
    403: "The caller is not allowed to perform this action",
    404: "Not found (also when the caller may not see the resource)",
    409: "Conflict with the current state (exists, disabled, pending deletion …)",
    413: "The request body is too large",
    422: "Stored data failed an integrity check",
    424: "The model raised on this request (ModelError); the message is the model's",
    429: "Over a concurrency or rate limit; retry after the Retry-After seconds",
    500: "Unexpected server error",
    507: "The store or disk refused a write; nothing was stored",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for ``statuses`` (plus 400/401/413/500 every route has)."""
    wanted = sorted({400, 401, 413, 500, *statuses})
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in wanted}


def denied_action(exc: AccessDenied) -> str | None:
    """The action a gate denial names (the gate words it "… not authorized to perform <action>
    on resource …"), or None for other refusals."""
    _, found, rest = exc.message.partition(" is not authorized to perform ")
    action, on, _ = rest.partition(" on resource ")
    return action if found and on else None


@contextmanager
def hidden_as_not_found(action: str, message: str) -> Iterator[None]:
    """Turn a denial of ``action`` into the 404 a missing resource gives (the trail keeps the
    reason). A denial of another action inside the call (``kms:Decrypt`` while reading an
    object the caller may see) stays a 403: it hides nothing."""
    try:
        yield
    except AccessDenied as exc:
        if denied_action(exc) != action:
            raise
        raise NotFound(message) from exc


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _GOT_LIMIT else value[:_GOT_LIMIT] + "…"
    if isinstance(value, bytes | bytearray):
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    return f"<{type(value).__name__}>"


def _expected(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "valid"))
    if kind == "missing":
        return "given (it is required)"
    if kind == "extra_forbidden":
        return "absent (it is not a parameter of this operation)"
    if kind == "json_invalid":
        return "valid JSON"
    for prefix in ("Input should be ", "Value error, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return f"valid ({msg})"


def validation_error(errors: Sequence[Any], *, operation: str | None) -> Invalid:
    """FastAPI/pydantic validation errors as one :class:`Invalid` naming the first field."""
    first: dict[str, Any] = dict(errors[0]) if errors else {"loc": ("body",), "msg": "valid"}
    loc = [str(part) for part in first.get("loc", ())]
    kind = first.get("type")
    if kind == "json_invalid":
        loc = loc[:1]
    field = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "body")
    if kind == "json_invalid":
        where = first.get("loc", ())[1:2]
        at = f" at character {where[0]}" if where else ""
        got: Any = f"invalid JSON ({first.get('ctx', {}).get('error', 'unparsable')}{at})"
    elif kind == "missing":
        got = None
    else:
        got = _shown(first.get("input"))
    return Invalid(field, got=got, expected=_expected(first), operation=operation)


def _operation(request: Request) -> str | None:
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    return name if isinstance(name, str) else None


async def _bastion_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BastionError)
    if exc.status >= 500:
        log.warning("api.error status=%d code=%s path=%s", exc.status, exc.code, request.url.path)
    return error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(validation_error(exc.errors(), operation=_operation(request)))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error: BastionError
    if exc.status_code == 404:
        error = NotFound(
            f"No route for {request.method} {request.url.path}; the routes are listed in "
            "/openapi.json"
        )
    elif exc.status_code == 405:
        error = MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}; the methods each route "
            "accepts are listed in /openapi.json"
        )
    elif exc.status_code == 413:
        error = PayloadTooLarge(str(exc.detail))
    elif exc.status_code < 500:
        error = Invalid("request", got=request.method, expected=str(exc.detail))
    else:
        error = InternalError(str(exc.detail))
    headers = dict(exc.headers or {})
    return error_response(error, headers=headers or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception(
        "api.unexpected_error method=%s path=%s type=%s",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    return error_response(
        InternalError("Internal error; the server log has the details (search for the path)")
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one JSON shape."""
    app.add_exception_handler(BastionError, _bastion_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


__all__ = [
    "ErrorBody",
    "InternalError",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "Unauthenticated",
    "denied_action",
    "error_response",
    "error_responses",
    "hidden_as_not_found",
    "install_error_handlers",
    "too_large",
    "validation_error",
]
