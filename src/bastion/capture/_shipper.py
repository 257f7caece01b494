"""Shipping segments to the store: one part per (destination, endpoint, variant, hour) of each.

A part's name is derived from its log, segment and byte range (a UUID from their SHA-256), so
shipping the same segment again — after a crash between the upload and the deletion of the
segment — names the same objects; each is looked for before it is put, so nothing is uploaded
twice. A part the store refuses keeps its segment for the next round; the other parts of the
round go on (one missing bucket does not hold up other endpoints).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bastion.capture._record import part_key
from bastion.capture._wal import Frame, Route, read_segment
from bastion.errors import NotFound
from bastion.gate import RequestContext
from bastion.store import StoreClient

log = logging.getLogger(__name__)


class CaptureSink(Protocol):
    """Where parts go: the store (:class:`StoreSink`), or a test's fake."""

    def exists(self, bucket: str, key: str) -> bool: ...

    def put(self, bucket: str, key: str, body: bytes, *, kms_key_id: str | None) -> None: ...


class StoreSink:
    """Parts as envelope-encrypted store objects (under ``kms_key_id`` or the bucket's key)."""

    def __init__(self, store: StoreClient, *, context: RequestContext | None = None) -> None:
        self.store = store
        self.context = context

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.store.head_object(bucket, key, context=self.context)
        except NotFound:
            return False
        return True

    def put(self, bucket: str, key: str, body: bytes, *, kms_key_id: str | None) -> None:
        self.store.put_object(bucket, key, body, kms_key_id=kms_key_id, context=self.context)


@dataclass
class ShipReport:
    """What one shipping round did."""

    records: int = 0
    parts: int = 0
    already_shipped: int = 0
    failed_parts: int = 0
    segments: int = 0
    pending_segments: int = 0


def ship_segment(
    sink: CaptureSink, log_id: str, path: Path, report: ShipReport, refused: set[str]
) -> bool:
    """Put every part of the segment ``path`` of log ``log_id``; True when all are in the store.

    Buckets in ``refused`` (refused earlier in the round) are not tried again; a bucket that
    refuses now is added to it.
    """
    groups: dict[tuple[Route, int], list[Frame]] = {}
    for frame in read_segment(path):
        groups.setdefault((frame.route, frame.time_ms // 3_600_000), []).append(frame)
    complete = True
    for (route, _hour), frames in groups.items():
        if route.bucket in refused:
            complete = False
            report.failed_parts += 1
            continue
        first = frames[0]
        seed = f"{log_id}/{path.stem}/{first.offset}/{frames[-1].end}".encode()
        unique = uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4)
        when = datetime.fromtimestamp(first.time_ms / 1000, UTC)
        key = part_key(route.prefix, route.endpoint, route.variant, when, str(unique))
        try:
            if sink.exists(route.bucket, key):
                report.already_shipped += 1
                continue
            body = b"\n".join(f.body for f in frames) + b"\n"
            sink.put(route.bucket, key, body, kms_key_id=route.kms_key_id)
        except Exception as exc:  # any refusal of the store: the segment stays for a later round
            log.warning(
                "capture.ship refused bucket=%s key=%s records=%d error=%s",
                route.bucket,
                key,
                len(frames),
                str(exc)[:300],
            )
            refused.add(route.bucket)
            complete = False
            report.failed_parts += 1
            continue
        report.parts += 1
        report.records += len(frames)
        log.info("capture.ship part bucket=%s key=%s records=%d", route.bucket, key, len(frames))
    return complete
