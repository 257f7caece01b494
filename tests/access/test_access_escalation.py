"""The escalation suite (issue 4, item 8): each attempt is denied and recorded in the trail with
errorCode AccessDenied. Token and SigV4 attacks live in test_access_credentials.py and
test_access_sigv4.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from access_helpers import ConnectAs, UserSession, allow, call, deny, last_event, policy, trust

from bastion.access import PrincipalType
from bastion.errors import AccessDenied, Invalid
from bastion.sdk import Bastion
from bastion.testing import FrozenClock


def _denied(owner: Bastion, event: str) -> dict[str, object]:
    record = last_event(owner, event)
    assert record["errorCode"] == "AccessDenied", record
    return record


def test_put_user_policy_on_itself_under_a_boundary_cannot_escalate(
    owner: Bastion, connect_as: ConnectAs
) -> None:
    account = owner.account_id
    me = f"arn:bastion:iam::{account}:user/${{aws:username}}"
    boundary = owner.access.create_policy(
        "SelfServiceBoundary",
        policy(
            allow(["kms:DescribeKey", "kms:ListKeys"]),
            allow(["iam:PutUserPolicy", "iam:GetUserPolicy", "iam:ListUserPolicies"], me),
        ),
    )
    owner.access.create_user("eve", permissions_boundary=boundary.arn)
    owner.access.put_user_policy(
        "eve", "self-service", policy(allow(["iam:PutUserPolicy", "kms:ListKeys"], me))
    )
    eve = connect_as(owner.access.create_api_token(user_name="eve").token)
    owner.access.create_user("victim")

    # she may write her own policy, even one that grants everything ...
    eve.access.put_user_policy("eve", "grab", policy(allow("*")))
    # ... but the boundary still caps her: no new key, no boundary removal, no other user
    attempts = {
        "CreateKey": eve.keys.create_key,
        "DeleteUserPermissionsBoundary": lambda: eve.access.delete_user_permissions_boundary("eve"),
        "PutUserPermissionsBoundary": lambda: eve.access.put_user_permissions_boundary(
            "eve", boundary.arn
        ),
        "CreatePolicy": lambda: eve.access.create_policy("Admin", policy(allow("*"))),
        "AttachUserPolicy": lambda: eve.access.attach_user_policy("eve", boundary.arn),
        "CreateApiToken": lambda: eve.access.create_api_token(user_name="victim"),
        "AssumeRole": lambda: eve.access.assume_role(
            f"arn:bastion:iam::{account}:role/anything", "xx"
        ),
    }
    for event, attempt in attempts.items():
        with pytest.raises(AccessDenied):
            attempt()
        _denied(owner, event)
    with pytest.raises(AccessDenied):
        eve.access.put_user_policy("victim", "grab", policy(allow("*")))
    assert "user/victim" in str(_denied(owner, "PutUserPolicy")["resources"])
    assert owner.access.list_inline_policies("user", "victim") == []


def test_not_action_and_not_resource_traps(owner: Bastion, user_session: UserSession) -> None:
    key_a = owner.keys.create_key()
    key_b = owner.keys.create_key()
    # "everything but IAM" still gives no IAM, and no organisation changes
    alice = user_session("alice", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    alice.keys.describe_key(key_a.key_id)
    with pytest.raises(AccessDenied):
        alice.access.create_user("x")
    _denied(owner, "CreateUser")
    with pytest.raises(AccessDenied):
        alice.access.create_guardrail("g", policy(allow("*")))
    _denied(owner, "CreatePolicy")
    # a Deny with NotAction denies every other action, even one allowed elsewhere
    bob = user_session(
        "bob", allow("kms:*"), {"Effect": "Deny", "NotAction": "kms:Describe*", "Resource": "*"}
    )
    bob.keys.describe_key(key_a.key_id)
    with pytest.raises(AccessDenied):
        bob.keys.encrypt(key_a.key_id, b"x")
    _denied(owner, "Encrypt")
    # Deny NotResource protects every key but one: the allowed key is the only one usable
    carol = user_session(
        "carol",
        allow("kms:Encrypt"),
        {"Effect": "Deny", "Action": "kms:*", "NotResource": key_a.arn},
    )
    carol.keys.encrypt(key_a.key_id, b"x")
    with pytest.raises(AccessDenied):
        carol.keys.encrypt(key_b.key_id, b"x")
    _denied(owner, "Encrypt")
    # Allow with NotResource is not "allow on the others only if named"
    dave = user_session(
        "dave", {"Effect": "Allow", "Action": "kms:Encrypt", "NotResource": key_a.arn}
    )
    dave.keys.encrypt(key_b.key_id, b"x")
    with pytest.raises(AccessDenied):
        dave.keys.encrypt(key_a.key_id, b"x")
    _denied(owner, "Encrypt")


def test_assume_role_not_named_in_trust_is_denied(
    owner: Bastion, user_session: UserSession
) -> None:
    account = owner.account_id
    owner.access.create_user("bob")
    role = owner.access.create_role("admin", trust(f"arn:bastion:iam::{account}:user/bob"))
    owner.access.put_role_policy("admin", "all", policy(allow("*")))
    mallory = user_session("mallory", allow("sts:AssumeRole"))
    with pytest.raises(AccessDenied) as info:
        mallory.access.assume_role(role.arn, "pwn")
    assert "resource-based policy" in info.value.message
    record = _denied(owner, "AssumeRole")
    assert "trust policy of role admin" in str(record["errorMessage"])
    # a session cannot chain into a role that does not trust it either
    owner.access.create_role(
        "hop", trust(f"arn:bastion:iam::{account}:user/mallory"), max_session_duration=7200
    )
    owner.access.put_role_policy("hop", "assume", policy(allow("sts:AssumeRole")))
    hop = mallory.access.assume_role(f"arn:bastion:iam::{account}:role/hop", "hop")
    assert hop.expiration - owner.runtime.clock.now() == timedelta(hours=1)


def test_role_chaining_is_limited_to_one_hour(owner: Bastion, connect_as: ConnectAs) -> None:
    account = owner.account_id
    owner.access.create_role(
        "first", trust(f"arn:bastion:iam::{account}:root"), max_session_duration=43_200
    )
    owner.access.put_role_policy("first", "assume", policy(allow("sts:AssumeRole")))
    owner.access.create_role(
        "second",
        trust(f"arn:bastion:iam::{account}:role/first"),
        max_session_duration=43_200,
    )
    first = owner.access.assume_role(
        f"arn:bastion:iam::{account}:role/first", "one", duration_seconds=43_200
    )
    session = connect_as(first.session_token)
    with pytest.raises(Invalid, match="role chaining"):
        session.access.assume_role(
            f"arn:bastion:iam::{account}:role/second", "two", duration_seconds=7200
        )
    chained = session.access.assume_role(f"arn:bastion:iam::{account}:role/second", "two")
    assert chained.expiration - owner.runtime.clock.now() <= timedelta(hours=1)
    for seconds in (899, 43_201):
        with pytest.raises(Invalid, match="duration_seconds"):
            owner.access.assume_role(
                f"arn:bastion:iam::{account}:role/first", "xx", duration_seconds=seconds
            )


def test_session_policy_only_narrows(owner: Bastion, connect_as: ConnectAs) -> None:
    account = owner.account_id
    key = owner.keys.create_key()
    owner.access.create_role("ops", trust(f"arn:bastion:iam::{account}:root"))
    owner.access.put_role_policy("ops", "kms", policy(allow("kms:Encrypt")))
    narrowed = connect_as(
        owner.access.assume_role(
            f"arn:bastion:iam::{account}:role/ops",
            "narrow",
            policy=policy(allow(["kms:DescribeKey", "kms:Encrypt"], key.arn)),
        ).session_token
    )
    narrowed.keys.encrypt(key.key_id, b"x")
    with pytest.raises(AccessDenied):  # the session policy allows it; the role does not
        narrowed.keys.describe_key(key.key_id)
    with pytest.raises(AccessDenied, match="session policy"):
        narrowed.keys.encrypt(owner.keys.create_key().key_id, b"x")
    _denied(owner, "Encrypt")


def test_iam_star_cannot_lift_a_guardrail(owner: Bastion, connect_as: ConnectAs) -> None:
    account = owner.account_id
    guardrail = owner.access.create_guardrail(
        "NoKeyDeletion", policy(allow("*"), deny(["kms:ScheduleKeyDeletion", "kms:DisableKey"]))
    )
    owner.access.attach_guardrail(guardrail.guardrail_id, account)
    owner.access.detach_guardrail("FullAccess", account)
    owner.access.create_user("root-ish")
    owner.access.put_user_policy("root-ish", "all", policy(allow("iam:*"), allow("*")))
    admin = connect_as(owner.access.create_api_token(user_name="root-ish").token)
    key = owner.keys.create_key()
    admin.access.create_policy("Everything", policy(allow("*")))
    admin.access.attach_user_policy("root-ish", f"arn:bastion:iam::{account}:policy/Everything")
    attempts = {
        "ScheduleKeyDeletion": lambda: admin.keys.schedule_key_deletion(key.key_id),
        "DetachPolicy": lambda: admin.access.detach_guardrail(guardrail.guardrail_id, account),
        "UpdatePolicy": lambda: admin.access.update_guardrail(
            guardrail.guardrail_id, content=policy(allow("*"))
        ),
        "DeletePolicy": lambda: admin.access.delete_guardrail(guardrail.guardrail_id),
        "AttachPolicy": lambda: admin.access.attach_guardrail("FullAccess", account),
        "MoveAccount": lambda: admin.access.move_account(account, "r-0000"),
        "CreateAccount": lambda: admin.access.create_account("escape"),
    }
    for event, attempt in attempts.items():
        with pytest.raises(AccessDenied):
            attempt()
        _denied(owner, event)
    # a role with "*" is bound the same way
    owner.access.create_role("breakglass", trust(f"arn:bastion:iam::{account}:user/root-ish"))
    owner.access.put_role_policy("breakglass", "all", policy(allow("*")))
    role = connect_as(
        admin.access.assume_role(f"arn:bastion:iam::{account}:role/breakglass", "bg").session_token
    )
    with pytest.raises(AccessDenied, match="guardrail"):
        role.keys.disable_key(key.key_id)
    with pytest.raises(AccessDenied, match="owner"):
        role.access.detach_guardrail(guardrail.guardrail_id, account)
    # the guardrail bounds the owner too, and only the owner can lift it
    with pytest.raises(AccessDenied, match="guardrail"):
        owner.keys.disable_key(key.key_id)
    owner.access.attach_guardrail("FullAccess", account)
    owner.access.detach_guardrail(guardrail.guardrail_id, account)
    owner.keys.disable_key(key.key_id)


def test_expired_role_session_is_denied(
    owner: Bastion, connect_as: ConnectAs, clock: FrozenClock
) -> None:
    account = owner.account_id
    owner.access.create_role("ops", trust(f"arn:bastion:iam::{account}:root"))
    owner.access.put_role_policy("ops", "list", policy(allow("kms:ListKeys")))
    session = connect_as(
        owner.access.assume_role(
            f"arn:bastion:iam::{account}:role/ops", "short", duration_seconds=900
        ).session_token
    )
    session.keys.list_keys()
    clock.advance(minutes=15)
    with pytest.raises(AccessDenied, match="session expired"):
        session.keys.list_keys()
    _denied(owner, "ListKeys")
    with pytest.raises(AccessDenied, match="expired"):
        call(session, "kms:ListKeys", "*")


def test_unknown_principal_is_denied(owner: Bastion) -> None:
    forged = replace(
        owner.runtime.principal,
        arn=f"arn:bastion:iam::{owner.account_id}:user/ghost",
        type=PrincipalType.IAM_USER,
        name="ghost",
    )
    ghost = type(owner)(owner.runtime.acting_as(forged))
    with pytest.raises(AccessDenied, match="no longer exists"):
        ghost.keys.list_keys()
    _denied(owner, "ListKeys")
