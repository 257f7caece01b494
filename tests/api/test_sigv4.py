"""Requests signed with AWS Signature Version 4 (botocore's signer) by a Bastion access key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from api_helpers import USER, assert_error, policy, sigv4_headers
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.sdk import Bastion
from bastion.testing import FrozenClock

BASE = "https://testserver"


@pytest.fixture
def signer_key(bastion: Bastion, user_token: str, clock: FrozenClock) -> tuple[str, str]:
    """An access key of the user, who may create and list keys and use the store.

    The frozen clock is moved to the present: botocore signs with the real time, and the server
    refuses signatures more than 5 minutes away from its clock."""
    clock.advance(seconds=(datetime.now(UTC) - clock.now()).total_seconds())
    bastion.access.put_user_policy(
        USER,
        "kms-and-s3",
        policy(
            {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:ListKeys"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["s3:*", "kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
            },
        ),
    )
    key = bastion.access.create_access_key(user_name=USER)
    return key.access_key_id, key.secret_access_key


@pytest.fixture
def https(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE, client=("127.0.0.1", 50000)) as c:
        yield c


def test_signed_json_request(https: TestClient, signer_key: tuple[str, str]) -> None:
    key_id, secret = signer_key
    body = json.dumps({"Description": "signed"}).encode()
    headers = sigv4_headers(
        "POST",
        f"{BASE}/kms/keys",
        key_id=key_id,
        secret=secret,
        service="kms",
        body=body,
        headers={"Content-Type": "application/json"},
    )
    r = https.post("/kms/keys", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["KeyMetadata"]["Description"] == "signed"
    replay = https.post("/kms/keys", content=body, headers=headers)
    assert_error(replay.json(), status=401, code="unauthenticated")


def test_a_changed_body_or_query_fails_the_signature(
    https: TestClient, signer_key: tuple[str, str]
) -> None:
    key_id, secret = signer_key
    body = json.dumps({"Description": "signed"}).encode()
    headers = sigv4_headers(
        "POST", f"{BASE}/kms/keys", key_id=key_id, secret=secret, service="kms", body=body
    )
    r = https.post("/kms/keys", content=b'{"Description": "evil"}', headers=headers)
    assert_error(r.json(), status=401, code="unauthenticated")
    signed = sigv4_headers(
        "GET", f"{BASE}/s3/bucket-a?prefix=a", key_id=key_id, secret=secret, service="s3"
    )
    r = https.get("/s3/bucket-a", params={"prefix": "b"}, headers=signed)
    assert_error(r.json(), status=401, code="unauthenticated")


def test_signed_streamed_upload(
    https: TestClient, signer_key: tuple[str, str], bastion: Bastion
) -> None:
    key_id, secret = signer_key
    bastion.store.create_bucket("signed-bucket")
    data = b"model bytes " * 10_000
    url = f"{BASE}/s3/signed-bucket/models/m.bin"
    headers = sigv4_headers(
        "PUT", url, key_id=key_id, secret=secret, service="s3", body=data, unsigned_payload=True
    )
    assert headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    r = https.put("/s3/signed-bucket/models/m.bin", content=data, headers=headers)
    assert r.status_code == 200, r.text
    assert bastion.store.get_object("signed-bucket", "models/m.bin") == data
    get = sigv4_headers("GET", url, key_id=key_id, secret=secret, service="s3")
    got = https.get("/s3/signed-bucket/models/m.bin", headers=get)
    assert got.content == data, got.text


def test_a_signed_upload_must_not_hash_its_body(
    https: TestClient, signer_key: tuple[str, str], bastion: Bastion
) -> None:
    key_id, secret = signer_key
    bastion.store.create_bucket("signed-bucket")
    data = b"x" * 100
    url = f"{BASE}/s3/signed-bucket/k"
    digest = hashlib.sha256(data).hexdigest()
    headers = sigv4_headers(
        "PUT",
        url,
        key_id=key_id,
        secret=secret,
        service="kms",
        body=data,
        headers={"X-Amz-Content-SHA256": digest},
    )
    r = https.put("/s3/signed-bucket/k", content=data, headers=headers)
    assert_error(r.json(), status=400, code="invalid", field="x-amz-content-sha256")
    assert "UNSIGNED-PAYLOAD" in r.json()["error"]
    assert bastion.store.list_objects("signed-bucket").objects == ()
