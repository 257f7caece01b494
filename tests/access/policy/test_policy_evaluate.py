"""evaluate: deciding statements, the simulator's explanations, caches, and trust boundaries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.access.policy import (
    Caller,
    PolicySet,
    Request,
    StatementRef,
    evaluate,
    parse_policy,
)
from bastion.access.policy import _evaluate as evaluate_module
from bastion.errors import Invalid

A, B = "111122223333", "444455556666"
ALICE = Caller(arn=f"arn:aws:iam::{A}:user/alice", user_name="alice", tags={"team": "fraud"})
ENDPOINT = f"arn:aws:sagemaker:us-east-1:{A}:endpoint/fraud"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234"


def policy(*statements: dict[str, Any], kind: str = "identity") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, kind=kind)  # type: ignore[arg-type]


FRAUD = policy(
    {
        "Sid": "Invoke",
        "Effect": "Allow",
        "Action": "sagemaker:InvokeEndpoint",
        "Resource": ENDPOINT,
    },
    {
        "Sid": "Decrypt",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": KEY,
        "Condition": {"StringEquals": {"kms:EncryptionContext:model": "fraud"}},
    },
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "sagemaker:DeleteEndpoint", "Resource": "*"},
)


def ask(action: str, resource: str, caller: Caller = ALICE, **context: Any) -> Request:
    return Request(caller=caller, action=action, resource=resource, context=context)


def test_deciding_statements_and_reasons() -> None:
    policies = PolicySet(identity={"fraud-endpoint": FRAUD})
    allowed = evaluate(policies, ask("sagemaker:InvokeEndpoint", ENDPOINT))
    assert allowed.allowed and allowed.decision == "Allow"
    assert allowed.deciding == (
        StatementRef(
            role="identity", policy="fraud-endpoint", sid="Invoke", index=0, effect="Allow"
        ),
    )
    assert allowed.reason == "allowed by identity policy 'fraud-endpoint' statement 'Invoke' (#0)"
    denied = evaluate(policies, ask("sagemaker:DeleteEndpoint", ENDPOINT))
    assert denied.decision == "ExplicitDeny" and not denied.allowed
    assert [r.sid for r in denied.deciding] == ["NoDelete"]
    assert "explicit deny in identity policy 'fraud-endpoint' statement 'NoDelete'" in denied.reason
    nothing = evaluate(policies, ask("sagemaker:CreateEndpoint", ENDPOINT))
    assert nothing.decision == "ImplicitDeny" and nothing.deciding == ()
    assert nothing.reason == (
        f"implicit deny: no identity-based policy allows sagemaker:CreateEndpoint on {ENDPOINT}"
    )


def test_the_simulator_says_why_each_statement_did_not_apply() -> None:
    other = policy(
        {
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    policies = PolicySet(identity={"fraud-endpoint": FRAUD, "network": other})
    result = evaluate(
        policies, ask("kms:Decrypt", KEY, **{"aws:SourceIp": "192.0.2.1"}), explain=True
    )
    assert result.decision == "ImplicitDeny"
    reasons = {
        (report.policy, s.ref.sid or s.ref.index): s.reason
        for report in result.policies
        for s in report.statements
    }
    assert reasons == {
        ("fraud-endpoint", "Invoke"): "action not matched",
        ("fraud-endpoint", "Decrypt"): (
            "condition StringEquals on kms:EncryptionContext:model failed (key missing from the"
            " request)"
        ),
        ("fraud-endpoint", "NoDelete"): "action not matched",
        ("network", 0): "condition IpAddress on aws:SourceIp failed (key not matched)",
    }
    assert not any(report.applies for report in result.policies)
    wrong = evaluate(policies, ask("sagemaker:InvokeEndpoint", ENDPOINT + "2"), explain=True)
    assert wrong.policies[0].statements[0].reason == "resource not matched"


def test_explain_reports_principal_and_not_elements() -> None:
    bucket = policy(
        {
            "Sid": "Bob",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:user/bob"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        },
        {
            "Sid": "NotAlice",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [ALICE.arn, f"arn:aws:iam::{A}:root"]},
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*",
        },
        {
            "Sid": "NotHere",
            "Effect": "Deny",
            "Principal": "*",
            "NotAction": "s3:Get*",
            "NotResource": "arn:aws:s3:::b/*",
        },
        kind="resource",
    )
    result = evaluate(
        PolicySet(resource={"bucket": bucket}),
        ask("s3:GetObject", "arn:aws:s3:::b/k"),
        explain=True,
    )
    reasons = [s.reason for s in result.policies[0].statements]
    assert reasons == [
        "principal not matched",
        "principal excluded by NotPrincipal",
        "action excluded by NotAction",
    ]


def test_policy_sets_check_the_kind_of_each_policy() -> None:
    with pytest.raises(Invalid) as caught:
        PolicySet(resource={"key": FRAUD})
    assert caught.value.field == "resource['key']"
    with pytest.raises(Invalid):
        PolicySet(scps=[{"FullAWSAccess": FRAUD}])


def test_principal_keys_come_from_the_caller_not_the_context() -> None:
    abac = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:PrincipalTag/team": "risk", "aws:username": "alice"}
            },
        }
    )
    policies = PolicySet(identity={"abac": abac})
    spoof = {"aws:PrincipalTag/team": "risk", "AWS:USERNAME": "alice"}
    assert not evaluate(policies, ask("s3:GetObject", "*", **spoof)).allowed
    risk = Caller(arn=ALICE.arn, user_name="alice", tags={"Team": "risk"})
    assert evaluate(policies, ask("s3:GetObject", "*", caller=risk)).allowed


def test_request_time_fills_current_and_epoch_time() -> None:
    window = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
                "DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"},
                "NumericLessThan": {"aws:EpochTime": "1780272000"},
            },
        }
    )
    policies = PolicySet(identity={"window": window})

    def at(moment: datetime) -> bool:
        request = Request(caller=ALICE, action="s3:GetObject", resource="*", time=moment)
        return evaluate(policies, request).allowed

    assert at(datetime(2026, 5, 31, tzinfo=UTC))
    assert not at(datetime(2026, 6, 2, tzinfo=UTC))


def test_cached_decisions_do_not_leak_between_callers() -> None:
    unconditional = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    policies = PolicySet(identity={"p": unconditional})
    same = ask("s3:GetObject", "arn:aws:s3:::b/k")
    assert evaluate(policies, same).allowed
    stranger = Caller(arn=f"arn:aws:iam::{B}:user/eve")
    other_account = Request(
        caller=stranger, action="s3:GetObject", resource="arn:aws:s3:::b/k", resource_account=A
    )
    assert evaluate(policies, other_account).decision == "ImplicitDeny"
    nameless = Caller(arn="alice")  # no account at all
    assert not evaluate(policies, ask("s3:GetObject", "arn:aws:s3:::b/k", caller=nameless)).allowed
    service = Caller(arn="sagemaker.amazonaws.com", type="Service")
    assert not evaluate(policies, ask("s3:GetObject", "arn:aws:s3:::b/k", caller=service)).allowed
    assert evaluate(policies, same).allowed


def test_conditional_decisions_follow_each_request() -> None:
    policies = PolicySet(identity={"fraud-endpoint": FRAUD})
    right = {"kms:EncryptionContext:model": "fraud"}
    wrong = {"kms:EncryptionContext:model": "churn"}
    for _ in range(3):
        assert evaluate(policies, ask("kms:Decrypt", KEY, **right)).allowed
        assert not evaluate(policies, ask("kms:Decrypt", KEY, **wrong)).allowed


def test_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate_module, "_MAX_CACHED_PAIRS", 2)
    monkeypatch.setattr(evaluate_module, "_MAX_CACHED_ACTIONS", 2)
    policies = PolicySet(identity={"fraud-endpoint": FRAUD})
    for i in range(10):
        evaluate(policies, ask(f"sagemaker:Action{i}", f"{ENDPOINT}{i}"))
    index = policies._index
    assert len(index._by_pair) <= 2 and len(index._by_action) <= 2
    assert evaluate(policies, ask("sagemaker:InvokeEndpoint", ENDPOINT)).allowed


def test_resource_wildcards_stay_within_their_arn_part() -> None:
    keys = policy({"Effect": "Allow", "Action": "kms:*", "Resource": "arn:aws:kms:*:*:key/*"})
    users = policy({"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/?o*"})
    policies = PolicySet(identity={"keys": keys, "users": users})

    def allowed(action: str, resource: str) -> bool:
        return evaluate(policies, Request(caller=ALICE, action=action, resource=resource)).allowed

    assert allowed("kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:key/1")
    assert allowed("kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:key/a:b/c")
    assert not allowed("kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:alias/x:key/1")
    assert allowed("iam:GetUser", f"arn:aws:iam::{A}:user/bob")
    assert allowed("iam:GetUser", f"arn:aws:iam::{A}:user/joe:x")
    assert not allowed("iam:GetUser", f"arn:aws:iam::{A}:role/x:user/bob")


def test_root_service_and_anonymous_callers() -> None:
    root = Caller(arn=f"arn:aws:iam::{A}:root", type="Account")
    assert evaluate(PolicySet(), ask("iam:CreateUser", "*", caller=root)).allowed
    public = policy(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site/*",
        },
        kind="resource",
    )
    anonymous = Caller(arn="anonymous", type="Anonymous")
    policies = PolicySet(resource={"site": public})
    assert evaluate(
        policies, ask("s3:GetObject", "arn:aws:s3:::site/index.html", caller=anonymous)
    ).allowed
    assert not evaluate(
        policies, ask("s3:PutObject", "arn:aws:s3:::site/x", caller=anonymous)
    ).allowed


# -- the fast path and the simulator agree, on random policy sets ------------------------------

ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:Encrypt", "sagemaker:InvokeEndpoint"]
PATTERNS = ["*", "s3:*", "s3:Get*", "kms:?ecrypt", "sagemaker:Invoke*", *ACTIONS]
RESOURCES = [f"arn:aws:s3:::b/{n}" for n in ("a", "b")] + [KEY, ENDPOINT]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}", KEY, ENDPOINT]
CALLERS = [
    ALICE,
    Caller(
        arn=f"arn:aws:sts::{A}:assumed-role/r/s",
        type="AssumedRole",
        parent_arn=f"arn:aws:iam::{A}:role/r",
        tags={"team": "risk"},
    ),
    Caller(arn=f"arn:aws:iam::{B}:user/bob", user_name="bob"),
    Caller(arn=f"arn:aws:iam::{A}:root", type="Account"),
    Caller(arn="anonymous", type="Anonymous"),
    Caller(arn="alice"),
    Caller(arn="sagemaker.amazonaws.com", type="Service"),
]
PRINCIPALS = ["*", A, B, ALICE.arn, f"arn:aws:iam::{A}:role/r"]
CONDITIONS = [
    {},
    {"StringEquals": {"aws:PrincipalTag/team": "fraud"}},
    {"StringNotEqualsIfExists": {"svc:tag": "x"}},
    {"ForAllValues:StringLike": {"svc:list": ["a*"]}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"Null": {"svc:tag": "true"}},
]


@st.composite
def statements(draw: st.DrawFn, *, resource_policy: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        draw(st.sampled_from(["Action", "Action", "NotAction"])): draw(
            st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2)
        ),
        draw(st.sampled_from(["Resource", "Resource", "NotResource"])): draw(
            st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2)
        ),
    }
    condition = draw(st.sampled_from(CONDITIONS))
    if condition:
        out["Condition"] = condition
    if resource_policy:
        name = draw(st.sampled_from(["Principal", "Principal", "NotPrincipal"]))
        out[name] = {"AWS": draw(st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=2))}
    return out


def _policies(draw: st.DrawFn, kind: str, most: int) -> dict[str, Any]:
    count = draw(st.integers(min_value=0, max_value=most))
    return {
        f"{kind}{i}": policy(
            *draw(st.lists(statements(resource_policy=kind == "resource"), min_size=1, max_size=3)),
            kind=kind,
        )
        for i in range(count)
    }


@st.composite
def policy_sets(draw: st.DrawFn) -> PolicySet:
    return PolicySet(
        identity=_policies(draw, "identity", 3),
        resource=_policies(draw, "resource", 1),
        boundary=_policies(draw, "boundary", 1),
        session=_policies(draw, "session", 1),
        scps=[_policies(draw, "scp", 1) for _ in range(draw(st.integers(0, 2)))],
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["svc:tag"] = draw(st.sampled_from(["x", "y"]))
    if draw(st.booleans()):
        context["svc:list"] = draw(st.lists(st.sampled_from(["ab", "b"]), max_size=2))
    context["aws:SecureTransport"] = draw(st.booleans())
    return Request(
        caller=draw(st.sampled_from(CALLERS)),
        action=draw(st.sampled_from(ACTIONS)),
        resource=draw(st.sampled_from(RESOURCES)),
        resource_account=A,
        context=context,
    )


@settings(max_examples=150, deadline=None)
@given(policy_sets(), st.lists(requests(), min_size=1, max_size=4))
def test_fast_path_and_simulator_agree(policies: PolicySet, asked: list[Request]) -> None:
    for request in asked * 2:  # twice: the second pass runs on warm caches
        fast = evaluate(policies, request)
        slow = evaluate(policies, request, explain=True)
        assert (fast.decision, fast.deciding, fast.reason) == (
            slow.decision,
            slow.deciding,
            slow.reason,
        )
        if fast.decision == "ExplicitDeny":
            assert all(ref.effect == "Deny" for ref in fast.deciding)
        applied = {s.ref for report in slow.policies for s in report.statements if s.applies}
        assert set(fast.deciding) <= applied
