"""The simulator: what would happen to a request, which statements decide it, and why the others
do not apply; and the explanation of a real call found in the audit trail by its request id."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from bastion.access._authn import session_principal
from bastion.access._authorizer import ORG_WRITE_ACTIONS, PolicyAuthorizer, Subject
from bastion.access._context import RequestContext
from bastion.access._iam import ROLE
from bastion.access._models import Principal, PrincipalType, root_arn
from bastion.access._tables import principals
from bastion.access.policy import Evaluation, StatementRef
from bastion.errors import Invalid, NotFound
from bastion.types import AccountId, Arn

_ACTION = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+")
_REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ROOT = re.compile(r"arn:[a-z0-9-]+:iam::(\d{12}):root")
_SESSION = re.compile(r"arn:[a-z0-9-]+:sts::(\d{12}):assumed-role/([^/]+)/(.+)")


@dataclass(frozen=True, kw_only=True)
class StatementVerdict:
    """One statement of one policy, and whether it applied to the request (and if not, why)."""

    policy: str
    policy_type: str
    """identity, resource, boundary, session, scp (guardrail) or rcp."""
    sid: str | None
    index: int
    effect: str
    applies: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class PolicyVerdict:
    """One policy and how each of its statements fared."""

    policy: str
    policy_type: str
    level: int | None
    """The organisation level of a guardrail (0 = root)."""
    matched: bool
    statements: tuple[StatementVerdict, ...]


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """The decision for one request and the reasons behind it."""

    principal_arn: str
    action: str
    resource: str
    decision: str
    """``Allow``, ``ExplicitDeny`` or ``ImplicitDeny``."""
    allowed: bool
    reason: str
    deciding: tuple[StatementVerdict, ...]
    policies: tuple[PolicyVerdict, ...]
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """A recorded call and the simulation of it under the policies as they are now."""

    request_id: str
    event_time: str
    event_name: str
    recorded_error_code: str | None
    recorded_error_message: str | None
    simulation: Simulation


class TrailReader(Protocol):
    """What the explainer needs from the audit trail (``bastion.audit.AuditTrail``)."""

    def query(self, sql: str) -> Any: ...


def _verdict(ref: StatementRef, applies: bool, reason: str) -> StatementVerdict:
    return StatementVerdict(
        policy=ref.policy,
        policy_type=ref.role,
        sid=ref.sid,
        index=ref.index,
        effect=ref.effect,
        applies=applies,
        reason=reason,
    )


def _simulation(
    principal_arn: str,
    action: str,
    resource: str,
    evaluation: Evaluation,
    context: Mapping[str, Any],
) -> Simulation:
    deciding = tuple(_verdict(ref, True, "decides") for ref in evaluation.deciding)
    policies = tuple(
        PolicyVerdict(
            policy=report.policy,
            policy_type=report.role,
            level=report.level,
            matched=report.applies,
            statements=tuple(_verdict(s.ref, s.applies, s.reason) for s in report.statements),
        )
        for report in evaluation.policies
    )
    return Simulation(
        principal_arn=principal_arn,
        action=action,
        resource=resource,
        decision=evaluation.decision,
        allowed=evaluation.allowed,
        reason=evaluation.reason,
        deciding=deciding,
        policies=policies,
        context={k: _plain(v) for k, v in context.items()},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Simulator:
    """Runs the authorizer's evaluation with every statement explained."""

    def __init__(self, *, authorizer: PolicyAuthorizer, region: str) -> None:
        self.authorizer = authorizer
        self.region = region

    def _subject(self, principal_arn: object) -> tuple[Principal, Subject]:
        if not isinstance(principal_arn, str) or not principal_arn.startswith("arn:"):
            raise Invalid(
                "principal_arn",
                got=principal_arn,
                expected="the ARN of an account root, a user, a role or a role session",
                operation="SimulatePrincipalPolicy",
            )
        loader = self.authorizer.loader
        root = _ROOT.fullmatch(principal_arn)
        if root is not None:
            account = AccountId(root.group(1))
            principal = Principal(
                arn=root_arn(account),
                principal_id=account,
                account_id=account,
                type=PrincipalType.ROOT,
                name="root",
            )
            return principal, loader.load(principal)
        session = _SESSION.fullmatch(principal_arn)
        with loader.db.read() as conn:
            if session is not None:
                row = conn.execute(
                    sa.select(principals).where(
                        principals.c.account_id == session.group(1),
                        principals.c.type == ROLE,
                        principals.c.name == session.group(2),
                    )
                ).first()
            else:
                row = conn.execute(
                    sa.select(principals).where(principals.c.arn == principal_arn)
                ).first()
            if row is None:
                raise NotFound(f"Principal '{principal_arn}' not found")
            if row.type == ROLE:
                name = session.group(3) if session is not None else "simulated"
                fake = _FakeSession(name)
                principal = session_principal(row, fake, None)
                subject = loader.role_subject(conn, row, session=None, caller_arn=principal.arn)
                subject.scps = loader._guardrails(conn, str(row.account_id))
                return principal, subject
        principal = Principal(
            arn=Arn(str(row.arn)),
            principal_id=str(row.principal_id),
            account_id=AccountId(str(row.account_id)),
            type=PrincipalType(row.type),
            name=str(row.name),
        )
        return principal, loader.load(principal)

    def simulate(
        self,
        principal_arn: str,
        action: str,
        resource: str,
        context: Mapping[str, Any] | None = None,
        *,
        time: datetime | None = None,
    ) -> Simulation:
        """The decision for ``principal_arn`` doing ``action`` on ``resource``.

        ``context`` sets condition keys (``aws:SourceIp``, ``kms:EncryptionContext:…`` …) on top of
        the defaults of a local SDK call; keys Bastion derives from the principal and the resource
        (``aws:PrincipalTag/…``, ``aws:ResourceTag/…``) cannot be overridden.
        """
        op = "SimulatePrincipalPolicy"
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise Invalid(
                "action", got=action, expected="an action like 'kms:Decrypt'", operation=op
            )
        if not isinstance(resource, str) or not resource:
            raise Invalid("resource", got=resource, expected="a resource ARN or '*'", operation=op)
        if context is not None and not isinstance(context, Mapping):
            raise Invalid(
                "context", got=context, expected="a mapping of condition keys", operation=op
            )
        principal, subject = self._subject(principal_arn)
        keys = RequestContext().condition_keys(self.region)
        keys.update(context or {})
        if subject.refused is not None:
            evaluation = Evaluation(
                decision="ImplicitDeny", deciding=(), reason=f"denied: {subject.refused}"
            )
        elif action.lower() in ORG_WRITE_ACTIONS:
            allowed = subject.manages_org
            evaluation = Evaluation(
                decision="Allow" if allowed else "ImplicitDeny",
                deciding=(),
                reason="allowed: the owner manages the organisation"
                if allowed
                else "denied: only the owner may change the organisation",
            )
        else:
            evaluation = self.authorizer.evaluate(
                subject, principal, action, resource, keys, explain=True, time=time
            )
        return _simulation(principal.arn, action, resource, evaluation, keys)

    def explain(self, trail: TrailReader, request_id: str) -> Explanation:
        """Find the call ``request_id`` in the trail and simulate it under today's policies."""
        if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
            raise Invalid(
                "request_id",
                got=request_id,
                expected="a request id from the audit trail (a UUID such as "
                "'1b4e28ba-2fa1-11d2-883f-0016d3cca427')",
                operation="ExplainRequest",
            )
        result = trail.query(
            f"SELECT record FROM events WHERE request_id = '{request_id}' ORDER BY seq LIMIT 1"
        )
        rows = getattr(result, "rows", ())
        if not rows:
            raise NotFound(f"No call with request id '{request_id}' is in the audit trail")
        record = rows[0][0]
        event: dict[str, Any] = json.loads(record) if isinstance(record, str) else dict(record)
        principal_arn = _recorded_principal(event)
        source = str(event.get("eventSource", "")).removesuffix(".amazonaws.com")
        action = f"{source}:{event.get('eventName', '')}"
        resources = event.get("resources") or [{}]
        resource = str(resources[0].get("ARN") or "*")
        context = _recorded_context(event)
        when = datetime.strptime(str(event["eventTime"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        simulation = self.simulate(principal_arn, action, resource, context, time=when)
        return Explanation(
            request_id=request_id,
            event_time=str(event.get("eventTime")),
            event_name=action,
            recorded_error_code=event.get("errorCode"),
            recorded_error_message=event.get("errorMessage"),
            simulation=simulation,
        )


@dataclass(frozen=True)
class _FakeSession:
    """Stands in for a session row when simulating a role without a session."""

    session_name: str
    session_id: str = "simulated"
    created_at: datetime = datetime(1970, 1, 1, tzinfo=UTC)
    expires_at: datetime = datetime(1970, 1, 1, tzinfo=UTC)
    source_arn: str = ""
    chained: bool = False


def _recorded_principal(event: Mapping[str, Any]) -> str:
    identity = event.get("userIdentity") or {}
    arn = identity.get("arn")
    if identity.get("type") == "Unknown" or not arn:
        raise Invalid(
            "request_id",
            got=event.get("requestID"),
            expected="a call made by an authenticated principal (this one failed authentication: "
            f"{event.get('errorMessage')})",
            operation="ExplainRequest",
        )
    return str(arn)


def _recorded_context(event: Mapping[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    source = event.get("sourceIPAddress")
    if isinstance(source, str) and not source.endswith(".amazonaws.com"):
        keys["aws:SourceIp"] = source
    if isinstance(event.get("userAgent"), str):
        keys["aws:UserAgent"] = event["userAgent"]
    params = event.get("requestParameters") or {}
    context = params.get("encryptionContext") if isinstance(params, Mapping) else None
    if isinstance(context, Mapping):
        for key, value in context.items():
            keys[f"kms:EncryptionContext:{key}"] = value
        keys["kms:EncryptionContextKeys"] = sorted(context)
    return keys


__all__ = [
    "Explanation",
    "PolicyVerdict",
    "Simulation",
    "Simulator",
    "StatementVerdict",
    "TrailReader",
]
