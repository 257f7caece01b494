"""STUB: replaced by the audit room."""

from typing import Any


class AuditClient:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
