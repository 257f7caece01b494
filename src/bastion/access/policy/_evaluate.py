"""``evaluate``: AWS's policy evaluation logic over a :class:`PolicySet`.

The order is the one AWS documents ("Policy evaluation logic", "Cross-account policy evaluation
logic", "Permissions boundaries", "Key policies in AWS KMS"):

1. an explicit ``Deny`` in any applicable policy (identity, resource, boundary, session, SCP,
   RCP) decides ``ExplicitDeny``;
2. every SCP level (root, OUs, account) must have an ``Allow`` for the request, and so must
   every RCP level when RCPs are given;
3. same account: a resource policy that names the caller directly (user ARN, role-session ARN,
   ``*``, a service) allows on its own; one that names the role behind a session allows when the
   boundary and session policies do not deny implicitly; one that names the account delegates to
   the identity side. A KMS key policy (or a role trust policy) must allow in every case;
4. the identity side is identity policies ∩ permissions boundary ∩ session policies (the account
   root needs no identity policy in its own account);
5. cross-account: the resource policy and the identity side must both allow;
6. otherwise ``ImplicitDeny``.

Evaluation compiles each policy once (cached) and memoises, per action, which statements can
apply, so a decision only runs the resource, principal and condition tests of those few.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Literal

from bastion.access.policy._conditions import CompiledCondition, ContextScalar, as_text
from bastion.access.policy._document import Effect, Policy, PolicyKind, PrincipalSpec, Statement
from bastion.access.policy._match import (
    Matcher,
    arn_account,
    arn_partition,
    compile_globs,
    compiled_regex,
    glob_to_regex,
    split_arn,
)
from bastion.access.policy._variables import Template, parse_template
from bastion.errors import Invalid

CallerType = Literal["Account", "User", "AssumedRole", "FederatedUser", "Service", "Anonymous"]
"""``aws:PrincipalType`` values (``Account`` is the account root), plus ``Service``."""
PolicyRole = Literal["identity", "resource", "boundary", "session", "scp", "rcp"]
DecisionName = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
Strength = Literal["direct", "role", "account"]
ContextValue = ContextScalar | list[ContextScalar] | tuple[ContextScalar, ...]

_SESSIONS = ("AssumedRole", "FederatedUser")
_MAX_CACHED_ACTIONS = 4096
_CACHE_SIZE = 4096


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The authenticated principal making a request."""

    arn: str
    """User ARN, assumed-role session ARN (``arn:…:sts::<acct>:assumed-role/<role>/<session>``),
    account root ARN, federated-user ARN, or the service name for ``type="Service"``."""
    type: CallerType = "User"
    account: str | None = None
    """Defaults to the account field of ``arn``."""
    user_name: str | None = None
    """``aws:username`` (IAM users only on AWS)."""
    user_id: str | None = None
    """``aws:userid``."""
    parent_arn: str | None = None
    """The IAM role behind an ``AssumedRole`` session (its ``aws:PrincipalArn``), or the IAM
    user behind a ``FederatedUser`` session."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """``aws:PrincipalTag/<key>`` values (user or role tags plus session tags)."""
    federated_provider: str | None = None
    """The identity provider a session came from, matched by ``Principal: {"Federated": …}``."""

    @property
    def account_id(self) -> str | None:
        return self.account or arn_account(self.arn)

    @property
    def root_arn(self) -> str | None:
        account = self.account_id
        if account is None:
            return None
        return f"arn:{arn_partition(self.arn) or 'aws'}:iam::{account}:root"

    @property
    def principal_arn(self) -> str:
        """``aws:PrincipalArn``: the role ARN for a role session, else the caller's ARN."""
        if self.type == "AssumedRole" and self.parent_arn:
            return self.parent_arn
        return self.arn


@dataclass(frozen=True, kw_only=True)
class Request:
    """One authorization question: may ``caller`` run ``action`` on ``resource``?"""

    caller: Caller
    action: str
    resource: str
    """The resource ARN, or ``*`` for actions that act on no particular resource."""
    resource_account: str | None = None
    """Defaults to the account field of ``resource``, else the caller's account."""
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    """Condition keys (case-insensitive); a list or tuple is a multivalued key."""
    time: datetime | None = None
    """Fills ``aws:CurrentTime`` and ``aws:EpochTime`` when given."""

    @property
    def owner_account(self) -> str | None:
        return self.resource_account or arn_account(self.resource) or self.caller.account_id


