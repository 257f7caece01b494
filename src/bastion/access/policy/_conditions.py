"""Condition operators: names, value checks, and compiled tests against a request.

Semantics (AWS "IAM JSON policy elements: Condition operators" and "Multivalued context keys"):

* several values for one key are OR-ed; several keys, and several operators, are AND-ed;
* a key missing from the request makes a positive operator false and a negated one
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress`` …) true; ``…IfExists`` makes any
  operator true on a missing key; ``Null`` tests presence itself;
* ``ForAnyValue:`` is true when at least one request value matches (false on a missing or empty
  key); ``ForAllValues:`` when every request value matches (true on a missing or empty key);
* a negated operator matches a value that equals none of the policy values;
* a request value of the wrong type (text for a number, say) matches nothing, and makes a
  negated operator false rather than true.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal, Protocol

from bastion.access.policy._document import Condition, Qualifier
from bastion.access.policy._match import (
    Matcher,
    compile_arn_pattern,
    compile_globs,
    compiled_regex,
    glob_to_regex,
    split_arn,
)
from bastion.access.policy._variables import Resolver, parse_template

Family = Literal["string", "arn", "numeric", "date", "bool", "binary", "ip", "null"]
Comparison = Literal["eq", "ieq", "like", "lt", "le", "gt", "ge"]


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    family: Family
    comparison: Comparison
    negated: bool = False


def _six(prefix: str, family: Family) -> dict[str, OperatorSpec]:
    return {
        f"{prefix}Equals": OperatorSpec(family, "eq"),
        f"{prefix}NotEquals": OperatorSpec(family, "eq", negated=True),
        f"{prefix}LessThan": OperatorSpec(family, "lt"),
        f"{prefix}LessThanEquals": OperatorSpec(family, "le"),
        f"{prefix}GreaterThan": OperatorSpec(family, "gt"),
        f"{prefix}GreaterThanEquals": OperatorSpec(family, "ge"),
    }


OPERATORS: dict[str, OperatorSpec] = {
    "StringEquals": OperatorSpec("string", "eq"),
    "StringNotEquals": OperatorSpec("string", "eq", negated=True),
    "StringEqualsIgnoreCase": OperatorSpec("string", "ieq"),
    "StringNotEqualsIgnoreCase": OperatorSpec("string", "ieq", negated=True),
    "StringLike": OperatorSpec("string", "like"),
    "StringNotLike": OperatorSpec("string", "like", negated=True),
    **_six("Numeric", "numeric"),
    **_six("Date", "date"),
    "Bool": OperatorSpec("bool", "eq"),
    "BinaryEquals": OperatorSpec("binary", "eq"),
    "IpAddress": OperatorSpec("ip", "eq"),
    "NotIpAddress": OperatorSpec("ip", "eq", negated=True),
    "ArnEquals": OperatorSpec("arn", "like"),
    "ArnLike": OperatorSpec("arn", "like"),
    "ArnNotEquals": OperatorSpec("arn", "like", negated=True),
    "ArnNotLike": OperatorSpec("arn", "like", negated=True),
    "Null": OperatorSpec("null", "eq"),
}
"""Every base operator. ``ArnEquals`` and ``ArnLike`` are the same test on AWS."""

QUALIFIERS: tuple[Qualifier, ...] = ("ForAnyValue", "ForAllValues")
VARIABLE_FAMILIES: tuple[Family, ...] = ("string", "arn", "bool")
"""Operator families whose policy values may hold policy variables (AWS: String, ARN, Bool)."""
_IF_EXISTS = "IfExists"
_ALL_NAMES = [
    *OPERATORS,
    *(f"{b}{_IF_EXISTS}" for b in OPERATORS if b != "Null"),
    *(f"{q}:{b}" for q in QUALIFIERS for b in OPERATORS if b != "Null"),
]

ContextScalar = str | int | float | bool | bytes | datetime
"""What a request context value may be (or a list/tuple of these for a multivalued key)."""


class OperatorError(ValueError):
    """An unknown or malformed operator; the message is the fix."""


def split_operator(name: str) -> tuple[Qualifier | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ``("ForAnyValue", "StringLike", True)``."""
    qualifier: Qualifier | None = None
    rest = name
    if ":" in name:
        head, rest = name.split(":", 1)
        if head not in QUALIFIERS:
            raise OperatorError(_unknown(name, f"unknown qualifier {head!r}"))
        qualifier = "ForAnyValue" if head == "ForAnyValue" else "ForAllValues"
    base, if_exists = rest, False
    if rest.endswith(_IF_EXISTS) and rest != _IF_EXISTS:
        base, if_exists = rest.removesuffix(_IF_EXISTS), True
    if base not in OPERATORS:
        raise OperatorError(_unknown(name, "unknown operator"))
    if base == "Null" and (if_exists or qualifier):
        raise OperatorError("Null on its own (it already tests whether the key exists)")
    return qualifier, base, if_exists


