"""The Clock port, so expiry, rotation, schedules and audit times are testable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """Format a datetime as CloudTrail does: ISO-8601 UTC, second precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def aware(moment: datetime) -> datetime:
    """``moment`` with UTC attached when the database handed it back naive (SQLite)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


__all__ = ["Clock", "SystemClock", "aware", "iso_z"]