@dataclass(frozen=True, kw_only=True)
class PolicySet:
    """Every policy that applies to one principal (and one resource), by role, each named.

    Build it once per principal and reuse it: compiled matchers and the per-action index live
    on the instance. ``scps`` and ``rcps`` hold one mapping per organisation level (root, each
    OU, the account); each level must allow. ``resource_policy_required`` says the resource
    policy must allow in every case (KMS key policies, role trust policies); left ``None`` it is
    true when the resource is a KMS key ARN and a resource policy is given.
    """

    identity: Mapping[str, Policy] = field(default_factory=dict)
    resource: Mapping[str, Policy] = field(default_factory=dict)
    boundary: Mapping[str, Policy] = field(default_factory=dict)
    session: Mapping[str, Policy] = field(default_factory=dict)
    scps: Sequence[Mapping[str, Policy]] = ()
    rcps: Sequence[Mapping[str, Policy]] = ()
    resource_policy_required: bool | None = None

    def __post_init__(self) -> None:
        groups: list[tuple[str, Mapping[str, Policy], PolicyKind]] = [
            ("identity", self.identity, "identity"),
            ("resource", self.resource, "resource"),
            ("boundary", self.boundary, "boundary"),
            ("session", self.session, "session"),
            *((f"scps[{i}]", level, "scp") for i, level in enumerate(self.scps)),
            *((f"rcps[{i}]", level, "rcp") for i, level in enumerate(self.rcps)),
        ]
        for where, policies, kind in groups:
            for name, policy in policies.items():
                if not isinstance(policy, Policy) or policy.kind != kind:
                    got = getattr(policy, "kind", type(policy).__name__)
                    raise Invalid(
                        f"{where}[{name!r}]",
                        got=got,
                        expected=f"a policy parsed with parse_policy(..., kind={kind!r})",
                    )

    @cached_property
    def _index(self) -> _Index:
        return _Index(self)


@dataclass(frozen=True, kw_only=True)
class StatementRef:
    """Which statement: its policy's role and name, Sid and position."""

    role: PolicyRole
    policy: str
    sid: str | None
    index: int
    effect: Effect
    level: int | None = None
    """The organisation level of an SCP or RCP (0 = root)."""

    def __str__(self) -> str:
        where = f"{self.role} policy {self.policy!r}"
        if self.level is not None:
            where = f"{self.role} level {self.level} policy {self.policy!r}"
        label = (
            f"statement {self.sid!r} (#{self.index})" if self.sid else f"statement #{self.index}"
        )
        return f"{where} {label}"


@dataclass(frozen=True, kw_only=True)
class StatementResult:
    """For the simulator: whether one statement applied to the request, and if not, why."""

    ref: StatementRef
    applies: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class PolicyReport:
    """For the simulator: every statement of one policy and how it fared."""

    role: PolicyRole
    policy: str
    level: int | None
    statements: tuple[StatementResult, ...]

    @property
    def applies(self) -> bool:
        return any(s.applies for s in self.statements)


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """The decision, the statements that decided it, and a one-line reason for the audit trail."""

    decision: DecisionName
    deciding: tuple[StatementRef, ...]
    reason: str
    policies: tuple[PolicyReport, ...] = ()
    """Per policy, why each statement did or did not apply (only with ``explain=True``)."""

    @property
    def allowed(self) -> bool:
        return self.decision == "Allow"


# -- request context ------------------------------------------------------------------------


