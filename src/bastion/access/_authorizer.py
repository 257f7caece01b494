"""The policy authorizer: IAM's evaluation over the principal's policies, on every gate call.

For each call it gathers (compiled and cached per principal):

* identity policies — a user's inline and attached policies and those of its groups, or a role's
  for a role session;
* the permissions boundary of the user or role, and the session policy of a role session;
* the guardrails of every organisation level above the principal's account;
* the resource-based policy and tags of the target, from the provider its room registered
  (``kms`` → the key policy; ``iam`` role ARNs → the trust policy, for ``sts:`` actions);

builds the request context (``aws:PrincipalArn``, ``aws:SourceIp``, ``aws:ResourceTag/…`` …) and
calls :func:`bastion.access.policy.evaluate`. Caches are dropped when IAM data changes in this
process at once, and within a second when another process changes it (``iam_state``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bastion.access._changes import REFRESH_SECONDS, ChangeLog
from bastion.access._decide import Decision, ResourceInfo, ResourceProviders
from bastion.access._iam import ROLE, USER, aware, parsed
from bastion.access._models import Principal, PrincipalType, root_arn
from bastion.access._org import OrgService
from bastion.access._tables import (
    accounts,
    iam_attachments,
    iam_group_members,
    iam_inline_policies,
    iam_policies,
    iam_policy_versions,
    iam_state,
    iam_tags,
    principals,
    sts_sessions,
)
from bastion.access.policy import (
    Caller,
    Evaluation,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    evaluate,
)
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Invalid

log = logging.getLogger(__name__)

_MAX_SUBJECTS = 4096
_MAX_SETS_PER_SUBJECT = 256
_PROTECTED_PREFIXES = (
    "aws:resourcetag/",
    "aws:principaltag/",
    "aws:principalorgid",
    "aws:multifactorauth",
    "aws:tokenissuetime",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
    "aws:userid",
    "aws:username",
    "aws:currenttime",
    "aws:epochtime",
    "s3:existingobjecttag/",
)
"""Keys only the authorizer fills: a room's ``extra`` cannot set them."""
_CONNECTION_KEYS = frozenset(
    (
        "aws:SourceIp",
        "aws:SecureTransport",
        "aws:UserAgent",
        "aws:RequestedRegion",
        "aws:CalledVia",
        "aws:ViaAWSService",
        "kms:ViaService",
    )
)
"""Keys the gate fills from the request context (none is protected): skipped by the filter."""

ORG_WRITE_ACTIONS = frozenset(
    a.lower()
    for a in (
        "organizations:CreateAccount",
        "organizations:MoveAccount",
        "organizations:CreateOrganizationalUnit",
        "organizations:DeleteOrganizationalUnit",
        "organizations:CreatePolicy",
        "organizations:UpdatePolicy",
        "organizations:DeletePolicy",
        "organizations:AttachPolicy",
        "organizations:DetachPolicy",
    )
)


