"""The policy authorizer on every gate call: deny by default, policies, groups, versions,
boundaries, key policies, tags, cache invalidation, and denials audited with their reason."""

from __future__ import annotations

import json

import pytest
from access_helpers import ConnectAs, UserSession, allow, call, deny, last_event, policy

from bastion.errors import AccessDenied
from bastion.sdk import Bastion


def test_owner_may_do_everything_in_its_account(owner: Bastion) -> None:
    key = owner.keys.create_key(description="k")
    owner.keys.encrypt(key.key_id, b"x")
    assert (
        call(owner, "sagemaker:DeleteEndpoint", "arn:bastion:sagemaker:local:1:endpoint/x") == "ran"
    )
    assert owner.access.get_caller_identity()["Arn"].endswith(":root")


def test_a_new_user_may_do_nothing_and_the_denial_is_audited(
    owner: Bastion, user_session: UserSession
) -> None:
    alice = user_session("alice")
    with pytest.raises(AccessDenied) as info:
        alice.keys.create_key()
    assert "because no identity-based policy allows the kms:CreateKey action" in info.value.message
    assert info.value.reason.startswith("implicit deny")
    event = last_event(owner, "CreateKey")
    assert event["errorCode"] == "AccessDenied"
    assert event["userIdentity"]["userName"] == "alice"
    assert event["userIdentity"]["accessKeyId"].startswith("bst_")
    assert "implicit deny: no identity-based policy allows kms:CreateKey" in event["errorMessage"]
    assert owner.keys.list_keys() == []


def test_identity_policy_allows_and_explicit_deny_wins(
    owner: Bastion, user_session: UserSession
) -> None:
    key = owner.keys.create_key()
    alice = user_session(
        "alice",
        allow("kms:*"),
        {**deny("kms:Decrypt", key.arn), "Sid": "NoDecrypt"},
    )
    blob = alice.keys.encrypt(key.key_id, b"secret").ciphertext_blob
    with pytest.raises(AccessDenied) as info:
        alice.keys.decrypt(blob)
    assert "with an explicit deny in an identity-based policy" in info.value.message
    event = last_event(owner, "Decrypt")
    assert "'NoDecrypt'" in event["errorMessage"] and "user/alice/inline" in event["errorMessage"]


def test_group_policies_apply_to_members_only_while_they_are_members(
    owner: Bastion, user_session: UserSession
) -> None:
    alice = user_session("alice")
    owner.access.create_group("readers")
    owner.access.put_group_policy("readers", "read", policy(allow("kms:ListKeys")))
    with pytest.raises(AccessDenied):
        alice.keys.list_keys()
    owner.access.add_user_to_group("readers", "alice")
    assert alice.keys.list_keys() == []
    owner.access.remove_user_from_group("readers", "alice")
    with pytest.raises(AccessDenied):
        alice.keys.list_keys()


def test_managed_policy_default_version_decides(owner: Bastion, user_session: UserSession) -> None:
    alice = user_session("alice")
    managed = owner.access.create_policy("Lister", policy(allow("kms:ListKeys")))
    owner.access.attach_user_policy("alice", managed.arn)
    alice.keys.list_keys()
    v2 = owner.access.create_policy_version(managed.arn, policy(allow("kms:DescribeKey")))
    alice.keys.list_keys()  # v1 is still the default
    owner.access.set_default_policy_version(managed.arn, v2.version_id)
    with pytest.raises(AccessDenied):
        alice.keys.list_keys()
    owner.access.set_default_policy_version(managed.arn, "v1")
    owner.access.detach_user_policy("alice", managed.arn)
    with pytest.raises(AccessDenied):
        alice.keys.list_keys()


def test_permissions_boundary_intersects(owner: Bastion, user_session: UserSession) -> None:
    boundary = owner.access.create_policy("OnlyList", policy(allow("kms:List*")))
    alice = user_session("alice", allow("kms:*"))
    owner.access.put_user_permissions_boundary("alice", boundary.arn)
    alice.keys.list_keys()
    with pytest.raises(AccessDenied) as info:
        alice.keys.create_key()
    assert "permissions boundary" in info.value.message
    owner.access.delete_user_permissions_boundary("alice")
    alice.keys.create_key()


def test_key_policy_guards_the_key(owner: Bastion, user_session: UserSession) -> None:
    alice = user_session("alice", allow("kms:*"))
    mine = owner.keys.create_key()
    arn = alice.access.get_caller_identity()["Arn"]
    locked = owner.keys.create_key(
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": owner.runtime.principal.arn},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": arn},
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                    },
                ],
            }
        )
    )
    blob = owner.keys.encrypt(locked.key_id, b"x").ciphertext_blob
    alice.keys.encrypt(mine.key_id, b"x")  # default key policy: IAM decides
    with pytest.raises(AccessDenied) as info:
        alice.keys.decrypt(blob)
    assert "resource-based policy" in info.value.message
    assert "key policy" in last_event(owner, "Decrypt")["errorMessage"]
    assert owner.keys.decrypt(blob).plaintext == b"x"


