"""The store on an S3-compatible server (moto in server mode) through s3fs."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import bastion as bastion_pkg
from bastion.errors import Invalid, NotFound, Tampered
from bastion.settings import Settings

pytestmark = pytest.mark.s3


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> Iterator[tuple[Any, str]]:
    """A fresh S3 bucket on the test server; yields (boto3 client, bucket name)."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    name = f"bastion-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield client, name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=obj["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_home(
    tmp_path: Any, db_url: str, clock: Any, s3_endpoint: str, s3_bucket: tuple[Any, str]
) -> Iterator[bastion_pkg.Bastion]:
    settings = Settings(
        home=tmp_path / "home",
        database_url=db_url,
        store_url=f"s3://{s3_bucket[1]}/team-store",
        store={
            "storage_options": {
                "endpoint_url": s3_endpoint,
                "key": "testing",
                "secret": "testing",
            }
        },
    )
    bastion_pkg.init(settings=settings, clock=clock)
    client = bastion_pkg.connect(settings=settings, clock=clock)
    yield client
    client.close()


def _blobs(s3_bucket: tuple[Any, str]) -> list[str]:
    client, name = s3_bucket
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix="team-store/")
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def test_roundtrip_overwrite_list_copy_delete_on_s3(
    s3_home: bastion_pkg.Bastion, s3_bucket: tuple[Any, str]
) -> None:
    store = s3_home.store
    store.create_bucket("fraud-data")
    store.create_bucket("reports")
    body = bytes(range(256)) * 12_000  # 3 MB: several encrypted segments
    info = store.put_object("fraud-data", "train/a.bin", io.BytesIO(body))
    assert info.sha256 == hashlib.sha256(body).hexdigest()
    assert store.get_object("fraud-data", "train/a.bin") == body
    with store.open_object("fraud-data", "train/a.bin") as fh:
        assert fh.read() == body

    store.put_object("fraud-data", "train/a.bin", b"second version")
    assert store.get_object("fraud-data", "train/a.bin") == b"second version"
    assert len(_blobs(s3_bucket)) == 1

    store.copy_object("fraud-data", "train/a.bin", "reports", "copy.bin")
    assert store.get_object("reports", "copy.bin") == b"second version"
    assert [o.key for o in store.list_objects("fraud-data", prefix="train/").objects] == [
        "train/a.bin"
    ]
    assert store.delete_object("fraud-data", "train/a.bin") is True
    with pytest.raises(NotFound):
        store.get_object("fraud-data", "train/a.bin")
    assert len(_blobs(s3_bucket)) == 1  # the copy


def test_no_plaintext_at_rest_on_s3(
    s3_home: bastion_pkg.Bastion, s3_bucket: tuple[Any, str]
) -> None:
    marker = b"CARDHOLDER-4111111111111111-SECRET"
    s3_home.store.create_bucket("fraud-data")
    s3_home.store.put_object("fraud-data", "cards.csv", marker * 500)
    client, name = s3_bucket
    (key,) = _blobs(s3_bucket)
    raw = client.get_object(Bucket=name, Key=key)["Body"].read()
    assert marker not in raw and marker[:16] not in raw


def test_tampered_blob_on_s3_is_detected(
    s3_home: bastion_pkg.Bastion, s3_bucket: tuple[Any, str]
) -> None:
    s3_home.store.create_bucket("fraud-data")
    s3_home.store.put_object("fraud-data", "a.bin", b"x" * 100_000)
    client, name = s3_bucket
    (key,) = _blobs(s3_bucket)
    raw = bytearray(client.get_object(Bucket=name, Key=key)["Body"].read())
    raw[-100] ^= 1
    client.put_object(Bucket=name, Key=key, Body=bytes(raw))
    with pytest.raises(Tampered):
        s3_home.store.get_object("fraud-data", "a.bin")


def test_failed_upload_leaves_nothing_on_s3(
    s3_home: bastion_pkg.Bastion,
    s3_bucket: tuple[Any, str],
) -> None:
    s3_home.store.create_bucket("fraud-data")
    s3_home.store.put_object("fraud-data", "a.bin", b"kept")

    class Exploding(io.RawIOBase):
        """A body that fails after 12 MiB (past the first multipart part)."""

        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent > 12 << 20:
                raise OSError("network cable unplugged")
            view = memoryview(buffer)
            view[:] = b"\x07" * len(view)
            self.sent += len(view)
            return len(view)

    with pytest.raises(Invalid, match="network cable unplugged"):
        s3_home.store.put_object("fraud-data", "a.bin", io.BufferedReader(Exploding()))
    assert s3_home.store.get_object("fraud-data", "a.bin") == b"kept"
    assert len(_blobs(s3_bucket)) == 1
    client, name = s3_bucket
    assert client.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
