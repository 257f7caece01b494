"""The simulator and the explanation of recorded calls."""

from __future__ import annotations

import pytest
from access_helpers import UserSession, allow, call, deny, policy, trust

from bastion.errors import AccessDenied, Invalid, NotFound
from bastion.sdk import Bastion


def test_simulate_names_the_deciding_statement_and_why_others_missed(owner: Bastion) -> None:
    account = owner.account_id
    owner.access.create_user("alice")
    owner.access.put_user_policy(
        "alice",
        "kms",
        policy(
            {**allow("kms:Decrypt"), "Sid": "Decrypt"},
            {
                **allow("kms:Encrypt"),
                "Sid": "EncryptFromOffice",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
        ),
    )
    owner.access.put_user_policy(
        "alice",
        "guard",
        policy({**deny("kms:Encrypt", "arn:bastion:kms:local:*:key/none"), "Sid": "Never"}),
    )
    alice = f"arn:bastion:iam::{account}:user/alice"

    allowed = owner.access.simulate(alice, "kms:Decrypt", "*")
    assert allowed.allowed and allowed.decision == "Allow"
    assert (allowed.deciding[0].policy, allowed.deciding[0].sid) == ("user/alice/kms", "Decrypt")

    denied = owner.access.simulate(alice, "kms:Encrypt", "*")
    assert denied.decision == "ImplicitDeny" and not denied.deciding
    reasons = {(p.policy, s.sid): s.reason for p in denied.policies for s in p.statements}
    assert reasons[("user/alice/kms", "Decrypt")] == "action not matched"
    assert "aws:SourceIp" in reasons[("user/alice/kms", "EncryptFromOffice")]
    assert reasons[("user/alice/guard", "Never")] == "resource not matched"

    office = owner.access.simulate(alice, "kms:Encrypt", "*", {"aws:SourceIp": "10.1.2.3"})
    assert office.allowed and office.deciding[0].sid == "EncryptFromOffice"

    root = owner.access.simulate(f"arn:bastion:iam::{account}:root", "kms:CreateKey", "*")
    assert root.allowed
    guardrails = [p for p in root.policies if p.policy_type == "scp"]
    assert {p.level for p in guardrails} == {0, 1} and all(p.matched for p in guardrails)


def test_simulate_a_role_and_its_trust(owner: Bastion) -> None:
    account = owner.account_id
    owner.access.create_user("bob")
    role = owner.access.create_role("ops", trust(f"arn:bastion:iam::{account}:user/bob"))
    owner.access.put_role_policy("ops", "list", policy(allow("kms:ListKeys")))
    assert owner.access.simulate(role.arn, "kms:ListKeys").allowed
    assert not owner.access.simulate(role.arn, "kms:CreateKey").allowed
    bob = f"arn:bastion:iam::{account}:user/bob"
    assume = owner.access.simulate(bob, "sts:AssumeRole", role.arn)
    assert assume.allowed
    assert any(d.policy_type == "resource" for d in assume.deciding)
    owner.access.create_user("carol")
    carol = owner.access.simulate(
        f"arn:bastion:iam::{account}:user/carol", "sts:AssumeRole", role.arn
    )
    assert carol.decision == "ImplicitDeny" and "trust policy of role ops" in carol.reason


def test_simulate_rejects_bad_input(owner: Bastion) -> None:
    root = f"arn:bastion:iam::{owner.account_id}:root"
    for args in (
        ("nope", "kms:Decrypt", "*"),
        (root, "kms", "*"),
        (root, "kms:*", "*"),
        (root, "kms:Decrypt", ""),
    ):
        with pytest.raises(Invalid):
            owner.access.simulate(*args)
    with pytest.raises(NotFound):
        owner.access.simulate(f"arn:bastion:iam::{owner.account_id}:user/nobody", "kms:Decrypt")
    with pytest.raises(Invalid):
        owner.access.simulate(root, "kms:Decrypt", "*", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_explain_a_denied_call_from_the_trail(owner: Bastion, user_session: UserSession) -> None:
    key = owner.keys.create_key()
    alice = user_session(
        "alice",
        allow("kms:*"),
        {
            **deny(
                "kms:Decrypt", Condition={"StringEquals": {"kms:EncryptionContext:tier": "gold"}}
            ),
            "Sid": "NoGold",
        },
    )
    blob = owner.keys.encrypt(key.key_id, b"x", encryption_context={"tier": "gold"}).ciphertext_blob
    with pytest.raises(AccessDenied):
        alice.keys.decrypt(blob, encryption_context={"tier": "gold"})
    (event,) = owner.audit.lookup(event_name="Decrypt", user="alice").events
    request_id = event.cloudtrail_event()["requestID"]

    explained = owner.access.explain(request_id)
    assert explained.recorded_error_code == "AccessDenied"
    assert explained.event_name == "kms:Decrypt"
    assert explained.simulation.decision == "ExplicitDeny"
    assert explained.simulation.deciding[0].sid == "NoGold"
    assert explained.simulation.context["kms:EncryptionContext:tier"] == "gold"

    with pytest.raises(Invalid, match="request_id"):
        owner.access.explain("'; DROP TABLE events; --")
    with pytest.raises(NotFound):
        owner.access.explain("00000000-0000-4000-8000-000000000000")


def test_simulate_and_explain_are_gated(owner: Bastion, user_session: UserSession) -> None:
    alice = user_session("alice")
    with pytest.raises(AccessDenied):
        alice.access.simulate(f"arn:bastion:iam::{owner.account_id}:root", "kms:Decrypt")
    with pytest.raises(AccessDenied):
        alice.access.explain("00000000-0000-4000-8000-000000000000")
    assert call(owner, "iam:SimulatePrincipalPolicy", "*") == "ran"


def test_validate_policy_warns_like_access_analyzer(owner: Bastion) -> None:
    warnings = owner.access.validate_policy(
        policy(allow("kms:Decrpyt"), allow("kms:Decrypt", "arn:bastion:s3:::bucket/*"))
    )
    codes = {w.code for w in warnings}
    assert "unknown-action" in codes and "unused-resource" in codes
    assert any("kms:Decrypt" in w.message for w in warnings if w.code == "unknown-action")
    with pytest.raises(Invalid, match=r"policy_document\.Statement"):
        owner.access.validate_policy('{"Version": "2012-10-17", "Statement": []}')
    assert owner.access.validate_policy(policy(allow("kms:Decrypt"))) == []
