"""Shared pieces of the capture tests: a capture config, sinks that fail on cue, reading parts."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bastion.capture import CaptureSink
from bastion.sdk import Bastion

BUCKET = "fraud-capture"
PREFIX = "datacapture"
DESTINATION = f"s3://{BUCKET}/{PREFIX}"
CAPTURE_KEY = "alias/fraud-capture"


@dataclass(frozen=True, kw_only=True)
class Spec:
    """A capture config with serving's DataCaptureConfig fields (what capture reads)."""

    enable_capture: bool = True
    initial_sampling_percentage: int = 100
    capture_input: bool = True
    capture_output: bool = True
    destination_s3_uri: str = DESTINATION
    kms_key_id: str | None = None
    csv_content_types: tuple[str, ...] = ("text/csv",)
    json_content_types: tuple[str, ...] = ("application/json",)
    redact_fields: tuple[str, ...] = ()
    on_failure: str = "backpressure"


class Switch(CaptureSink):
    """Wraps a sink; while ``down`` every call fails as an unreachable store would, and it goes
    down by itself once ``puts_left`` (when set) puts were made."""

    def __init__(self, inner: CaptureSink) -> None:
        self.inner = inner
        self.down = False
        self.puts = 0
        self.puts_left: int | None = None
        self._lock = threading.Lock()

    def exists(self, bucket: str, key: str) -> bool:
        if self.down:
            raise ConnectionError("store unreachable")
        return self.inner.exists(bucket, key)

    def put(self, bucket: str, key: str, body: bytes, *, kms_key_id: str | None) -> None:
        if self.down:
            raise ConnectionError("store unreachable")
        self.inner.put(bucket, key, body, kms_key_id=kms_key_id)
        with self._lock:
            self.puts += 1
            if self.puts_left is not None:
                self.puts_left -= 1
                self.down = self.puts_left <= 0


def stored_records(client: Bastion, bucket: str = BUCKET, prefix: str = PREFIX) -> list[Any]:
    """Every capture record under ``s3://bucket/prefix``, decrypted, in key order."""
    records: list[Any] = []
    token = None
    while True:
        page = client.store.list_objects(
            bucket, prefix=prefix + "/", continuation_token=token, max_keys=1000
        )
        for summary in page.objects:
            body = client.store.get_object(bucket, summary.key)
            assert body.endswith(b"\n"), summary.key
            assert body.isascii(), summary.key
            records += [json.loads(line) for line in body.split(b"\n")[:-1]]
        token = page.next_continuation_token
        if not token:
            return records


def inference_ids(records: list[Any]) -> Counter[str]:
    return Counter(r["eventMetadata"]["inferenceId"] for r in records)
