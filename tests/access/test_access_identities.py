"""Users, groups, roles, managed and inline policies, tags, boundaries, guardrails and accounts:
operations, IAM's rules, and hostile input refused with the field named."""

from __future__ import annotations

import json

import pytest
from access_helpers import allow, policy, trust
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.access._names import check_name, check_tags
from bastion.errors import Conflict, Invalid, NotFound
from bastion.sdk import Bastion


def test_user_lifecycle_and_audit(owner: Bastion) -> None:
    account = owner.account_id
    user = owner.access.create_user("alice", path="/ml/", tags={"team": "risk"})
    assert user.arn == f"arn:bastion:iam::{account}:user/ml/alice"
    assert user.user_id.startswith("AIDA") and len(user.user_id) == 21
    assert owner.access.get_user("ALICE").name == "alice"  # names are case-insensitive
    with pytest.raises(Conflict, match="case-insensitive"):
        owner.access.create_user("Alice")
    refused, created = (
        e.cloudtrail_event() for e in owner.audit.lookup(event_name="CreateUser").events
    )
    assert refused["errorCode"] == "ConflictException"
    assert created["eventSource"] == "iam.amazonaws.com"
    assert created["requestParameters"]["userName"] == "alice"
    assert created["responseElements"]["user"]["arn"] == user.arn
    owner.access.tag_user("alice", {"Team": "growth", "cost": "ml"})
    assert owner.access.list_user_tags("alice") == {"Team": "growth", "cost": "ml"}
    owner.access.untag_user("alice", ["COST"])
    assert owner.access.list_user_tags("alice") == {"Team": "growth"}
    assert [u.name for u in owner.access.list_users(path_prefix="/ml/")] == ["alice"]
    owner.access.delete_user("alice")
    with pytest.raises(NotFound):
        owner.access.get_user("alice")


def test_groups(owner: Bastion) -> None:
    owner.access.create_user("alice")
    owner.access.create_group("ds")
    owner.access.add_user_to_group("ds", "alice")
    owner.access.add_user_to_group("ds", "alice")  # idempotent
    assert owner.access.get_group("ds") == ["alice"]
    assert [g.name for g in owner.access.list_groups_for_user("alice")] == ["ds"]
    with pytest.raises(Conflict):
        owner.access.create_group("DS")
    with pytest.raises(NotFound):
        owner.access.remove_user_from_group("ds", "nobody")
    owner.access.delete_group("ds")
    assert owner.access.list_groups_for_user("alice") == []


def test_roles(owner: Bastion) -> None:
    account = owner.account_id
    role = owner.access.create_role(
        "ops", trust(f"arn:bastion:iam::{account}:root"), description="operators", tags={"a": "b"}
    )
    assert role.role_id.startswith("AROA") and role.max_session_duration == 3600
    assert json.loads(role.trust_policy)["Statement"][0]["Principal"]["AWS"].endswith(":root")
    updated = owner.access.update_role("ops", max_session_duration=7200, description="x")
    assert updated.max_session_duration == 7200 and updated.description == "x"
    for bad in (3599, 43_201):
        with pytest.raises(Invalid, match="max_session_duration"):
            owner.access.update_role("ops", max_session_duration=bad)
    with pytest.raises(Invalid, match=r"assume_role_policy_document\.Statement"):
        owner.access.create_role("bad", policy(allow("kms:*")))  # a trust policy needs Principal
    with pytest.raises(Invalid, match="StringEqulas"):
        owner.access.update_assume_role_policy(
            "ops",
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": account},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEqulas": {"sts:ExternalId": "x"}},
                        }
                    ],
                }
            ),
        )
    owner.access.delete_role("ops")
    assert owner.access.list_roles() == []


def test_managed_policy_versions(owner: Bastion) -> None:
    managed = owner.access.create_policy("P", policy(allow("kms:ListKeys")), description="d")
    assert managed.default_version == "v1" and managed.policy_id.startswith("ANPA")
    for _ in range(4):
        owner.access.create_policy_version(managed.arn, policy(allow("kms:DescribeKey")))
    with pytest.raises(Conflict, match="5 versions"):
        owner.access.create_policy_version(managed.arn, policy(allow("kms:DescribeKey")))
    with pytest.raises(Conflict, match="default version"):
        owner.access.delete_policy_version(managed.arn, "v1")
    owner.access.delete_policy_version(managed.arn, "v3")
    v6 = owner.access.create_policy_version(
        managed.arn, policy(allow("kms:Encrypt")), set_as_default=True
    )
    assert v6.version_id == "v6"
    assert owner.access.get_policy(managed.arn).default_version == "v6"
    assert "kms:Encrypt" in owner.access.get_policy_version(managed.arn).document
    assert [v.version_id for v in owner.access.list_policy_versions(managed.arn)] == [
        "v1",
        "v2",
        "v4",
        "v5",
        "v6",
    ]
    for bad in ("1", "v", "vx", None):
        with pytest.raises(Invalid, match="version_id"):
            owner.access.set_default_policy_version(managed.arn, bad)  # type: ignore[arg-type]
    owner.access.create_user("alice")
    owner.access.attach_user_policy("alice", managed.arn)
    with pytest.raises(Conflict, match="still in use"):
        owner.access.delete_policy(managed.arn)
    owner.access.detach_user_policy("alice", managed.arn)
    owner.access.delete_policy(managed.arn)
    with pytest.raises(NotFound):
        owner.access.get_policy(managed.arn)


