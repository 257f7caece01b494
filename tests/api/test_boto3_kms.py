"""``boto3.client("kms", endpoint_url=...)`` against a real server over TLS: KMS JSON 1.1 protocol,
its shapes and its error codes; denials, bad signatures and hostile bodies (both databases)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from api_helpers import policy, sigv4_headers
from boto3_helpers import (
    KeyPair,
    Server,
    access_key,
    client,
    events,
    isolate_from_aws_config,
    serving,
    to_present,
    trusted,
)
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.api.routers.aws_kms import OPERATIONS
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

KMS_ALL = policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
JSON_11 = "application/x-amz-json-1.1"


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
    return access_key(bastion, "alice", KMS_ALL)


def code_of(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_keys_aliases_rotation_policy_and_tags(
    server: Server, alice: KeyPair, bastion: Bastion
) -> None:
    kms = client("kms", server, alice)
    made = kms.create_key(Description="fraud data", Tags=[{"TagKey": "team", "TagValue": "risk"}])
    md = made["KeyMetadata"]
    key_id = md["KeyId"]
    assert md["Arn"].endswith(f":key/{key_id}")
    assert md["KeyState"] == "Enabled" and md["Enabled"] is True
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT" and md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert isinstance(md["CreationDate"], datetime)  # epoch seconds on the wire
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "fraud data"

    second = kms.create_key()["KeyMetadata"]["KeyId"]
    listed = [
        k["KeyId"]
        for page in kms.get_paginator("list_keys").paginate(Limit=1)
        for k in page["Keys"]
    ]
    assert set(listed) >= {key_id, second} and len(listed) == len(set(listed))

    kms.create_alias(AliasName="alias/fraud", TargetKeyId=key_id)
    assert kms.describe_key(KeyId="alias/fraud")["KeyMetadata"]["KeyId"] == key_id
    aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/fraud"]
    kms.update_alias(AliasName="alias/fraud", TargetKeyId=second)
    assert kms.list_aliases(KeyId=second)["Aliases"][0]["AliasName"] == "alias/fraud"
    with pytest.raises(ClientError) as exists:
        kms.create_alias(AliasName="alias/fraud", TargetKeyId=key_id)
    assert code_of(exists) == "AlreadyExistsException"
    kms.delete_alias(AliasName="alias/fraud")
    assert kms.list_aliases(KeyId=second)["Aliases"] == []

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert isinstance(status["NextRotationDate"], datetime)
    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == md["Arn"]
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    document = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    document["Statement"].append(
        {
            "Sid": "ReadOnly",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(document))
    stored = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert stored["Statement"][-1]["Sid"] == "ReadOnly"

    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "tier", "TagValue": "1"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "tier", "TagValue": "1"}]

    with pytest.raises(ClientError) as missing:
        kms.describe_key(KeyId="alias/nothing-here")
    assert code_of(missing) == "NotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as window:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=3)
    assert code_of(window) == "ValidationException"
    assert "PendingWindowInDays" in str(window.value) or "pending_window" in str(window.value)

    scheduled = kms.schedule_key_deletion(KeyId=second, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    with pytest.raises(ClientError) as pending:
        kms.encrypt(KeyId=second, Plaintext=b"x")
    assert code_of(pending) == "KMSInvalidStateException"
    assert kms.cancel_key_deletion(KeyId=second)["KeyId"].endswith(second)

    created = events(bastion, "CreateKey")
    assert len(created) == 2
    record = created[0].cloudtrail_event()
    assert record["userIdentity"]["userName"] == "alice"
    assert record["userIdentity"]["accessKeyId"] == alice.access_key_id
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert [e.error_code for e in events(bastion, "CreateAlias")] == [
        "AlreadyExistsException",
        None,
    ] or [e.error_code for e in events(bastion, "CreateAlias")] == ["ConflictException", None]


def test_cryptography_round_trips(server: Server, alice: KeyPair, bastion: Bastion) -> None:
    kms = client("kms", server, alice)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    context = {"bucket": "models", "purpose": "test"}
    sealed = kms.encrypt(KeyId=key_id, Plaintext=b"secret bytes", EncryptionContext=context)
    assert sealed["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = sealed["CiphertextBlob"]
    opened = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert opened["Plaintext"] == b"secret bytes" and opened["KeyId"] == sealed["KeyId"]
    with pytest.raises(ClientError) as wrong_context:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"bucket": "other"})
    assert code_of(wrong_context) == "InvalidCiphertextException"
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(ClientError) as bad_blob:
        kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext=context)
    assert code_of(bad_blob) == "InvalidCiphertextException"

    moved = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=context,
        DestinationKeyId=other,
        DestinationEncryptionContext={"moved": "yes"},
    )
    assert moved["KeyId"].endswith(other) and moved["SourceKeyId"].endswith(key_id)
    again = kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"moved": "yes"})
    assert again["Plaintext"] == b"secret bytes"

    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    assert len(dk["Plaintext"]) == 32
    unwrapped = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=context)
    assert unwrapped["Plaintext"] == dk["Plaintext"]
    sealed_only = kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=16)
    assert "Plaintext" not in sealed_only
    assert len(kms.decrypt(CiphertextBlob=sealed_only["CiphertextBlob"])["Plaintext"]) == 16

    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as disabled:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert code_of(disabled) == "DisabledException"
    kms.enable_key(KeyId=key_id)
    with pytest.raises(ClientError) as dry:
        kms.encrypt(KeyId=key_id, Plaintext=b"x", DryRun=True)
    assert code_of(dry) == "ValidationException"

    record = events(bastion, "Decrypt")[-1].cloudtrail_event()
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["requestParameters"]["encryptionContext"] == context
    assert "secret bytes" not in json.dumps(record)
    failed = [e.error_code for e in events(bastion, "Decrypt")]
    assert failed.count("InvalidCiphertextException") == 2


def test_denied_calls_are_access_denied_and_audited(server: Server, bastion: Bastion) -> None:
    owner_key = bastion.keys.create_key(description="owner's").key_id
    mallory = access_key(bastion, "mallory", None)
    limited = access_key(
        bastion,
        "carol",
        policy(
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "kms:Encrypt",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
    )
    kms = client("kms", server, mallory)
    with pytest.raises(ClientError) as denied:
        kms.create_key()
    assert code_of(denied) == "AccessDeniedException"
    with pytest.raises(ClientError) as hidden:
        kms.describe_key(KeyId=owner_key)
    assert code_of(hidden) == "AccessDeniedException"
    record = events(bastion, "CreateKey")[0]
    assert record.error_code == "AccessDenied"
    assert record.cloudtrail_event()["userIdentity"]["userName"] == "mallory"

    carol = client("kms", server, limited)
    assert carol.encrypt(KeyId=owner_key, Plaintext=b"ok")["KeyId"].endswith(owner_key)
    with pytest.raises(ClientError) as no_decrypt:
        carol.decrypt(CiphertextBlob=bastion.keys.encrypt(owner_key, b"x").ciphertext_blob)
    assert code_of(no_decrypt) == "AccessDeniedException"


def test_bad_credentials_and_skewed_clocks(
    server: Server, alice: KeyPair, bastion: Bastion, clock: FrozenClock
) -> None:
    wrong_secret = KeyPair(
        alice.access_key_id, alice.secret[:-1] + ("A" if alice.secret[-1] != "A" else "B")
    )
    with pytest.raises(ClientError) as tampered:
        client("kms", server, wrong_secret).list_keys()
    assert code_of(tampered) == "InvalidSignatureException"
    with pytest.raises(ClientError) as unknown:
        client("kms", server, KeyPair("AKIAUNKNOWNUNKNOWN00", alice.secret)).list_keys()
    assert code_of(unknown) == "UnrecognizedClientException"
    clock.advance(seconds=11 * 60)  # the server is 11 minutes ahead of the client
    with pytest.raises(ClientError) as skewed:
        client("kms", server, alice).list_keys()
    assert code_of(skewed) == "InvalidSignatureException"
    assert "5 minutes" in skewed.value.response["Error"]["Message"]
    clock.advance(seconds=-11 * 60)
    assert "Keys" in client("kms", server, alice).list_keys()
    refusals = [e.cloudtrail_event() for e in events(bastion, "Authenticate")]
    reasons = " ".join(r["errorMessage"] for r in refusals)
    assert "signature mismatch" in reasons and "unknown access key id" in reasons
    assert "s from the server" in reasons
    assert alice.secret not in json.dumps(refusals)


def _signed(server: Server, key: KeyPair, target: str | None, body: bytes) -> httpx.Response:
    headers = {"Content-Type": JSON_11}
    if target is not None:
        headers["X-Amz-Target"] = target
    signed = sigv4_headers(
        "POST",
        server.url + "/",
        key_id=key.access_key_id,
        secret=key.secret,
        service="kms",
        body=body,
        headers=headers,
    )
    return httpx.post(server.url + "/", content=body, headers=signed, verify=trusted(server))


HOSTILE = [
    ("TrentService.ListKeys", b"not json"),
    ("TrentService.ListKeys", b"[]"),
    ("TrentService.ListKeys", b"[" * 100_000),
    ("TrentService.DescribeKey", b'{"KeyId": "a\\u0000b"}'),
    ("TrentService.DescribeKey", b'{"KeyId": "\\ud800"}'),
    ("TrentService.DescribeKey", b'{"KeyId": 7}'),
    ("TrentService.DescribeKey", b"{}"),
    ("TrentService.Encrypt", b'{"KeyId": "k", "Plaintext": "***not base64***"}'),
    ("TrentService.ListKeys", b'{"Limit": 1' + b"0" * 5000 + b"}"),
    ("TrentService.ListKeys", b'{"Limit": "5"}'),
    ("TrentService.ListKeys", b'{"Marker": "nope"}'),
    ("TrentService.ListKeys", b'{"Unknown": 1}'),
    ("TrentService.CreateKey", b'{"Origin": "EXTERNAL"}'),
    ("TrentService.GenerateRandom", b"{}"),
    ("Other.ListKeys", b"{}"),
    (None, b"{}"),
]


def test_hostile_requests_are_4xx_in_kms_shape(server: Server, alice: KeyPair) -> None:
    for target, body in HOSTILE:
        r = _signed(server, alice, target, body)
        assert r.status_code == 400, (target, body[:40], r.text)
        assert r.headers["content-type"] == JSON_11
        error = r.json()
        assert set(error) == {"__type", "message"} and error["message"], error


def test_a_replayed_request_is_refused_and_sdks_retry(server: Server, alice: KeyPair) -> None:
    body = b"{}"
    headers = sigv4_headers(
        "POST",
        server.url + "/",
        key_id=alice.access_key_id,
        secret=alice.secret,
        service="kms",
        body=body,
        headers={"Content-Type": JSON_11, "X-Amz-Target": "TrentService.ListKeys"},
    )
    first = httpx.post(server.url + "/", content=body, headers=headers, verify=trusted(server))
    assert first.status_code == 200, first.text
    again = httpx.post(server.url + "/", content=body, headers=headers, verify=trusted(server))
    assert again.status_code == 400 and again.json()["__type"] == "ThrottlingException"
    kms = client("kms", server, alice)
    for _ in range(3):  # identical calls in one second sign identically; boto3 retries them
        assert "Keys" in kms.list_keys()


def test_unauthenticated_requests(server: Server) -> None:
    r = httpx.post(
        server.url + "/",
        content=b"{}",
        headers={"X-Amz-Target": "TrentService.ListKeys"},
        verify=trusted(server),
    )
    assert r.status_code == 400 and r.json()["__type"] == "MissingAuthenticationTokenException"
    r = httpx.post(
        server.url + "/",
        content=b"{}",
        headers={"X-Amz-Target": "TrentService.ListKeys", "Authorization": "Basic abc"},
        verify=trusted(server),
    )
    assert r.status_code == 400 and r.json()["__type"] == "IncompleteSignatureException"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operation=st.sampled_from(OPERATIONS),
    document=st.dictionaries(
        st.sampled_from(
            ["KeyId", "Plaintext", "CiphertextBlob", "Limit", "AliasName", "Tags", "X"]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=20),
            st.lists(st.text(max_size=5), max_size=3),
        ),
        max_size=4,
    ),
)
def test_random_bodies_never_fail_the_server(
    server: Server, alice: KeyPair, operation: str, document: dict[str, Any]
) -> None:
    r = _signed(server, alice, f"TrentService.{operation}", json.dumps(document).encode())
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert set(r.json()) == {"__type", "message"}


def test_blobs_travel_as_base64(server: Server, alice: KeyPair) -> None:
    key_id = client("kms", server, alice).create_key()["KeyMetadata"]["KeyId"]
    body = json.dumps({"KeyId": key_id, "Plaintext": base64.b64encode(b"raw").decode()}).encode()
    r = _signed(server, alice, "TrentService.Encrypt", body)
    assert r.status_code == 200, r.text
    blob = base64.b64decode(r.json()["CiphertextBlob"], validate=True)
    assert blob and r.json()["KeyId"].endswith(key_id)


def test_signing_keys(server: Server, alice: KeyPair) -> None:
    kms = client("kms", server, alice)
    md = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["KeySpec"] == "ECC_NIST_P256" and md["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    assert "EncryptionAlgorithms" not in md
    signed = kms.sign(
        KeyId=md["KeyId"], Message=b"model manifest", SigningAlgorithm="ECDSA_SHA_256"
    )
    verified = kms.verify(
        KeyId=md["KeyId"],
        Message=b"model manifest",
        Signature=signed["Signature"],
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert verified["SignatureValid"] is True
    with pytest.raises(ClientError) as forged:
        kms.verify(
            KeyId=md["KeyId"],
            Message=b"other manifest",
            Signature=signed["Signature"],
            SigningAlgorithm="ECDSA_SHA_256",
        )
    assert code_of(forged) == "KMSInvalidSignatureException"
    public = kms.get_public_key(KeyId=md["KeyId"])
    assert public["KeyUsage"] == "SIGN_VERIFY" and public["PublicKey"].startswith(b"0")
    with pytest.raises(ClientError) as usage:
        kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x")
    assert code_of(usage) == "InvalidKeyUsageException"
