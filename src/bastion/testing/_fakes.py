"""Fakes for the ports: a clock you can move and a trail that keeps records in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


class FrozenClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: str | datetime = "2026-01-01T00:00:00Z") -> None:
        if isinstance(start, str):
            start = datetime.fromisoformat(start.replace("Z", "+00:00"))
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        """Move forward, e.g. ``clock.advance(days=7)``."""
        self._now += timedelta(**delta)


class MemoryTrail:
    """A Trail that keeps events in a list (for gate unit tests)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def append(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def flush(self) -> None:
        """Nothing is buffered."""
