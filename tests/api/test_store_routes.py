"""``/s3``: buckets and streamed objects; hostile keys, bodies and checksums."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator

import pytest
from api_helpers import USER, assert_error, policy
from fastapi.testclient import TestClient

from bastion.api._errors import denied_action
from bastion.api.routers.store import bucket_not_found, object_not_found
from bastion.errors import AccessDenied
from bastion.sdk import Bastion

BUCKET = "fraud-data"


@pytest.fixture
def bucket(client: TestClient) -> str:
    r = client.put(f"/s3/{BUCKET}")
    assert r.status_code == 200, r.text
    return BUCKET


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_bucket_lifecycle(client: TestClient, bastion: Bastion) -> None:
    key = client.post("/kms/keys").json()["KeyMetadata"]
    r = client.put("/s3/models", json={"DefaultKmsKeyId": key["KeyId"], "Tags": {"team": "risk"}})
    assert r.status_code == 200
    assert r.json()["Bucket"]["DefaultKmsKeyArn"] == key["Arn"]
    assert [b["Name"] for b in client.get("/s3").json()["Buckets"]] == ["models"]
    head = client.head("/s3/models")
    assert head.status_code == 200
    assert head.headers["x-amz-server-side-encryption-aws-kms-key-id"] == key["Arn"]
    assert_error(client.put("/s3/models").json(), status=409, code="conflict")
    assert client.delete("/s3/models").status_code == 204
    assert client.head("/s3/models").status_code == 404
    assert bastion.store.list_buckets() == []


def test_bad_bucket_names_are_400(client: TestClient) -> None:
    for name in ("ab", "UPPER", "a..b", "192.168.0.1", "-dash"):
        r = client.put(f"/s3/{name}")
        assert r.status_code == 400, name
        assert r.json()["field"] == "bucket"


def test_put_get_head_delete(client: TestClient, bucket: str, bastion: Bastion) -> None:
    data = os.urandom(300_000)
    r = client.put(
        f"/s3/{bucket}/train/2026-01.csv",
        content=data,
        headers={
            "x-amz-meta-source": "seed-003",
            "x-amz-tagging": "team=risk&tier=1",
            "x-amz-storage-class": "INFREQUENT_ACCESS",
        },
    )
    assert r.status_code == 200, r.text
    put = r.json()
    digest = hashlib.sha256(data).digest()
    assert put["Size"] == len(data)
    assert put["ChecksumSHA256"] == base64.b64encode(digest).decode()
    assert put["ServerSideEncryption"] == "aws:kms"
    assert r.headers["etag"] == put["ETag"]
    got = client.get(f"/s3/{bucket}/train/2026-01.csv")
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == "application/octet-stream"
    head = client.head(f"/s3/{bucket}/train/2026-01.csv")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data))
    assert head.headers["x-amz-meta-source"] == "seed-003"
    assert head.headers["x-amz-storage-class"] == "INFREQUENT_ACCESS"
    assert head.headers["x-amz-tagging-count"] == "2"
    assert head.headers["etag"] == put["ETag"]
    assert bastion.store.get_object_tagging(bucket, "train/2026-01.csv") == {
        "team": "risk",
        "tier": "1",
    }
    listing = client.get(f"/s3/{bucket}", params={"prefix": "train/"}).json()
    assert [o["Key"] for o in listing["Contents"]] == ["train/2026-01.csv"]
    assert listing["Contents"][0]["LastModified"].endswith("Z")  # on either database
    assert client.delete(f"/s3/{bucket}/train/2026-01.csv").status_code == 204
    assert client.delete(f"/s3/{bucket}/train/2026-01.csv").status_code == 204
    assert_error(client.get(f"/s3/{bucket}/train/2026-01.csv").json(), status=404, code="not-found")


def test_chunked_upload_streams(client: TestClient, bucket: str, bastion: Bastion) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    r = client.put(f"/s3/{bucket}/big.bin", content=chunks(data))
    assert r.status_code == 200, r.text
    assert bastion.store.get_object(bucket, "big.bin") == data
    assert client.get(f"/s3/{bucket}/big.bin").content == data


def test_empty_object(client: TestClient, bucket: str) -> None:
    assert client.put(f"/s3/{bucket}/empty", content=b"").status_code == 200
    assert client.get(f"/s3/{bucket}/empty").content == b""


def test_at_rest_bytes_hold_no_plaintext(client: TestClient, bucket: str, bastion: Bastion) -> None:
    marker = b"PLAINTEXT-MARKER-" * 1000
    assert client.put(f"/s3/{bucket}/doc.txt", content=marker).status_code == 200
    store_root = bastion.runtime.settings.home / "store"
    blobs = [p for p in store_root.rglob("*") if p.is_file()]
    assert blobs
    assert all(b"PLAINTEXT-MARKER" not in p.read_bytes() for p in blobs)


HOSTILE_KEYS = [
    "..%2Fetc%2Fpasswd",
    "a/..%2F..%2Fetc",
    "%2e%2e/secret",
    "a/%2E%2E",
    "back%5Cslash",
    "nul%00byte",
    "%2Fabsolute",
    "",
    "ctrl%07char",
]


def test_traversal_and_hostile_keys_are_400(client: TestClient, bucket: str) -> None:
    for path in HOSTILE_KEYS:
        for method in ("PUT", "GET", "HEAD", "DELETE"):
            body = b"x" if method == "PUT" else None
            r = client.request(method, f"/s3/{bucket}/{path}", content=body)
            assert r.status_code == 400, (method, path, r.status_code)
            if method != "HEAD":
                assert_error(r.json(), status=400, code="invalid", field="key")


def test_nothing_escapes_the_store(client: TestClient, bucket: str, bastion: Bastion) -> None:
    client.put(f"/s3/{bucket}/..%2F..%2Fescaped", content=b"x")
    home = bastion.runtime.settings.home
    assert not any("escaped" in p.name for p in home.parent.rglob("*"))


def test_over_long_key_is_400(client: TestClient, bucket: str) -> None:
    r = client.put(f"/s3/{bucket}/{'k' * 1025}", content=b"x")
    assert_error(r.json(), status=400, code="invalid", field="key")


def test_bad_headers_are_400(client: TestClient, bucket: str) -> None:
    r = client.put(f"/s3/{bucket}/a", content=b"x", headers={"x-amz-storage-class": "GLACIER"})
    assert_error(r.json(), status=400, code="invalid", field="storage_class")
    r = client.put(f"/s3/{bucket}/a", content=b"x", headers={"x-amz-tagging": "a=1&a=2"})
    assert_error(r.json(), status=400, code="invalid", field="x-amz-tagging")
    r = client.put(f"/s3/{bucket}/a", content=b"x", headers={"x-amz-tagging": "noequals"})
    assert_error(r.json(), status=400, code="invalid", field="x-amz-tagging")
    r = client.put(f"/s3/{bucket}/a", content=b"x", headers={"x-amz-content-sha256": "zz"})
    assert_error(r.json(), status=400, code="invalid", field="x-amz-content-sha256")
    r = client.put(
        f"/s3/{bucket}/a",
        content=b"x",
        headers={"x-amz-server-side-encryption-aws-kms-key-id": "alias/none"},
    )
    assert_error(r.json(), status=404, code="not-found")


def test_content_sha256_is_checked(client: TestClient, bucket: str, bastion: Bastion) -> None:
    good = b"version one"
    ok = client.put(
        f"/s3/{bucket}/doc",
        content=good,
        headers={"x-amz-content-sha256": hashlib.sha256(good).hexdigest()},
    )
    assert ok.status_code == 200
    r = client.put(
        f"/s3/{bucket}/doc",
        content=b"tampered in flight",
        headers={"x-amz-content-sha256": hashlib.sha256(b"something else").hexdigest()},
    )
    assert_error(r.json(), status=400, code="invalid", field="x-amz-content-sha256")
    assert bastion.store.get_object(bucket, "doc") == good
    unsigned = client.put(
        f"/s3/{bucket}/doc2", content=b"y", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    )
    assert unsigned.status_code == 200


def test_oversize_object_is_413_and_nothing_is_kept(
    client: TestClient, bucket: str, bastion: Bastion
) -> None:
    assert client.put(f"/s3/{bucket}/obj", content=b"old").status_code == 200
    too_big = b"x" * (4 * 1024 * 1024 + 1)
    declared = client.put(f"/s3/{bucket}/obj", content=too_big)
    assert_error(declared.json(), status=413, code="too-large")
    streamed = client.put(f"/s3/{bucket}/obj", content=chunks(too_big))
    assert_error(streamed.json(), status=413, code="too-large")
    assert bastion.store.get_object(bucket, "obj") == b"old"
    failed = [
        e
        for e in bastion.runtime.trail.events
        if e["eventName"] == "PutObject" and e.get("errorCode")
    ]
    assert [e["errorCode"] for e in failed] == ["EntityTooLarge"]


def test_listing_pages(client: TestClient, bucket: str) -> None:
    for i in range(5):
        client.put(f"/s3/{bucket}/k{i}", content=b"x")
    page = client.get(f"/s3/{bucket}", params={"max-keys": 2}).json()
    assert page["KeyCount"] == 2 and page["IsTruncated"] is True
    rest = client.get(
        f"/s3/{bucket}",
        params={"max-keys": 10, "continuation-token": page["NextContinuationToken"]},
    ).json()
    assert [o["Key"] for o in rest["Contents"]] == ["k2", "k3", "k4"]
    assert_error(
        client.get(f"/s3/{bucket}", params={"max-keys": 0}).json(),
        status=400,
        code="invalid",
        field="max_keys",
    )


def test_missing_bucket_is_404(client: TestClient) -> None:
    assert_error(client.get("/s3/nobucket").json(), status=404, code="not-found")
    r = client.put("/s3/nobucket/key", content=b"x")
    assert_error(r.json(), status=404, code="not-found")


def test_hidden_objects_give_the_same_404(
    client: TestClient, user: TestClient, bucket: str
) -> None:
    client.put(f"/s3/{bucket}/secret.csv", content=b"x")
    r = user.get(f"/s3/{bucket}/secret.csv")
    assert r.status_code == 404
    assert r.json()["error"] == object_not_found(bucket, "secret.csv")
    genuine = client.get(f"/s3/{bucket}/absent.csv").json()
    assert user.get(f"/s3/{bucket}/absent.csv").json() == genuine
    assert user.head(f"/s3/{bucket}/secret.csv").status_code == 404
    assert user.get(f"/s3/{bucket}").json()["error"] == bucket_not_found(bucket)
    assert user.get("/s3/nobucket").json() == client.get("/s3/nobucket").json()
    assert user.head(f"/s3/{bucket}").status_code == 404


def test_denied_writes_are_403(user: TestClient, bucket: str, bastion: Bastion) -> None:
    r = user.put(f"/s3/{bucket}/x", content=b"x")
    assert_error(r.json(), status=403, code="access-denied")
    assert_error(user.delete(f"/s3/{bucket}").json(), status=403, code="access-denied")
    assert bastion.store.list_objects(bucket).objects == ()


def test_non_ascii_metadata_is_encoded_in_headers(
    client: TestClient, bucket: str, bastion: Bastion
) -> None:
    bastion.store.put_object(bucket, "m", b"x", metadata={"owner": "Zoë"})
    head = client.head(f"/s3/{bucket}/m")
    assert head.status_code == 200
    encoded = head.headers["x-amz-meta-owner"]
    assert encoded.startswith("=?UTF-8?B?")
    assert base64.b64decode(encoded[10:-2]).decode() == "Zoë"


def test_a_denied_decrypt_is_403_not_a_hidden_404(
    client: TestClient, user: TestClient, bucket: str, bastion: Bastion
) -> None:
    client.put(f"/s3/{bucket}/model.bin", content=b"weights")
    bastion.access.put_user_policy(
        USER,
        "read-objects-only",
        policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    )
    assert user.head(f"/s3/{bucket}/model.bin").status_code == 200
    r = user.get(f"/s3/{bucket}/model.bin")  # may see it, may not decrypt it
    assert_error(r.json(), status=403, code="access-denied")
    assert "kms:Decrypt" in r.json()["error"]


def test_denied_action_reads_the_gates_denials(user_token: str, bastion: Bastion) -> None:
    principal = bastion.runtime.authenticator.authenticate_bearer(user_token)
    as_user = Bastion(bastion.runtime.acting_as(principal))
    with pytest.raises(AccessDenied) as err:
        as_user.store.list_buckets()
    assert denied_action(err.value) == "s3:ListAllMyBuckets"
    assert denied_action(AccessDenied("The security token is invalid", reason="x")) is None
