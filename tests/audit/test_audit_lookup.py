"""LookupEvents: every filter, newest first, pages, bad input; the indexes are used."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from audit_helpers import ACCOUNT, KEY_ARN, make_event, run_sql

from bastion.audit import AuditTrail
from bastion.audit._tables import field_sql
from bastion.errors import Invalid
from bastion.testing import FrozenClock

BOB = f"arn:bastion:iam::{ACCOUNT}:user/bob"
BUCKET = "arn:bastion:s3:::fraud-data/train.csv"


@pytest.fixture
def seeded(trail: AuditTrail, clock: FrozenClock) -> dict[str, list[str]]:
    """Nine events of several shapes, one second apart; their eventIDs by label."""
    shapes = [
        ("alice-decrypt", {}),
        (
            "bob-put",
            {
                "name": "PutObject",
                "source": "s3.amazonaws.com",
                "user_arn": BOB,
                "user_name": "bob",
                "resource": BUCKET,
                "read_only": False,
            },
        ),
        ("alice-decrypt", {}),
        ("alice-key", {"name": "CreateKey", "read_only": False, "access_key": "AKIAALICE"}),
        (
            "bob-get",
            {
                "name": "GetObject",
                "source": "s3.amazonaws.com",
                "user_arn": BOB,
                "user_name": "bob",
                "resource": BUCKET,
            },
        ),
        ("alice-denied", {"name": "Decrypt", "error_code": "AccessDenied"}),
        (
            "root-key",
            {
                "name": "CreateKey",
                "user_arn": f"arn:bastion:iam::{ACCOUNT}:root",
                "user_name": None,
                "read_only": False,
            },
        ),
        (
            "bob-put",
            {
                "name": "PutObject",
                "source": "s3.amazonaws.com",
                "user_arn": BOB,
                "user_name": "bob",
                "resource": BUCKET,
                "read_only": False,
            },
        ),
        ("alice-decrypt", {}),
    ]
    ids: dict[str, list[str]] = {}
    for label, kwargs in shapes:
        event = make_event(clock, **kwargs)  # type: ignore[arg-type]
        trail.append(event)
        ids.setdefault(label, []).append(event["eventID"])
        clock.advance(seconds=1)
    return ids


def _ids(trail: AuditTrail, **filters: object) -> list[str]:
    return [e.event_id for e in trail.lookup(**filters).events]  # type: ignore[arg-type]


def test_newest_first_with_every_field(trail: AuditTrail, seeded: dict[str, list[str]]) -> None:
    result = trail.lookup(max_results=3)
    assert [e.seq for e in result.events] == [9, 8, 7]
    newest = result.events[0]
    assert newest.event_name == "Decrypt" and newest.event_source == "kms.amazonaws.com"
    assert newest.username == "alice" and newest.user_arn.endswith(":user/alice")  # type: ignore[union-attr]
    assert newest.read_only and newest.error_code is None
    assert newest.resources[0].arn == KEY_ARN and newest.resources[0].type == "AWS::KMS::Key"
    assert newest.event_time == datetime.fromisoformat("2026-01-01T00:00:08+00:00")
    assert newest.cloudtrail_event()["eventID"] == newest.event_id


def test_filters(trail: AuditTrail, seeded: dict[str, list[str]]) -> None:
    assert _ids(trail, event_name="PutObject") == seeded["bob-put"][::-1]
    assert _ids(trail, user=BOB) == [
        seeded["bob-put"][1],
        seeded["bob-get"][0],
        seeded["bob-put"][0],
    ]
    assert _ids(trail, user="bob") == _ids(trail, user=BOB)
    assert _ids(trail, user=f"arn:bastion:iam::{ACCOUNT}:root") == seeded["root-key"]
    assert _ids(trail, resource=BUCKET) == _ids(trail, user=BOB)
    assert _ids(trail, event_source="s3") == _ids(trail, event_source="s3.amazonaws.com")
    assert len(_ids(trail, event_source="kms")) == 6
    assert _ids(trail, access_key="AKIAALICE") == seeded["alice-key"]
    assert len(_ids(trail, read_only=False)) == 4
    assert len(_ids(trail, read_only=True)) == 5
    assert _ids(trail, event_name="Decrypt", user="alice", read_only=True) == [
        seeded["alice-decrypt"][2],
        seeded["alice-denied"][0],
        seeded["alice-decrypt"][1],
        seeded["alice-decrypt"][0],
    ]
    assert _ids(trail, event_name="NoSuchEvent") == []


def test_time_range_is_inclusive(trail: AuditTrail, seeded: dict[str, list[str]]) -> None:
    start = datetime.fromisoformat("2026-01-01T00:00:02+00:00")
    events = trail.lookup(start=start, end=start + timedelta(seconds=2)).events
    assert [e.seq for e in events] == [5, 4, 3]
    assert trail.lookup(end=start - timedelta(seconds=3)).events == ()


def test_pages(trail: AuditTrail, seeded: dict[str, list[str]]) -> None:
    seen: list[int] = []
    token = None
    while True:
        page = trail.lookup(max_results=4, next_token=token)
        seen += [e.seq for e in page.events]
        token = page.next_token
        if token is None:
            break
    assert seen == list(range(9, 0, -1))


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"max_results": 0}, "max_results"),
        ({"max_results": 1001}, "max_results"),
        ({"next_token": "abc"}, "next_token"),
        ({"next_token": "0"}, "next_token"),
        ({"event_name": ""}, "event_name"),
        ({"user": "x" * 3000}, "user"),
        ({"read_only": "yes"}, "read_only"),
        ({"start": datetime(2026, 1, 1)}, "start"),
        (
            {
                "start": datetime.fromisoformat("2026-01-02T00:00:00+00:00"),
                "end": datetime.fromisoformat("2026-01-01T00:00:00+00:00"),
            },
            "end",
        ),
    ],
)
def test_bad_filters_name_the_field(
    trail: AuditTrail, filters: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as info:
        trail.lookup(**filters)  # type: ignore[arg-type]
    assert info.value.field == field


def test_hostile_filter_values_are_just_values(
    trail: AuditTrail, seeded: dict[str, list[str]]
) -> None:
    assert _ids(trail, event_name="x' OR '1'='1") == []
    assert _ids(trail, user="%") == []


def test_lookups_follow_the_record_not_a_stray_column(
    trail: AuditTrail, seeded: dict[str, list[str]]
) -> None:
    """Editing the record moves it in lookups too (and breaks the chain); nothing else can."""
    run_sql(
        trail,
        "UPDATE audit_events SET record = replace(record, :a, :b) WHERE seq = 9",
        a='"eventName":"Decrypt"',
        b='"eventName":"Encrypt"',
    )
    assert _ids(trail, event_name="Encrypt") == seeded["alice-decrypt"][2:]
    report = trail.verify()
    assert report.first_bad_event_id == seeded["alice-decrypt"][2]


@pytest.mark.parametrize("field", ["event_name", "user_arn", "resource_arn", "access_key_id"])
def test_lookups_use_an_index(trail: AuditTrail, field: str) -> None:
    expr = field_sql("sqlite" if trail.db.is_sqlite else "postgresql", field)
    sql = f"SELECT seq FROM audit_events WHERE {expr} = 'x' ORDER BY seq DESC LIMIT 5"
    with trail.db.read() as conn:
        if trail.db.is_sqlite:
            plan = " ".join(str(r[-1]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
        else:
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql)))
    assert f"ix_audit_events_{field}" in plan
