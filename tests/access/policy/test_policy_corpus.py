"""The correctness oracle: cases from AWS's policy-evaluation documentation (corpus.json)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bastion.access.policy import Caller, PolicySet, Request, evaluate, parse_policy

CORPUS = json.loads((Path(__file__).parent / "corpus.json").read_text())
POLICIES = {
    name: parse_policy(spec["document"], kind=spec["kind"])
    for name, spec in CORPUS["policies"].items()
}


def _caller(spec: str | dict[str, Any]) -> Caller:
    fields = dict(CORPUS["callers"][spec]) if isinstance(spec, str) else dict(spec)
    return Caller(**fields)


def _named(names: list[str]) -> dict[str, Any]:
    return {name: POLICIES[name] for name in names}


def build(case: dict[str, Any]) -> tuple[PolicySet, Request]:
    policies = PolicySet(
        identity=_named(case.get("identity", [])),
        resource=_named(case.get("resource_policies", [])),
        boundary=_named(case.get("boundary", [])),
        session=_named(case.get("session", [])),
        scps=[_named(level) for level in case.get("scps", [])],
        resource_policy_required=case.get("resource_policy_required"),
    )
    time = case.get("time")
    request = Request(
        caller=_caller(case["caller"]),
        action=case["action"],
        resource=case["resource"],
        resource_account=case.get("resource_account"),
        context=case.get("context", {}),
        time=datetime.fromisoformat(time) if time else None,
    )
    return policies, request


def test_the_corpus_is_large_and_sourced() -> None:
    cases = CORPUS["cases"]
    assert len(cases) >= 150
    assert len({c["id"] for c in cases}) == len(cases)
    assert all(c["source"] in CORPUS["sources"] for c in cases)
    assert {c["expect"] for c in cases} == {"Allow", "ExplicitDeny", "ImplicitDeny"}


@pytest.mark.parametrize("case", CORPUS["cases"], ids=lambda c: c["id"])
def test_case(case: dict[str, Any]) -> None:
    policies, request = build(case)
    result = evaluate(policies, request)
    assert result.decision == case["expect"], f"{case['source']}: {result.reason}"
    explained = evaluate(policies, request, explain=True)
    assert explained.decision == result.decision
    assert explained.deciding == result.deciding
    assert explained.reason == result.reason
