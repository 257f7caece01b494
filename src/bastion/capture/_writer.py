"""The capture writer serving calls once per invocation, and its background shipper.

:meth:`CaptureWriter.capture` samples, redacts and builds the record, appends it to the process's
write-ahead log and returns once it is durable — before the response is sent. A shipper thread
seals the open segment every ``ship_interval`` seconds (or when it reaches ``part_bytes``), puts
its parts into the endpoints' DestinationS3Uri through the store (envelope-encrypted, under the
capture config's KmsKeyId), deletes it, and ships the logs of dead processes it finds (after a
kill -9: nothing lost, nothing twice).

When the record cannot be made durable — the log is full because the store is not taking parts,
or the disk refused it — the capture config's ``on_failure`` decides: ``backpressure`` waits up
to ``backpressure_seconds`` for room, then fails the invocation (StorageFailure, a 5xx the
caller may retry); ``drop`` serves the invocation and counts the record in ``CaptureDropped``
(namespace ``aws/sagemaker/Endpoints``, dimensions EndpointName and VariantName), with a warning
in the log. Never silently.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from bastion.access import Principal
from bastion.capture._models import ON_FAILURE, CaptureSpec
from bastion.capture._record import capture_record, media_type, payload, record_line, sampled
from bastion.capture._shipper import CaptureSink, ShipReport, StoreSink, ship_segment
from bastion.capture._wal import (
    LogFull,
    LogUnavailable,
    Route,
    WriteAheadLog,
    encode_frame,
    orphans,
)
from bastion.clock import Clock
from bastion.errors import Invalid, StorageFailure
from bastion.gate import RequestContext
from bastion.keys import KeysClient
from bastion.metrics import MetricsClient
from bastion.settings import Settings
from bastion.store import StoreClient

log = logging.getLogger(__name__)

NAMESPACE = "aws/sagemaker/Endpoints"
DROPPED_METRIC = "CaptureDropped"
SERVICE = RequestContext(invoked_by="sagemaker.amazonaws.com", user_agent="bastion-capture")
"""How the shipper's store and metrics calls are audited."""
Publisher = Callable[[str, Sequence[dict[str, Any]]], object]
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_WARN_EVERY = 10.0
"""Seconds between drop warnings of one endpoint variant (the count is in each)."""


