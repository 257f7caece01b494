"""kill -9 of a capturing process group mid-stream, while its shipper is putting parts: after a
restart, every acknowledged record is in the store exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from capture_helpers import BUCKET, PREFIX, inference_ids, stored_records

from bastion.capture import capture_writer
from bastion.sdk import Bastion

CHILD = Path(__file__).with_name("capture_child.py")
ACKED = 400
START_LIMIT = 240.0
"""Seconds the child may take to start and acknowledge ACKED records (imports on a busy box)."""


def _acks(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().split("\n")[:-1] if line]


def _shipped(client: Bastion) -> int:
    return len(client.store.list_objects(BUCKET, prefix=PREFIX, max_keys=10).objects)


def test_kill_9_loses_nothing_acknowledged_and_ships_nothing_twice(
    bastion: Bastion, capture_bucket: str, tmp_path: Path
) -> None:
    settings = bastion.runtime.settings
    acks = tmp_path / "acks.txt"
    env = {**os.environ, "BASTION_CAPTURE__SHIP_INTERVAL_SECONDS": "0.05"}
    with subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            str(settings.home),
            settings.resolved_database_url,
            str(acks),
            "run1",
        ],
        env=env,
        start_new_session=True,
    ) as child:
        try:
            deadline = time.monotonic() + START_LIMIT
            while len(_acks(acks)) < ACKED or not _shipped(bastion):
                assert child.poll() is None, "the capturing process ended by itself"
                assert time.monotonic() < deadline, "the capturing process did not get going"
                time.sleep(0.05)
        finally:
            os.killpg(child.pid, signal.SIGKILL)
    acknowledged = _acks(acks)
    assert child.returncode == -signal.SIGKILL

    writer = capture_writer(bastion.runtime)  # the restarted process
    report = writer.ship()
    assert report.records > 0  # the replay had acknowledged records to ship
    assert report.pending_segments == 0 and report.failed_parts == 0
    writer.close()

    stored = inference_ids(stored_records(bastion))
    twice = {k: n for k, n in stored.items() if n > 1}
    assert not twice, f"records shipped twice: {list(twice)[:5]}"
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:5]}"
    assert len(acknowledged) >= ACKED
    assert not list((settings.home / "capture-wal").iterdir())
