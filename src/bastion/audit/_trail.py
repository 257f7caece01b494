"""STUB: replaced by the audit room."""

from typing import Any


class AuditTrail:
    def __init__(self, *, db: Any, sealer: Any, clock: Any, settings: Any) -> None:
        self.events: list[dict[str, Any]] = []

    def append(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def flush(self) -> None:
        pass

    def ensure_signing_key(self) -> None:
        pass
