"""Differential test against Cedar (cedarpy) on the subset Cedar can express.

The subset: identity policies of Allow/Deny statements with exact action and resource lists
(or ``*``) and ``StringEquals`` conditions on context keys (several keys AND-ed, several values
OR-ed). Each statement becomes one ``permit``/``forbid``; IAM's "explicit deny wins, else allow
if any statement allows" is Cedar's "forbid overrides permit, default deny".
"""

from __future__ import annotations

import json
from typing import Any

import cedarpy
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.access.policy import Caller, PolicySet, Request, evaluate, parse_policy

ACCOUNT = "111122223333"
CALLER = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/alice", user_name="alice")
ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "sagemaker:InvokeEndpoint"]
RESOURCES = [
    "arn:aws:s3:::data/train.csv",
    "arn:aws:s3:::data/test.csv",
    f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1",
    f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/fraud",
]
KEYS = ["svc:stage", "svc:team", "aws:RequestedRegion"]
VALUES = ["dev", "prod", "fraud", "eu-west-1"]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Action": draw(
            st.sampled_from(["*"]) | st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3)
        ),
        "Resource": draw(
            st.sampled_from(["*"]) | st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=3)
        ),
    }
    condition = draw(
        st.dictionaries(
            st.sampled_from(KEYS),
            st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
            max_size=2,
        )
    )
    if condition:
        statement["Condition"] = {"StringEquals": condition}
    return statement


def _one_or_list(value: str | list[str], kind: str) -> str:
    if value == "*":
        return ""
    items = [value] if isinstance(value, str) else value
    return "[" + ", ".join(f"{kind}::{json.dumps(v)}" for v in items) + "]"


def to_cedar(statement: dict[str, Any]) -> str:
    effect = "permit" if statement["Effect"] == "Allow" else "forbid"
    actions = _one_or_list(statement["Action"], "Action")
    scope = (
        f"principal, action in {actions}, resource" if actions else "principal, action, resource"
    )
    clauses = ["true"]
    resources = _one_or_list(statement["Resource"], "Resource")
    if resources:
        clauses.append(f"{resources}.contains(resource)")
    for key, values in statement.get("Condition", {}).get("StringEquals", {}).items():
        options = " || ".join(f"context[{json.dumps(key)}] == {json.dumps(v)}" for v in values)
        clauses.append(f"(context has {json.dumps(key)} && ({options}))")
    return f"{effect}({scope}) when {{ {' && '.join(clauses)} }};"


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    context = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3))
    return draw(st.sampled_from(ACTIONS)), draw(st.sampled_from(RESOURCES)), context


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(statements(), min_size=1, max_size=4), min_size=1, max_size=4),
    st.lists(requests(), min_size=1, max_size=8),
)
def test_bastion_agrees_with_cedar(
    documents: list[list[dict[str, Any]]], asked: list[tuple[str, str, dict[str, str]]]
) -> None:
    policies = PolicySet(
        identity={
            f"p{i}": parse_policy({"Version": "2012-10-17", "Statement": statements})
            for i, statements in enumerate(documents)
        }
    )
    text = "\n".join(to_cedar(s) for statements in documents for s in statements)
    cedar_policies = cedarpy.PolicySet.from_str(text)
    for action, resource, context in asked:
        ours = evaluate(
            policies, Request(caller=CALLER, action=action, resource=resource, context=context)
        )
        theirs = cedarpy.is_authorized(
            {
                "principal": 'User::"alice"',
                "action": f"Action::{json.dumps(action)}",
                "resource": f"Resource::{json.dumps(resource)}",
                "context": context,
            },
            cedar_policies,
            [],
        )
        assert not theirs.diagnostics.errors
        assert ours.allowed == theirs.allowed, (ours.reason, text, context)
        # Cedar names the policies that decided: forbids for an explicit deny, none for an
        # implicit one, the permits for an allow.
        assert bool(theirs.diagnostics.reasons) == (ours.decision != "ImplicitDeny")
        assert len(theirs.diagnostics.reasons) == len(ours.deciding)
