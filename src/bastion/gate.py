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

import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bastion.access import Authorizer, Principal
from bastion.clock import Clock, iso_z
from bastion.errors import AccessDenied, BastionError
from bastion.types import EventCategory

log = logging.getLogger(__name__)

T = TypeVar("T")

EVENT_VERSION = "1.09"
REDACTED = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAME = re.compile(
    r"plaintext|secret|password|passphrase|token|private|material|root_?key", re.IGNORECASE
)


@dataclass(frozen=True, kw_only=True)
class Action:
    """A declared action: its name, the resource type it acts on, and how it is audited."""

    name: str
    resource: str
    doc: str
    read_only: bool = False
    category: EventCategory = EventCategory.MANAGEMENT

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def operation(self) -> str:
        return self.name.split(":", 1)[1]


_ACTIONS: dict[str, Action] = {}


def register_actions(actions: Iterable[Action]) -> None:
    """Declare actions (each room does this in its ``_actions.py``)."""
    for action in actions:
        existing = _ACTIONS.get(action.name)
        if existing is not None and existing != action:
            raise ValueError(f"action {action.name} declared twice with different specs")
        _ACTIONS[action.name] = action


def declared_actions() -> dict[str, Action]:
    """Every declared action by name."""
    return dict(_ACTIONS)


@dataclass(frozen=True, kw_only=True)
class RequestContext:
    """Where a call comes from (recorded in the audit trail, usable in conditions)."""

    source_ip: str = "127.0.0.1"
    user_agent: str = "bastion-sdk/0.1"
    secure_transport: bool = True
    invoked_by: str | None = None
    event_type: str = "AwsApiCall"
    extra: Mapping[str, Any] = field(default_factory=dict)


class Trail(Protocol):
    """Where the gate appends audit records (the audit room implements it)."""

    def append(self, event: dict[str, Any]) -> None: ...


def redact(value: Any, name: str = "") -> Any:
    """Copy ``value`` with secrets and raw bytes replaced; safe to log and audit."""
    if name and _SECRET_NAME.search(name):
        return REDACTED
    if isinstance(value, bytes | bytearray | memoryview):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class Gate:
    """The one way into a service."""

    def __init__(
        self, *, authorizer: Authorizer, trail: Trail, clock: Clock, region: str = "local"
    ) -> None:
        self.authorizer = authorizer
        self.trail = trail
        self.clock = clock
        self.region = region

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
        spec = _ACTIONS.get(action)
        if spec is None:
            raise AccessDenied(
                f"Action '{action}' is not declared; declare it in the room's _actions.py",
                reason="undeclared action",
            )
        ctx = context or RequestContext()
        decision = self.authorizer.decide(caller, action, resource, dict(ctx.extra))
        if not decision.allowed:
            error = AccessDenied(
                f"{caller.arn} is not authorized to perform {action} on resource {resource}",
                reason=decision.reason,
            )
            self._record(caller, spec, resource, params, ctx, error=error)
            log.info("gate.deny action=%s resource=%s reason=%s", action, resource, decision.reason)
            raise error
        try:
            result = handler()
        except BastionError as exc:
            self._record(caller, spec, resource, params, ctx, error=exc)
            raise
        except Exception as exc:
            self._record(caller, spec, resource, params, ctx, error=exc)
            raise
        response = respond(result) if respond is not None else None
        self._record(caller, spec, resource, params, ctx, response=response)
        return result

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
        event: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": caller.user_identity(),
            "eventTime": iso_z(self.clock.now()),
            "eventSource": f"{spec.service}.amazonaws.com",
            "eventName": spec.operation,
            "awsRegion": self.region,
            "sourceIPAddress": ctx.invoked_by or ctx.source_ip,
            "userAgent": ctx.invoked_by or ctx.user_agent,
            "requestParameters": redact(dict(params)) if params else None,
            "responseElements": redact(dict(response)) if response else None,
            "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
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
            if isinstance(error, BastionError):
                event["errorCode"] = error.aws_code
                event["errorMessage"] = error.message
            else:
                event["errorCode"] = "InternalFailure"
                event["errorMessage"] = type(error).__name__
            event["responseElements"] = None
        self.trail.append(event)


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
