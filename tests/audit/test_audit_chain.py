"""The hash chain: appends verify; every kind of tampering is found and named."""

from __future__ import annotations

import json
import math

import pytest
import sqlalchemy as sa
from audit_helpers import fill, make_event, run_sql

from bastion.audit import AuditTrail
from bastion.audit._chain import GENESIS, canonical_record, chain
from bastion.errors import Invalid
from bastion.testing import FrozenClock


def _rows(trail: AuditTrail) -> list[tuple[int, str, bytes]]:
    with trail.db.read() as conn:
        rows = conn.execute(sa.text("SELECT seq, record, hash FROM audit_events ORDER BY seq"))
        return [(int(s), r, bytes(h)) for s, r, h in rows]


def test_appended_records_form_one_chain_that_verifies(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    events = fill(trail, clock, 30)
    assert trail.append_many(make_event(clock) for _ in range(20)) == 20
    rows = _rows(trail)
    assert [r[0] for r in rows] == list(range(1, 51))
    prev = GENESIS
    for _, record, stored in rows:
        prev = chain(prev, record)
        assert stored == prev
    assert json.loads(rows[0][1]) == events[0]
    report = trail.verify()
    assert report.ok and report.records_checked == 50 and report.last_seq == 50
    assert report.first_bad_event_id is None and report.problem is None


def test_records_are_stored_as_canonical_text(trail: AuditTrail, clock: FrozenClock) -> None:
    event = make_event(clock, params={"b": 1, "a": "é"})
    trail.append(event)
    ((_, record, _),) = _rows(trail)
    assert record == json.dumps(event, sort_keys=True, separators=(",", ":"))
    assert record.isascii()
    assert trail.events == [event]


def test_empty_trail_verifies(trail: AuditTrail) -> None:
    report = trail.verify()
    assert report.ok and report.records_checked == 0 and report.last_seq == 0


def test_append_many_of_nothing_writes_nothing(trail: AuditTrail) -> None:
    assert trail.append_many([]) == 0
    trail.flush()
    assert trail.events == []


def test_edited_record_is_named(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 10)
    run_sql(
        trail,
        "UPDATE audit_events SET record = replace(record, '\"Decrypt\"', '\"Encrypt\"') "
        "WHERE seq = 4",
    )
    report = trail.verify()
    assert not report.ok
    assert report.first_bad_event_id == events[3]["eventID"]
    assert report.first_bad_seq == 4
    assert report.records_checked == 3
    assert "does not match its hash" in (report.problem or "")


def test_edited_hash_is_named(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 5)
    run_sql(trail, "UPDATE audit_events SET hash = :h WHERE seq = 2", h=bytes(32))
    report = trail.verify()
    assert (report.ok, report.first_bad_event_id, report.first_bad_seq) == (
        False,
        events[1]["eventID"],
        2,
    )


def test_deleted_record_names_the_record_after_the_gap(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    events = fill(trail, clock, 8)
    run_sql(trail, "DELETE FROM audit_events WHERE seq = 5")
    report = trail.verify()
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.first_bad_event_id == events[5]["eventID"]
    assert "missing" in (report.problem or "")


def test_deleted_record_with_renumbered_rows_is_found(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    events = fill(trail, clock, 8)
    run_sql(trail, "DELETE FROM audit_events WHERE seq = 5")
    run_sql(trail, "UPDATE audit_events SET seq = -seq + 1 WHERE seq > 5")
    run_sql(trail, "UPDATE audit_events SET seq = -seq WHERE seq < 0")
    report = trail.verify()
    assert (report.ok, report.first_bad_seq, report.first_bad_event_id) == (
        False,
        5,
        events[5]["eventID"],
    )


def test_inserted_record_with_a_valid_hash_is_named(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 6)
    rows = _rows(trail)
    forged = make_event(clock, name="CreateKey")
    record = canonical_record(forged)
    run_sql(trail, "UPDATE audit_events SET seq = -seq - 1 WHERE seq > 3")
    run_sql(trail, "UPDATE audit_events SET seq = -seq WHERE seq < 0")
    run_sql(
        trail,
        "INSERT INTO audit_events (seq, record, hash) VALUES (4, :r, :h)",
        r=record,
        h=chain(rows[2][2], record),
    )
    report = trail.verify()
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_event_id) == (4, forged["eventID"])
    assert "inserted" in (report.problem or "")


def test_inserted_record_with_a_wrong_hash_is_named(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 3)
    forged = make_event(clock)
    run_sql(
        trail,
        "INSERT INTO audit_events (seq, record, hash) VALUES (4, :r, :h)",
        r=canonical_record(forged),
        h=bytes(32),
    )
    report = trail.verify()
    assert (report.ok, report.first_bad_seq, report.first_bad_event_id) == (
        False,
        4,
        forged["eventID"],
    )


def test_swapped_records_name_the_first_moved_one(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 9)
    run_sql(trail, "UPDATE audit_events SET seq = -1 WHERE seq = 3")
    run_sql(trail, "UPDATE audit_events SET seq = 3 WHERE seq = 7")
    run_sql(trail, "UPDATE audit_events SET seq = 7 WHERE seq = -1")
    report = trail.verify()
    assert (report.ok, report.first_bad_seq, report.first_bad_event_id) == (
        False,
        3,
        events[6]["eventID"],
    )


def test_first_records_deleted_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 4)
    run_sql(trail, "DELETE FROM audit_events WHERE seq <= 2")
    report = trail.verify()
    assert (report.ok, report.first_bad_seq, report.first_bad_event_id) == (
        False,
        1,
        events[2]["eventID"],
    )


def test_records_cannot_be_edited_into_invalid_json(trail: AuditTrail, clock: FrozenClock) -> None:
    """The lookup indexes read the record, so the database itself refuses broken JSON."""
    fill(trail, clock, 2)
    with pytest.raises(sa.exc.DBAPIError):
        run_sql(trail, "UPDATE audit_events SET record = 'not json' WHERE seq = 1")
    assert trail.verify().ok


def test_a_repeated_event_id_is_recorded_again(trail: AuditTrail, clock: FrozenClock) -> None:
    """As in CloudTrail, eventIDs are for de-duplication by readers; the trail keeps both."""
    event = make_event(clock)
    trail.append(event)
    trail.append_many([make_event(clock), event])
    assert [e["eventID"] for e in trail.events] == [
        event["eventID"],
        trail.events[1]["eventID"],
        event["eventID"],
    ]
    assert trail.verify().ok


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"eventID": None}, "event.eventID"),
        ({"eventID": "x" * 200}, "event.eventID"),
        ({"eventID": "a b"}, "event.eventID"),
        ({"eventTime": "2026-01-01 00:00:00"}, "event.eventTime"),
        ({"eventName": 3}, "event.eventName"),
        ({"requestParameters": {"v": math.nan}}, "event"),
        ({"requestParameters": {"v": object()}}, "event"),
    ],
)
def test_malformed_events_are_refused(
    trail: AuditTrail, clock: FrozenClock, change: dict[str, object], field: str
) -> None:
    event = {**make_event(clock), **change}
    with pytest.raises(Invalid) as info:
        trail.append(event)
    assert info.value.field == field
    assert trail.events == []


def test_not_a_dict_is_refused(trail: AuditTrail) -> None:
    with pytest.raises(Invalid, match="a CloudTrail record"):
        trail.append(["not", "a", "dict"])  # type: ignore[arg-type]


def test_hostile_strings_are_stored_on_every_database(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    """NUL and lone surrogates (refused by PostgreSQL's jsonb) are recorded as U+FFFD."""
    hostile = {
        "key": "a\x00b",
        "lone": "x\ud800y",
        "astral": "\U0001f600",
        "quote": "\"'\\",
        "nul\x00name": 1,
    }
    trail.append(make_event(clock, params=hostile))
    (stored,) = trail.events
    assert stored["requestParameters"] == {
        "key": "a\ufffdb",
        "lone": "x\ufffdy",
        "astral": "\U0001f600",
        "quote": "\"'\\",
        "nul\ufffdname": 1,
    }
    assert trail.verify().ok


def test_a_literal_backslash_u0000_is_kept(trail: AuditTrail, clock: FrozenClock) -> None:
    trail.append(make_event(clock, params={"text": "\\u0000 is not NUL"}))
    assert trail.events[0]["requestParameters"] == {"text": "\\u0000 is not NUL"}