def test_inline_policies(owner: Bastion) -> None:
    owner.access.create_user("alice")
    owner.access.put_user_policy("alice", "one", {"Version": "2012-10-17", "Statement": allow("*")})
    owner.access.put_user_policy("alice", "one", policy(allow("kms:*")))  # replaces
    assert owner.access.list_inline_policies("user", "alice") == ["one"]
    assert "kms:*" in owner.access.get_inline_policy("user", "alice", "one").document
    with pytest.raises(NotFound):
        owner.access.delete_inline_policy("user", "alice", "two")
    with pytest.raises(Invalid, match="kind"):
        owner.access.put_inline_policy("robot", "alice", "x", policy(allow("*")))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "document, field",
    [
        ("not json", "policy_document"),
        ("[]", "policy_document"),
        (json.dumps({"Version": "2012-10-17"}), "policy_document.Statement"),
        (policy({"Effect": "Maybe", "Action": "*", "Resource": "*"}), "Statement[0].Effect"),
        (policy({"Effect": "Allow", "Action": "kms", "Resource": "*"}), "Statement[0].Action"),
        ("{" * 5000, "policy_document"),
        (policy(allow("*"), allow("*")) + "x", "policy_document"),
    ],
)
def test_hostile_policy_documents_are_refused(owner: Bastion, document: str, field: str) -> None:
    owner.access.create_user("alice")
    with pytest.raises(Invalid) as info:
        owner.access.put_user_policy("alice", "p", document)
    assert info.value.field is not None and info.value.field.startswith("policy_document")
    assert field in info.value.field


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "../etc", "al\x00ice", "é", "a/b", 42, None])
def test_hostile_names_are_refused(owner: Bastion, name: object) -> None:
    with pytest.raises(Invalid, match="user_name"):
        owner.access.create_user(name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "tags",
    [
        {"aws:x": "y"},
        {"": "y"},
        {"k" * 129: "v"},
        {"k": "v" * 257},
        {"k": "v", "K": "w"},
        {f"k{i}": "v" for i in range(51)},
        {"k": 1},
        ["k", "v"],
    ],
)
def test_hostile_tags_are_refused(owner: Bastion, tags: object) -> None:
    with pytest.raises(Invalid, match="tags"):
        owner.access.create_user("alice", tags=tags)  # type: ignore[arg-type]


def test_paths_and_boundaries(owner: Bastion) -> None:
    for path in ("ml", "/ml", "ml/", "/a//b/\x00/"):
        with pytest.raises(Invalid, match="path"):
            owner.access.create_user("alice", path=path)
    with pytest.raises(NotFound, match="create_policy"):
        owner.access.create_user("alice", permissions_boundary="arn:bastion:iam::1:policy/nope")


def test_guardrails_and_accounts(owner: Bastion) -> None:
    account = owner.account_id
    (full,) = owner.access.list_guardrails()
    assert full.name == "FullAccess" and account in full.targets
    root_id = next(t for t in full.targets if t.startswith("r-"))
    ou = owner.access.create_organizational_unit("prod")
    member = owner.access.create_account("prod-1", parent_id=ou.ou_id)
    assert member.parent_id == ou.ou_id and not member.management
    guardrail = owner.access.create_guardrail(
        "NoDelete", policy({"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
    )
    owner.access.attach_guardrail("NoDelete", ou.ou_id)
    with pytest.raises(Conflict, match="already attached"):
        owner.access.attach_guardrail(guardrail.guardrail_id, ou.ou_id)
    with pytest.raises(Conflict, match="last guardrail"):
        owner.access.detach_guardrail("FullAccess", member.account_id)
    with pytest.raises(Conflict, match="still attached"):
        owner.access.delete_guardrail("NoDelete")
    with pytest.raises(Conflict, match="built-in"):
        owner.access.delete_guardrail("FullAccess")
    with pytest.raises(Invalid, match="target_id"):
        owner.access.attach_guardrail("NoDelete", "nowhere")
    with pytest.raises(Conflict, match="not empty"):
        owner.access.delete_organizational_unit(ou.ou_id)
    owner.access.move_account(member.account_id, root_id)
    owner.access.detach_guardrail("NoDelete", ou.ou_id)
    owner.access.delete_organizational_unit(ou.ou_id)
    owner.access.delete_guardrail("NoDelete")
    assert {a.account_id for a in owner.access.list_accounts()} == {account, member.account_id}
    with pytest.raises(Invalid, match="content"):
        owner.access.create_guardrail(
            "Bad", policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
        )


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_name_rule_never_crashes(name: str) -> None:
    try:
        assert check_name(name, field="n", limit=64, operation="Op") == name
    except Invalid as exc:
        assert exc.field == "n"


@settings(max_examples=60)
@given(st.dictionaries(st.text(max_size=130), st.text(max_size=260), max_size=55))
def test_tag_rule_never_crashes(tags: dict[str, str]) -> None:
    try:
        assert check_tags(tags, operation="Op") == tags
    except Invalid as exc:
        assert exc.field is not None and exc.field.startswith("tags")