@dataclass(kw_only=True)
class Subject:
    """One principal's policies, compiled, and what else its requests carry."""

    caller: Caller
    identity: dict[str, Policy] = field(default_factory=dict)
    boundary: dict[str, Policy] = field(default_factory=dict)
    session: dict[str, Policy] = field(default_factory=dict)
    scps: tuple[dict[str, Policy], ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    refused: str | None = None
    """Why every request of this principal is refused (it no longer exists …)."""
    manages_org: bool = False
    sets: dict[object, PolicySet] = field(default_factory=dict)

    def policy_set(self, resource: Mapping[str, Policy], required: bool | None) -> PolicySet:
        key: object = (tuple((n, p.text) for n, p in resource.items()), required)
        found = self.sets.get(key)
        if found is None:
            if len(self.sets) >= _MAX_SETS_PER_SUBJECT:
                self.sets.clear()
            found = self.sets[key] = PolicySet(
                identity=self.identity,
                resource=resource,
                boundary=self.boundary,
                session=self.session,
                scps=self.scps,
                resource_policy_required=required,
            )
        return found


def _policy(text: str, kind: PolicyKind) -> Policy | None:
    try:
        return parsed(text, kind)
    except Invalid:
        return None


class SubjectLoader:
    """Reads a principal's identities and policies from the database."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._org = OrgService(db=db, clock=clock, changes=ChangeLog())

    def load(self, principal: Principal) -> Subject:
        with self.db.read() as conn:
            return self._load(conn, principal)

    def _load(self, conn: Connection, principal: Principal) -> Subject:
        account = str(principal.account_id)
        if principal.type is PrincipalType.ROOT:
            caller = Caller(arn=root_arn(account), type="Account", account=account)
            if principal.arn != root_arn(account) or not self._account_exists(conn, account):
                return Subject(caller=caller, refused=f"account {account} does not exist")
            subject = Subject(caller=caller, manages_org=self._is_management(conn, account))
        elif principal.type is PrincipalType.IAM_USER:
            subject = self._user(conn, principal)
        elif principal.type is PrincipalType.ASSUMED_ROLE and principal.session is not None:
            subject = self._session(conn, principal)
        else:
            caller = Caller(arn=principal.arn or "unknown", type="Anonymous", account=account)
            return Subject(caller=caller, refused="the caller is not authenticated")
        if subject.refused is None:
            subject.scps = self._guardrails(conn, account)
            org = self._org.organization_id(conn)
            if org is not None:
                subject.context["aws:PrincipalOrgID"] = org
        return subject

    def _account_exists(self, conn: Connection, account: str) -> bool:
        row = conn.execute(
            sa.select(accounts.c.account_id).where(accounts.c.account_id == account)
        ).first()
        return row is not None

    def _is_management(self, conn: Connection, account: str) -> bool:
        row = conn.execute(
            sa.select(accounts.c.management).where(accounts.c.account_id == account)
        ).first()
        return bool(row is not None and row.management)

    def _row(self, conn: Connection, arn: str, type_: str) -> Any:
        return conn.execute(
            sa.select(principals).where(principals.c.arn == arn, principals.c.type == type_)
        ).first()

    def _tags(self, conn: Connection, arn: str) -> dict[str, str]:
        rows = conn.execute(
            sa.select(iam_tags.c.tag_key, iam_tags.c.tag_value).where(iam_tags.c.entity_arn == arn)
        ).all()
        return {r.tag_key: r.tag_value for r in rows}

    def _user(self, conn: Connection, principal: Principal) -> Subject:
        row = self._row(conn, principal.arn, USER)
        if row is None:
            caller = Caller(arn=principal.arn, type="User", account=principal.account_id)
            return Subject(caller=caller, refused=f"user {principal.arn} no longer exists")
        caller = Caller(
            arn=principal.arn,
            type="User",
            account=str(row.account_id),
            user_name=str(row.name),
            user_id=str(row.principal_id),
            tags=self._tags(conn, principal.arn),
        )
        groups = [
            str(r.group_arn)
            for r in conn.execute(
                sa.select(iam_group_members.c.group_arn).where(
                    iam_group_members.c.user_arn == principal.arn
                )
            ).all()
        ]
        subject = Subject(caller=caller)
        self._identity(conn, subject, [principal.arn, *groups])
        self._boundary(conn, subject, row.boundary_arn)
        return subject

    def _session(self, conn: Connection, principal: Principal) -> Subject:
        assert principal.session is not None
        info = principal.session
        session = conn.execute(
            sa.select(sts_sessions).where(sts_sessions.c.session_id == info.session_id)
        ).first()
        caller = Caller(
            arn=principal.arn,
            type="AssumedRole",
            account=principal.account_id,
            parent_arn=info.role_arn,
            user_id=principal.principal_id,
        )
        row = self._row(conn, info.role_arn, ROLE)
        if session is None or row is None or session.role_arn != info.role_arn:
            return Subject(caller=caller, refused=f"the role session {principal.arn} is not valid")
        return self.role_subject(conn, row, session=session, caller_arn=principal.arn)

    def role_subject(
        self, conn: Connection, row: Any, *, session: Any | None, caller_arn: str
    ) -> Subject:
        """A role's subject; with ``session`` its session policy, tags and expiry too."""
        role_arn = str(row.arn)
        tags = self._tags(conn, role_arn)
        session_name = (
            str(session.session_name) if session is not None else caller_arn.rsplit("/", 1)[-1]
        )
        if session is not None:
            session_tags = json.loads(session.tags)
            lowered = {k.lower() for k in session_tags}
            tags = {k: v for k, v in tags.items() if k.lower() not in lowered} | session_tags
        caller = Caller(
            arn=caller_arn,
            type="AssumedRole",
            account=str(row.account_id),
            parent_arn=role_arn,
            user_id=f"{row.principal_id}:{session_name}",
            tags=tags,
        )
        subject = Subject(caller=caller)
        self._identity(conn, subject, [role_arn])
        self._boundary(conn, subject, row.boundary_arn)
        if session is not None:
            subject.expires_at = aware(session.expires_at)
            subject.context["aws:MultiFactorAuthPresent"] = False
            subject.context["aws:TokenIssueTime"] = aware(session.created_at)
            if session.policy:
                policy = _policy(str(session.policy), "session")
                if policy is None:
                    subject.refused = "the session policy is not valid"
                else:
                    subject.session = {"session policy": policy}
        return subject

    def _identity(self, conn: Connection, subject: Subject, entities: list[str]) -> None:
        inline = conn.execute(
            sa.select(iam_inline_policies).where(iam_inline_policies.c.entity_arn.in_(entities))
        ).all()
        for r in inline:
            kind, _, rest = str(r.entity_arn).split(":", 5)[5].partition("/")
            name = f"{kind}/{rest.rsplit('/', 1)[-1]}/{r.name}"
            policy = _policy(str(r.document), "identity")
            if policy is not None:
                subject.identity[name] = policy
        managed = conn.execute(
            sa.select(iam_policies.c.name, iam_policy_versions.c.document)
            .join(iam_attachments, iam_attachments.c.policy_arn == iam_policies.c.arn)
            .join(
                iam_policy_versions,
                sa.and_(
                    iam_policy_versions.c.policy_arn == iam_policies.c.arn,
                    iam_policy_versions.c.version == iam_policies.c.default_version,
                ),
            )
            .where(iam_attachments.c.entity_arn.in_(entities))
        ).all()
        for r in managed:
            policy = _policy(str(r.document), "identity")
            if policy is not None:
                subject.identity[str(r.name)] = policy

    def _boundary(self, conn: Connection, subject: Subject, boundary_arn: object) -> None:
        if not boundary_arn:
            return
        row = conn.execute(
            sa.select(iam_policies.c.name, iam_policy_versions.c.document)
            .join(
                iam_policy_versions,
                sa.and_(
                    iam_policy_versions.c.policy_arn == iam_policies.c.arn,
                    iam_policy_versions.c.version == iam_policies.c.default_version,
                ),
            )
            .where(iam_policies.c.arn == boundary_arn)
        ).first()
        policy = _policy(str(row.document), "boundary") if row is not None else None
        if row is None or policy is None:
            subject.refused = f"the permissions boundary {boundary_arn} is missing or invalid"
            return
        subject.boundary = {str(row.name): policy}

    def _guardrails(self, conn: Connection, account: str) -> tuple[dict[str, Policy], ...]:
        levels: list[dict[str, Policy]] = []
        for _target, attached in self._org.levels(conn, account):
            level: dict[str, Policy] = {}
            for name, document in attached:
                policy = _policy(document, "scp")
                if policy is not None:
                    level[name] = policy
            levels.append(level)
        return tuple(levels)


class PolicyAuthorizer:
    """The real authorizer (see the module docstring)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        resources: ResourceProviders,
        changes: ChangeLog,
    ) -> None:
        self.db = db
        self.clock = clock
        self.resources = resources
        self.changes = changes
        self.loader = SubjectLoader(db=db, clock=clock)
        self._subjects: dict[tuple[str, str | None], Subject] = {}
        self._accounts: frozenset[str] | None = None
        self._local = -1
        self._db_generation = -1
        self._checked = 0.0
        self._lock = threading.Lock()

    # -- caching ----------------------------------------------------------------------------

    def _refresh(self) -> int:
        """Drop cached subjects that may be stale; returns the generation now current."""
        local = self.changes.iam
        now = time.monotonic()
        if local != self._local:
            self._subjects.clear()
            self._accounts = None
            self._local = local
        if now - self._checked >= REFRESH_SECONDS:
            with self.db.read() as conn:
                generation = conn.execute(
                    sa.select(iam_state.c.generation).where(iam_state.c.id == 1)
                ).scalar_one()
            if generation != self._db_generation:
                self._subjects.clear()
                self._accounts = None
                self._db_generation = int(generation)
            self._checked = now
        return local

    def subject(self, principal: Principal) -> Subject:
        """The principal's compiled policies (cached until IAM data changes)."""
        local = self._refresh()
        session = principal.session.session_id if principal.session is not None else None
        key = (principal.arn, session)
        found = self._subjects.get(key)
        if found is None:
            found = self.loader.load(principal)
            if self.changes.iam == local:
                with self._lock:
                    if len(self._subjects) >= _MAX_SUBJECTS:
                        self._subjects.clear()
                    self._subjects[key] = found
        return found

    def accounts(self) -> frozenset[str]:
        """The ids of the installation's accounts (cached like the subjects)."""
        found = self._accounts
        if found is None:
            with self.db.read() as conn:
                rows = conn.execute(sa.select(accounts.c.account_id)).all()
            found = self._accounts = frozenset(str(r.account_id) for r in rows)
        return found

    # -- deciding ---------------------------------------------------------------------------

    def decide(
        self, principal: Principal, action: str, resource: str, context: Mapping[str, Any]
    ) -> Decision:
        """Allow or deny one gate call; the reason names the deciding statement."""
        if principal.type is PrincipalType.UNKNOWN:
            return _refused("the caller is not authenticated")
        subject = self.subject(principal)
        if subject.refused is not None:
            return _refused(subject.refused)
        if subject.expires_at is not None and self.clock.now() >= subject.expires_at:
            return _refused(f"the session expired at {subject.expires_at:%Y-%m-%dT%H:%M:%SZ}")
        if action.lower() == "sts:getcalleridentity":
            return Decision(allowed=True, reason="allowed: anyone may ask who they are (as on AWS)")
        if action.lower() in ORG_WRITE_ACTIONS:
            if subject.manages_org:
                return Decision(allowed=True, reason="allowed: the owner manages the organisation")
            return _refused(
                "only the owner (the management account's root) may change the organisation, its "
                "accounts and guardrails"
            )
        evaluation = self.evaluate(subject, principal, action, resource, context)
        return Decision(
            allowed=evaluation.allowed,
            reason=evaluation.reason,
            summary=_summary(evaluation, action),
        )

    def evaluate(
        self,
        subject: Subject,
        principal: Principal,
        action: str,
        resource: str,
        context: Mapping[str, Any],
        *,
        explain: bool = False,
        time: datetime | None = None,
    ) -> Evaluation:
        """Run the policy evaluation for one request of ``subject`` (at ``time``, default now)."""
        info = self.resources.lookup(resource)
        keys: dict[str, Any] = {
            k: v
            for k, v in context.items()
            if k in _CONNECTION_KEYS or not k.lower().startswith(_PROTECTED_PREFIXES)
        }
        keys.update(subject.context)
        resource_policies: dict[str, Policy] = {}
        required: bool | None = None
        if info is not None:
            for tag, value in info.tags.items():
                keys[f"aws:ResourceTag/{tag}"] = value
            keys.update(info.context)
            if info.policy_applies(action):
                policy = _policy(info.policy or "", "resource")
                if policy is None:
                    return _broken_resource_policy(subject, info, resource)
                resource_policies[info.policy_name] = policy
                required = True if info.policy_required else None
        policies = subject.policy_set(resource_policies, required)
        owner = _arn_account(resource)
        request = Request(
            caller=subject.caller,
            action=action,
            resource=resource,
            # an ARN of an account this installation does not have names nothing: decide it in
            # the caller's account (the room then answers NotFound)
            resource_account=None
            if owner is None or owner in self.accounts()
            else subject.caller.account_id,
            context=keys,
            time=time or self.clock.now(),
        )
        return evaluate(policies, request, explain=explain)


def _refused(why: str) -> Decision:
    return Decision(allowed=False, reason=f"denied: {why}", summary=f"because {why}")


_KINDS = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "a guardrail (service control policy)",
    "rcp": "a resource control policy",
}


