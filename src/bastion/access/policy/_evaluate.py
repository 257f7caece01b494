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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Literal

from bastion.access.policy._conditions import CompiledCondition, ContextScalar, as_text
from bastion.access.policy._document import Effect, Policy, PolicyKind, PrincipalSpec, Statement
from bastion.access.policy._match import (
    ArnRegex,
    Matcher,
    arn_account,
    arn_partition,
    compile_globs,
    compiled_regex,
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
_PLAIN = ("User", "AssumedRole")
_MAX_CACHED_ACTIONS = 4096
_MAX_CACHED_PAIRS = 65536
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

    @cached_property
    def account_id(self) -> str | None:
        return self.account or arn_account(self.arn)

    @cached_property
    def root_arn(self) -> str | None:
        account = self.account_id
        if account is None:
            return None
        return f"arn:{arn_partition(self.arn) or 'aws'}:iam::{account}:root"

    @cached_property
    def principal_arn(self) -> str:
        """``aws:PrincipalArn``: the role ARN for a role session, else the caller's ARN."""
        if self.type == "AssumedRole" and self.parent_arn:
            return self.parent_arn
        return self.arn

    @cached_property
    def _tags(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.tags.items()}

    def tag(self, key: str) -> str | None:
        """The value of tag ``key`` (lower-cased), for ``aws:PrincipalTag/<key>``."""
        return self._tags.get(key)


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
        return self._text

    @cached_property
    def _text(self) -> str:
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


def _epoch(context: _Context) -> object | None:
    time = context.request.time
    return None if time is None else int(time.timestamp())


_DERIVED: dict[str, Callable[[_Context], object | None]] = {
    "aws:principalarn": lambda c: None if c.caller.type == "Anonymous" else c.caller.principal_arn,
    "aws:principalaccount": lambda c: c.caller.account_id,
    "aws:principaltype": lambda c: None if c.caller.type == "Service" else c.caller.type,
    "aws:username": lambda c: c.caller.user_name,
    "aws:userid": lambda c: c.caller.user_id,
    "aws:resourceaccount": lambda c: c.owner,
    "aws:currenttime": lambda c: c.request.time,
    "aws:epochtime": _epoch,
}
"""Keys Bastion fills from the authenticated caller and the request; the caller cannot set them."""
_PRINCIPAL_TAG = "aws:principaltag/"


class _Context:
    """One request as the matchers read it: lower-cased keys, derived keys, its owner account."""

    __slots__ = ("_lowered", "caller", "owner", "request")
    request: Request
    caller: Caller
    owner: str | None

    def __init__(self, request: Request) -> None:
        self.request = request
        self.caller = request.caller
        self.owner = request.owner_account
        self._lowered: dict[str, object] | None = None

    def values(self, key: str) -> tuple[object, ...] | None:
        derive = _DERIVED.get(key)
        if derive is not None:
            value = derive(self)
            return None if value is None else (value,)
        if key.startswith(_PRINCIPAL_TAG):
            tag = self.caller.tag(key[len(_PRINCIPAL_TAG) :])
            return None if tag is None else (tag,)
        lowered = self._lowered
        if lowered is None:
            lowered = self._lowered = {k.lower(): v for k, v in self.request.context.items()}
        value = lowered.get(key)
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return tuple(value) or None
        return (value,)

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
            None if resources is None or not resources else compile_globs(resources, arn=True)
        )
        self.principals = _Principals(statement.principal) if statement.principal else None
        self.conditions = tuple(
            CompiledCondition(c, variables=variables) for c in statement.conditions
        )

    def matches_action(self, action: str) -> bool:
        return bool(self.action(action)) != self.statement.not_action

    def static_resource(self, resource: str) -> bool | None:
        """Whether Resource/NotResource lets the statement apply to ``resource``: ``None`` when
        that depends on policy variables, i.e. on the request."""
        statement = self.statement
        if statement.resources is None:
            return True
        hit = self.resource is not None and bool(self.resource(resource))
        if not hit and self.resource_templates:
            return None
        return hit != statement.not_resource

    def _variable_resource_miss(self, resource: str, context: _Context) -> str | None:
        expressions: list[str] = []
        for template in self.resource_templates:
            rendered = template.render(context.resolve, text=ArnRegex().text, literal=re.escape)
            if rendered is None:
                return "a policy variable in Resource has no value in the request"
            expressions.append(rendered)
        regex = compiled_regex("|".join(f"(?:{e})" for e in expressions))
        hit = regex.fullmatch(resource) is not None
        return None if hit != self.statement.not_resource else _resource_miss(hit)

    def check(
        self, context: _Context, bounded: bool, resource_state: bool | None, explain: bool
    ) -> str | None:
        """``None`` when the statement applies, else why not (a constant unless ``explain``).

        ``resource_state`` is :meth:`static_resource` for the request's resource.
        """
        statement = self.statement
        if resource_state is None:
            miss = self._variable_resource_miss(context.request.resource, context)
            if miss is not None:
                return miss if explain else _MISS
        elif not resource_state:
            hit = statement.not_resource
            return _resource_miss(hit) if explain else _MISS
        if self.principals is not None and self.strength(context.caller, bounded) is None:
            if not explain:
                return _MISS
            word = "excluded by NotPrincipal" if statement.not_principal else "not matched"
            return f"principal {word}"
        for condition in self.conditions:
            result = condition.check(context)
            if result is not True:
                return _condition_miss(condition, context, result) if explain else _MISS
        return None

    def strength(self, caller: Caller, bounded: bool) -> Strength | None:
        """How the Principal/NotPrincipal element names ``caller`` (``None``: it does not)."""
        assert self.principals is not None
        if self.statement.not_principal:
            return "direct" if self._not_principal_applies(caller, bounded) else None
        return self.principals.strength(caller)

    def _not_principal_applies(self, caller: Caller, bounded: bool) -> bool:
        assert self.principals is not None
        every, some = self.principals.lists_all_of(caller)
        if self.deny:
            # AWS: Deny with NotPrincipal always applies to a principal that has a boundary.
            return not every or (bounded and caller.type in ("User", "AssumedRole"))
        return not some


