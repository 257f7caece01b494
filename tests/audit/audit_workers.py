"""A process that appends to a shared trail (imported by the spawned children of the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit_helpers import make_event

from bastion.audit import AuditTrail
from bastion.db import Database
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock


def append_worker(
    url: str, home: str, root_key: bytes, worker: int, count: int, barrier: Any
) -> None:
    """Append ``count`` events named ``W<worker>``: one call each (even workers) or in fives."""
    settings = Settings(home=Path(home), database_url=url)
    db = Database(url)
    clock = FrozenClock("2026-01-01T02:00:00Z")
    trail = AuditTrail(db=db, sealer=RootSealer(root_key), clock=clock, settings=settings)
    events = [make_event(clock, name=f"W{worker}") for _ in range(count)]
    barrier.wait()
    if worker % 2 == 0:
        for event in events:
            trail.append(event)
    else:
        for i in range(0, count, 5):
            trail.append_many(events[i : i + 5])
    db.dispose()
