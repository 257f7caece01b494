"""THE entry for every operation: authenticate -> authorize -> run -> audit.

Every SDK method, CLI command and HTTP route calls :meth:`Gate.call` with a declared action
(``kms:Decrypt``), the resource ARN and the request parameters. The gate

1. authenticates the caller (the principal must exist and be active),
2. asks the :class:`~bastion.access.Authorizer` (deny by default),
3. runs the handler when allowed,
4. appends one CloudTrail-shaped record to the trail for the allowed *and* the denied call,
   with the error code and message on failure. Secrets in parameters are redacted first.

An action that was never declared is refused: that is how the action catalogue stays complete.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from bastion.access import (
    Action,
    Authorizer,
    Principal,
    RequestContext,
    ResourceProvider,
    ResourceProviders,
    declared_actions,
    lookup_action,
    register_actions,
)
from bastion.clock import Clock, iso_z
from bastion.errors import AccessDenied, BastionError
from bastion.types import EventCategory

log = logging.getLogger(__name__)

T = TypeVar("T")

EVENT_VERSION = "1.09"
REDACTED = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAME = re.compile(
    r"plaintext|secret|password|passphrase|token(?!_?ids?$)|private|material|root_?key",
    re.IGNORECASE,
)
"""Parameter names whose values are secrets (a token's *id* is not: ``tokenId`` is kept)."""


class Trail(Protocol):
    """Where the gate appends audit records (the audit room implements it)."""

    def append(self, event: dict[str, Any]) -> None: ...


def redact(value: Any, name: str = "") -> Any:
    """Copy ``value`` with secrets and raw bytes replaced; safe to log and audit."""
    if name and _is_secret(name):
        return REDACTED
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value  # the common leaves, before the slower isinstance checks below
    if kind is dict:
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, bytes | bytearray | memoryview):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


@functools.lru_cache(maxsize=1024)
def _is_secret(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


def _request_ids() -> tuple[str, str]:
    """Two random (version 4) UUIDs as text, from one read of the OS's random source: what
    ``str(uuid.uuid4())`` gives, several times faster."""
    raw = bytearray(os.urandom(32))
    for at in (6, 22):
        raw[at] = raw[at] & 0x0F | 0x40  # version 4
        raw[at + 2] = raw[at + 2] & 0x3F | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return (
        f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}",
        f"{h[32:40]}-{h[40:44]}-{h[44:48]}-{h[48:52]}-{h[52:]}",
    )


_NO_CONTEXT = RequestContext()


class Gate:
    """The one way into a service."""

    def __init__(
        self,
        *,
        authorizer: Authorizer,
        trail: Trail,
        clock: Clock,
        region: str = "local",
        resources: ResourceProviders | None = None,
    ) -> None:
        self.authorizer = authorizer
        self.trail = trail
        self.clock = clock
        self.region = region
        self.resources = resources if resources is not None else ResourceProviders()
        self._second: tuple[float, str] = (float("nan"), "")

    def register_resource_provider(self, service: str, provider: ResourceProvider) -> None:
        """Let the authorizer ask ``provider`` for the policy and tags of ``service``'s resources
        (rooms call this when their client is built: keys registers ``kms``)."""
        self.resources.register(service, provider)

    def call(
        self,
        caller: Principal,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        *,
        context: RequestContext | None = None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        """Authorize, run and audit one operation; returns the handler's result."""
        spec = lookup_action(action)
        if spec is None:
            raise AccessDenied(
                f"Action '{action}' is not declared; declare it in the room's _actions.py",
                reason="undeclared action",
            )
        ctx = context or _NO_CONTEXT
        decision = self.authorizer.decide(caller, action, resource, ctx.condition_keys(self.region))
        if not decision.allowed:
            summary = f" {decision.summary}" if decision.summary else ""
            error = AccessDenied(
                f"{caller.arn} is not authorized to perform {action} on resource {resource}"
                f"{summary}",
                reason=decision.reason,
            )
            self._record(caller, spec, resource, params, ctx, error=error)
            log.info("gate.deny action=%s resource=%s reason=%s", action, resource, decision.reason)
            raise error
        try:
            result = handler()
        except Exception as exc:
            self._record(caller, spec, resource, params, ctx, error=exc)
            raise
        if not spec.read_only:
            self.resources.written(resource)
        response = respond(result) if respond is not None else None
        self._record(caller, spec, resource, params, ctx, response=response)
        return result

    def refuse(
        self,
        caller: Principal,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        *,
        message: str,
        reason: str,
        context: RequestContext | None = None,
    ) -> AccessDenied:
        """Record a call refused before authorization (failed authentication) and return the
        error to raise; ``message`` is for the caller, ``reason`` for the trail."""
        spec = lookup_action(action)
        if spec is None:
            raise ValueError(f"action {action} is not declared")
        error = AccessDenied(message, reason=reason)
        self._record(caller, spec, resource, params, context or _NO_CONTEXT, error=error)
        log.info("gate.refuse action=%s reason=%s", action, reason)
        return error

    def _record(
        self,
        caller: Principal,
        spec: Action,
        resource: str,
        params: Mapping[str, Any],
        ctx: RequestContext,
        *,
        response: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        request_id, event_id = _request_ids()
        event: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": caller.user_identity(),
            "eventTime": self._event_time(),
            "eventSource": f"{spec.service}.amazonaws.com",
            "eventName": spec.operation,
            "awsRegion": self.region,
            "sourceIPAddress": ctx.invoked_by or ctx.source_ip,
            "userAgent": ctx.invoked_by or ctx.user_agent,
            "requestParameters": redact(params) if params else None,
            "responseElements": redact(response) if response else None,
            "requestID": request_id,
            "eventID": event_id,
            "readOnly": spec.read_only,
            "resources": [{"ARN": resource, "accountId": caller.account_id, "type": spec.resource}],
            "eventType": ctx.event_type,
            "managementEvent": spec.category is EventCategory.MANAGEMENT,
            "recipientAccountId": caller.account_id,
            "eventCategory": str(spec.category),
        }
        if ctx.invoked_by:
            event["userIdentity"] = {**event["userIdentity"], "invokedBy": ctx.invoked_by}
        if error is not None:
            if isinstance(error, AccessDenied):
                event["errorCode"] = error.aws_code
                event["errorMessage"] = f"{error.message} ({error.reason})"
            elif isinstance(error, BastionError):
                event["errorCode"] = error.aws_code
                event["errorMessage"] = error.message
            else:
                event["errorCode"] = "InternalFailure"
                event["errorMessage"] = type(error).__name__
            event["responseElements"] = None
        self.trail.append(event)

    def _event_time(self) -> str:
        """``iso_z`` of now, formatted once per second."""
        now = self.clock.now()
        second = now.timestamp() // 1
        last = self._second
        if last[0] != second:
            last = self._second = (second, iso_z(now))
        return last[1]


__all__ = [
    "REDACTED",
    "Action",
    "Gate",
    "RequestContext",
    "Trail",
    "declared_actions",
    "redact",
    "register_actions",
]