_MISS = "not applicable"


def _resource_miss(hit: bool) -> str:
    return "resource excluded by NotResource" if hit else "resource not matched"


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


_Pair = tuple[_Entry, "bool | None"]
"""A candidate statement and its :meth:`_Compiled.static_resource` state (True or None)."""


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
    """Statements that can apply to one action (and, narrowed, to one resource)."""

    denies: tuple[_Pair, ...]
    identity: tuple[_Pair, ...]
    resource: tuple[_Pair, ...]
    boundary: tuple[_Pair, ...]
    session: tuple[_Pair, ...]
    scps: tuple[tuple[_Pair, ...], ...]
    rcps: tuple[tuple[_Pair, ...], ...]
    static: bool = False
    """True when no identity or deny candidate has a condition or a policy variable: the
    identity-only decision then depends on the action and resource alone."""

    def narrowed(self, resource: str) -> _Candidates:
        def keep(pairs: tuple[_Pair, ...]) -> tuple[_Pair, ...]:
            out: list[_Pair] = []
            for entry, _ in pairs:
                state = entry.compiled.static_resource(resource)
                if state is not False:
                    out.append((entry, state))
            return tuple(out)

        denies, identity = keep(self.denies), keep(self.identity)
        return _Candidates(
            denies=denies,
            identity=identity,
            resource=keep(self.resource),
            boundary=keep(self.boundary),
            session=keep(self.session),
            scps=tuple(keep(level) for level in self.scps),
            rcps=tuple(keep(level) for level in self.rcps),
            static=all(
                state is True and not entry.compiled.conditions
                for entry, state in denies + identity
            ),
        )


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
    """A policy set's statements, compiled, with candidate caches per action and per
    (action, resource): a decision only runs the principal and condition tests of statements
    whose Action and (variable-free) Resource already match."""

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
        self.identity_only = not (
            self.resource
            or self.boundary
            or self.session
            or self.scps
            or self.rcps
            or policies.resource_policy_required
        )
        self.bounded = bool(self.boundary)
        self.has_session = bool(self.session)
        self.key_policy = policies.resource_policy_required
        self.resource_names = tuple(policies.resource)
        self._by_action: dict[str, _Candidates] = {}
        self._by_pair: dict[tuple[str, str], _Candidates] = {}
        self.static_results: dict[tuple[str, str], Evaluation] = {}

    def _for_action(self, action: str) -> _Candidates:
        found = self._by_action.get(action)
        if found is not None:
            return found
        if len(self._by_action) >= _MAX_CACHED_ACTIONS:
            self._by_action.clear()

        def pick(entries: tuple[_Entry, ...], deny: bool = False) -> tuple[_Pair, ...]:
            return tuple(
                (e, True)
                for e in entries
                if e.compiled.deny == deny and e.compiled.matches_action(action)
            )

        found = _Candidates(
            denies=pick(self.all, deny=True),
            identity=pick(self.identity),
            resource=pick(self.resource),
            boundary=pick(self.boundary),
            session=pick(self.session),
            scps=tuple(pick(level) for level in self.scps),
            rcps=tuple(pick(level) for level in self.rcps),
        )
        self._by_action[action] = found
        return found

    def candidates(self, key: tuple[str, str]) -> _Candidates:
        """Candidates for ``(lower-cased action, resource)``."""
        found = self._by_pair.get(key)
        if found is None:
            if len(self._by_pair) >= _MAX_CACHED_PAIRS:
                self._by_pair.clear()
                self.static_results.clear()
            found = self._by_pair[key] = self._for_action(key[0]).narrowed(key[1])
        return found