def test_abac_with_principal_and_resource_tags(owner: Bastion, connect_as: ConnectAs) -> None:
    owner.access.create_user("alice", tags={"team": "risk"})
    owner.access.put_user_policy(
        "alice",
        "abac",
        policy(
            allow(
                "kms:Encrypt",
                Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
            )
        ),
    )
    alice = connect_as(owner.access.create_api_token(user_name="alice").token)
    risk = owner.keys.create_key(tags={"team": "risk"})
    growth = owner.keys.create_key(tags={"team": "growth"})
    alice.keys.encrypt(risk.key_id, b"x")
    with pytest.raises(AccessDenied):
        alice.keys.encrypt(growth.key_id, b"x")
    owner.keys.tag_resource(growth.key_id, {"team": "risk"})  # invalidates the cached tags
    alice.keys.encrypt(growth.key_id, b"x")
    owner.access.tag_user("alice", {"team": "growth"})
    with pytest.raises(AccessDenied):
        alice.keys.encrypt(risk.key_id, b"x")


def test_policy_changes_apply_at_once_in_other_connections(
    owner: Bastion, user_session: UserSession
) -> None:
    alice = user_session("alice", allow("kms:ListKeys"))
    alice.keys.list_keys()
    owner.access.delete_inline_policy("user", "alice", "inline")
    with pytest.raises(AccessDenied):
        alice.keys.list_keys()


def test_deleted_user_is_refused_and_its_token_stops(
    owner: Bastion, user_session: UserSession
) -> None:
    alice = user_session("alice", allow("kms:ListKeys"))
    owner.access.delete_user("alice")
    with pytest.raises(AccessDenied) as info:
        alice.keys.list_keys()
    assert "no longer exists" in info.value.reason


def test_request_condition_keys_reach_policies(owner: Bastion, user_session: UserSession) -> None:
    key = owner.keys.create_key()
    alice = user_session(
        "alice",
        allow(
            "kms:Encrypt",
            Condition={
                "StringEquals": {"kms:EncryptionContext:purpose": "fraud"},
                "Bool": {"aws:SecureTransport": "true"},
                "IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
            },
        ),
    )
    alice.keys.encrypt(key.key_id, b"x", encryption_context={"purpose": "fraud"})
    with pytest.raises(AccessDenied):
        alice.keys.encrypt(key.key_id, b"x", encryption_context={"purpose": "other"})
    with pytest.raises(AccessDenied):
        alice.keys.encrypt(key.key_id, b"x")


def test_a_room_cannot_forge_derived_keys(owner: Bastion, user_session: UserSession) -> None:
    alice = user_session(
        "alice",
        allow(
            "sagemaker:InvokeEndpoint", Condition={"StringEquals": {"aws:ResourceTag/env": "prod"}}
        ),
        allow("sagemaker:DeleteEndpoint", Condition={"StringEquals": {"aws:username": "bob"}}),
    )
    endpoint = "arn:bastion:sagemaker:local:1:endpoint/x"
    with pytest.raises(AccessDenied):
        call(alice, "sagemaker:InvokeEndpoint", endpoint, extra={"aws:ResourceTag/env": "prod"})
    with pytest.raises(AccessDenied):
        call(alice, "sagemaker:DeleteEndpoint", endpoint, extra={"aws:username": "bob"})


def test_store_tags_reach_policies(owner: Bastion, user_session: UserSession) -> None:
    key = owner.keys.create_key()
    owner.store.create_bucket("reports", default_key_id=key.key_id, tags={"env": "prod"})
    owner.store.put_object("reports", "public.csv", b"a,b", tags={"classification": "public"})
    owner.store.put_object("reports", "secret.csv", b"c,d", tags={"classification": "secret"})
    alice = user_session(
        "alice",
        allow(
            "s3:GetObject",
            Condition={"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
        ),
        allow("s3:ListBucket", Condition={"StringEquals": {"aws:ResourceTag/env": "prod"}}),
        allow("kms:Decrypt", key.arn),
    )
    assert alice.store.get_object("reports", "public.csv") == b"a,b"
    with pytest.raises(AccessDenied):
        alice.store.get_object("reports", "secret.csv")
    assert len(alice.store.list_objects("reports").objects) == 2
    owner.store.put_object_tagging("reports", "secret.csv", {"classification": "public"})
    assert alice.store.get_object("reports", "secret.csv") == b"c,d"
