"""Several real processes append at once: the trail stays one linear chain."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

from audit_workers import append_worker

from bastion.audit import AuditTrail
from bastion.db import Database
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock

WORKERS = 4
EACH = 30


def test_concurrent_processes_keep_one_chain(settings: Settings, clock: FrozenClock) -> None:
    url = settings.resolved_database_url
    root_key = os.urandom(32)
    db = Database(url)
    db.migrate()
    trail = AuditTrail(db=db, sealer=RootSealer(root_key), clock=clock, settings=settings)
    trail.ensure_signing_key()  # at 00:00, so the workers (at 02:00) race to sign a digest

    # real processes; the fork server imports Bastion once for all of them (it cannot see
    # this folder, so the small worker module itself is imported by each child)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["bastion", "bastion.audit"])
    barrier = ctx.Barrier(WORKERS)
    procs = [
        ctx.Process(
            target=append_worker,
            args=(url, str(settings.home), root_key, worker, EACH, barrier),
        )
        for worker in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0] * WORKERS

    report = trail.verify()
    assert report.ok, report
    assert report.last_seq == WORKERS * EACH == report.records_checked
    assert report.digests_checked == 1  # exactly one worker signed it, under the lock
    names = Counter(event["eventName"] for event in trail.events)
    assert names == {f"W{w}": EACH for w in range(WORKERS)}
    db.dispose()
