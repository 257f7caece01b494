"""Group commit: concurrent appends share transactions, and no caller returns before its records
are committed; a SIGKILL loses nothing acknowledged (calls in flight may or may not be stored)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from audit_group_workers import KILLED_NAME, acknowledging_worker
from audit_helpers import make_event

from bastion.audit import AuditTrail
from bastion.audit._append import GroupCommit, Head
from bastion.db import Database
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock

WAIT = 30.0


class _Poison(Exception):
    pass


class _Interrupted(BaseException):
    pass


class _Recorder:
    """A ``write`` for GroupCommit that remembers each transaction; the first one waits for
    ``release`` so that other callers queue up behind it."""

    def __init__(self, fail: Callable[[Sequence[str]], BaseException | None] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.committed: list[str] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, records: Sequence[str]) -> None:
        if not self.started.is_set():
            self.started.set()
            assert self.release.wait(WAIT)
        error = self.fail(records) if self.fail is not None else None
        if error is not None:
            raise error
        self.batches.append(list(records))
        self.committed.extend(records)


def _submit_all(
    group: GroupCommit, recorder: _Recorder, later: Sequence[tuple[str, ...]]
) -> dict[tuple[str, ...], BaseException | None]:
    """Submit ``("first",)``; once its transaction runs, submit ``later`` from one thread each
    and release the first transaction when all of them wait. Returns each call's outcome; a
    call that returned must find its records committed."""
    outcome: dict[tuple[str, ...], BaseException | None] = {}

    def submit(records: tuple[str, ...]) -> None:
        try:
            group.submit(records)
        except BaseException as exc:
            outcome[records] = exc
        else:
            assert all(r in recorder.committed for r in records)
            outcome[records] = None

    first = threading.Thread(target=submit, args=(("first",),))
    first.start()
    assert recorder.started.wait(WAIT)
    threads = [threading.Thread(target=submit, args=(records,)) for records in later]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT
    while len(group._queue) < len(later):  # every later call queued behind the first
        assert time.monotonic() < deadline
        time.sleep(0.005)
    recorder.release.set()
    for thread in [first, *threads]:
        thread.join(WAIT)
    return outcome


def test_callers_that_queue_share_one_transaction() -> None:
    recorder = _Recorder()
    group = GroupCommit(recorder)
    later = [("b",), ("c1", "c2", "c3"), ("d",), ("e",)]
    outcome = _submit_all(group, recorder, later)
    assert outcome == dict.fromkeys([("first",), *later])
    assert recorder.batches[0] == ["first"]
    assert len(recorder.batches) == 2  # everything that queued went in the next transaction
    assert sorted(recorder.batches[1]) == ["b", "c1", "c2", "c3", "d", "e"]
    joined = "".join(recorder.batches[1])
    assert "c1c2c3" in joined  # one call's records stay together and in order


def test_a_failed_group_fails_only_the_caller_whose_records_failed() -> None:
    recorder = _Recorder(lambda records: _Poison("bad") if "poison" in records else None)
    group = GroupCommit(recorder)
    later = [("b",), ("poison",), ("c",)]
    outcome = _submit_all(group, recorder, later)
    assert isinstance(outcome.pop(("poison",)), _Poison)
    assert outcome == {("first",): None, ("b",): None, ("c",): None}
    assert sorted(recorder.committed) == ["b", "c", "first"]  # each exactly once


def test_an_interrupted_leader_leaves_the_others_to_commit_their_own() -> None:
    interrupts = ["once"]

    def fail(records: Sequence[str]) -> BaseException | None:
        if len(records) > 1 and interrupts:
            interrupts.pop()
            return _Interrupted()
        return None

    recorder = _Recorder(fail)
    group = GroupCommit(recorder)
    later = [("b",), ("c",), ("d",)]
    outcome = _submit_all(group, recorder, later)
    interrupted = [records for records, error in outcome.items() if error is not None]
    assert len(interrupted) == 1 and isinstance(outcome[interrupted[0]], _Interrupted)
    stored = sorted(r for records in outcome for r in records if records not in interrupted)
    assert sorted(recorder.committed) == stored


def test_threads_appending_at_once_keep_one_chain(trail: AuditTrail, clock: FrozenClock) -> None:
    threads, each = 8, 25
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            barrier.wait(WAIT)
            for i in range(each):
                if worker % 2 and i % 5 == 0:
                    trail.append_many(
                        make_event(clock, name=f"T{worker}", params={"i": i, "part": part})
                        for part in range(3)
                    )
                else:
                    trail.append(make_event(clock, name=f"T{worker}", params={"i": i}))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(w,)) for w in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(WAIT * 4)
    assert errors == []
    report = trail.verify()
    events = trail.events
    assert report.ok, report
    assert report.records_checked == len(events) == threads * each + (threads // 2) * 5 * 2
    for worker in range(threads):
        mine = [e["requestParameters"] for e in events if e["eventName"] == f"T{worker}"]
        assert [p["i"] for p in mine] == sorted(p["i"] for p in mine)  # each thread in order
    names = [e["eventName"] for e in events]
    for start, event in enumerate(events):
        if event["requestParameters"].get("part") == 0:  # an append_many: contiguous
            assert names[start : start + 3] == [event["eventName"]] * 3
            assert [e["requestParameters"]["part"] for e in events[start : start + 3]] == [0, 1, 2]


def test_a_process_killed_while_appending_keeps_every_acknowledged_record(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    root_key = os.urandom(32)
    db = Database(url)
    db.migrate()
    trail = AuditTrail(db=db, sealer=RootSealer(root_key), clock=clock, settings=settings)
    trail.ensure_signing_key()
    ack_path = tmp_path / "acknowledged.txt"
    threads = 4

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["bastion", "bastion.audit"])
    proc = ctx.Process(
        target=acknowledging_worker,
        args=(url, str(settings.home), root_key, str(ack_path), threads),
    )
    proc.start()
    deadline = time.monotonic() + WAIT * 4
    while not ack_path.exists() or ack_path.read_text().count("\n") < 150:
        assert proc.is_alive() and time.monotonic() < deadline
        time.sleep(0.01)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)  # mid-append: some calls are in flight
    proc.join(WAIT)
    assert proc.exitcode == -signal.SIGKILL

    acknowledged = ack_path.read_text().splitlines()
    trail.append(make_event(clock, name="After"))  # the dead writer's lock is gone
    report = trail.verify()
    assert report.ok, report
    stored = [e["eventID"] for e in trail.events if e["eventName"] == KILLED_NAME]
    assert len(stored) == len(set(stored))
    assert set(acknowledged) <= set(stored)  # nothing acknowledged is lost
    in_flight = set(stored) - set(acknowledged)
    assert len(in_flight) <= threads * 3  # at most each thread's last call, committed unanswered
    assert trail.events[-1]["eventName"] == "After"
    db.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_forked_child_appends_on_its_own_connection(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    trail.append(make_event(clock, name="Parent"))
    pid = os.fork()
    if pid == 0:  # the child: the same trail object, inherited
        code = 1
        try:
            for _ in range(5):
                trail.append(make_event(clock, name="Child"))
            code = 0
        finally:
            os._exit(code)
    for _ in range(5):
        trail.append(make_event(clock, name="Parent"))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    trail.append(make_event(clock, name="Parent"))
    report = trail.verify()
    assert report.ok and report.records_checked == 12, report
    names = [e["eventName"] for e in trail.events]
    assert names.count("Child") == 5 and names[-1] == "Parent"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_fsync_setting_makes_the_trail_commit_with_full_sync(
    database: Database, sealer: RootSealer, clock: FrozenClock, settings: Settings
) -> None:
    durable = settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"fsync": True})}
    )
    trail = AuditTrail(db=database, sealer=sealer, clock=clock, settings=durable)
    trail.ensure_signing_key()
    trail.append(make_event(clock))
    modes: list[int] = []

    def synchronous(cursor: Any, _head: Head) -> None:
        cursor.execute("PRAGMA synchronous")
        modes.append(cursor.fetchone()[0])

    trail._writer.append((), synchronous)  # on the connection the trail appends with
    assert modes == [2]  # FULL: the WAL is synced at every commit
    with database.read() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL elsewhere
    assert trail.verify().ok


def test_appends_go_on_after_the_database_is_disposed(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    trail.append(make_event(clock))
    trail.db.dispose()  # closes the trail's own connection too
    trail.append(make_event(clock))
    report = trail.verify()
    assert report.ok and report.records_checked == 2
