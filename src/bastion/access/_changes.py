"""Process-wide change counters, so every cache over one database sees a change at once.

Several runtimes in one process (the SDK, a server, tests) may share a database; each keeps its
own caches of compiled policies and resource info. They all hold the same :class:`ChangeLog`
for that database: a write through any of them bumps a counter the others compare against.
Changes made by another process are seen through the ``iam_state`` generation in the database,
read at most once a second (``REFRESH_SECONDS``), like IAM's own eventual consistency.
"""

from __future__ import annotations

import threading

REFRESH_SECONDS = 1.0
_MAX_TRACKED_RESOURCES = 65_536

_LOGS: dict[str, ChangeLog] = {}
_LOGS_LOCK = threading.Lock()


class ChangeLog:
    """Counters of changes to IAM data and to resources, for one database."""

    def __init__(self) -> None:
        self.iam = 0
        self.epoch = 0
        self._written: dict[str, int] = {}
        self._lock = threading.Lock()

    def iam_changed(self) -> None:
        """Identities, policies, guardrails or credentials changed."""
        with self._lock:
            self.iam += 1

    def resource_written(self, resource: str) -> None:
        """A write call on ``resource`` succeeded (its policy or tags may have changed)."""
        with self._lock:
            if len(self._written) >= _MAX_TRACKED_RESOURCES:
                self._written.clear()
                self.epoch += 1
            self._written[resource] = self._written.get(resource, 0) + 1

    def resource_version(self, resource: str) -> tuple[int, int]:
        """A value that changes whenever ``resource`` is written (or tracking starts over)."""
        return self.epoch, self._written.get(resource, 0)


def change_log(database_key: str) -> ChangeLog:
    """The change log shared by everything in this process that uses ``database_key``."""
    with _LOGS_LOCK:
        found = _LOGS.get(database_key)
        if found is None:
            found = _LOGS[database_key] = ChangeLog()
        return found


__all__ = ["REFRESH_SECONDS", "ChangeLog", "change_log"]