class _Context:
    """Lower-cased condition keys of one request, principal keys derived from the caller."""

    __slots__ = ("_request", "_values")

    def __init__(self, request: Request) -> None:
        self._request = request
        self._values: dict[str, tuple[object, ...]] | None = None

    def _build(self) -> dict[str, tuple[object, ...]]:
        request = self._request
        values: dict[str, tuple[object, ...]] = {}
        for key, value in request.context.items():
            items = tuple(value) if isinstance(value, list | tuple) else (value,)
            if items:
                values[key.lower()] = items
        caller = request.caller
        derived: dict[str, object | None] = {
            "aws:principalarn": caller.principal_arn if caller.type != "Anonymous" else None,
            "aws:principalaccount": caller.account_id,
            "aws:principaltype": caller.type if caller.type != "Service" else None,
            "aws:username": caller.user_name,
            "aws:userid": caller.user_id,
            "aws:resourceaccount": request.owner_account,
        }
        for key in list(values):
            if key.startswith("aws:principaltag/"):
                del values[key]
        for tag, tag_value in caller.tags.items():
            derived[f"aws:principaltag/{tag.lower()}"] = tag_value
        if request.time is not None:
            derived["aws:currenttime"] = request.time
            derived["aws:epochtime"] = int(request.time.timestamp())
        for key, derived_value in derived.items():
            values.pop(key, None)
            if derived_value is not None:
                values[key] = (derived_value,)
        self._values = values
        return values

    def values(self, key: str) -> tuple[object, ...] | None:
        values = self._values if self._values is not None else self._build()
        return values.get(key)

    def resolve(self, key: str) -> str | None:
        found = self.values(key)
        if found is None or len(found) != 1:
            return None
        return as_text(found[0])


# -- compiled statements --------------------------------------------------------------------


class _Principals:
    """A compiled ``Principal``/``NotPrincipal`` element."""

    __slots__ = ("accounts", "any", "aws", "federated", "services")

    def __init__(self, spec: PrincipalSpec) -> None:
        self.any = spec.any or "*" in spec.aws
        self.aws = frozenset(v for v in spec.aws if not v.isdigit())
        self.accounts = frozenset(v for v in spec.aws if v.isdigit())
        self.services = frozenset(spec.service)
        self.federated = frozenset(spec.federated)

    def _names(self, arn: str | None) -> bool:
        return arn is not None and arn in self.aws

    def strength(self, caller: Caller) -> Strength | None:
        """How this element names the caller, strongest first; ``None`` when it does not."""
        if self.any:
            return "direct"
        if caller.type == "Service":
            return "direct" if caller.arn in self.services or "*" in self.services else None
        if caller.federated_provider and caller.federated_provider in self.federated:
            return "direct"
        if caller.type != "Account" and caller.arn in self.aws:
            return "direct"
        if caller.type in _SESSIONS and self._names(caller.parent_arn):
            return "role"
        if self._names(caller.root_arn) or caller.account_id in self.accounts:
            return "account"
        return None

    def lists_all_of(self, caller: Caller) -> tuple[bool, bool]:
        """(every identity of the caller's chain is listed, at least one is listed)."""
        if self.any:
            return True, True
        if caller.type == "Service":
            hit = caller.arn in self.services
            return hit, hit
        chain = [caller.arn, caller.parent_arn if caller.type in _SESSIONS else None]
        listed = [self._names(arn) for arn in chain if arn is not None]
        if caller.type != "Account":
            listed.append(self._names(caller.root_arn) or caller.account_id in self.accounts)
        else:
            listed = [self._names(caller.arn) or caller.account_id in self.accounts]
        return all(listed), any(listed)


