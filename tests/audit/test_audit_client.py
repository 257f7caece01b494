"""The SDK face: every operation passes the gate, is declared, and leaves its own record."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import bastion as bastion_pkg
import bastion.audit
from bastion.access import Principal, PrincipalType
from bastion.audit import AuditClient
from bastion.audit._actions import ACTIONS
from bastion.errors import AccessDenied, Invalid, StorageFailure
from bastion.gate import declared_actions
from bastion.types import AccountId, Arn


def test_public_surface() -> None:
    assert sorted(bastion.audit.__all__) == [
        "AuditClient",
        "AuditTrail",
        "DigestInfo",
        "ExportResult",
        "LookupResult",
        "QueryResult",
        "ResourceRef",
        "SigningKey",
        "TrailEvent",
        "VerifyReport",
    ]


def test_actions_are_declared_and_documented() -> None:
    declared = declared_actions()
    names = {a.name: a for a in ACTIONS}
    assert set(names) == {
        "cloudtrail:LookupEvents",
        "cloudtrail:ValidateLogs",
        "cloudtrail:StartQuery",
        "cloudtrail:ExportEvents",
        "cloudtrail:CreateDigest",
    }
    for name, action in names.items():
        assert declared[name] == action and action.doc
    assert names["cloudtrail:LookupEvents"].read_only
    assert names["cloudtrail:ValidateLogs"].read_only
    assert names["cloudtrail:StartQuery"].read_only
    assert not names["cloudtrail:ExportEvents"].read_only
    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    assert all(f"`{name}`" in doc for name in names)


def test_calls_are_audited_in_the_trail_they_read(
    bastion: bastion_pkg.Bastion, tmp_path: Path
) -> None:
    audit = bastion.audit
    arn = audit.trail_arn
    assert arn == f"arn:bastion:cloudtrail:local:{bastion.account_id}:trail/bastion"
    assert audit.verify().ok
    page = audit.lookup(event_name="ValidateLogs", max_results=5)
    (validate,) = page.events
    record = validate.cloudtrail_event()
    assert record["eventSource"] == "cloudtrail.amazonaws.com" and record["readOnly"] is True
    assert record["resources"][0]["ARN"] == arn
    assert record["responseElements"]["ok"] is True

    audit.query("SELECT count(*) FROM events")
    audit.export(str(tmp_path / "out"))
    digest = audit.create_digest()
    assert digest.number == 1
    names = [e["eventName"] for e in bastion.runtime.trail.events]
    assert names == ["ValidateLogs", "LookupEvents", "StartQuery", "ExportEvents", "CreateDigest"]
    lookup, query, export = bastion.runtime.trail.events[1:4]
    assert lookup["requestParameters"]["lookupAttributes"] == [
        {"attributeKey": "EventName", "attributeValue": "ValidateLogs"}
    ]
    assert query["requestParameters"] == {"queryStatement": "SELECT count(*) FROM events"}
    assert export["requestParameters"] == {"destination": str(tmp_path / "out")}
    assert export["responseElements"]["records"] == 3
    report = audit.verify()
    assert report.ok and report.digests_checked == 1


def test_failed_calls_are_recorded_with_the_error(bastion: bastion_pkg.Bastion) -> None:
    with pytest.raises(Invalid):
        bastion.audit.query("DROP VIEW events")
    (event,) = bastion.runtime.trail.events
    assert event["eventName"] == "StartQuery" and event["errorCode"] == "ValidationException"


def test_credentials_in_an_export_url_are_not_recorded(
    bastion: bastion_pkg.Bastion, tmp_path: Path
) -> None:
    with pytest.raises(StorageFailure) as info:
        bastion.audit.export("nosuchfs://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/prefix")
    (event,) = bastion.runtime.trail.events
    assert event["requestParameters"] == {"destination": "nosuchfs://bucket/prefix"}
    assert "wJalr" not in str(event) and "wJalr" not in info.value.message


def test_a_principal_without_permission_is_refused_and_recorded(
    bastion: bastion_pkg.Bastion,
) -> None:
    alice = Principal(
        arn=Arn(f"arn:bastion:iam::{bastion.account_id}:user/alice"),
        principal_id="AIDAALICE",
        account_id=AccountId(bastion.account_id),
        type=PrincipalType.IAM_USER,
        name="alice",
    )
    as_alice = AuditClient(dataclasses.replace(bastion.runtime, principal=alice))
    with pytest.raises(AccessDenied):
        as_alice.lookup()
    with pytest.raises(AccessDenied):
        as_alice.verify()
    denied = bastion.audit.lookup(user="alice").events
    assert [e.event_name for e in denied] == ["ValidateLogs", "LookupEvents"]
    assert all(e.error_code == "AccessDenied" for e in denied)
