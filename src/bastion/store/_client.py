"""STUB: replaced by the store room."""

from typing import Any


class StoreClient:
    def __init__(self, runtime: Any, *, keys: Any) -> None:
        self.runtime = runtime
        self.keys = keys
