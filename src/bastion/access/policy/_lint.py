"""``lint_policy``: warnings in the spirit of IAM Access Analyzer's policy checks.

A valid policy can still be wrong. Each warning has a stable ``code``, the JSON path of the
element it is about, and a message that says what to do:

* ``missing-version`` — no ``Version``: AWS reads the policy as 2008-10-17 (variables are text);
* ``variables-as-text`` — ``${…}`` in a 2008-10-17 policy, where it is not substituted;
* ``unknown-action`` — an action pattern that matches no action of the catalogue given;
* ``unused-resource`` — a resource pattern that none of the statement's actions acts on;
* ``redundant-statement`` — a statement whose effect another statement already has in full;
* ``broad-not-action`` — ``Allow`` with ``NotAction`` on every resource;
* ``for-all-values-allow`` — ``ForAllValues`` in an ``Allow`` also matches a missing key.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bastion.access.policy._document import Policy, Statement
from bastion.access.policy._match import compile_glob, glob_covers, globs_intersect, split_arn

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
CODES = (
    "missing-version",
    "variables-as-text",
    "unknown-action",
    "unused-resource",
    "redundant-statement",
    "broad-not-action",
    "for-all-values-allow",
)
"""Every warning code, in the order of the module docstring."""


@dataclass(frozen=True, kw_only=True)
class PolicyWarning:
    """One finding: a stable code, the JSON path it is about, and what to do."""

    code: str
    path: str
    message: str


def lint_policy(
    policy: Policy,
    *,
    known_actions: Iterable[str] | None = None,
    resource_types: Mapping[str, str | Sequence[str]] | None = None,
) -> list[PolicyWarning]:
    """Warnings for ``policy``; ``known_actions``/``resource_types`` enable the catalogue checks.

    ``resource_types`` maps an action name to the ARN pattern(s) of the resources it acts on,
    with ``${Placeholders}`` or wildcards for the variable parts (``*`` for none in particular).
    """
    shapes = _Shapes(policy)
    catalogue = {a.lower(): a for a in (known_actions if known_actions is not None else ())}
    types = {k.lower(): _patterns(v) for k, v in (resource_types or {}).items()}
    for name in resource_types or {}:
        catalogue.setdefault(name.lower(), name)
    out: list[PolicyWarning] = []
    if policy.version is None:
        out.append(
            PolicyWarning(
                code="missing-version",
                path="Version",
                message="no Version: AWS reads the policy as 2008-10-17, where policy variables"
                ' are plain text; add "Version": "2012-10-17"',
            )
        )
    elif not policy.variables_enabled and "${" in policy.text:
        out.append(
            PolicyWarning(
                code="variables-as-text",
                path="Version",
                message="Version 2008-10-17 does not substitute policy variables; ${...} is"
                ' matched as text. Use "Version": "2012-10-17"',
            )
        )
    for statement in policy.statements:
        path = shapes.statement(statement.index)
        if catalogue:
            out.extend(_unknown_actions(statement, path, shapes, catalogue))
        if types:
            out.extend(_unused_resources(statement, path, shapes, types))
        out.extend(_broad(statement, path))
    out.extend(_redundant(policy, shapes))
    return out


class _Shapes:
    """Whether elements were written as lists, so paths match the document."""

    def __init__(self, policy: Policy) -> None:
        document = json.loads(policy.text)
        raw = document["Statement"]
        self._listed = isinstance(raw, list)
        self._items: list[dict[str, Any]] = raw if isinstance(raw, list) else [raw]

    def statement(self, index: int) -> str:
        return f"Statement[{index}]" if self._listed else "Statement"

    def element(self, index: int, name: str, position: int) -> str:
        base = f"{self.statement(index)}.{name}"
        return f"{base}[{position}]" if isinstance(self._items[index].get(name), list) else base


def _patterns(value: str | Sequence[str]) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    return tuple(_PLACEHOLDER.sub("*", v) for v in items)


def _expand(patterns: Iterable[str], catalogue: Iterable[str]) -> set[str]:
    names = list(catalogue)
    found: set[str] = set()
    for pattern in patterns:
        matcher = compile_glob(pattern.lower())
        found.update(n for n in names if matcher(n))
    return found


def _unknown_actions(
    statement: Statement, path: str, shapes: _Shapes, catalogue: Mapping[str, str]
) -> Iterable[PolicyWarning]:
    name = "NotAction" if statement.not_action else "Action"
    for position, pattern in enumerate(statement.actions):
        if pattern == "*" or _expand([pattern], catalogue):
            continue
        close = difflib.get_close_matches(pattern.lower(), list(catalogue), n=1, cutoff=0.7)
        hint = f"; did you mean {catalogue[close[0]]}?" if close else ""
        yield PolicyWarning(
            code="unknown-action",
            path=shapes.element(statement.index, name, position),
            message=f"no known action matches {pattern!r}{hint}",
        )


def _unused_resources(
    statement: Statement, path: str, shapes: _Shapes, types: Mapping[str, tuple[str, ...]]
) -> Iterable[PolicyWarning]:
    if statement.not_action or statement.not_resource or statement.resources is None:
        return
    actions = _expand(statement.actions, types)
    if not actions:
        return
    for position, resource in enumerate(statement.resources):
        if resource == "*":
            continue
        pattern = _PLACEHOLDER.sub("*", resource)
        if any(_arns_intersect(pattern, t) for a in actions for t in types[a]):
            continue
        yield PolicyWarning(
            code="unused-resource",
            path=shapes.element(statement.index, "Resource", position),
            message=f"none of the statement's actions acts on a resource like {resource!r};"
            " check the ARN, or move it to a statement with actions that use it",
        )


def _arns_intersect(a: str, b: str) -> bool:
    """Whether two resource patterns can name the same resource, part by part when both are
    six-part ARNs (so that ``*`` in one part does not reach into the next)."""
    parts_a, parts_b = split_arn(a), split_arn(b)
    if parts_a is None or parts_b is None:
        return globs_intersect(a, b)
    return all(globs_intersect(x, y) for x, y in zip(parts_a, parts_b, strict=True))


def _broad(statement: Statement, path: str) -> Iterable[PolicyWarning]:
    if statement.effect != "Allow":
        return
    if statement.not_action and not statement.not_resource and "*" in (statement.resources or ()):
        yield PolicyWarning(
            code="broad-not-action",
            path=f"{path}.NotAction",
            message="Allow with NotAction on Resource '*' allows every other action, including"
            " ones added later, on every resource; list the actions to allow instead",
        )
    keys = {c.key.lower() for c in statement.conditions if c.base == "Null"}
    for condition in statement.conditions:
        if condition.qualifier == "ForAllValues" and condition.key.lower() not in keys:
            yield PolicyWarning(
                code="for-all-values-allow",
                path=f"{path}.Condition.{condition.operator}.{condition.key}",
                message=f"{condition.operator} also matches a request without"
                f' {condition.key}; add {{"Null": {{"{condition.key}": "false"}}}}',
            )


def _covers(outer: Statement, inner: Statement) -> bool:
    if outer.effect != inner.effect or outer.not_action or inner.not_action:
        return False
    if outer.not_resource or inner.not_resource:
        return False
    if not all(
        any(glob_covers(o, i, ignore_case=True) for o in outer.actions) for i in inner.actions
    ):
        return False
    if outer.resources is not None:
        if inner.resources is None:
            return False
        if not all(any(glob_covers(o, i) for o in outer.resources) for i in inner.resources):
            return False
    same_principal = (outer.principal, outer.not_principal) == (
        inner.principal,
        inner.not_principal,
    )
    anyone = outer.principal is not None and outer.principal.any and not outer.not_principal
    if not same_principal and not anyone:
        return False
    return not outer.conditions or set(outer.conditions) == set(inner.conditions)


def _redundant(policy: Policy, shapes: _Shapes) -> Iterable[PolicyWarning]:
    statements = policy.statements
    for inner in statements:
        for outer in statements:
            if outer is inner or not _covers(outer, inner):
                continue
            if _covers(inner, outer) and inner.index < outer.index:
                continue
            verb = "allows" if outer.effect == "Allow" else "denies"
            yield PolicyWarning(
                code="redundant-statement",
                path=shapes.statement(inner.index),
                message=f"statement {inner.label} is redundant: statement {outer.label} already"
                f" {verb} everything it does; remove it or narrow the other",
            )
            break


__all__ = ["CODES", "PolicyWarning", "lint_policy"]
