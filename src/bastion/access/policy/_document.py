"""The parsed form of an IAM JSON policy: plain frozen data, no behaviour.

``parse_policy`` (``_parse.py``) builds these from JSON; ``_evaluate.py`` compiles them into
matchers. Strings keep the spelling the author wrote, so the simulator can quote them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PolicyKind = Literal["identity", "resource", "scp", "rcp", "boundary", "session"]
Effect = Literal["Allow", "Deny"]
Qualifier = Literal["ForAnyValue", "ForAllValues"]

POLICY_KINDS: tuple[PolicyKind, ...] = ("identity", "resource", "scp", "rcp", "boundary", "session")
VERSIONS = ("2012-10-17", "2008-10-17")
VARIABLES_VERSION = "2012-10-17"

MAX_POLICY_CHARS = 32_768
"""Largest accepted policy, counted like AWS counts: characters other than whitespace.

AWS's own quotas are smaller (6 144 for a managed policy, 2 048 for an inline user policy,
20 480 for a bucket policy); Bastion accepts up to 32 KiB so that any policy AWS accepts fits."""

MAX_RAW_CHARS = 4 * MAX_POLICY_CHARS
"""Largest accepted text including whitespace (pretty-printed policies stay well below)."""


@dataclass(frozen=True, kw_only=True)
class PrincipalSpec:
    """The ``Principal``/``NotPrincipal`` element: ``"*"`` or values per principal type."""

    any: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Condition:
    """One condition test: an operator, one context key and the policy's values (OR-ed)."""

    operator: str
    """As written, e.g. ``ForAnyValue:StringEqualsIfExists``."""
    base: str
    """The operator without qualifier and ``IfExists``, e.g. ``StringEquals``."""
    qualifier: Qualifier | None
    if_exists: bool
    key: str
    """The condition key as written; keys compare case-insensitively."""
    values: tuple[str, ...]
    """Policy values as strings (JSON numbers and booleans are written as JSON writes them)."""


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One statement; ``index`` is its position in the ``Statement`` list (0 for an object)."""

    index: int
    sid: str | None
    effect: Effect
    actions: tuple[str, ...]
    not_action: bool = False
    resources: tuple[str, ...] | None = None
    """``None`` when the statement has neither ``Resource`` nor ``NotResource`` (trust policies)."""
    not_resource: bool = False
    principal: PrincipalSpec | None = None
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()

    @property
    def label(self) -> str:
        """``'Sid'`` when the statement has one, else ``#index``."""
        return repr(self.sid) if self.sid else f"#{self.index}"


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A validated policy document of one kind."""

    kind: PolicyKind
    version: str | None
    """``None`` when the document has no ``Version`` (AWS then reads it as 2008-10-17)."""
    id: str | None
    statements: tuple[Statement, ...]
    text: str
    """The document as compact JSON with the author's key order (what to store)."""

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only in ``Version: 2012-10-17`` documents."""
        return self.version == VARIABLES_VERSION


__all__ = [
    "MAX_POLICY_CHARS",
    "POLICY_KINDS",
    "Condition",
    "Effect",
    "Policy",
    "PolicyKind",
    "PrincipalSpec",
    "Qualifier",
    "Statement",
]
