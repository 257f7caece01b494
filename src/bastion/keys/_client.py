"""STUB: replaced by the keys room."""

from typing import Any


class KeysClient:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
