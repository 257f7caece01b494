"""The event log: emitted with the change, delivered after commit, at least once, per subscriber."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bastion.db import Database, metadata
from bastion.events import (
    MAX_ATTEMPTS,
    Event,
    EventLog,
    declare_event,
    subscribe,
    unsubscribe,
)
from bastion.events import _tables as event_tables
from bastion.testing import FrozenClock

PING = declare_event("test.Pinged", "a test event").kind
PONG = declare_event("test.Ponged", "another test event").kind


@pytest.fixture
def log(db_url: str, clock: FrozenClock) -> Iterator[EventLog]:
    db = Database(db_url)
    db.migrate()
    yield EventLog(db=db, clock=clock)
    db.dispose()


@pytest.fixture
def received() -> Iterator[list[tuple[str, Event]]]:
    seen: list[tuple[str, Event]] = []
    yield seen
    for name in ("test-a", "test-b", "test-flaky"):
        unsubscribe(name)


def _emit(log: EventLog, kind: str, n: int) -> None:
    with log.db.write() as conn:
        log.emit(conn, kind=kind, subject=f"arn:x:{n}", account_id="123456789012", detail={"n": n})


def test_events_reach_each_subscriber_once(log: EventLog, received: list) -> None:
    subscribe("test-a", (PING,), lambda _db, e: received.append(("a", e)))
    subscribe("test-b", (PING, PONG), lambda _db, e: received.append(("b", e)))
    _emit(log, PING, 1)
    _emit(log, PONG, 2)
    assert log.pending
    assert log.deliver_if_pending() == 3
    assert not log.pending
    assert [(who, e.kind, e.detail["n"]) for who, e in received] == [
        ("a", PING, 1),
        ("b", PING, 1),
        ("b", PONG, 2),
    ]
    assert received[0][1].subject == "arn:x:1" and received[0][1].time.tzinfo is not None
    assert log.deliver() == 0, "a second delivery hands nothing out again"


def test_an_event_exists_only_when_its_change_committed(log: EventLog, received: list) -> None:
    subscribe("test-a", (PING,), lambda _db, e: received.append(("a", e)))
    with pytest.raises(RuntimeError), log.db.write() as conn:
        log.emit(conn, kind=PING, subject="arn:x", account_id="123456789012", detail={})
        raise RuntimeError("the change failed")
    assert log.deliver() == 0 and received == [] and log.history() == []


def test_a_failing_handler_is_retried_then_given_up(log: EventLog, received: list) -> None:
    calls: list[int] = []

    def flaky(_db: Database, event: Event) -> None:
        calls.append(event.seq)
        if len(calls) < 3:
            raise OSError("listener down")
        received.append(("flaky", event))

    subscribe("test-flaky", (PING,), flaky)
    _emit(log, PING, 1)
    log.deliver()
    assert received == [] and log.failures()[0]["status"] == "retry"
    assert "OSError: listener down" in log.failures()[0]["error"]
    log.deliver()
    log.deliver()
    assert len(received) == 1 and log.failures() == []
    assert log.deliver() == 0

    def broken(_db: Database, _event: Event) -> None:
        raise ValueError("always")

    subscribe("test-flaky", (PING,), broken)
    _emit(log, PING, 2)
    for _ in range(MAX_ATTEMPTS + 2):
        log.deliver()
    [failure] = log.failures()
    assert failure["status"] == "failed" and failure["attempts"] == MAX_ATTEMPTS


def test_a_new_subscriber_catches_up_on_history(log: EventLog, received: list) -> None:
    for n in range(3):
        _emit(log, PING, n)
    log.deliver()
    subscribe("test-a", (PING,), lambda _db, e: received.append(("a", e)))
    assert log.deliver() == 3
    assert [e.detail["n"] for _, e in received] == [0, 1, 2]


def test_list_filters_by_seq_and_kind(log: EventLog) -> None:
    _emit(log, PING, 1)
    _emit(log, PONG, 2)
    everything = log.history()
    assert [e.kind for e in everything] == [PING, PONG]
    assert [e.kind for e in log.history(after=everything[0].seq)] == [PONG]
    assert [e.kind for e in log.history(kinds=(PING,))] == [PING]


def test_undeclared_kinds_and_bad_names_are_refused(log: EventLog) -> None:
    with pytest.raises(ValueError, match="not declared"), log.db.write() as conn:
        log.emit(conn, kind="test.Unknown", subject="s", account_id="1", detail={})
    with pytest.raises(ValueError, match=r"room\.ThingHappened"):
        declare_event("NoRoom", "bad")
    with pytest.raises(ValueError, match="lower-case"):
        subscribe("Bad Name", (PING,), lambda _db, _e: None)
    with pytest.raises(ValueError, match="at least one"):
        subscribe("test-a", (), lambda _db, _e: None)


def test_migration_matches_tables(log: EventLog) -> None:
    mine = {t.name for t in event_tables.TABLES}

    def include(obj: object, name: str | None, type_: str, _r: bool, _o: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table is None or table in mine

    with log.db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda n, t, _p: t != "table" or n in mine,
                "include_object": include,
            },
        )
        assert compare_metadata(context, metadata) == []
    assert set(sa.inspect(log.db.engine).get_table_names()) >= mine


def test_public_surface() -> None:
    import bastion.events

    assert sorted(bastion.events.__all__) == sorted(
        [
            "MAX_ATTEMPTS",
            "Event",
            "EventKind",
            "EventLog",
            "Handler",
            "Subscriber",
            "declare_event",
            "declared_events",
            "lookup_event",
            "subscribe",
            "subscribers",
            "unsubscribe",
        ]
    )
