"""A process whose threads append to a shared trail and log each append it got back (imported by
the spawned children of the group-commit tests)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from audit_helpers import make_event

from bastion.audit import AuditTrail
from bastion.db import Database
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock

KILLED_NAME = "Acknowledged"


def acknowledging_worker(url: str, home: str, root_key: bytes, ack_path: str, threads: int) -> None:
    """Append forever from ``threads`` threads (odd ones three records per call); after each
    call returns, write the eventIDs it stored to ``ack_path``, one per line. Runs until killed."""
    settings = Settings(home=Path(home), database_url=url)
    trail = AuditTrail(
        db=Database(url),
        sealer=RootSealer(root_key),
        clock=FrozenClock("2026-01-01T00:00:00Z"),
        settings=settings,
    )
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    clock = FrozenClock("2026-01-01T00:00:00Z")

    def run(worker: int) -> None:
        while True:
            events = [make_event(clock, name=KILLED_NAME) for _ in range(1 + 2 * (worker % 2))]
            if len(events) == 1:
                trail.append(events[0])
            else:
                trail.append_many(events)
            # one write() per call: a line is in the file only once its append returned
            os.write(ack, "".join(f"{e['eventID']}\n" for e in events).encode())

    for worker in range(threads):
        threading.Thread(target=run, args=(worker,), daemon=True).start()
    threading.Event().wait()