# -- evaluation -----------------------------------------------------------------------------


def evaluate(policies: PolicySet, request: Request, *, explain: bool = False) -> Evaluation:
    """Decide ``request`` against ``policies`` as AWS does.

    With ``explain=True`` every statement of every policy is checked and the result lists, per
    policy, why each statement did or did not apply (the simulator's view); the decision is the
    same either way.
    """
    index = policies._index
    if index.identity_only and not explain:
        quick = _identity_only(index, request)
        if quick is not None:
            return quick
    context = _Context(request)
    if explain:
        hits, reports = _explained_hits(index, context)
    else:
        hits, reports = _fast_hits(index, context), ()
    decision, deciding, reason = _decide(index, context, hits)
    return Evaluation(decision=decision, deciding=deciding, reason=reason, policies=reports)


def _identity_only(index: _Index, request: Request) -> Evaluation | None:
    """The common case, kept short: only identity policies, an IAM user or role session acting
    in its own account. ``None`` sends anything else to the full evaluation."""
    caller = request.caller
    key = (request.action.lower(), request.resource)
    found = index.candidates(key)
    account = caller.account_id
    plain = caller.type in _PLAIN and account is not None and account == request.owner_account
    if found.static:
        cached = index.static_results.get(key)
        if cached is not None:
            return cached if plain or cached.decision == "ExplicitDeny" else None
    context = _Context(request)
    result: Evaluation | None = None
    denies = _keep(found.denies, context, False) if found.denies else None
    if denies:
        refs = tuple(e.ref for e in denies)
        result = Evaluation(
            decision="ExplicitDeny", deciding=refs, reason=f"explicit deny in {refs[0]}"
        )
    elif not plain:
        return None
    else:
        allows = _keep(found.identity, context, False)
        if allows:
            refs = tuple(e.ref for e in allows)
            result = Evaluation(decision="Allow", deciding=refs, reason=f"allowed by {refs[0]}")
        else:
            reason = f"implicit deny: no identity-based policy allows {_asked(request)}"
            result = Evaluation(decision="ImplicitDeny", deciding=(), reason=reason)
    if found.static:
        index.static_results[key] = result
    return result


def _keep(pairs: tuple[_Pair, ...], context: _Context, bounded: bool) -> list[_Entry]:
    return [e for e, state in pairs if e.compiled.check(context, bounded, state, False) is None]


def _fast_hits(index: _Index, context: _Context) -> _Hits:
    request = context.request
    found = index.candidates((request.action.lower(), request.resource))
    bounded = index.bounded
    hits = _Hits()
    if found.denies:
        hits.denies = _keep(found.denies, context, bounded)
        if hits.denies:
            return hits
    hits.identity = _keep(found.identity, context, bounded)
    if index.identity_only:
        return hits
    hits.scps = [_keep(level, context, bounded) for level in found.scps]
    hits.rcps = [_keep(level, context, bounded) for level in found.rcps]
    hits.boundary = _keep(found.boundary, context, bounded)
    hits.session = _keep(found.session, context, bounded)
    for entry in _keep(found.resource, context, bounded):
        strength = entry.compiled.strength(context.caller, bounded)
        hits.resource.append((entry, strength or "direct"))
    return hits


