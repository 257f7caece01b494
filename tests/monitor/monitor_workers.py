"""A scheduler process over a shared home (imported by the spawned children of the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bastion
from bastion.settings import Settings
from bastion.testing import FrozenClock


def scheduler_worker(home: str, url: str, now: str, barrier: Any, results: Any) -> None:
    """Wait for the others, then run scheduler rounds until nothing is left to run."""
    settings = Settings(home=Path(home), database_url=url, monitor={"html_report": False})  # type: ignore[arg-type]
    client = bastion.connect(settings=settings, clock=FrozenClock(now))
    try:
        worker = client.monitor.scheduler()
        barrier.wait()
        ran = []
        while True:
            done = worker.tick()
            if not done:
                break
            ran += [e.scheduled_time.isoformat() for e in done]
        results.put(ran)
    finally:
        client.close()