def _unknown(name: str, what: str) -> str:
    by_lower = {n.lower(): n for n in _ALL_NAMES}
    close = by_lower.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, _ALL_NAMES, n=1, cutoff=0.75)), None
    )
    hint = f"; did you mean {close}?" if close else f"; known operators: {', '.join(OPERATORS)}"
    return f"a condition operator ({what}{hint})"


# -- policy values --------------------------------------------------------------------------


def _parse_decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _epoch_of(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _parse_date(text: str) -> float | None:
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    try:
        return _epoch_of(datetime.fromisoformat(text))
    except ValueError:
        return None


def _parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


def _parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


_EXPECTED: dict[Family, str] = {
    "numeric": "a number such as 10 or 2.5",
    "date": "a date such as 2026-01-31T12:00:00Z, 2026-01-31 or epoch seconds",
    "bool": "'true' or 'false'",
    "null": "'true' (the key must be missing) or 'false' (the key must be present)",
    "binary": "base64 text such as 'QmFzdGlvbg=='",
    "ip": "an IPv4 or IPv6 address or CIDR block such as 203.0.113.0/24",
    "arn": "an ARN 'arn:partition:service:region:account:resource' (wildcards allowed)",
}


def value_problem(base: str, value: str, *, variables: bool) -> str | None:
    """What the value should be, or ``None`` when ``value`` suits operator ``base``."""
    family = OPERATORS[base].family
    ok: bool
    if family == "string":
        ok = True
    elif family == "arn":
        ok = value == "*" or split_arn(value) is not None or (variables and "${" in value)
    elif family == "bool" and variables and "${" in value:
        ok = True
    elif family == "numeric":
        ok = _parse_decimal(value) is not None
    elif family == "date":
        ok = _parse_date(value) is not None
    elif family in ("bool", "null"):
        ok = _parse_bool(value) is not None
    elif family == "binary":
        ok = _parse_binary(value) is not None
    else:
        ok = _parse_network(value) is not None
    return None if ok else _EXPECTED[family]


# -- request values -------------------------------------------------------------------------


def as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return None


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _parse_decimal(str(value))
    return _parse_decimal(value) if isinstance(value, str) else None


def _as_epoch(value: object) -> float | None:
    if isinstance(value, datetime):
        return _epoch_of(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return _parse_date(value) if isinstance(value, str) else None


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    return _parse_bool(value) if isinstance(value, str) else None


def _as_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes):
        return value
    return _parse_binary(value) if isinstance(value, str) else None


def _as_ip(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    return _parse_address(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


# -- compiled conditions --------------------------------------------------------------------

Test = Callable[[object], "bool | None"]
"""Positive test of one request value: ``None`` when the value has the wrong type."""

_ORDER: dict[Comparison, Callable[[object, object], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,  # type: ignore[operator]
    "le": lambda a, b: a <= b,  # type: ignore[operator]
    "gt": lambda a, b: a > b,  # type: ignore[operator]
    "ge": lambda a, b: a >= b,  # type: ignore[operator]
}


def _identity(text: str) -> str:
    return text


def _string_test(comparison: Comparison, values: tuple[str, ...]) -> Test:
    if comparison == "eq":
        allowed = frozenset(values)

        def equals(value: object) -> bool | None:
            text = as_text(value)
            return None if text is None else text in allowed

        return equals
    if comparison == "ieq":
        lowered = frozenset(v.lower() for v in values)

        def equals_ignore_case(value: object) -> bool | None:
            text = as_text(value)
            return None if text is None else text.lower() in lowered

        return equals_ignore_case
    matcher = compile_globs(values)

    def like(value: object) -> bool | None:
        text = as_text(value)
        return None if text is None else bool(matcher(text))

    return like


def _regex_test(expressions: list[str], *, ignore_case: bool) -> Test:
    pattern = compiled_regex("|".join(f"(?:{e})" for e in expressions), ignore_case)

    def test(value: object) -> bool | None:
        text = as_text(value)
        return None if text is None else pattern.fullmatch(text) is not None

    return test


def _arn_test(patterns: tuple[str, ...]) -> Test:
    matchers: tuple[Matcher, ...] = tuple(compile_arn_pattern(p) for p in patterns)

    def like(value: object) -> bool | None:
        if not isinstance(value, str):
            return None
        return any(m(value) for m in matchers)

    return like


def _converted_test(
    convert: Callable[[object], object | None], policy: list[object], compare: Callable[..., bool]
) -> Test:
    def test(value: object) -> bool | None:
        got = convert(value)
        if got is None:
            return None
        return any(compare(got, p) for p in policy)

    return test


def _ip_test(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> Test:
    blocks = [(n.version, int(n.network_address), int(n.netmask)) for n in networks]

    def test(value: object) -> bool | None:
        address = _as_ip(value)
        if address is None:
            return None
        number, version = int(address), address.version
        return any(v == version and number & mask == base for v, base, mask in blocks)

    return test


def _static_test(spec: OperatorSpec, values: tuple[str, ...]) -> Test:
    family, comparison = spec.family, spec.comparison
    if family == "string":
        return _string_test(comparison, values)
    if family == "arn":
        return _arn_test(values)
    if family == "ip":
        return _ip_test([n for n in map(_parse_network, values) if n is not None])
    compare = _ORDER[comparison]
    if family == "numeric":
        return _converted_test(_as_decimal, [_parse_decimal(v) for v in values], compare)
    if family == "date":
        return _converted_test(_as_epoch, [_parse_date(v) for v in values], compare)
    if family == "bool":
        return _converted_test(_as_bool, [_parse_bool(v) for v in values], compare)
    return _converted_test(_as_bytes, [_parse_binary(v) for v in values], compare)


class ValueSource(Protocol):
    """How a compiled condition reads the request: context values and variable lookups."""

    def values(self, key: str) -> tuple[object, ...] | None:
        """The request's values for a lower-cased key; ``None`` when missing or empty."""

    def resolve(self, key: str) -> str | None:
        """A single-valued key rendered as text (for policy variables)."""


class CompiledCondition:
    """A condition ready to run against requests."""

    __slots__ = (
        "_spec",
        "_static",
        "_templates",
        "condition",
        "if_exists",
        "key",
        "negated",
        "null_expect",
        "qualifier",
    )

    def __init__(self, condition: Condition, *, variables: bool) -> None:
        spec = OPERATORS[condition.base]
        self.condition = condition
        self.key = condition.key.lower()
        self.negated = spec.negated
        self.qualifier = condition.qualifier
        self.if_exists = condition.if_exists
        self._spec = spec
        self.null_expect = (
            frozenset(_parse_bool(v) for v in condition.values) if spec.family == "null" else None
        )
        templates = (
            tuple(parse_template(v, variables=True) for v in condition.values)
            if variables and spec.family in VARIABLE_FAMILIES
            else ()
        )
        self._templates = templates if any(t.has_variables for t in templates) else ()
        self._static = None if self._templates else _static_test(spec, condition.values)

    def _test(self, resolve: Resolver) -> Test | None:
        if self._static is not None:
            return self._static
        family, comparison = self._spec.family, self._spec.comparison
        if family == "string" and comparison == "like":
            expressions: list[str] = []
            for template in self._templates:
                rendered = template.render(resolve, text=glob_to_regex, literal=re.escape)
                if rendered is None:
                    return None
                expressions.append(rendered)
            return _regex_test(expressions, ignore_case=False)
        values: list[str] = []
        for template in self._templates:
            rendered = template.render(resolve, text=_identity, literal=_identity)
            if rendered is None:
                return None
            values.append(rendered)
        if family == "arn":
            return _arn_test(tuple(values))
        if family == "bool":
            return _converted_test(_as_bool, [_parse_bool(v) for v in values], _ORDER["eq"])
        return _string_test(comparison, tuple(values))

    def check(self, source: ValueSource) -> bool | None:
        """True/False, or ``None`` when a policy variable in the values cannot be resolved."""
        values = source.values(self.key)
        if self.null_expect is not None:
            return (values is None) in self.null_expect
        if values is None:
            if self.qualifier == "ForAllValues" or self.if_exists:
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.negated
        test = self._static or self._test(source.resolve)
        if test is None:
            return None
        if len(values) == 1:
            return test(values[0]) is (not self.negated)
        if self.negated:
            results = [test(v) is False for v in values]
            return any(results) if self.qualifier == "ForAnyValue" else all(results)
        hits = [test(v) is True for v in values]
        return all(hits) if self.qualifier == "ForAllValues" else any(hits)


__all__ = [
    "OPERATORS",
    "VARIABLE_FAMILIES",
    "CompiledCondition",
    "ContextScalar",
    "OperatorError",
    "ValueSource",
    "as_text",
    "split_operator",
    "value_problem",
]
