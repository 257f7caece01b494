"""Condition operators, one truth table: missing keys, negation, IfExists, set qualifiers, types."""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bastion.access.policy import Caller, PolicySet, Request, evaluate, parse_policy

ALICE = Caller(
    arn="arn:aws:iam::111122223333:user/alice", user_name="alice", tags={"team": "fraud"}
)
MISSING = object()


def holds(operator: str, values: Any, got: Any = MISSING, *, key: str = "svc:key") -> bool:
    """Whether an Allow statement with ``{operator: {key: values}}`` allows a request whose
    context has ``key = got`` (or no such key)."""
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "svc:Act",
                "Resource": "*",
                "Condition": {operator: {key: values}},
            },
        }
    )
    context = {} if got is MISSING else {key: got}
    request = Request(caller=ALICE, action="svc:Act", resource="*", context=context)
    return evaluate(PolicySet(identity={"p": policy}), request).allowed


TABLE: list[tuple[str, Any, Any, bool]] = [
    # strings
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", ["x", "abc"], "abc", True),
    ("StringEquals", "abc", MISSING, False),
    ("StringEquals", "a*c", "abc", False),
    ("StringEquals", "10", 10, True),
    ("StringEquals", "true", True, True),
    ("StringNotEquals", "abc", "abd", True),
    ("StringNotEquals", "abc", "abc", False),
    ("StringNotEquals", "abc", MISSING, True),
    ("StringNotEquals", ["a", "b"], "b", False),
    ("StringEqualsIgnoreCase", "AbC", "aBc", True),
    ("StringNotEqualsIgnoreCase", "AbC", "aBc", False),
    ("StringNotEqualsIgnoreCase", "AbC", "x", True),
    ("StringLike", "a*c", "abbbc", True),
    ("StringLike", "a?c", "abc", True),
    ("StringLike", "a?c", "abbc", False),
    ("StringLike", "a*", "A", False),
    ("StringLike", "*", "", True),
    ("StringLike", "home/*", "home/a/b:c", True),
    ("StringNotLike", "a*", "abc", False),
    ("StringNotLike", "a*", "xbc", True),
    ("StringNotLike", "a*", MISSING, True),
    ("StringEqualsIfExists", "abc", MISSING, True),
    ("StringEqualsIfExists", "abc", "abd", False),
    ("StringNotEqualsIfExists", "abc", MISSING, True),
    # numbers
    ("NumericEquals", "10", 10, True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", 2.5, "2.50", True),
    ("NumericEquals", "10", "ten", False),
    ("NumericEquals", "10", True, False),
    ("NumericNotEquals", "10", 11, True),
    ("NumericNotEquals", "10", "ten", False),
    ("NumericNotEquals", "10", MISSING, True),
    ("NumericLessThan", "10", 9, True),
    ("NumericLessThan", "10", 10, False),
    ("NumericLessThanEquals", "10", 10, True),
    ("NumericGreaterThan", "10", 11, True),
    ("NumericGreaterThan", "-1", -2, False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericGreaterThanEquals", "10", 9.99, False),
    ("NumericLessThanIfExists", "10", MISSING, True),
    ("NumericLessThan", "10", MISSING, False),
    # dates
    ("DateEquals", "2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=UTC), True),
    ("DateEquals", "2026-01-31T12:00:00Z", "2026-01-31T13:00:00+01:00", True),
    ("DateEquals", "2026-01-31", "2026-01-31T00:00:00Z", True),
    ("DateEquals", "1769860800", "2026-01-31T12:00:00Z", True),
    ("DateEquals", "2026-01-31T12:00:00Z", 1769860800, True),
    ("DateNotEquals", "2026-01-31T12:00:00Z", "2026-01-31T12:00:01Z", True),
    ("DateLessThan", "2026-01-31T12:00:00Z", "2026-01-31T11:59:59Z", True),
    ("DateLessThan", "2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z", False),
    ("DateLessThanEquals", "2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z", True),
    ("DateGreaterThan", "2026-01-31T12:00:00Z", datetime(2026, 2, 1), True),
    ("DateGreaterThanEquals", "2026-01-31T12:00:00.500Z", "2026-01-31T12:00:00.400Z", False),
    ("DateLessThan", "2026-01-31T12:00:00Z", "not a date", False),
    ("DateLessThan", "2026-01-31T12:00:00Z", MISSING, False),
    (
        "DateEquals",
        "2026-01-31T12:00:00Z",
        datetime(2026, 1, 31, 14, tzinfo=timezone(timedelta(hours=2))),
        True,
    ),
    # booleans
    ("Bool", "true", True, True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "false", True, False),
    ("Bool", True, "true", True),
    ("Bool", "true", "yes", False),
    ("Bool", "true", MISSING, False),
    ("BoolIfExists", "false", MISSING, True),
    # binary
    ("BinaryEquals", base64.b64encode(b"Bastion").decode(), b"Bastion", True),
    ("BinaryEquals", base64.b64encode(b"Bastion").decode(), b"bastion", False),
    ("BinaryEquals", base64.b64encode(b"Bastion").decode(), "QmFzdGlvbg==", True),
    ("BinaryEquals", base64.b64encode(b"Bastion").decode(), "%%%", False),
    # addresses
    ("IpAddress", "203.0.113.0/24", "203.0.113.255", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.0", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),
    ("IpAddress", "203.0.113.1/24", "203.0.113.9", True),
    ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678:ffff::1", True),
    ("IpAddress", "2001:DB8::/32", "203.0.113.1", False),
    ("IpAddress", "0.0.0.0/0", ipaddress.ip_address("198.51.100.1"), True),
    ("IpAddress", "203.0.113.0/24", "garbage", False),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
    ("NotIpAddress", "203.0.113.0/24", MISSING, True),
    ("NotIpAddress", "203.0.113.0/24", "garbage", False),
    # ARNs
    (
        "ArnEquals",
        "arn:aws:sns:*:111122223333:topic",
        "arn:aws:sns:us-east-2:111122223333:topic",
        True,
    ),
    ("ArnLike", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", True),
    ("ArnLike", "arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x", True),
    ("ArnLike", "arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x", False),
    ("ArnLike", "arn:aws:iam::*:role/x", "not-an-arn", False),
    ("ArnLike", "*", "anything", True),
    ("ArnNotEquals", "arn:aws:iam::*:role/x", "arn:aws:iam::1:role/y", True),
    ("ArnNotLike", "arn:aws:iam::*:role/x", "arn:aws:iam::1:role/x", False),
    ("ArnNotLike", "arn:aws:iam::*:role/x", MISSING, True),
    ("ArnLike", "arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", False),
    # Null
    ("Null", "true", MISSING, True),
    ("Null", "true", "x", False),
    ("Null", "false", "x", True),
    ("Null", "false", MISSING, False),
    ("Null", "true", [], True),
    ("Null", ["true", "false"], "x", True),
]


@pytest.mark.parametrize(("operator", "values", "got", "expected"), TABLE)
def test_operator(operator: str, values: Any, got: Any, expected: bool) -> None:
    assert holds(operator, values, got) is expected


SETS: list[tuple[str, Any, Any, bool]] = [
    ("ForAllValues:StringEquals", ["a", "b"], ["a"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a", "b"], [], True),
    ("ForAllValues:StringEquals", ["a", "b"], MISSING, True),
    ("ForAllValues:StringEqualsIfExists", ["a"], MISSING, True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c"], False),
    ("ForAnyValue:StringEquals", ["a", "b"], [], False),
    ("ForAnyValue:StringEquals", ["a", "b"], MISSING, False),
    ("ForAnyValue:StringEqualsIfExists", ["a", "b"], MISSING, True),
    ("ForAllValues:StringNotEquals", ["a", "b"], ["c", "d"], True),
    ("ForAllValues:StringNotEquals", ["a", "b"], ["c", "a"], False),
    ("ForAllValues:StringNotEquals", ["a", "b"], MISSING, True),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "c"], True),
    ("ForAnyValue:StringNotEquals", ["a", "b"], ["a", "b"], False),
    ("ForAnyValue:StringNotEquals", ["a", "b"], MISSING, False),
    ("ForAnyValue:StringLike", ["a*"], ("x", "ab"), True),
    ("ForAllValues:NumericLessThan", "10", [1, 2, 3], True),
    ("ForAllValues:NumericLessThan", "10", [1, 20], False),
    ("ForAnyValue:IpAddress", "10.0.0.0/8", ["192.0.2.1", "10.1.1.1"], True),
    # a single-valued operator on a multivalued key: any value for a positive operator,
    # no value for a negated one
    ("StringEquals", "a", ["b", "a"], True),
    ("StringNotEquals", "a", ["b", "a"], False),
    ("StringNotEquals", "a", ["b", "c"], True),
]


@pytest.mark.parametrize(("operator", "values", "got", "expected"), SETS)
def test_set_qualifiers(operator: str, values: Any, got: Any, expected: bool) -> None:
    assert holds(operator, values, got, key="aws:TagKeys") is expected


def test_condition_keys_ignore_case_and_values_do_not() -> None:
    assert holds("StringEquals", "bob", "bob", key="AWS:UserAgent")
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "svc:Act",
                "Resource": "*",
                "Condition": {"StringEquals": {"AWS:PRINCIPALTAG/Team": "fraud"}},
            },
        }
    )
    request = Request(caller=ALICE, action="svc:Act", resource="*")
    assert evaluate(PolicySet(identity={"p": policy}), request).allowed


def test_several_keys_and_operators_are_and_ed() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "svc:Act",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"svc:a": "1", "svc:b": ["2", "3"]},
                    "Bool": {"svc:c": "true"},
                },
            },
        }
    )
    policies = PolicySet(identity={"p": policy})

    def allowed(**context: Any) -> bool:
        request = Request(caller=ALICE, action="svc:Act", resource="*", context=context)
        return evaluate(policies, request).allowed

    assert allowed(**{"svc:a": "1", "svc:b": "3", "svc:c": True})
    assert not allowed(**{"svc:a": "1", "svc:b": "4", "svc:c": True})
    assert not allowed(**{"svc:a": "1", "svc:b": "2", "svc:c": False})
    assert not allowed(**{"svc:b": "2", "svc:c": True})
