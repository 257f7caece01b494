"""``boto3.client("s3", endpoint_url=".../aws/s3")`` against a real server over TLS: S3's REST-XML
protocol as boto3 sends it (aws-chunked bodies with CRC32 trailers, multipart upload_file, ranged
download_file, presigned URLs), S3's error codes, and hostile input (both databases)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import policy
from boto3_helpers import (
    MIB,
    S3_PREFIX,
    KeyPair,
    Server,
    access_key,
    client,
    events,
    isolate_from_aws_config,
    serving,
    signed_s3_headers,
    to_present,
    trusted,
)
from botocore.config import Config
from botocore.exceptions import ClientError

from bastion.sdk import Bastion
from bastion.testing import FrozenClock

S3_AND_KMS = policy({"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"})


@pytest.fixture
def server(
    bastion: Bastion, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[Server]:
    isolate_from_aws_config(monkeypatch, tmp_path)
    to_present(clock)
    with serving(bastion) as srv:
        yield srv


@pytest.fixture
def alice(bastion: Bastion) -> KeyPair:
    return access_key(bastion, "alice", S3_AND_KMS)


def code_of(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def status_of(info: pytest.ExceptionInfo[ClientError]) -> int:
    return int(info.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_buckets_objects_and_their_errors(server: Server, alice: KeyPair, bastion: Bastion) -> None:
    s3 = client("s3", server, alice)
    kms = client("kms", server, alice)
    own_key = kms.create_key(Description="objects")["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="models")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["models"]
    s3.head_bucket(Bucket="models")
    with pytest.raises(ClientError) as again:
        s3.create_bucket(Bucket="models")
    assert code_of(again) == "BucketAlreadyOwnedByYou" and status_of(again) == 409
    with pytest.raises(ClientError) as bad_name:
        s3.create_bucket(Bucket="Not_A_Bucket")
    assert code_of(bad_name) == "InvalidBucketName"

    put = s3.put_object(
        Bucket="models",
        Key="fraud/v1 model.bin",
        Body=b"weights" * 1000,
        Metadata={"team": "risk"},
        Tagging="stage=prod&owner=alice",
        StorageClass="STANDARD_IA",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=own_key,
    )
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == own_key
    assert (
        put["ChecksumCRC32"]
        == base64.b64encode(zlib.crc32(b"weights" * 1000).to_bytes(4, "big")).decode()
    )
    got = s3.get_object(Bucket="models", Key="fraud/v1 model.bin")
    assert got["Body"].read() == b"weights" * 1000
    assert got["Metadata"] == {"team": "risk"} and got["StorageClass"] == "STANDARD_IA"
    assert got["SSEKMSKeyId"] == own_key and got["TagCount"] == 2
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket="models", Key="fraud/v1 model.bin")
    assert head["ContentLength"] == 7000
    part = s3.get_object(Bucket="models", Key="fraud/v1 model.bin", Range="bytes=7-13")
    assert part["Body"].read() == b"weights" and part["ContentRange"] == "bytes 7-13/7000"
    tail = s3.get_object(Bucket="models", Key="fraud/v1 model.bin", Range="bytes=-3")
    assert tail["Body"].read() == b"hts"
    with pytest.raises(ClientError) as beyond:
        s3.get_object(Bucket="models", Key="fraud/v1 model.bin", Range="bytes=9000-")
    assert code_of(beyond) == "InvalidRange" and status_of(beyond) == 416
    with pytest.raises(ClientError) as changed:
        s3.get_object(Bucket="models", Key="fraud/v1 model.bin", IfMatch='"other"')
    assert code_of(changed) == "PreconditionFailed"
    with pytest.raises(ClientError) as same:
        s3.get_object(Bucket="models", Key="fraud/v1 model.bin", IfNoneMatch=put["ETag"])
    assert status_of(same) == 304

    tags = s3.get_object_tagging(Bucket="models", Key="fraud/v1 model.bin")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"stage": "prod", "owner": "alice"}
    s3.put_object_tagging(
        Bucket="models",
        Key="fraud/v1 model.bin",
        Tagging={"TagSet": [{"Key": "stage", "Value": "retired"}]},
    )
    assert s3.get_object_tagging(Bucket="models", Key="fraud/v1 model.bin")["TagSet"] == [
        {"Key": "stage", "Value": "retired"}
    ]
    s3.delete_object_tagging(Bucket="models", Key="fraud/v1 model.bin")
    assert s3.get_object_tagging(Bucket="models", Key="fraud/v1 model.bin")["TagSet"] == []

    copied = s3.copy_object(
        Bucket="models", Key="copy", CopySource={"Bucket": "models", "Key": "fraud/v1 model.bin"}
    )
    assert copied["CopyObjectResult"]["ETag"] == put["ETag"]
    assert s3.get_object(Bucket="models", Key="copy")["Body"].read() == b"weights" * 1000
    encryption = s3.get_bucket_encryption(Bucket="models")["ServerSideEncryptionConfiguration"]
    default = encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms" and default["KMSMasterKeyID"].startswith("arn:")
    assert s3.get_bucket_location(Bucket="models")["LocationConstraint"] == "local"

    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket="models", Key="nothing")
    assert code_of(missing) == "NoSuchKey" and status_of(missing) == 404
    with pytest.raises(ClientError) as no_bucket:
        s3.list_objects_v2(Bucket="nobucket")
    assert code_of(no_bucket) == "NoSuchBucket"
    with pytest.raises(ClientError) as head_missing:
        s3.head_object(Bucket="models", Key="nothing")
    assert status_of(head_missing) == 404
    with pytest.raises(ClientError) as not_empty:
        s3.delete_bucket(Bucket="models")
    assert code_of(not_empty) == "BucketNotEmpty"
    with pytest.raises(ClientError) as no_key:
        s3.put_object(
            Bucket="models",
            Key="x",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId="alias/none",
        )
    assert code_of(no_key) == "KMS.NotFoundException" and status_of(no_key) == 400
    with pytest.raises(ClientError) as bad_class:
        s3.put_object(Bucket="models", Key="x", Body=b"x", StorageClass="DEEP_ARCHIVE")
    assert code_of(bad_class) == "InvalidStorageClass"
    with pytest.raises(ClientError) as sse_c:
        s3.put_object(
            Bucket="models",
            Key="x",
            Body=b"x",
            SSECustomerAlgorithm="AES256",
            SSECustomerKey="k" * 32,
        )
    assert code_of(sse_c) == "NotImplemented" and status_of(sse_c) == 501
    with pytest.raises(ClientError) as acl:
        s3.get_bucket_acl(Bucket="models")
    assert code_of(acl) == "NotImplemented"

    deleted = s3.delete_objects(
        Bucket="models",
        Delete={"Objects": [{"Key": "copy"}, {"Key": "fraud/v1 model.bin"}, {"Key": "../x"}]},
    )
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["copy", "fraud/v1 model.bin"]
    assert [(e["Key"], e["Code"]) for e in deleted["Errors"]] == [("../x", "InvalidArgument")]
    s3.delete_bucket(Bucket="models")
    assert s3.list_buckets()["Buckets"] == []

    record = events(bastion, "GetObject")[0].cloudtrail_event()
    assert record["userIdentity"]["userName"] == "alice"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["requestParameters"]["bucketName"] == "models"
    names = {e.event_name for e in bastion.audit.lookup(user="alice", max_results=200).events}
    assert {"CreateBucket", "PutObject", "GetObject", "ListBucket", "DeleteObject"} <= names
    assert {"PutObjectTagging", "GetObjectTagging", "DeleteBucket"} <= names


def test_listing_pages_prefixes_and_odd_keys(server: Server, alice: KeyPair) -> None:
    s3 = client("s3", server, alice)
    s3.create_bucket(Bucket="listing")
    keys = ["a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "b+plus", "c space", "d%percent", "é/ü"]
    for key in keys:
        s3.put_object(Bucket="listing", Key=key, Body=key.encode())
    everything = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket="listing", PaginationConfig={"PageSize": 2}
        )
        for o in page.get("Contents", [])
    ]
    assert everything == sorted(keys, key=lambda k: k.encode())
    v1 = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(
            Bucket="listing", PaginationConfig={"PageSize": 3}
        )
        for o in page.get("Contents", [])
    ]
    assert v1 == everything
    top = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "é/"]
    assert [o["Key"] for o in top["Contents"]] == ["b+plus", "c space", "d%percent"]
    files: list[str] = []
    folders: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket="listing", Prefix="a/", Delimiter="/", PaginationConfig={"PageSize": 1}
    ):
        files += [o["Key"] for o in page.get("Contents", [])]
        folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert files == ["a/1", "a/2"] and folders == ["a/b/", "a/c/"]
    after = s3.list_objects_v2(Bucket="listing", StartAfter="b+plus", MaxKeys=2)
    assert [o["Key"] for o in after["Contents"]] == ["c space", "d%percent"]
    assert after["IsTruncated"] is True and after["KeyCount"] == 2
    first = after["Contents"][0]
    assert first["Size"] == len(b"c space") and first["StorageClass"] == "STANDARD"


def test_upload_file_and_download_file_use_multipart_and_ranges(
    server: Server, alice: KeyPair, bastion: Bastion, tmp_path: Path
) -> None:
    s3 = client("s3", server, alice)
    s3.create_bucket(Bucket="big")
    data = os.urandom(19 * MIB + 12345)  # three parts of boto3's default 8 MiB
    source = tmp_path / "model.bin"
    source.write_bytes(data)
    s3.upload_file(str(source), "big", "models/model.bin", ExtraArgs={"Metadata": {"v": "1"}})
    head = s3.head_object(Bucket="big", Key="models/model.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(data) and head["Metadata"] == {"v": "1"}
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    back = tmp_path / "back.bin"
    s3.download_file("big", "models/model.bin", str(back))
    assert back.read_bytes() == data
    whole = s3.get_object(Bucket="big", Key="models/model.bin", ChecksumMode="ENABLED")
    assert hashlib.sha256(whole["Body"].read()).digest() == hashlib.sha256(data).digest()

    staged = bastion.runtime.settings.home / "multipart"
    assert not [p for p in staged.rglob("*") if p.is_file()], "staged parts were not removed"
    parts = [e.cloudtrail_event() for e in events(bastion, "PutObject")]
    part_numbers = sorted(
        p["requestParameters"]["partNumber"]
        for p in parts
        if "partNumber" in p["requestParameters"]
    )
    assert part_numbers == [1, 2, 3]
    assert all(p["userIdentity"]["userName"] == "alice" for p in parts)


def test_multipart_rules(server: Server, alice: KeyPair, bastion: Bastion) -> None:
    s3 = client("s3", server, alice)
    s3.create_bucket(Bucket="parts")
    upload = s3.create_multipart_upload(Bucket="parts", Key="obj")["UploadId"]
    small = s3.upload_part(Bucket="parts", Key="obj", UploadId=upload, PartNumber=1, Body=b"a" * 10)
    second = s3.upload_part(Bucket="parts", Key="obj", UploadId=upload, PartNumber=2, Body=b"b")
    listed = [{"PartNumber": 1, "ETag": small["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]
    with pytest.raises(ClientError) as too_small:
        s3.complete_multipart_upload(
            Bucket="parts", Key="obj", UploadId=upload, MultipartUpload={"Parts": listed}
        )
    assert code_of(too_small) == "EntityTooSmall"
    with pytest.raises(ClientError) as wrong_etag:
        s3.complete_multipart_upload(
            Bucket="parts",
            Key="obj",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
        )
    assert code_of(wrong_etag) == "InvalidPart"
    with pytest.raises(ClientError) as order:
        s3.complete_multipart_upload(
            Bucket="parts", Key="obj", UploadId=upload, MultipartUpload={"Parts": listed[::-1]}
        )
    assert code_of(order) == "InvalidPartOrder"
    done = s3.complete_multipart_upload(
        Bucket="parts", Key="obj", UploadId=upload, MultipartUpload={"Parts": listed[1:]}
    )
    assert s3.get_object(Bucket="parts", Key="obj")["Body"].read() == b"b"
    assert done["ETag"] == s3.head_object(Bucket="parts", Key="obj")["ETag"]
    with pytest.raises(ClientError) as gone:
        s3.upload_part(Bucket="parts", Key="obj", UploadId=upload, PartNumber=3, Body=b"c")
    assert code_of(gone) == "NoSuchUpload" and status_of(gone) == 404

    aborted = s3.create_multipart_upload(Bucket="parts", Key="other")["UploadId"]
    s3.upload_part(Bucket="parts", Key="other", UploadId=aborted, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket="parts", Key="other", UploadId=aborted)
    with pytest.raises(ClientError) as after_abort:
        s3.complete_multipart_upload(
            Bucket="parts",
            Key="other",
            UploadId=aborted,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"x"'}]},
        )
    assert code_of(after_abort) == "NoSuchUpload"
    mallory = client("s3", server, access_key(bastion, "mallory", S3_AND_KMS))
    theirs = s3.create_multipart_upload(Bucket="parts", Key="mine")["UploadId"]
    with pytest.raises(ClientError) as foreign:
        mallory.upload_part(Bucket="parts", Key="mine", UploadId=theirs, PartNumber=1, Body=b"x")
    assert code_of(foreign) == "NoSuchUpload"


def test_presigned_urls(server: Server, alice: KeyPair, clock: FrozenClock) -> None:
    s3 = client("s3", server, alice)
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="report.csv", Body=b"a,b\n1,2\n")
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "shared", "Key": "report.csv"}, ExpiresIn=60
    )
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": "shared", "Key": "upload.csv"}, ExpiresIn=300
    )
    with httpx.Client(verify=trusted(server)) as http:
        assert http.get(get_url).content == b"a,b\n1,2\n"
        assert http.get(get_url).status_code == 200  # usable until it expires, as on AWS
        assert http.put(put_url, content=b"x,y\n").status_code == 200
        assert s3.get_object(Bucket="shared", Key="upload.csv")["Body"].read() == b"x,y\n"
        tampered = get_url.replace("report.csv", "upload.csv")
        r = http.get(tampered)
        assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
        stripped = get_url.split("&X-Amz-Signature=")[0]
        r = http.get(stripped)
        assert r.status_code == 400
        assert b"<Code>AuthorizationQueryParametersError</Code>" in r.content
        clock.advance(seconds=150)  # past X-Amz-Date + 60 s, whenever the URL was signed
        r = http.get(get_url)
        assert r.status_code == 403 and b"<Code>AccessDenied</Code>" in r.content
        assert b"expired" in r.content


def test_denials_bad_signatures_and_skew(
    server: Server, alice: KeyPair, bastion: Bastion, clock: FrozenClock
) -> None:
    client("s3", server, alice).create_bucket(Bucket="guarded")
    reader = access_key(
        bastion,
        "reader",
        policy(
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:bastion:s3:::guarded/secret/*",
            },
        ),
    )
    client("s3", server, alice).put_object(Bucket="guarded", Key="secret/a", Body=b"s")
    s3 = client("s3", server, reader)
    with pytest.raises(ClientError) as put_denied:
        s3.put_object(Bucket="guarded", Key="x", Body=b"x")
    assert code_of(put_denied) == "AccessDenied" and status_of(put_denied) == 403
    with pytest.raises(ClientError) as get_denied:
        s3.get_object(Bucket="guarded", Key="secret/a")
    assert code_of(get_denied) == "AccessDenied"
    with pytest.raises(ClientError) as upload_denied:
        s3.create_multipart_upload(Bucket="guarded", Key="big")
    assert code_of(upload_denied) == "AccessDenied"
    assert s3.list_objects_v2(Bucket="guarded")["KeyCount"] == 1
    denied = [e for e in events(bastion, "PutObject") if e.error_code == "AccessDenied"]
    assert len(denied) == 2 and all(e.username == "reader" for e in denied)

    wrong = KeyPair(alice.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as tampered:
        client("s3", server, wrong).list_buckets()
    assert code_of(tampered) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as unknown:
        client("s3", server, KeyPair("AKIAUNKNOWNUNKNOWN00", "x" * 40)).list_buckets()
    assert code_of(unknown) == "InvalidAccessKeyId"
    clock.advance(seconds=-6 * 60)  # the server is 6 minutes behind the client
    with pytest.raises(ClientError) as skewed:
        client("s3", server, alice).list_buckets()
    assert code_of(skewed) == "RequestTimeTooSkewed" and status_of(skewed) == 403
    reasons = [e.cloudtrail_event()["errorMessage"] for e in events(bastion, "Authenticate")]
    assert any("s from the server" in r for r in reasons)
    assert any("signature mismatch" in r for r in reasons)


def _raw_put(
    server: Server,
    key: KeyPair,
    path: str,
    body: bytes,
    headers: dict[str, str],
    *,
    payload: str,
) -> httpx.Response:
    url = server.url + S3_PREFIX + path
    signed = signed_s3_headers("PUT", url, key, {**headers, "X-Amz-Content-SHA256": payload})
    with httpx.Client(verify=trusted(server)) as http:
        return http.put(url, content=body, headers=signed)


def test_payload_hashes_and_checksums_are_verified(
    server: Server, alice: KeyPair, bastion: Bastion
) -> None:
    s3 = client("s3", server, alice)
    s3.create_bucket(Bucket="sums")
    with pytest.raises(ClientError) as crc:
        s3.put_object(Bucket="sums", Key="a", Body=b"data", ChecksumCRC32="AAAAAA==")
    assert code_of(crc) == "BadDigest" and status_of(crc) == 400
    md5 = base64.b64encode(hashlib.md5(b"other", usedforsecurity=False).digest()).decode()
    with pytest.raises(ClientError) as content_md5:
        s3.put_object(Bucket="sums", Key="a", Body=b"data", ContentMD5=md5)
    assert code_of(content_md5) == "BadDigest"
    signed_payload = client(
        "s3", server, alice, config=Config(s3={"payload_signing_enabled": True})
    )
    assert signed_payload.put_object(Bucket="sums", Key="signed", Body=b"ok")["ETag"]

    r = _raw_put(server, alice, "/sums/b", b"data", {}, payload=hashlib.sha256(b"else").hexdigest())
    assert r.status_code == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in r.content
    chunked = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": "4",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
    }
    trailer = base64.b64encode(zlib.crc32(b"data").to_bytes(4, "big")).decode()
    good = f"4\r\ndata\r\n0\r\nx-amz-checksum-crc32:{trailer}\r\n\r\n".encode()
    stream = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert _raw_put(server, alice, "/sums/c", good, chunked, payload=stream).status_code == 200
    for number, (broken, code) in enumerate(
        [
            (good.replace(trailer.encode(), b"AAAAAA=="), b"BadDigest"),
            (b"5\r\ndata\r\n0\r\n\r\n", b"IncompleteBody"),
            (b"zz\r\ndata\r\n", b"IncompleteBody"),
            (b"4\r\ndata\r\n", b"IncompleteBody"),
            (b"4\r\ndata\r\n0\r\n\r\n", b"IncompleteBody"),
            (good + b"extra", b"IncompleteBody"),
        ]
    ):
        r = _raw_put(server, alice, f"/sums/d{number}", broken, chunked, payload=stream)
        assert r.status_code == 400 and b"<Code>" + code + b"</Code>" in r.content, r.text
    crc32c = _raw_put(
        server,
        alice,
        "/sums/e",
        b"data",
        {"x-amz-checksum-crc32c": "AAAAAA=="},
        payload="UNSIGNED-PAYLOAD",
    )
    assert crc32c.status_code == 400 and b"<Code>InvalidRequest</Code>" in crc32c.content
    assert b"CRC32C is not supported" in crc32c.content
    kept = {o["Key"] for o in s3.list_objects_v2(Bucket="sums").get("Contents", [])}
    assert kept == {"c", "signed"}
    assert s3.get_object(Bucket="sums", Key="c")["Body"].read() == b"data"
    failed = [e.error_code for e in events(bastion, "PutObject") if e.error_code]
    assert "BadDigest" in failed and "IncompleteBody" in failed


HOSTILE_XML = [
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    b"<Delete><Object><Key>&b;</Key></Object></Delete>",
    b'<!DOCTYPE d SYSTEM "file:///etc/passwd"><Delete/>',
    b"<Delete>" + b"<Object>" * 100 + b"</Object>" * 100 + b"</Delete>",
    b"<Delete><Object><Key>k</Key></Object>",
    b"not xml at all",
    b"<Other/>",
    b"",
    b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
    b"\xff\xfe<\x00D\x00",
]


def _raw(server: Server, key: KeyPair, method: str, path: str, body: bytes = b"") -> httpx.Response:
    url = server.url + S3_PREFIX + path
    payload = hashlib.sha256(body).hexdigest()
    headers = signed_s3_headers(method, url, key, {"X-Amz-Content-SHA256": payload})
    with httpx.Client(verify=trusted(server)) as http:
        return http.request(method, url, content=body, headers=headers)


def test_hostile_xml_and_requests_are_4xx(server: Server, alice: KeyPair) -> None:
    client("s3", server, alice).create_bucket(Bucket="hostile")
    for body in HOSTILE_XML:
        for method, path in [
            ("POST", "/hostile?delete"),
            ("PUT", "/hostile/k?tagging"),
            ("POST", "/hostile/k?uploadId=nope"),
        ]:
            r = _raw(server, alice, method, path, body)
            assert 400 <= r.status_code < 500, (path, body[:30], r.text)
            assert b"<Error><Code>" in r.content, r.text
    for method, path, status in [
        ("GET", "/hostile?acl", 501),
        ("PUT", "/hostile?versioning", 501),
        ("GET", "/hostile/k?versionId=3", 501),
        ("PATCH", "/hostile/k", 405),
        ("POST", "/hostile/k", 405),
        ("GET", "/hostile?list-type=3", 400),
        ("GET", "/hostile?max-keys=-1", 400),
        ("GET", "/hostile?list-type=2&continuation-token=%%%", 400),
        ("GET", "/hostile/a%00b", 400),
        ("GET", "/hostile/..%2Fetc", 400),
        ("PUT", "/hostile/k?partNumber=0&uploadId=x", 400),
        ("DELETE", "/hostile/k?uploadId=unknown", 404),
        ("GET", "/UPPER/k", 400),
    ]:
        r = _raw(server, alice, method, path)
        assert r.status_code == status, (method, path, r.text)
        if method != "HEAD" and r.status_code != 405:
            assert b"<Error><Code>" in r.content, r.text
    anonymous = httpx.get(server.url + S3_PREFIX + "/hostile", verify=trusted(server))
    assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content


def test_the_json_api_and_the_wire_share_the_store(
    server: Server, alice: KeyPair, bastion: Bastion
) -> None:
    s3 = client("s3", server, alice)
    s3.create_bucket(Bucket="shared-store")
    s3.put_object(Bucket="shared-store", Key="k", Body=b"from boto3")
    assert bastion.store.get_object("shared-store", "k") == b"from boto3"
    bastion.store.put_object("shared-store", "sdk", b"from the sdk")
    assert s3.get_object(Bucket="shared-store", Key="sdk")["Body"].read() == b"from the sdk"
    openapi = httpx.get(server.url + "/openapi.json", verify=trusted(server)).json()
    assert not [p for p in openapi["paths"] if p.startswith("/aws") or p == "/"]
    assert json.dumps(openapi)  # the wire routes leave the document valid


def test_role_session_credentials(server: Server, alice: KeyPair, bastion: Bastion) -> None:
    client("s3", server, alice).create_bucket(Bucket="sessions")
    client("s3", server, alice).put_object(Bucket="sessions", Key="k", Body=b"v")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    bastion.access.create_role("reader", json.dumps(trust))
    bastion.access.put_role_policy(
        "reader",
        "read",
        policy(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket", "kms:Decrypt"],
                "Resource": "*",
            }
        ),
    )
    role_arn = f"arn:bastion:iam::{bastion.account_id}:role/reader"
    session = bastion.access.assume_role(role_arn, "wire-test")
    s3 = client(
        "s3",
        server,
        KeyPair(session.access_key_id, session.secret_access_key),
        aws_session_token=session.session_token,
    )
    assert s3.get_object(Bucket="sessions", Key="k")["Body"].read() == b"v"
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket="sessions", Key="k2", Body=b"x")
    assert code_of(denied) == "AccessDenied"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "sessions", "Key": "k"})
    assert "X-Amz-Security-Token=" in url
    with httpx.Client(verify=trusted(server)) as http:
        assert http.get(url).content == b"v"
        forged = url.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=x")
        assert http.get(forged).status_code == 403
    no_token = client("s3", server, KeyPair(session.access_key_id, session.secret_access_key))
    with pytest.raises(ClientError) as missing_token:
        no_token.list_objects_v2(Bucket="sessions")
    assert code_of(missing_token) == "InvalidAccessKeyId"
    record = events(bastion, "GetObject")[0].cloudtrail_event()
    assert record["userIdentity"]["type"] == "AssumedRole"
