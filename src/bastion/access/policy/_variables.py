"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``, defaults.

A string from a policy becomes a :class:`Template`: literal text (where ``*`` and ``?`` keep
their wildcard meaning), escaped characters (``${*}``, ``${?}``, ``${$}``, never wildcards) and
variables resolved from the request context. A variable that cannot be resolved and has no
default makes the statement not apply, as AWS documents ("any attempt to match it fails").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_KEY = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.:/@+=,-]+")
_DEFAULT = re.compile(r"(?P<key>[^,]+), '(?P<default>[^']*)'")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}

VARIABLE_FIX = (
    "a policy variable '${prefix:key}', '${prefix:key, 'default'}' or one of '${*}', '${?}', '${$}'"
)


class VariableError(ValueError):
    """A malformed ``${...}``; the message says what is expected (``_parse`` adds the path)."""


@dataclass(frozen=True, slots=True)
class Text:
    """Policy text in which ``*`` and ``?`` are wildcards (where the operator has wildcards)."""

    value: str


@dataclass(frozen=True, slots=True)
class Escaped:
    """A character written as ``${*}``, ``${?}`` or ``${$}``: never a wildcard."""

    value: str


@dataclass(frozen=True, slots=True)
class Variable:
    """``${key}`` or ``${key, 'default'}``; ``key`` is lower-cased (keys ignore case)."""

    key: str
    default: str | None


Part = Text | Escaped | Variable
Resolver = Callable[[str], str | None]
"""Looks up a lower-cased context key; ``None`` when the request does not have it."""


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string split into its parts."""

    raw: str
    parts: tuple[Part, ...]

    @property
    def has_variables(self) -> bool:
        return any(not isinstance(p, Text) for p in self.parts)

    def render(
        self, resolve: Resolver, *, text: Callable[[str], str], literal: Callable[[str], str]
    ) -> str | None:
        """Join the parts: ``Text`` through ``text``, substituted and escaped ones through
        ``literal``; ``None`` when a variable cannot be resolved and has no default."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append(text(part.value))
            elif isinstance(part, Escaped):
                out.append(literal(part.value))
            else:
                value = resolve(part.key)
                if value is None:
                    value = part.default
                if value is None:
                    return None
                out.append(literal(value))
        return "".join(out)


def parse_template(raw: str, *, variables: bool) -> Template:
    """Split ``raw`` into parts; with ``variables=False`` (2008-10-17) everything is text."""
    if not variables or "${" not in raw:
        return Template(raw=raw, parts=(Text(raw),))
    parts: list[Part] = []
    pos = 0
    for match in _VARIABLE.finditer(raw):
        if match.start() > pos:
            parts.append(Text(raw[pos : match.start()]))
        parts.append(_parse_variable(match.group(1)))
        pos = match.end()
    if pos < len(raw):
        parts.append(Text(raw[pos:]))
    return Template(raw=raw, parts=tuple(parts))


def _parse_variable(inner: str) -> Part:
    if inner in _SPECIAL:
        return Escaped(_SPECIAL[inner])
    default_match = _DEFAULT.fullmatch(inner)
    if default_match is not None:
        key, default = default_match.group("key"), default_match.group("default")
        if key in _SPECIAL:
            raise VariableError(f"'${{{inner}}}' gives a default to '${{{key}}}', which has none")
    else:
        key, default = inner, None
    if _KEY.fullmatch(key) is None:
        raise VariableError(f"'${{{inner}}}' is not a policy variable")
    return Variable(key=key.lower(), default=default)


__all__ = [
    "VARIABLE_FIX",
    "Escaped",
    "Resolver",
    "Template",
    "Text",
    "Variable",
    "VariableError",
    "parse_template",
]