class _Compiled:
    """One statement compiled: matchers for action, resource, principal and conditions."""

    __slots__ = (
        "action",
        "conditions",
        "deny",
        "principals",
        "resource",
        "resource_templates",
        "statement",
    )

    def __init__(self, statement: Statement, *, variables: bool) -> None:
        self.statement = statement
        self.deny = statement.effect == "Deny"
        self.action: Matcher = compile_globs(a.lower() for a in statement.actions)
        resources = statement.resources
        templates: tuple[Template, ...] = ()
        if resources is not None and variables:
            parsed = tuple(parse_template(r, variables=True) for r in resources)
            templates = tuple(t for t in parsed if t.has_variables)
            resources = tuple(t.raw for t in parsed if not t.has_variables)
        self.resource_templates = templates
        self.resource: Matcher | None = (
            None if resources is None or not resources else compile_globs(resources)
        )
        self.principals = _Principals(statement.principal) if statement.principal else None
        self.conditions = tuple(
            CompiledCondition(c, variables=variables) for c in statement.conditions
        )

    def matches_action(self, action: str) -> bool:
        return bool(self.action(action)) != self.statement.not_action

    def _resource_hit(self, resource: str, context: _Context) -> bool | None:
        hit = self.resource is not None and bool(self.resource(resource))
        if hit or not self.resource_templates:
            return hit
        expressions: list[str] = []
        for template in self.resource_templates:
            rendered = template.render(context.resolve, text=glob_to_regex, literal=re.escape)
            if rendered is None:
                return None
            expressions.append(rendered)
        regex = compiled_regex("|".join(f"(?:{e})" for e in expressions))
        return regex.fullmatch(resource) is not None

    def check(
        self, request: Request, context: _Context, bounded: bool, explain: bool
    ) -> tuple[str | None, Strength | None]:
        """(``None`` if the statement applies else why not, how its Principal named the caller)."""
        statement = self.statement
        if statement.resources is not None:
            hit = self._resource_hit(request.resource, context)
            if hit is None:
                return _why(explain, "a policy variable in Resource has no value"), None
            if hit == statement.not_resource:
                what = "resource excluded by NotResource" if hit else "resource not matched"
                return _why(explain, what), None
        strength: Strength | None = None
        if self.principals is not None:
            if statement.not_principal:
                applies = self._not_principal_applies(request.caller, bounded)
                strength = "direct" if applies else None
            else:
                strength = self.principals.strength(request.caller)
            if strength is None:
                word = "excluded by NotPrincipal" if statement.not_principal else "not matched"
                return _why(explain, f"principal {word}"), None
        for condition in self.conditions:
            result = condition.check(context)
            if result is not True:
                return _why(explain, _condition_miss(condition, context, result)), None
        return None, strength

    def _not_principal_applies(self, caller: Caller, bounded: bool) -> bool:
        assert self.principals is not None
        every, some = self.principals.lists_all_of(caller)
        if self.deny:
            # AWS: Deny with NotPrincipal always applies to a principal that has a boundary.
            return not every or (bounded and caller.type in ("User", "AssumedRole"))
        return not some


_MISS = "not applicable"


def _why(explain: bool, reason: str) -> str:
    return reason if explain else _MISS


def _condition_miss(condition: CompiledCondition, context: _Context, result: bool | None) -> str:
    spec = condition.condition
    if result is None:
        return f"condition {spec.operator} on {spec.key}: a policy variable has no value"
    state = "missing from the request" if context.values(condition.key) is None else "not matched"
    return f"condition {spec.operator} on {spec.key} failed (key {state})"


@lru_cache(maxsize=_CACHE_SIZE)
def _compile_policy(policy: Policy) -> tuple[_Compiled, ...]:
    return tuple(_Compiled(s, variables=policy.variables_enabled) for s in policy.statements)


# -- the index ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    ref: StatementRef
    compiled: _Compiled