class CaptureWriter:
    """Durable capture records of one process, shipped to the store in the background.

    >>> writer = capture_writer(runtime)  # doctest: +SKIP
    >>> writer.capture(config, endpoint="fraud", variant="AllTraffic", inference_id="r-1",
    ...     request_body=b"1,2", request_content_type="text/csv",
    ...     response_body=b"0.9", response_content_type="text/csv")  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        *,
        wal_dir: Path,
        sink: CaptureSink,
        clock: Clock,
        publish: Publisher | None = None,
        group_commit_ms: float = 1.0,
        max_wal_bytes: int = 1 << 30,
        part_bytes: int = 16 << 20,
        ship_interval_seconds: float = 60.0,
        backpressure_seconds: float = 2.0,
        group_commit: bool = True,
    ) -> None:
        self.root = wal_dir
        self.sink = sink
        self.clock = clock
        self.publish = publish
        self.ship_interval = ship_interval_seconds
        self.wait = backpressure_seconds
        self.wal = WriteAheadLog(
            wal_dir,
            segment_bytes=part_bytes,
            max_bytes=max_wal_bytes,
            window=group_commit_ms / 1000,
            group=group_commit,
            on_seal=self._wake_shipper,
        )
        self._wake = threading.Event()
        self._ship_lock = threading.Lock()
        self._state = threading.Lock()
        self._drops: Counter[tuple[str, str]] = Counter()
        self._dropped_total: Counter[tuple[str, str]] = Counter()
        self._warned: dict[tuple[str, str], float] = {}
        self._thread: threading.Thread | None = None
        self._pid = -1
        self._stopping = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        sink: CaptureSink,
        clock: Clock,
        publish: Publisher | None = None,
    ) -> CaptureWriter:
        """A writer configured by ``settings.capture`` (log under ``$BASTION_HOME/capture-wal``)."""
        section = settings.capture
        return cls(
            wal_dir=(section.wal_dir or settings.home / "capture-wal").resolve(),
            sink=sink,
            clock=clock,
            publish=publish,
            group_commit_ms=section.group_commit_ms,
            max_wal_bytes=section.max_wal_bytes,
            part_bytes=section.part_bytes,
            ship_interval_seconds=section.ship_interval_seconds,
            backpressure_seconds=section.backpressure_seconds,
        )

    # ----------------------------------------------------------------------------- capture

    def capture(
        self,
        config: CaptureSpec,
        *,
        endpoint: str,
        variant: str,
        inference_id: str,
        request_body: bytes,
        request_content_type: str,
        response_body: bytes,
        response_content_type: str,
        feature_names: Sequence[str] = (),
        event_id: str | None = None,
    ) -> bool:
        """Capture one invocation if the config and its sampling say so; returns whether a
        record was made durable (False: not sampled, or dropped under ``on_failure="drop"``).

        Raises :class:`~bastion.errors.StorageFailure` under ``on_failure="backpressure"`` when
        the record could not be made durable within ``backpressure_seconds``.
        """
        if not config.enable_capture or not sampled(
            inference_id, config.initial_sampling_percentage
        ):
            return False
        _check_names(endpoint, variant, inference_id, config.on_failure)
        bucket, prefix = _destination(config.destination_s3_uri)
        now = self.clock.now()
        csv_types = _types(config.csv_content_types)
        json_types = _types(config.json_content_types)
        record = capture_record(
            endpoint_input=payload(
                request_body,
                request_content_type,
                mode="INPUT",
                csv_types=csv_types,
                json_types=json_types,
                redact=config.redact_fields,
                feature_names=feature_names,
            )
            if config.capture_input
            else None,
            endpoint_output=payload(
                response_body,
                response_content_type,
                mode="OUTPUT",
                csv_types=csv_types,
                json_types=json_types,
                redact=config.redact_fields,
            )
            if config.capture_output
            else None,
            event_id=event_id or str(uuid.uuid4()),
            inference_id=inference_id,
            when=now,
        )
        route = Route(
            bucket=bucket,
            prefix=prefix,
            kms_key_id=config.kms_key_id,
            endpoint=endpoint,
            variant=variant,
        )
        frame = encode_frame(route, int(now.timestamp() * 1000), record_line(record))
        self.start()
        if self.wal.used_bytes + len(frame) > self.wal.max_bytes:
            self._wake_shipper()  # room comes from shipping
        backpressure = config.on_failure == "backpressure"
        try:
            self.wal.append(frame, wait=self.wait, block_when_full=backpressure)
        except (LogFull, LogUnavailable) as exc:
            self._wake_shipper()
            if backpressure:
                raise StorageFailure(
                    f"Data capture of endpoint '{endpoint}' (variant '{variant}') could not "
                    f"record this invocation: {exc}. Nothing was served; retry shortly, or set "
                    "the capture config's OnFailure to 'drop' to serve without capturing"
                ) from exc
            self._drop(endpoint, variant, exc)
            return False
        if self.wal.used_bytes * 2 > self.wal.max_bytes:
            self._wake_shipper()
        return True

    def _drop(self, endpoint: str, variant: str, exc: Exception) -> None:
        key = (endpoint, variant)
        now = time.monotonic()
        with self._state:
            self._drops[key] += 1
            self._dropped_total[key] += 1
            total = self._dropped_total[key]
            warn = now - self._warned.get(key, -_WARN_EVERY) >= _WARN_EVERY
            if warn:
                self._warned[key] = now
        if warn:
            log.warning(
                "capture.dropped endpoint=%s variant=%s dropped_so_far=%d reason=%s",
                endpoint,
                variant,
                total,
                exc,
            )

    @property
    def dropped(self) -> dict[tuple[str, str], int]:
        """Records dropped since this writer started, per (endpoint, variant)."""
        with self._state:
            return dict(self._dropped_total)

    # ----------------------------------------------------------------------------- shipping

    def start(self) -> None:
        """Start the shipper: its first round, at once, ships what dead processes left (see
        :meth:`replay`), the next ones every ``ship_interval`` seconds; idempotent."""
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._state:
            if self._thread is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stopping = False
            self._wake.set()
            self._thread = threading.Thread(
                target=self._loop, name="bastion-capture-shipper", daemon=True
            )
            self._thread.start()

    def _wake_shipper(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        failures = 0
        first = True
        while True:
            delay = self.ship_interval if not failures else min(self.ship_interval, 2.0**failures)
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopping:
                return
            try:
                report = self.replay() if first else self.ship()
            except Exception:  # the shipper must outlive any one failure; it retries later
                log.exception("capture.ship round_failed")
                failures += 1
                continue
            first = False
            failures = failures + 1 if report.failed_parts else 0

    def ship(self) -> ShipReport:
        """One shipping round: seal the open segment, ship every sealed one of this process and
        of dead processes, publish the drop counts. Safe to call at any time."""
        return self._round(own=True)

    def replay(self) -> ShipReport:
        """Ship only what dead processes left (the shipper's first round, at start)."""
        return self._round(own=False)

    def _round(self, *, own: bool) -> ShipReport:
        with self._ship_lock:
            report = ShipReport()
            refused: set[str] = set()
            log_id = self.wal.log_id
            if own:
                self.wal.rotate()
                for path in self.wal.sealed():
                    if log_id is not None and ship_segment(
                        self.sink, log_id, path, report, refused
                    ):
                        self.wal.remove(path)
                        report.segments += 1
                    else:
                        report.pending_segments += 1
            for orphan in orphans(self.root, exclude=log_id):
                complete = True
                for path in orphan.segments():
                    if ship_segment(self.sink, orphan.log_id, path, report, refused):
                        path.unlink(missing_ok=True)
                        report.segments += 1
                    else:
                        complete = False
                        report.pending_segments += 1
                if complete:
                    orphan.remove()
                    log.info("capture.replayed log=%s", orphan.log_id)
            self.flush_drops()
        return report

    def flush_drops(self) -> int:
        """Publish the drops counted since the last flush as ``CaptureDropped``; returns how many
        datums were sent (kept for the next flush if the metrics room refused them)."""
        with self._state:
            taken, self._drops = self._drops, Counter()
        if not taken or self.publish is None:
            return 0
        data = [
            {
                "MetricName": DROPPED_METRIC,
                "Value": float(count),
                "Unit": "Count",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": variant},
                ],
            }
            for (endpoint, variant), count in taken.items()
        ]
        try:
            self.publish(NAMESPACE, data)
        except Exception as exc:  # metrics unavailable: keep the counts for the next round
            log.warning("capture.dropped_metric failed datums=%d error=%s", len(data), exc)
            with self._state:
                self._drops.update(taken)
            return 0
        return len(data)

    def close(self, *, ship: bool = True) -> ShipReport | None:
        """Stop: commit what is queued, ship what is sealed (unless ``ship`` is False), let go
        of the log. What could not be shipped stays on disk for the next process."""
        with self._state:
            self._stopping = True
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None and self._pid == os.getpid():
            thread.join(30)
        self.wal.stop()
        report = self.ship() if ship else None
        self.wal.close()
        return report