def _summary(evaluation: Evaluation, action: str) -> str:
    """AWS's wording: the kind of policy that decided, never its name."""
    if evaluation.allowed:
        return ""
    if evaluation.decision == "ExplicitDeny" and evaluation.deciding:
        return f"with an explicit deny in {_KINDS[evaluation.deciding[0].role]}"
    reason = evaluation.reason.removeprefix("implicit deny: ")
    if reason.startswith("no service control policy"):
        return f"because no guardrail (service control policy) allows the {action} action"
    if "resource policy" in reason:
        return f"because no resource-based policy allows the {action} action"
    if "permissions boundary" in reason:
        return f"because no permissions boundary allows the {action} action"
    if "session policy" in reason:
        return f"because no session policy allows the {action} action"
    return f"because no identity-based policy allows the {action} action"


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[4]:
        return None
    return parts[4]


def _broken_resource_policy(subject: Subject, info: ResourceInfo, resource: str) -> Evaluation:
    """A stored resource policy that does not parse allows nobody but the owning account's root
    (so the root can repair it)."""
    owner = _arn_account(resource)
    caller = subject.caller
    if caller.type == "Account" and (not owner or owner == caller.account_id):
        return Evaluation(
            decision="Allow",
            deciding=(),
            reason=f"allowed: the account root may repair the invalid {info.policy_name} of "
            f"{resource}",
        )
    return Evaluation(
        decision="ImplicitDeny",
        deciding=(),
        reason=f"implicit deny: the {info.policy_name} of {resource} is not a valid policy",
    )


__all__ = ["ORG_WRITE_ACTIONS", "PolicyAuthorizer", "Subject", "SubjectLoader"]
