"""Every key call goes through the gate, recorded in CloudTrail's KMS shape, without secrets."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bastion.access import Decision, Principal, PrincipalType, RootOnlyAuthorizer
from bastion.errors import AccessDenied, Disabled, InvalidCiphertext, InvalidState, NotFound
from bastion.gate import Gate, RequestContext
from bastion.keys import KeysClient
from bastion.testing import FrozenClock, MemoryTrail
from bastion.types import AccountId, Arn

CTX = {"aws:s3:arn": "arn:bastion:s3:::models/fraud.onnx"}


@dataclass
class RecordingAuthorizer:
    """Root-only, remembering what the gate asked (to check resources and conditions)."""

    asked: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def decide(
        self, principal: Principal, action: str, resource: str, context: Mapping[str, Any]
    ) -> Decision:
        self.asked.append((action, resource, dict(context)))
        return RootOnlyAuthorizer().decide(principal, action, resource, context)


@pytest.fixture
def audited(bastion, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """A keys client whose gate records into a MemoryTrail and remembers authorizer questions."""
    trail = MemoryTrail()
    authorizer = RecordingAuthorizer()
    gate = Gate(authorizer=authorizer, trail=trail, clock=clock, region="local")
    runtime = replace(bastion.runtime, gate=gate)
    return KeysClient(runtime), trail, authorizer


def _last(trail: MemoryTrail, name: str) -> dict[str, Any]:
    return [e for e in trail.events if e["eventName"] == name][-1]


def test_create_and_manage_records(audited) -> None:  # type: ignore[no-untyped-def]
    keys, trail, _ = audited
    key = keys.create_key(description="fraud", tags={"team": "risk"})
    event = _last(trail, "CreateKey")
    assert event["eventSource"] == "kms.amazonaws.com"
    assert event["readOnly"] is False and event["eventCategory"] == "Management"
    assert event["requestParameters"] == {
        "description": "fraud",
        "keyUsage": "ENCRYPT_DECRYPT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "tags": [{"tagKey": "team", "tagValue": "risk"}],
    }
    metadata = event["responseElements"]["keyMetadata"]
    assert metadata["keyId"] == key.key_id and metadata["arn"] == key.arn
    assert metadata["keyState"] == "Enabled" and metadata["enabled"] is True
    assert metadata["creationDate"] == "2026-01-01T00:00:00Z"
    assert event["resources"][0]["type"] == "AWS::KMS::Key"

    keys.create_alias("alias/fraud", key.key_id)
    assert _last(trail, "CreateAlias")["requestParameters"] == {
        "aliasName": "alias/fraud",
        "targetKeyId": key.key_id,
    }
    assert _last(trail, "CreateAlias")["resources"][0]["ARN"].endswith(":alias/fraud")

    keys.describe_key("alias/fraud")
    event = _last(trail, "DescribeKey")
    assert event["readOnly"] is True
    assert event["requestParameters"] == {"keyId": "alias/fraud"}
    assert event["resources"][0]["ARN"] == key.arn  # the alias is resolved to its key

    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    event = _last(trail, "ScheduleKeyDeletion")
    assert event["requestParameters"] == {"keyId": key.key_id, "pendingWindowInDays": 7}
    assert event["responseElements"] == {
        "keyId": key.arn,
        "deletionDate": "2026-01-08T00:00:00Z",
        "keyState": "PendingDeletion",
        "pendingWindowInDays": 7,
    }


def test_data_key_and_decrypt_records_for_a_service_caller(audited) -> None:  # type: ignore[no-untyped-def]
    keys, trail, authorizer = audited
    key = keys.create_key()
    keys.create_alias("alias/store", key.key_id)
    s3 = RequestContext(invoked_by="s3.amazonaws.com")
    dk = keys.generate_data_key("alias/store", encryption_context=CTX, context=s3)
    event = _last(trail, "GenerateDataKey")
    assert event["requestParameters"] == {
        "keyId": "alias/store",
        "encryptionContext": CTX,
        "keySpec": "AES_256",
    }
    assert event["responseElements"] is None
    assert event["readOnly"] is True
    assert event["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert event["sourceIPAddress"] == "s3.amazonaws.com"
    assert event["resources"][0]["ARN"] == key.arn

    keys.decrypt(dk.ciphertext_blob, encryption_context=CTX, context=s3)
    event = _last(trail, "Decrypt")
    assert event["requestParameters"] == {
        "encryptionContext": CTX,
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }
    assert event["resources"][0]["ARN"] == key.arn  # named from the blob
    assert event["readOnly"] is True and event["responseElements"] is None

    # the encryption context reaches the authorizer as KMS condition keys
    action, resource, conditions = authorizer.asked[-1]
    assert action == "kms:Decrypt" and resource == key.arn
    assert conditions["kms:EncryptionContext:aws:s3:arn"] == CTX["aws:s3:arn"]
    assert conditions["kms:EncryptionContextKeys"] == ["aws:s3:arn"]


def test_failed_calls_are_recorded_with_kms_error_codes(audited) -> None:  # type: ignore[no-untyped-def]
    keys, trail, _ = audited
    key = keys.create_key()
    blob = keys.encrypt(key.key_id, b"x", encryption_context=CTX).ciphertext_blob
    with pytest.raises(InvalidCiphertext):
        keys.decrypt(blob, encryption_context={"wrong": "ctx"})
    assert _last(trail, "Decrypt")["errorCode"] == "InvalidCiphertextException"
    with pytest.raises(NotFound):
        keys.describe_key("alias/none")
    event = _last(trail, "DescribeKey")
    assert event["errorCode"] == "NotFoundException"
    assert event["resources"][0]["ARN"].endswith(":alias/none")
    keys.disable_key(key.key_id)
    with pytest.raises(Disabled):
        keys.encrypt(key.key_id, b"x")
    assert _last(trail, "Encrypt")["errorCode"] == "DisabledException"
    keys.schedule_key_deletion(key.key_id)
    with pytest.raises(InvalidState):
        keys.generate_data_key(key.key_id)
    assert _last(trail, "GenerateDataKey")["errorCode"] == "KMSInvalidStateException"


def test_no_plaintext_or_material_in_records_or_logs(
    audited, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    keys, trail, _ = audited
    caplog.set_level(logging.DEBUG)
    key = keys.create_key()
    secret = b"top secret payload 1234"
    blob = keys.encrypt(key.key_id, secret, encryption_context=CTX).ciphertext_blob
    opened = keys.decrypt(blob, encryption_context=CTX)
    dk = keys.generate_data_key(key.key_id)
    keys.re_encrypt(blob, key.key_id, source_encryption_context=CTX)
    keys.rotate_key_on_demand(key.key_id)
    assert opened.plaintext == secret
    records = json.dumps(trail.events)
    logs = caplog.text
    forms = [
        secret.decode(),
        secret.hex(),
        base64.b64encode(secret).decode(),
        dk.plaintext.hex(),
        base64.b64encode(dk.plaintext).decode(),
    ]
    for form in forms:
        assert form not in records
        assert form not in logs
    assert "keys.create key=" in logs  # the service does log, just never secrets


def test_denied_caller_is_recorded_and_nothing_runs(bastion, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    trail = MemoryTrail()
    account = AccountId(bastion.account_id)
    alice = Principal(
        arn=Arn(f"arn:bastion:iam::{account}:user/alice"),
        principal_id="AIDAALICE",
        account_id=account,
        type=PrincipalType.IAM_USER,
        name="alice",
    )
    gate = Gate(authorizer=RootOnlyAuthorizer(), trail=trail, clock=clock)
    keys = KeysClient(replace(bastion.runtime, gate=gate, principal=alice))
    with pytest.raises(AccessDenied):
        keys.create_key(description="nope")
    (event,) = trail.events
    assert event["eventName"] == "CreateKey" and event["errorCode"] == "AccessDenied"
    assert event["userIdentity"]["userName"] == "alice"
    assert bastion.keys.list_keys() == []


def test_maintenance_is_recorded_as_kms_service_calls(audited, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    keys, trail, _ = audited
    rotating, doomed = keys.create_key(), keys.create_key()
    keys.enable_key_rotation(rotating.key_id, rotation_period_in_days=90)
    keys.schedule_key_deletion(doomed.key_id, pending_window_in_days=30)
    clock.advance(days=90)
    keys.run_maintenance()
    rotate, delete = _last(trail, "RotateKey"), _last(trail, "DeleteKey")
    assert rotate["resources"][0]["ARN"] == rotating.arn
    assert delete["resources"][0]["ARN"] == doomed.arn
    for event in (rotate, delete):
        assert event["userIdentity"]["invokedBy"] == "kms.amazonaws.com"
        assert "errorCode" not in event