@dataclass(slots=True)
class _Hits:
    """Statements that apply to one request, by role."""

    denies: list[_Entry] = field(default_factory=list)
    identity: list[_Entry] = field(default_factory=list)
    resource: list[tuple[_Entry, Strength]] = field(default_factory=list)
    boundary: list[_Entry] = field(default_factory=list)
    session: list[_Entry] = field(default_factory=list)
    scps: list[list[_Entry]] = field(default_factory=list)
    rcps: list[list[_Entry]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Statements whose Action/NotAction matches one action (the rest cannot apply)."""

    denies: tuple[_Entry, ...]
    identity: tuple[_Entry, ...]
    resource: tuple[_Entry, ...]
    boundary: tuple[_Entry, ...]
    session: tuple[_Entry, ...]
    scps: tuple[tuple[_Entry, ...], ...]
    rcps: tuple[tuple[_Entry, ...], ...]


def _entries(
    role: PolicyRole, policies: Mapping[str, Policy], level: int | None = None
) -> tuple[_Entry, ...]:
    out: list[_Entry] = []
    for name, policy in policies.items():
        for compiled in _compile_policy(policy):
            statement = compiled.statement
            ref = StatementRef(
                role=role,
                policy=name,
                sid=statement.sid,
                index=statement.index,
                effect=statement.effect,
                level=level,
            )
            out.append(_Entry(ref=ref, compiled=compiled))
    return tuple(out)


class _Index:
    """A policy set's statements, compiled, with the per-action candidate cache."""

    def __init__(self, policies: PolicySet) -> None:
        self.identity = _entries("identity", policies.identity)
        self.resource = _entries("resource", policies.resource)
        self.boundary = _entries("boundary", policies.boundary)
        self.session = _entries("session", policies.session)
        self.scps = tuple(_entries("scp", lvl, i) for i, lvl in enumerate(policies.scps))
        self.rcps = tuple(_entries("rcp", lvl, i) for i, lvl in enumerate(policies.rcps))
        self.all = (
            self.identity
            + self.resource
            + self.boundary
            + self.session
            + tuple(e for level in self.scps + self.rcps for e in level)
        )
        self._cache: dict[str, _Candidates] = {}

    def candidates(self, action: str) -> _Candidates:
        found = self._cache.get(action)
        if found is not None:
            return found
        if len(self._cache) >= _MAX_CACHED_ACTIONS:
            self._cache.clear()

        def pick(entries: tuple[_Entry, ...]) -> tuple[_Entry, ...]:
            return tuple(
                e for e in entries if not e.compiled.deny and e.compiled.matches_action(action)
            )

        found = _Candidates(
            denies=tuple(
                e for e in self.all if e.compiled.deny and e.compiled.matches_action(action)
            ),
            identity=pick(self.identity),
            resource=pick(self.resource),
            boundary=pick(self.boundary),
            session=pick(self.session),
            scps=tuple(pick(level) for level in self.scps),
            rcps=tuple(pick(level) for level in self.rcps),
        )
        self._cache[action] = found
        return found


# -- evaluation -----------------------------------------------------------------------------


def evaluate(policies: PolicySet, request: Request, *, explain: bool = False) -> Evaluation:
    """Decide ``request`` against ``policies`` as AWS does.

    With ``explain=True`` every statement of every policy is checked and the result lists, per
    policy, why each statement did or did not apply (the simulator's view); the decision is the
    same either way.
    """
    index = policies._index
    context = _Context(request)
    bounded = bool(policies.boundary)
    if explain:
        hits, reports = _explained_hits(index, request, context, bounded)
    else:
        hits, reports = _fast_hits(index, request, context, bounded), ()
    decision, deciding, reason = _decide(policies, request, hits)
    return Evaluation(decision=decision, deciding=deciding, reason=reason, policies=reports)


def _fast_hits(index: _Index, request: Request, context: _Context, bounded: bool) -> _Hits:
    found = index.candidates(request.action.lower())
    hits = _Hits()

    def keep(entries: tuple[_Entry, ...]) -> list[_Entry]:
        return [e for e in entries if e.compiled.check(request, context, bounded, False)[0] is None]

    hits.denies = keep(found.denies)
    if hits.denies:
        return hits
    hits.scps = [keep(level) for level in found.scps]
    hits.rcps = [keep(level) for level in found.rcps]
    hits.identity = keep(found.identity)
    hits.boundary = keep(found.boundary)
    hits.session = keep(found.session)
    for entry in found.resource:
        miss, strength = entry.compiled.check(request, context, bounded, False)
        if miss is None:
            hits.resource.append((entry, strength or "direct"))
    return hits


def _explained_hits(
    index: _Index, request: Request, context: _Context, bounded: bool
) -> tuple[_Hits, tuple[PolicyReport, ...]]:
    action = request.action.lower()
    hits = _Hits(scps=[[] for _ in index.scps], rcps=[[] for _ in index.rcps])
    results: dict[tuple[PolicyRole, str, int | None], list[StatementResult]] = {}
    for entry in index.all:
        compiled, ref = entry.compiled, entry.ref
        if not compiled.matches_action(action):
            excluded = compiled.statement.not_action
            miss: str | None = "action excluded by NotAction" if excluded else "action not matched"
            strength: Strength | None = None
        else:
            miss, strength = compiled.check(request, context, bounded, True)
        results.setdefault((ref.role, ref.policy, ref.level), []).append(
            StatementResult(ref=ref, applies=miss is None, reason=miss or "applies")
        )
        if miss is not None:
            continue
        if compiled.deny:
            hits.denies.append(entry)
        elif ref.role == "resource":
            hits.resource.append((entry, strength or "direct"))
        elif ref.role in ("scp", "rcp"):
            assert ref.level is not None
            (hits.scps if ref.role == "scp" else hits.rcps)[ref.level].append(entry)
        else:
            getattr(hits, ref.role).append(entry)
    reports = tuple(
        PolicyReport(role=role, policy=name, level=level, statements=tuple(statements))
        for (role, name, level), statements in results.items()
    )
    return hits, reports


_Outcome = tuple[DecisionName, tuple[StatementRef, ...], str]


def _implicit(reason: str) -> _Outcome:
    return "ImplicitDeny", (), f"implicit deny: {reason}"


def _decide(policies: PolicySet, request: Request, hits: _Hits) -> _Outcome:
    asked = f"{request.action} on {request.resource}"
    if hits.denies:
        refs = tuple(e.ref for e in hits.denies)
        return "ExplicitDeny", refs, f"explicit deny in {refs[0]}"
    for kind, levels in (("service control", hits.scps), ("resource control", hits.rcps)):
        for level, entries in enumerate(levels):
            if not entries:
                return _implicit(f"no {kind} policy at organisation level {level} allows {asked}")
    guardrails = [e.ref for level in hits.scps + hits.rcps for e in level]
    caller = request.caller
    is_root = caller.type == "Account"
    boundary_ok = is_root or not policies.boundary or bool(hits.boundary)
    # A federated-user session (GetFederationToken) has only what its session policy allows.
    needs_session = caller.type == "FederatedUser"
    session_ok = is_root or bool(hits.session) or (not policies.session and not needs_session)
    identity_ok = (is_root or bool(hits.identity)) and boundary_ok and session_ok
    limits = [e.ref for e in hits.boundary + hits.session]
    identity = [e.ref for e in hits.identity]
    granted = [e.ref for e, _ in hits.resource]
    direct = [e.ref for e, s in hits.resource if s == "direct"]
    via_role = [e.ref for e, s in hits.resource if s == "role"]

    def allow(refs: list[StatementRef], why: str) -> _Outcome:
        return "Allow", tuple(refs + limits + guardrails), why

    if _resource_policy_required(policies, request.resource) and not granted:
        names = ", ".join(repr(n) for n in policies.resource) or "(none given)"
        return _implicit(f"the resource policy {names} must allow {asked} and does not")
    if caller.type in ("Service", "Anonymous"):
        if not granted:
            return _implicit(f"no resource policy allows {caller.arn} to run {asked}")
        return "Allow", tuple(granted + guardrails), f"allowed by {granted[0]}"
    if caller.account_id is None or caller.account_id != request.owner_account:
        if not granted:
            return _implicit(
                f"cross-account request from account {caller.account_id}: no resource policy"
                f" of account {request.owner_account} allows {asked}"
            )
        if not identity_ok:
            gap = _identity_gap(hits, boundary_ok, asked)
            return _implicit(f"cross-account request: the resource policy allows, but {gap}")
        return allow(granted + identity, f"allowed by {granted[0]} and the caller's policies")
    if direct:
        return "Allow", tuple(direct + guardrails), f"allowed by {direct[0]}"
    if via_role and boundary_ok and session_ok:
        return allow(via_role, f"allowed by {via_role[0]}")
    if identity_ok:
        if not identity:
            return allow(granted, "allowed: the account root acts in its own account")
        return allow(identity + granted, f"allowed by {identity[0]}")
    return _implicit(_identity_gap(hits, boundary_ok, asked))


def _identity_gap(hits: _Hits, boundary_ok: bool, asked: str) -> str:
    if not hits.identity:
        return f"no identity-based policy allows {asked}"
    if not boundary_ok:
        return f"the permissions boundary does not allow {asked}"
    return f"no session policy allows {asked}"


def _resource_policy_required(policies: PolicySet, resource: str) -> bool:
    if policies.resource_policy_required is not None:
        return policies.resource_policy_required
    parts = split_arn(resource)
    is_key = parts is not None and parts[2] == "kms" and parts[5].startswith("key/")
    return bool(policies.resource) and is_key


__all__ = [
    "Caller",
    "CallerType",
    "ContextValue",
    "DecisionName",
    "Evaluation",
    "PolicyReport",
    "PolicyRole",
    "PolicySet",
    "Request",
    "StatementRef",
    "StatementResult",
    "evaluate",
]
