"""Wildcard matching, compiled once and cached.

IAM has two wildcards: ``*`` (any run of characters, ``/`` and ``:`` included) and ``?`` (one
character). A pattern compiles to the cheapest test that is exact: ``True`` for ``*``, equality,
``startswith`` for a trailing ``*``, or an anchored regular expression otherwise. Templates with
policy variables compile per request through an LRU cache keyed by the rendered expression.

``glob_covers`` and ``globs_intersect`` compare two patterns (for the linter's redundancy and
"no action uses this resource" checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

Matcher = Callable[[str], object]
"""A compiled pattern: truthy when the string matches."""

ARN_PARTS = 6
_LONGEST_COMPARED = 512
"""Patterns longer than this are not compared by the linter (the answer stays conservative)."""


def _always(_: str) -> bool:
    return True


def has_wildcards(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_to_regex(pattern: str) -> str:
    """The regular expression (unanchored) for a pattern with ``*`` and ``?``."""
    out: list[str] = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return "".join(out)


@lru_cache(maxsize=8192)
def compiled_regex(expression: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``re.compile`` with a cache (rendered templates repeat across requests)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(expression, flags)


class ArnRegex:
    """Writes the regular expression of a ``Resource`` ARN pattern, chunk by chunk.

    AWS matches wildcards within each ARN part: in the first five parts (partition, service,
    region, account) ``*`` and ``?`` do not reach across ``:``; in the sixth, the resource, they
    match anything (resource names may hold ``:`` and ``/``).
    """

    def __init__(self) -> None:
        self.colons = 0

    def text(self, chunk: str) -> str:
        out: list[str] = []
        for char in chunk:
            last_part = self.colons >= ARN_PARTS - 1
            if char == ":":
                self.colons += 1
                out.append(":")
            elif char == "*":
                out.append(".*" if last_part else "[^:]*")
            elif char == "?":
                out.append("." if last_part else "[^:]")
            else:
                out.append(re.escape(char))
        return "".join(out)


def arn_glob_to_regex(pattern: str) -> str:
    return ArnRegex().text(pattern)


def compile_glob(pattern: str, *, arn: bool = False) -> Matcher:
    """The cheapest exact matcher for one pattern (case-sensitive); ``arn=True`` for ARN
    patterns, whose wildcards stay within their part (see :class:`ArnRegex`)."""
    if pattern == "*":
        return _always
    if not has_wildcards(pattern):
        return pattern.__eq__
    head = pattern[:-1]
    in_last_part = not arn or head.count(":") >= ARN_PARTS - 1
    if pattern.endswith("*") and not has_wildcards(head) and in_last_part:
        return _prefix_matcher(head)
    return compiled_regex((arn_glob_to_regex if arn else glob_to_regex)(pattern)).fullmatch


def _prefix_matcher(prefix: str) -> Matcher:
    def match(value: str) -> bool:
        return value.startswith(prefix)

    return match


def compile_globs(patterns: Iterable[str], *, arn: bool = False) -> Matcher:
    """One matcher that is truthy when any of ``patterns`` matches (``arn`` as in
    :func:`compile_glob`)."""
    patterns = tuple(dict.fromkeys(patterns))
    if "*" in patterns:
        return _always
    exact = frozenset(p for p in patterns if not has_wildcards(p))
    wild = [p for p in patterns if has_wildcards(p)]
    if not wild:
        if len(exact) == 1:
            return next(iter(exact)).__eq__
        return exact.__contains__
    if len(wild) == 1 and not exact:
        return compile_glob(wild[0], arn=arn)
    translate = arn_glob_to_regex if arn else glob_to_regex
    regex = compiled_regex("|".join(f"(?:{translate(p)})" for p in wild)).fullmatch
    if not exact:
        return regex

    def match(value: str) -> bool:
        return value in exact or regex(value) is not None

    return match


def split_arn(value: str) -> tuple[str, ...] | None:
    """The six parts of an ARN (the last may hold colons), or ``None`` if it is not one."""
    parts = value.split(":", ARN_PARTS - 1)
    if len(parts) != ARN_PARTS or parts[0] != "arn":
        return None
    return tuple(parts)


@lru_cache(maxsize=8192)
def arn_account(value: str) -> str | None:
    """The account field of an ARN (``None`` when empty or not an ARN)."""
    parts = split_arn(value)
    return parts[4] or None if parts else None


def arn_partition(value: str) -> str | None:
    parts = split_arn(value)
    return parts[1] if parts else None


def compile_arn_pattern(pattern: str) -> Matcher:
    """``ArnLike``/``ArnEquals``: each of the six parts is matched on its own, with wildcards."""
    if pattern == "*":
        return _always
    parts = split_arn(pattern)
    if parts is None:
        return lambda _value: False
    matchers = tuple(compile_glob(p) for p in parts)

    def match(value: str) -> bool:
        got = split_arn(value)
        return got is not None and all(m(v) for m, v in zip(matchers, got, strict=True))

    return match


def glob_covers(outer: str, inner: str, *, ignore_case: bool = False) -> bool:
    """True when every string ``inner`` matches is also matched by ``outer`` (sound, not complete).

    ``?`` in ``inner`` must meet ``?`` or ``*`` in ``outer``; ``*`` in ``inner`` only ``*``.
    """
    if ignore_case:
        outer, inner = outer.lower(), inner.lower()
    if max(len(outer), len(inner)) > _LONGEST_COMPARED:
        return outer == inner

    @cache
    def covers(i: int, j: int) -> bool:
        if j == len(outer):
            return i == len(inner)
        if outer[j] == "*":
            return covers(i, j + 1) or (i < len(inner) and covers(i + 1, j))
        if i == len(inner) or inner[i] == "*":
            return False
        if inner[i] == "?":
            return outer[j] == "?" and covers(i + 1, j + 1)
        return outer[j] in (inner[i], "?") and covers(i + 1, j + 1)

    return covers(0, 0)


def globs_intersect(a: str, b: str, *, ignore_case: bool = False) -> bool:
    """True when some string matches both patterns."""
    if ignore_case:
        a, b = a.lower(), b.lower()
    if max(len(a), len(b)) > _LONGEST_COMPARED:
        return True

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return meet(i + 1, j) or (j < len(b) and meet(i, j + 1))
        if j < len(b) and b[j] == "*":
            return meet(i, j + 1) or (i < len(a) and meet(i + 1, j))
        if i == len(a) or j == len(b):
            return False
        return (a[i] == b[j] or "?" in (a[i], b[j])) and meet(i + 1, j + 1)

    return meet(0, 0)


__all__ = [
    "ArnRegex",
    "Matcher",
    "arn_account",
    "arn_glob_to_regex",
    "arn_partition",
    "compile_arn_pattern",
    "compile_glob",
    "compile_globs",
    "compiled_regex",
    "glob_covers",
    "glob_to_regex",
    "globs_intersect",
    "has_wildcards",
    "split_arn",
]
