"""The writer end to end on SQLite and PostgreSQL: parts in the store as the monitor reads them,
encryption under the config's key, store outages, drops and backpressure, hostile bodies."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from capture_helpers import (
    BUCKET,
    CAPTURE_KEY,
    DESTINATION,
    PREFIX,
    Spec,
    Switch,
    inference_ids,
    stored_records,
)

from bastion.capture import DROPPED_METRIC, NAMESPACE, CaptureWriter, capture_writer
from bastion.errors import Invalid, StorageFailure
from bastion.monitor._io import ReadStats, StoreIO, StoreUri
from bastion.monitor._jobs import DatasetFormat
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

START = datetime(2026, 1, 1, tzinfo=UTC)
PART = re.compile(
    rf"^{PREFIX}/fraud/AllTraffic/2026/01/01/00/\d\d-\d\d-\d{{3}}-[0-9a-f-]{{36}}\.jsonl$"
)
Maker = Callable[..., tuple[CaptureWriter, Switch]]


def _capture(writer: CaptureWriter, spec: Spec, i: int, **kw: Any) -> bool:
    body = kw.pop("body", f"{100 + i},{i % 7}\n".encode())
    return writer.capture(
        spec,
        endpoint=kw.pop("endpoint", "fraud"),
        variant=kw.pop("variant", "AllTraffic"),
        inference_id=kw.pop("inference_id", f"req-{i}"),
        request_body=body,
        request_content_type=kw.pop("content_type", "text/csv"),
        response_body=f"0.{i}".encode(),
        response_content_type="text/csv",
        **kw,
    )


def _monitor_rows(client: Bastion, *names: str) -> list[dict[str, Any]]:
    io = StoreIO(client.store)
    keys = io.capture_keys(
        StoreUri.parse(DESTINATION, field="capture_uri"), "fraud", START, START + timedelta(hours=2)
    )
    fmt = DatasetFormat(format="capture", capture_index_names=names)
    table = io.capture_table(keys, fmt, start=None, end=None, stats=ReadStats())
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def test_parts_land_as_sagemaker_writes_them_and_the_monitor_reads_them(
    bastion: Bastion, make_writer: Maker, capture_key: str
) -> None:
    writer, _ = make_writer()
    spec = Spec(kms_key_id=CAPTURE_KEY)
    assert all(_capture(writer, spec, i) for i in range(30))
    report = writer.ship()
    assert (report.records, report.parts, report.failed_parts) == (30, 1, 0)
    (summary,) = bastion.store.list_objects(BUCKET, prefix=PREFIX).objects
    assert PART.match(summary.key), summary.key
    assert bastion.store.head_object(BUCKET, summary.key).kms_key_arn == capture_key
    records = stored_records(bastion)
    assert inference_ids(records) == {f"req-{i}": 1 for i in range(30)}
    first = records[0]
    assert set(first) == {"captureData", "eventMetadata", "eventVersion"}
    assert first["captureData"]["endpointInput"]["data"] == "100,0\n"
    assert first["captureData"]["endpointOutput"]["data"] == "0.0"
    assert first["eventMetadata"]["inferenceTime"] == "2026-01-01T00:00:00Z"
    rows = _monitor_rows(bastion, "endpointInput", "endpointOutput")
    assert len(rows) == 30
    assert sorted((r["_c0"], r["_c1"]) for r in rows) == sorted((100 + i, i % 7) for i in range(30))
    # ciphertext at rest: no blob of the store holds a record in the clear
    blobs = [p for p in (bastion.runtime.settings.home / "store").rglob("*") if p.is_file()]
    assert blobs and not any(b"captureData" in p.read_bytes() for p in blobs)


def test_json_records_round_trip_through_the_monitor(bastion: Bastion, make_writer: Maker) -> None:
    writer, _ = make_writer()
    for i in range(5):
        body = f'{{"instances": [{{"amount": {i}, "count": 2}}]}}'.encode()
        _capture(writer, Spec(), i, body=body, content_type="application/json")
    writer.ship()
    rows = _monitor_rows(bastion, "endpointInput")
    assert sorted(r["amount"] for r in rows) == [0, 1, 2, 3, 4]


def test_unsampled_or_disabled_invocations_leave_nothing(
    bastion: Bastion, make_writer: Maker
) -> None:
    writer, _ = make_writer()
    assert not _capture(writer, Spec(enable_capture=False), 1)
    assert not _capture(writer, Spec(initial_sampling_percentage=0), 2)
    kept = [i for i in range(200) if _capture(writer, Spec(initial_sampling_percentage=25), i)]
    assert 20 < len(kept) < 80
    writer.ship()
    assert inference_ids(stored_records(bastion)) == {f"req-{i}": 1 for i in kept}


def test_parts_per_hour_and_per_variant(
    bastion: Bastion, make_writer: Maker, clock: FrozenClock
) -> None:
    writer, _ = make_writer()
    _capture(writer, Spec(), 1)
    _capture(writer, Spec(), 2, variant="Canary")
    clock.advance(hours=1, minutes=32, seconds=18.648)
    _capture(writer, Spec(), 3)
    writer.ship()
    keys = sorted(o.key for o in bastion.store.list_objects(BUCKET, prefix=PREFIX).objects)
    assert [k.rsplit("/", 1)[0] for k in keys] == [
        f"{PREFIX}/fraud/AllTraffic/2026/01/01/00",
        f"{PREFIX}/fraud/AllTraffic/2026/01/01/01",
        f"{PREFIX}/fraud/Canary/2026/01/01/00",
    ]
    assert keys[1].rsplit("/", 1)[1].startswith("32-18-648-")


def test_a_store_outage_keeps_the_records_until_it_is_back(
    bastion: Bastion, make_writer: Maker
) -> None:
    writer, sink = make_writer()
    sink.down = True
    for i in range(10):
        assert _capture(writer, Spec(), i)  # durable locally: the invocation is served
    report = writer.ship()
    assert report.failed_parts == 1 and report.pending_segments == 1
    sink.down = False
    for i in range(10, 15):
        _capture(writer, Spec(), i)
    report = writer.ship()
    assert report.records == 15 and report.pending_segments == 0
    assert inference_ids(stored_records(bastion)) == {f"req-{i}": 1 for i in range(15)}
    assert writer.wal.used_bytes == 0


def test_a_crash_between_upload_and_deletion_ships_nothing_twice(
    bastion: Bastion, make_writer: Maker, clock: FrozenClock
) -> None:
    first, sink = make_writer()
    for i in range(10):
        _capture(first, Spec(), i)
    clock.advance(hours=1)
    for i in range(10, 20):
        _capture(first, Spec(), i)
    sink.puts_left = 1  # the first part goes up, then the process "dies"
    report = first.ship()
    assert (report.parts, report.failed_parts, report.pending_segments) == (1, 1, 1)
    first.close(ship=False)  # its log stays on disk, unlocked, as after kill -9
    second, _ = make_writer()
    report = second.ship()
    assert (report.already_shipped, report.parts, report.records) == (1, 1, 10)
    assert inference_ids(stored_records(bastion)) == {f"req-{i}": 1 for i in range(20)}
    assert not list((second.root).iterdir())


def test_drops_are_counted_and_published_as_capture_dropped(
    bastion: Bastion, make_writer: Maker
) -> None:
    writer, sink = make_writer(max_wal_bytes=1 << 16)
    sink.down = True
    spec = Spec(on_failure="drop")
    served = [_capture(writer, spec, i, body=b"x" * 4000) for i in range(30)]
    dropped = served.count(False)
    assert dropped > 10 and writer.dropped == {("fraud", "AllTraffic"): dropped}
    writer.ship()  # the store is down, the metrics room is not
    stats = bastion.metrics.get_metric_statistics(
        NAMESPACE,
        DROPPED_METRIC,
        dimensions={"EndpointName": "fraud", "VariantName": "AllTraffic"},
        start=START - timedelta(hours=1),
        end=START + timedelta(hours=1),
        period=3600,
        statistics=["Sum"],
    )
    assert [p.sum for p in stats.datapoints] == [float(dropped)]
    sink.down = False
    writer.ship()
    assert len(stored_records(bastion)) == served.count(True)


def test_backpressure_fails_the_invocation_after_its_bound(
    bastion: Bastion, make_writer: Maker
) -> None:
    writer, sink = make_writer(max_wal_bytes=1 << 16, backpressure_seconds=0.3)
    sink.down = True
    body = b"y" * 4000
    i = 0
    started = time.monotonic()
    with pytest.raises(StorageFailure, match="OnFailure to 'drop'") as caught:
        while True:
            _capture(writer, Spec(), i, body=body)
            i += 1
    assert caught.value.status >= 500 and time.monotonic() - started >= 0.3
    assert writer.dropped == {}
    # a caller blocked on a full log goes through once the store takes the parts again
    outcome: list[bool] = []
    blocked = threading.Thread(
        target=lambda: outcome.append(_capture(writer, Spec(), 999, body=body))
    )
    writer.wait = 30.0
    blocked.start()
    time.sleep(0.2)
    sink.down = False
    writer.ship()
    blocked.join(30)
    assert outcome == [True]
    writer.ship()
    assert inference_ids(stored_records(bastion))["req-999"] == 1


@pytest.mark.parametrize("policy", ["drop", "backpressure"])
def test_a_refusing_disk(make_writer: Maker, tmp_path: Path, policy: str) -> None:
    (tmp_path / "wal").write_text("not a folder: every append fails")
    writer, _ = make_writer()
    if policy == "drop":
        assert not _capture(writer, Spec(on_failure="drop"), 1)
        assert writer.dropped == {("fraud", "AllTraffic"): 1}
    else:
        with pytest.raises(StorageFailure, match="disk refused"):
            _capture(writer, Spec(), 1)


HOSTILE = {
    "nul": (b"1,\x00\x00,3\n", "text/csv"),
    "not-utf8": (b"\xff\xfe\xfa,1\n", "text/csv"),
    "controls": ('{"a": "\\u0000", "b": "\u2028\t"}'.encode(), "application/json"),
    "binary": (bytes(range(256)) * 4, "application/octet-stream"),
    "huge": (b"9," * (3 << 20) + b"9\n", "text/csv"),
}


def test_hostile_bodies_are_captured_exactly(bastion: Bastion, make_writer: Maker) -> None:
    writer, _ = make_writer()
    for name, (body, ctype) in HOSTILE.items():
        assert _capture(writer, Spec(), 0, body=body, content_type=ctype, inference_id=name)
    writer.ship()
    for record in stored_records(bastion):
        body, _ = HOSTILE[record["eventMetadata"]["inferenceId"]]
        entry = record["captureData"]["endpointInput"]
        data = entry["data"]
        got = base64.b64decode(data) if entry["encoding"] == "BASE64" else data.encode()
        assert got == body
    # the monitor's reader skips what it cannot read and never fails on these files
    _monitor_rows(bastion, "endpointOutput")


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("EndpointName", {"endpoint": "../etc"}),
        ("VariantName", {"variant": "a/b"}),
        ("InferenceId", {"inference_id": "x" * 65}),
        ("InferenceId", {"inference_id": "bad\nid"}),
    ],
)
def test_names_that_would_escape_the_layout_are_refused(
    make_writer: Maker, field: str, kw: dict[str, str]
) -> None:
    writer, _ = make_writer()
    with pytest.raises(Invalid) as caught:
        _capture(writer, Spec(), 1, **kw)
    assert caught.value.field == field


def test_the_process_writer_ships_as_the_service(bastion: Bastion, capture_bucket: str) -> None:
    writer = capture_writer(bastion.runtime)
    assert writer.root == (bastion.runtime.settings.home / "capture-wal").resolve()
    assert _capture(writer, Spec(), 1)
    report = writer.close()
    assert report is not None and report.records == 1
    assert inference_ids(stored_records(bastion)) == {"req-1": 1}
    assert list(writer.root.iterdir()) == []
    puts = bastion.audit.lookup(event_name="PutObject", max_results=5).events
    assert any(
        e.cloudtrail_event()["userIdentity"].get("invokedBy") == "sagemaker.amazonaws.com"
        for e in puts
    )
