"""The seed policies (issue 4, item 7), enforced through the real gate, authorizer and trail:
seed 003's fraud-endpoint role, a training guardrail, a permissions boundary, a cross-account
role, and a tag-based (ABAC) policy. sagemaker:* actions are declared for the tests only
(conftest); their handler is a stand-in."""

from __future__ import annotations

import json

import pytest
from access_helpers import ConnectAs, allow, call, deny, last_event, policy, trust

from bastion.errors import AccessDenied, Invalid
from bastion.sdk import Bastion


def _endpoint(owner: Bastion, name: str) -> str:
    return f"arn:bastion:sagemaker:local:{owner.account_id}:endpoint/{name}"


def test_seed_003_fraud_endpoint_role(owner: Bastion, connect_as: ConnectAs) -> None:
    """Invoke and decrypt are allowed, DeleteEndpoint is denied, nothing else is allowed."""
    account = owner.account_id
    key = owner.keys.create_key(description="fraud data")
    other_key = owner.keys.create_key(description="something else")
    fraud = _endpoint(owner, "fraud")
    owner.access.create_user("app")
    owner.access.put_user_policy(
        "app", "assume", policy(allow("sts:AssumeRole", f"arn:bastion:iam::{account}:role/*"))
    )
    role = owner.access.create_role("fraud-client", trust(f"arn:bastion:iam::{account}:root"))
    owner.access.put_role_policy(
        "fraud-client",
        "least-privilege",
        policy(
            {**allow("sagemaker:InvokeEndpoint", fraud), "Sid": "InvokeFraudEndpoint"},
            {**allow("kms:Decrypt", key.arn), "Sid": "DecryptFraudData"},
            {**deny("sagemaker:DeleteEndpoint"), "Sid": "NeverDeleteEndpoints"},
        ),
    )
    app = connect_as(owner.access.create_api_token(user_name="app").token)
    creds = app.access.assume_role(role.arn, "fraud-scoring")
    client = connect_as(creds.session_token)
    assert client.access.get_caller_identity()["Arn"] == (
        f"arn:bastion:sts::{account}:assumed-role/fraud-client/fraud-scoring"
    )
    blob = owner.keys.encrypt(key.key_id, b"card 4111").ciphertext_blob

    assert call(client, "sagemaker:InvokeEndpoint", fraud) == "ran"
    assert client.keys.decrypt(blob).plaintext == b"card 4111"
    with pytest.raises(AccessDenied) as info:
        call(client, "sagemaker:DeleteEndpoint", fraud)
    assert "explicit deny" in info.value.message
    deleted = last_event(owner, "DeleteEndpoint")
    assert deleted["errorCode"] == "AccessDenied"
    assert "'NeverDeleteEndpoints'" in deleted["errorMessage"]
    assert deleted["userIdentity"]["type"] == "AssumedRole"
    assert deleted["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == role.arn

    other_blob = owner.keys.encrypt(other_key.key_id, b"x").ciphertext_blob
    nothing_else = [
        lambda: call(client, "sagemaker:InvokeEndpoint", _endpoint(owner, "other")),
        lambda: call(client, "sagemaker:CreateEndpoint", fraud),
        lambda: client.keys.decrypt(other_blob),
        lambda: client.keys.encrypt(key.key_id, b"x"),
        lambda: client.keys.create_key(),
        lambda: client.store.list_buckets(),
        lambda: client.access.create_user("mallory"),
        lambda: client.audit.lookup(),
    ]
    for attempt in nothing_else:
        with pytest.raises(AccessDenied):
            attempt()
    denied = owner.audit.query(
        "SELECT count(*) FROM events WHERE error_code = 'AccessDenied' "
        "AND user_arn LIKE '%assumed-role/fraud-client/%'"
    )
    assert denied.rows[0][0] == len(nothing_else) + 1


def test_guardrail_denies_training_without_isolation_or_volume_key(
    owner: Bastion, connect_as: ConnectAs
) -> None:
    account = owner.account_id
    guardrail = owner.access.create_guardrail(
        "RequireIsolatedEncryptedTraining",
        policy(
            {
                **deny("sagemaker:CreateTrainingJob"),
                "Sid": "DenyTrainingWithNetwork",
                "Condition": {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}},
            },
            {
                **deny("sagemaker:CreateTrainingJob"),
                "Sid": "DenyTrainingWithoutVolumeKey",
                "Condition": {"Null": {"sagemaker:VolumeKmsKey": "true"}},
            },
        ),
    )
    owner.access.attach_guardrail(guardrail.guardrail_id, account)
    owner.access.create_user("scientist")
    owner.access.put_user_policy("scientist", "all", policy(allow("sagemaker:*")))
    scientist = connect_as(owner.access.create_api_token(user_name="scientist").token)
    job = f"arn:bastion:sagemaker:local:{account}:training-job/fraud-xgb"
    key = f"arn:bastion:kms:local:{account}:key/1234"
    good = {"sagemaker:NetworkIsolation": True, "sagemaker:VolumeKmsKey": key}
    assert call(scientist, "sagemaker:CreateTrainingJob", job, extra=good) == "ran"
    for bad, sid in (
        ({"sagemaker:VolumeKmsKey": key}, "DenyTrainingWithNetwork"),
        ({**good, "sagemaker:NetworkIsolation": False}, "DenyTrainingWithNetwork"),
        ({"sagemaker:NetworkIsolation": True}, "DenyTrainingWithoutVolumeKey"),
    ):
        for who in (scientist, owner):  # the guardrail bounds the owner too
            with pytest.raises(AccessDenied) as info:
                call(who, "sagemaker:CreateTrainingJob", job, extra=bad)
            assert "guardrail" in info.value.message
            assert f"'{sid}'" in last_event(owner, "CreateTrainingJob")["errorMessage"]


