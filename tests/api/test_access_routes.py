"""``/iam`` and ``/sts``: each route is one AccessClient call; IAM-shaped JSON, one error shape,
secrets shown once, hostile input refused as 400 (both databases)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from api_helpers import PEER, assert_error, policy
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.sdk import Bastion

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)
ENCRYPT_ONLY = policy({"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"})


def ok(response: Any, status: int = 200) -> Any:
    """The JSON of a response with ``status`` (``{}`` for 204)."""
    assert response.status_code == status, response.text
    return response.json() if status != 204 else {}


def test_users(client: TestClient, bastion: Bastion) -> None:
    made = ok(
        client.post(
            "/iam/users",
            json={"UserName": "alice", "Path": "/ml/", "Tags": [{"Key": "team", "Value": "risk"}]},
        )
    )["User"]
    assert isinstance(made, dict)
    assert made["UserName"] == "alice" and made["Path"] == "/ml/"
    assert made["Arn"] == f"arn:bastion:iam::{bastion.account_id}:user/ml/alice"
    assert made["Tags"] == [{"Key": "team", "Value": "risk"}]
    assert made["CreateDate"].endswith("Z")
    assert ok(client.get("/iam/users/alice"))["User"] == made
    listed = ok(client.get("/iam/users", params={"path-prefix": "/ml/"}))["Users"]
    assert listed == [made]
    assert bastion.access.get_user("alice").arn == made["Arn"]  # the SDK sees the same user
    r = client.post("/iam/users", json={"UserName": "alice"})
    assert_error(r.json(), status=409, code="conflict")
    ok(client.delete("/iam/users/alice"), 204)
    assert client.get("/iam/users/alice").status_code == 404


def test_groups_and_members(client: TestClient) -> None:
    ok(client.post("/iam/users", json={"UserName": "bob"}))
    group = ok(client.post("/iam/groups", json={"GroupName": "analysts"}))["Group"]
    assert isinstance(group, dict) and group["GroupName"] == "analysts"
    ok(client.put("/iam/groups/analysts/users/bob"), 204)
    assert ok(client.get("/iam/groups/analysts")) == {"GroupName": "analysts", "UserNames": ["bob"]}
    assert [g["GroupName"] for g in ok(client.get("/iam/groups"))["Groups"]] == ["analysts"]
    ok(client.delete("/iam/groups/analysts/users/bob"), 204)
    assert ok(client.get("/iam/groups/analysts"))["UserNames"] == []
    ok(client.delete("/iam/groups/analysts"), 204)
    assert client.get("/iam/groups/analysts").status_code == 404


def test_roles(client: TestClient) -> None:
    role = ok(
        client.post(
            "/iam/roles",
            json={"RoleName": "trainer", "AssumeRolePolicyDocument": TRUST, "Description": "t"},
        )
    )["Role"]
    assert isinstance(role, dict)
    assert role["RoleName"] == "trainer" and role["MaxSessionDuration"] == 3600
    assert json.loads(role["AssumeRolePolicyDocument"]) == json.loads(TRUST)
    assert ok(client.get("/iam/roles/trainer"))["Role"] == role
    assert [r["RoleName"] for r in ok(client.get("/iam/roles"))["Roles"]] == ["trainer"]
    r = client.post(
        "/iam/roles", json={"RoleName": "bad", "AssumeRolePolicyDocument": ENCRYPT_ONLY}
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    ok(client.delete("/iam/roles/trainer"), 204)


def test_managed_and_inline_policies(client: TestClient) -> None:
    ok(client.post("/iam/users", json={"UserName": "carol"}))
    made = ok(
        client.post("/iam/policies", json={"PolicyName": "encrypt", "PolicyDocument": ENCRYPT_ONLY})
    )["Policy"]
    assert isinstance(made, dict) and made["DefaultVersionId"] == "v1"
    arn = made["Arn"]
    assert ok(client.get(f"/iam/policies/{arn}"))["Policy"] == made
    ok(client.post("/iam/users/carol/attached-policies", json={"PolicyArn": arn}), 204)
    attached = ok(client.get("/iam/users/carol/attached-policies"))["AttachedPolicies"]
    assert attached == [{"PolicyName": "encrypt", "PolicyArn": arn}]
    r = client.delete(f"/iam/policies/{arn}")
    assert_error(r.json(), status=409, code="conflict")
    ok(client.delete(f"/iam/users/carol/attached-policies/{arn}"), 204)
    assert ok(client.get("/iam/users/carol/attached-policies"))["AttachedPolicies"] == []
    ok(client.delete(f"/iam/policies/{arn}"), 204)

    ok(client.put("/iam/users/carol/policies/inline", json={"PolicyDocument": ENCRYPT_ONLY}), 204)
    assert ok(client.get("/iam/users/carol/policies"))["PolicyNames"] == ["inline"]
    got = ok(client.get("/iam/users/carol/policies/inline"))
    assert json.loads(str(got["PolicyDocument"])) == json.loads(ENCRYPT_ONLY)
    ok(client.delete("/iam/users/carol/policies/inline"), 204)
    assert ok(client.get("/iam/users/carol/policies"))["PolicyNames"] == []


def test_invalid_policy_names_its_json_path(client: TestClient) -> None:
    bad = policy({"Effect": "Maybe", "Action": "kms:*", "Resource": "*"})
    r = client.post("/iam/policies", json={"PolicyName": "bad", "PolicyDocument": bad})
    assert_error(r.json(), status=400, code="invalid", field="policy_document.Statement[0].Effect")
    r = client.post("/iam/policies", json={"PolicyName": "bad", "PolicyDocument": "{nope"})
    assert r.status_code == 400


def test_tokens_are_shown_once_and_revocable(client: TestClient, app: FastAPI) -> None:
    ok(client.post("/iam/users", json={"UserName": "dave"}))
    made = ok(client.post("/iam/tokens", json={"UserName": "dave", "Description": "ci"}))
    token, info = made["Token"], made["ApiToken"]
    assert isinstance(token, str) and isinstance(info, dict)
    listed = ok(client.get("/iam/tokens", params={"user-name": "dave"}))["ApiTokens"]
    assert listed == [info] and token not in json.dumps(listed)
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {token}"}) as dave:
        who = ok(dave.get("/sts/caller-identity"))
        assert str(who["Arn"]).endswith(":user/dave")
        revoked = ok(client.post(f"/iam/tokens/{info['TokenId']}/revoke"))["ApiToken"]
        assert isinstance(revoked, dict) and revoked["RevokedDate"] is not None
        assert dave.get("/sts/caller-identity").status_code == 401
    r = client.post("/iam/tokens/no-such-token/revoke")
    assert r.status_code in (400, 404) and r.json()["ok"] is False


def test_access_keys_are_shown_once(client: TestClient) -> None:
    ok(client.post("/iam/users", json={"UserName": "erin"}))
    made = ok(client.post("/iam/access-keys", json={"UserName": "erin"}))
    key_id, secret = made["AccessKeyId"], made["SecretAccessKey"]
    assert isinstance(secret, str) and len(secret) >= 32
    listed = ok(client.get("/iam/access-keys", params={"user-name": "erin"}))
    assert [k["AccessKeyId"] for k in listed["AccessKeyMetadata"]] == [key_id]
    assert secret not in json.dumps(listed)
    updated = ok(
        client.put(f"/iam/access-keys/{key_id}", json={"Status": "Inactive", "UserName": "erin"})
    )["AccessKey"]
    assert isinstance(updated, dict) and updated["Status"] == "Inactive"
    r = client.put(f"/iam/access-keys/{key_id}", json={"Status": "Sleepy", "UserName": "erin"})
    assert r.status_code == 400
    ok(client.delete(f"/iam/access-keys/{key_id}", params={"user-name": "erin"}), 204)
    listed = ok(client.get("/iam/access-keys", params={"user-name": "erin"}))
    assert listed["AccessKeyMetadata"] == []


def test_simulate_and_whoami(client: TestClient, bastion: Bastion) -> None:
    ok(client.post("/iam/users", json={"UserName": "frank"}))
    ok(client.put("/iam/users/frank/policies/p", json={"PolicyDocument": ENCRYPT_ONLY}), 204)
    arn = f"arn:bastion:iam::{bastion.account_id}:user/frank"
    yes = ok(
        client.post("/iam/simulate", json={"PolicySourceArn": arn, "ActionName": "kms:Encrypt"})
    )
    assert yes["Allowed"] is True and yes["EvalDecision"] == "Allow"
    assert yes["MatchedStatements"] and yes["MatchedStatements"][0]["Policy"]
    no = ok(
        client.post("/iam/simulate", json={"PolicySourceArn": arn, "ActionName": "kms:Decrypt"})
    )
    assert no["Allowed"] is False and no["EvalDecision"] == "ImplicitDeny"
    who = ok(client.get("/sts/caller-identity"))
    assert who["Account"] == bastion.account_id and str(who["Arn"]).endswith(":root")


def test_a_user_without_permissions_is_denied(user: TestClient) -> None:
    for r in (
        user.post("/iam/users", json={"UserName": "sneaky"}),
        user.get("/iam/users"),
        user.post("/iam/tokens", json={"UserName": "someone-else"}),
        user.post("/iam/policies", json={"PolicyName": "p", "PolicyDocument": ENCRYPT_ONLY}),
    ):
        assert r.status_code in (403, 404), r.text
        assert r.json()["ok"] is False
    assert user.post("/iam/users", json={"UserName": "sneaky"}).json()["code"] == "access-denied"
    assert ok(user.get("/sts/caller-identity"))["Arn"] is not None  # whoami needs no permission


def test_anonymous_is_401(anonymous: TestClient) -> None:
    assert_error(anonymous.get("/iam/users").json(), status=401, code="unauthenticated")
    assert anonymous.get("/sts/caller-identity").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/iam/users", {"UserName": "a\x00b"}),
        ("post", "/iam/users", '{"UserName": "a\\ud800b"}'),
        ("post", "/iam/users", {"UserName": "ok", "Tags": [{"Key": "k\x00", "Value": "v"}]}),
        ("post", "/iam/users", {"UserName": "x" * 1000}),
        ("post", "/iam/users", {"UserName": "../../etc"}),
        ("post", "/iam/users", {"UserName": 7}),
        ("post", "/iam/users", {"UserName": "ok", "Admin": True}),
        ("post", "/iam/users", None),
        ("get", f"/iam/users/{quote(chr(0))}", None),
        ("get", "/iam/users/" + "x" * 200, None),
        ("post", "/iam/groups", '{"GroupName": "g\\udc00"}'),
        ("post", "/iam/policies", {"PolicyName": "p", "PolicyDocument": {"not": "text"}}),
        ("post", "/iam/policies", {"PolicyName": "p\x00", "PolicyDocument": ENCRYPT_ONLY}),
        ("get", "/iam/widgets/x/attached-policies", None),
        ("post", "/iam/simulate", {"PolicySourceArn": "arn\x00", "ActionName": "kms:Encrypt"}),
        ("post", "/iam/simulate", {"PolicySourceArn": "x", "ActionName": "kms:Encrypt"}),
        ("post", "/iam/tokens", {"ExpiresInDays": -5}),
        ("post", "/iam/tokens", {"ExpiresInDays": "soon"}),
        ("put", "/iam/access-keys/AKIA", {"Status": "Active", "Extra": 1}),
    ],
)
def test_hostile_input_is_a_4xx_in_the_one_shape(
    client: TestClient, method: str, path: str, body: object
) -> None:
    if isinstance(body, str):  # raw JSON text (a lone surrogate escaped, as a client may send)
        headers = {"content-type": "application/json"}
        r = client.request(method.upper(), path, content=body.encode(), headers=headers)
    else:
        r = client.request(method.upper(), path, json=body)
    assert 400 <= r.status_code < 500, (path, body, r.status_code, r.text)
    shape = r.json()
    assert set(shape) == {"ok", "status", "code", "error", "field"} and shape["ok"] is False


def test_nothing_hostile_was_created(client: TestClient, bastion: Bastion) -> None:
    client.post("/iam/users", json={"UserName": "a\x00b"})
    raw = b'{"UserName": "a\\ud800b"}'
    client.post("/iam/users", content=raw, headers={"content-type": "application/json"})
    assert bastion.access.list_users() == []