def _explained_hits(index: _Index, context: _Context) -> tuple[_Hits, tuple[PolicyReport, ...]]:
    request = context.request
    action = request.action.lower()
    bounded = index.bounded
    hits = _Hits(scps=[[] for _ in index.scps], rcps=[[] for _ in index.rcps])
    results: dict[tuple[PolicyRole, str, int | None], list[StatementResult]] = {}
    for entry in index.all:
        compiled, ref = entry.compiled, entry.ref
        miss: str | None
        if not compiled.matches_action(action):
            excluded = compiled.statement.not_action
            miss = "action excluded by NotAction" if excluded else "action not matched"
        else:
            state = compiled.static_resource(request.resource)
            miss = compiled.check(context, bounded, state, True)
        results.setdefault((ref.role, ref.policy, ref.level), []).append(
            StatementResult(ref=ref, applies=miss is None, reason=miss or "applies")
        )
        if miss is not None:
            continue
        if compiled.deny:
            hits.denies.append(entry)
        elif ref.role == "resource":
            strength = compiled.strength(context.caller, bounded)
            hits.resource.append((entry, strength or "direct"))
        elif ref.role == "scp" or ref.role == "rcp":
            assert ref.level is not None
            (hits.scps if ref.role == "scp" else hits.rcps)[ref.level].append(entry)
        elif ref.role == "identity":
            hits.identity.append(entry)
        elif ref.role == "boundary":
            hits.boundary.append(entry)
        else:
            hits.session.append(entry)
    reports = tuple(
        PolicyReport(role=role, policy=name, level=level, statements=tuple(statements))
        for (role, name, level), statements in results.items()
    )
    return hits, reports


_Outcome = tuple[DecisionName, tuple[StatementRef, ...], str]


def _implicit(reason: str) -> _Outcome:
    return "ImplicitDeny", (), f"implicit deny: {reason}"


def _asked(request: Request) -> str:
    return f"{request.action} on {request.resource}"


def _decide(index: _Index, context: _Context, hits: _Hits) -> _Outcome:
    request, caller = context.request, context.caller
    if hits.denies:
        refs = tuple(e.ref for e in hits.denies)
        return "ExplicitDeny", refs, f"explicit deny in {refs[0]}"
    asked = _asked(request)
    for kind, levels in (("service control", hits.scps), ("resource control", hits.rcps)):
        for level, entries in enumerate(levels):
            if not entries:
                return _implicit(f"no {kind} policy at organisation level {level} allows {asked}")
    guardrails = [e.ref for level in hits.scps + hits.rcps for e in level]
    same_account = caller.account_id is not None and caller.account_id == context.owner
    is_root = caller.type == "Account"
    boundary_ok = is_root or not index.bounded or bool(hits.boundary)
    # A federated-user session (GetFederationToken) has only what its session policy allows.
    needs_session = caller.type == "FederatedUser"
    session_ok = is_root or bool(hits.session) or not (index.has_session or needs_session)
    identity_ok = (is_root or bool(hits.identity)) and boundary_ok and session_ok
    limits = [e.ref for e in hits.boundary + hits.session]
    identity = [e.ref for e in hits.identity]
    granted = [e.ref for e, _ in hits.resource]
    direct = [e.ref for e, s in hits.resource if s == "direct"]
    via_role = [e.ref for e, s in hits.resource if s == "role"]

    def allow(refs: list[StatementRef], why: str) -> _Outcome:
        return "Allow", tuple(refs + limits + guardrails), why

    if _resource_policy_required(index, request.resource) and not granted:
        names = ", ".join(repr(n) for n in index.resource_names) or "(none given)"
        return _implicit(f"the resource policy {names} must allow {asked} and does not")
    if caller.type in ("Service", "Anonymous"):
        if not granted:
            return _implicit(f"no resource policy allows {caller.arn} to run {asked}")
        return "Allow", tuple(granted + guardrails), f"allowed by {granted[0]}"
    if not same_account:
        if not granted:
            return _implicit(
                f"cross-account request from account {caller.account_id}: no resource policy"
                f" of account {context.owner} allows {asked}"
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


def _resource_policy_required(index: _Index, resource: str) -> bool:
    if index.key_policy is not None:
        return index.key_policy
    parts = split_arn(resource)
    is_key = parts is not None and parts[2] == "kms" and parts[5].startswith("key/")
    return bool(index.resource_names) and is_key


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