def _check_names(endpoint: str, variant: str, inference_id: str, on_failure: str) -> None:
    for field, value in (("EndpointName", endpoint), ("VariantName", variant)):
        if not isinstance(value, str) or not _NAME.match(value):
            raise Invalid(field, got=value, expected="1-63 letters, digits and hyphens")
    if not isinstance(inference_id, str) or not (
        1 <= len(inference_id) <= 64 and inference_id.isprintable()
    ):
        raise Invalid("InferenceId", got=inference_id, expected="1 to 64 printable characters")
    if on_failure not in ON_FAILURE:
        raise Invalid(
            "DataCaptureConfig.OnFailure", got=on_failure, expected="'backpressure' or 'drop'"
        )


@functools.lru_cache(maxsize=256)
def _destination(uri: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket[/prefix]``."""
    if not isinstance(uri, str) or not uri.startswith("s3://") or not uri.isprintable():
        raise Invalid("DataCaptureConfig.DestinationS3Uri", got=uri, expected="s3://bucket/prefix")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise Invalid("DataCaptureConfig.DestinationS3Uri", got=uri, expected="s3://bucket/prefix")
    return bucket, prefix.strip("/")


@functools.lru_cache(maxsize=256)
def _types(types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(media_type(t) for t in types)


class CaptureRuntime(Protocol):
    """A runtime that can act as the home's owner, the service identity that ships capture
    (``bastion._runtime.Runtime``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def owner(self) -> Principal: ...

    def acting_as(self, principal: Principal) -> Any: ...


def capture_writer(runtime: CaptureRuntime) -> CaptureWriter:
    """The process's writer: parts put and ``CaptureDropped`` published as the service identity
    (audited as invoked by ``sagemaker.amazonaws.com``), so invokers need no store permission."""
    service = runtime.acting_as(runtime.owner)
    keys = KeysClient(service)
    metrics = MetricsClient(service)

    def publish(namespace: str, data: Sequence[dict[str, Any]]) -> object:
        return metrics.put_metric_data(namespace, list(data), context=SERVICE)

    return CaptureWriter.from_settings(
        runtime.settings,
        sink=StoreSink(StoreClient(service, keys=keys), context=SERVICE),
        clock=runtime.clock,
        publish=publish,
    )