def test_permissions_boundary_caps_an_administrator(owner: Bastion, connect_as: ConnectAs) -> None:
    boundary = owner.access.create_policy(
        "DataScientistBoundary",
        policy(allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "s3:Get*", "s3:List*"])),
    )
    owner.access.create_user("dev", permissions_boundary=boundary.arn)
    owner.access.put_user_policy("dev", "admin", policy(allow("*")))
    dev = connect_as(owner.access.create_api_token(user_name="dev").token)
    key = owner.keys.create_key()
    dev.keys.encrypt(key.key_id, b"x")
    dev.store.list_buckets()
    for attempt in (
        dev.keys.create_key,
        lambda: dev.keys.disable_key(key.key_id),
        lambda: dev.access.create_user("x"),
        lambda: dev.access.delete_user_permissions_boundary("dev"),
    ):
        with pytest.raises(AccessDenied, match="permissions boundary"):
            attempt()


def test_cross_account_role_and_key(owner: Bastion, connect_as: ConnectAs) -> None:
    """Dev (the management account) trains and keeps the key; prod deploys. Cross-account access
    needs both sides: the key policy (or trust policy) and the caller's identity policy."""
    dev = owner.account_id
    prod = owner.access.create_account("prod").account_id
    key = owner.keys.create_key(description="model artifacts")
    blob = owner.keys.encrypt(key.key_id, b"model bytes").ciphertext_blob

    # the owner administers prod through the role AWS Organizations sets up
    admin_role = f"arn:bastion:iam::{prod}:role/OrganizationAccountAccessRole"
    admin = connect_as(owner.access.assume_role(admin_role, "setup").session_token)
    assert admin.access.get_caller_identity()["Account"] == prod
    deployer = admin.access.create_role(
        "deployer", trust(f"arn:bastion:iam::{dev}:user/ci"), tags={"stage": "prod"}
    )
    assert deployer.arn == f"arn:bastion:iam::{prod}:role/deployer"
    admin.access.put_role_policy("deployer", "decrypt", policy(allow("kms:Decrypt", key.arn)))

    owner.access.create_user("ci")
    owner.access.create_user("intern")
    ci = connect_as(owner.access.create_api_token(user_name="ci").token)
    intern = connect_as(owner.access.create_api_token(user_name="intern").token)
    with pytest.raises(AccessDenied):  # the trust policy names ci, but ci's policies do not allow
        ci.access.assume_role(deployer.arn, "deploy")
    owner.access.put_user_policy("ci", "assume", policy(allow("sts:AssumeRole", deployer.arn)))
    owner.access.put_user_policy("intern", "assume", policy(allow("sts:AssumeRole", deployer.arn)))
    with pytest.raises(AccessDenied):  # intern may, but the trust policy does not name intern
        intern.access.assume_role(deployer.arn, "deploy")
    session = connect_as(ci.access.assume_role(deployer.arn, "deploy").session_token)
    with pytest.raises(AccessDenied, match="resource-based policy"):
        session.keys.decrypt(blob)  # dev's key policy does not trust prod yet
    owner.keys.put_key_policy(
        key.key_id,
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:bastion:iam::{dev}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "ProdMayDecrypt",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:bastion:iam::{prod}:root"},
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                    },
                ],
            }
        ),
    )
    assert session.keys.decrypt(blob).plaintext == b"model bytes"
    admin.access.delete_inline_policy("role", "deployer", "decrypt")
    with pytest.raises(AccessDenied):  # both sides are needed
        session.keys.decrypt(blob)


def test_abac_with_session_tags(owner: Bastion, connect_as: ConnectAs) -> None:
    account = owner.account_id
    owner.access.create_role(
        "analyst",
        trust(f"arn:bastion:iam::{account}:root", actions=["sts:AssumeRole", "sts:TagSession"]),
    )
    owner.access.put_role_policy(
        "analyst",
        "same-project",
        policy(
            allow(
                ["kms:Encrypt", "kms:Decrypt"],
                Condition={
                    "StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}
                },
            )
        ),
    )
    fraud_key = owner.keys.create_key(tags={"project": "fraud"})
    churn_key = owner.keys.create_key(tags={"project": "churn"})
    role = f"arn:bastion:iam::{account}:role/analyst"
    fraud = connect_as(
        owner.access.assume_role(role, "a1", tags={"project": "fraud"}).session_token
    )
    fraud.keys.encrypt(fraud_key.key_id, b"x")
    with pytest.raises(AccessDenied):
        fraud.keys.encrypt(churn_key.key_id, b"x")
    untagged = connect_as(owner.access.assume_role(role, "a2").session_token)
    with pytest.raises(AccessDenied):
        untagged.keys.encrypt(fraud_key.key_id, b"x")
    with pytest.raises(Invalid):
        owner.access.assume_role(role, "a3", tags={"aws:project": "fraud"})
