"""The team deployment end to end: PostgreSQL metadata + S3-compatible object store.

Runs against the real services CI starts (a real PostgreSQL, moto's S3 server); with
BASTION_REQUIRE_SERVICES=1 a missing service fails the test instead of skipping it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import boto3

import bastion
from bastion.settings import Settings


def _s3_bucket(endpoint: str) -> str:
    name = f"bastion-team-{uuid.uuid4().hex[:10]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


def test_postgres_and_s3_end_to_end(
    tmp_path: Path, postgres_url: str, s3_endpoint: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    bucket = _s3_bucket(s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("BASTION_STORE__STORAGE_OPTIONS", json.dumps({"endpoint_url": s3_endpoint}))
    settings = Settings(
        home=tmp_path / "home",
        database_url=postgres_url,
        store_url=f"s3://{bucket}/bastion",
    )
    assert settings.store.storage_options == {"endpoint_url": s3_endpoint}
    bastion.init(settings=settings)
    payload = os.urandom(3 * 1024 * 1024 + 17) + b"PLAINTEXT-MARKER-team"
    src = tmp_path / "model.bin"
    src.write_bytes(payload)

    with bastion.connect(settings=settings) as client:
        key = client.keys.create_key(description="team key")
        client.keys.create_alias("alias/team", key.key_id)
        client.store.create_bucket("models", default_key_id="alias/team")
        head = client.store.put_object("models", "fraud/v1/model.bin", src)
        assert head.sha256 == hashlib.sha256(payload).hexdigest()
        assert client.store.get_object("models", "fraud/v1/model.bin") == payload
        assert client.audit.verify().ok

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys, "nothing was written to the S3 bucket"
    for k in keys:
        body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
        assert b"PLAINTEXT-MARKER-team" not in body
    assert not any("fraud/v1/model.bin" in k for k in keys), "object names leak into blob paths"
