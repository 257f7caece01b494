"""Endpoint schedules read SageMaker capture files from the store: the window's hour folders of
every variant, records by inferenceTime, corrupted lines skipped and counted, never a crash."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from monitor_helpers import BASELINE, BUCKET, CAPTURE, FEATURES, OUTPUT, drifted, put_capture

from bastion.monitor import ENDPOINT_NAMESPACE, ExecutionStatus
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

START = datetime(2026, 1, 1, tzinfo=UTC)
CORRUPTED = [
    '{"captureData": {"endpointInput": ',  # cut short
    "not json at all",
    "[1, 2, 3]",
    '{"eventVersion": "0"}',  # no payload
    "\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
]


def _endpoint_schedule(client: Bastion, **fmt: object) -> None:
    client.monitor.create_monitoring_schedule(
        "fraud-hourly",
        endpoint_name="fraud",
        capture_uri=CAPTURE,
        baseline_uri=BASELINE,
        output_uri=OUTPUT,
        schedule_expression="cron(0 * ? * * *)",
        dataset_format={"feature_names": FEATURES, **fmt},
    )


def test_the_window_reads_its_hour_of_every_variant(stored: Bastion, clock: FrozenClock) -> None:
    _endpoint_schedule(stored)
    hour = START + timedelta(minutes=20)
    frame = drifted(400)
    put_capture(stored, "fraud", frame.iloc[:200], hour, extra_lines=CORRUPTED)
    put_capture(stored, "fraud", frame.iloc[200:], hour + timedelta(minutes=5), variant="Canary")
    put_capture(stored, "fraud", frame.iloc[:50], hour + timedelta(hours=1))  # next window
    put_capture(stored, "other", frame.iloc[:50], hour)  # another endpoint
    clock.advance(hours=1, minutes=1)
    (done,) = stored.monitor.scheduler().tick()
    assert done.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS, done.failure_reason
    assert done.item_count == 400
    assert done.files_read == 2
    assert done.skipped_records == len(CORRUPTED)
    assert done.output_uri == f"{OUTPUT}/fraud/fraud-hourly/2026/01/01/01"
    checks = set(done.summary["violations"])
    assert {"baseline_drift_check", "categorical_values_check"} <= checks
    metric = stored.metrics.get_metric_statistics(
        ENDPOINT_NAMESPACE,
        "feature_baseline_drift_amount",
        dimensions={"Endpoint": "fraud", "MonitoringSchedule": "fraud-hourly"},
        start=START,
        end=START + timedelta(hours=2),
        period=3600,
        statistics=["Maximum"],
    )
    (point,) = metric.datapoints
    assert point.maximum is not None and point.maximum > 0.1


def test_an_hour_without_capture_fails_with_a_readable_reason(
    stored: Bastion, clock: FrozenClock
) -> None:
    _endpoint_schedule(stored)
    put_capture(stored, "fraud", drifted(10), START + timedelta(minutes=5), extra_lines=["{"])
    clock.advance(hours=2, minutes=1)
    first, second = stored.monitor.scheduler().tick()
    assert first.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert first.skipped_records == 1
    assert second.status is ExecutionStatus.FAILED
    assert second.failure_reason is not None
    assert "no capture records of endpoint 'fraud'" in second.failure_reason
    assert "2026-01-01T01:00:00+00:00" in second.failure_reason


def test_a_file_of_garbage_is_skipped_line_by_line(stored: Bastion, clock: FrozenClock) -> None:
    _endpoint_schedule(stored)
    when = START + timedelta(minutes=10)
    put_capture(stored, "fraud", drifted(100), when)
    garbage = bytes(range(256)) * 40 + b"\n\x00\x00\n"
    stored.store.put_object(
        BUCKET, f"datacapture/fraud/AllTraffic/{when:%Y/%m/%d/%H}/99-99-000-x.jsonl", garbage
    )
    clock.advance(hours=1)
    (done,) = stored.monitor.scheduler().tick()
    assert done.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS, done.failure_reason
    assert done.item_count == 100 and done.files_read == 2 and done.skipped_records >= 1


def test_json_and_base64_payloads(stored: Bastion, clock: FrozenClock) -> None:
    stored.monitor.create_monitoring_schedule(
        "fraud-json",
        endpoint_name="fraud",
        capture_uri=CAPTURE,
        baseline_uri=BASELINE,
        output_uri=OUTPUT,
        schedule_expression="rate(1 hour)",
    )
    when = START + timedelta(minutes=30)
    frame = drifted(120)
    put_capture(stored, "fraud", frame, when, encoding="JSON")
    wrapped = {
        "captureData": {
            "endpointInput": {
                "observedContentType": "application/json",
                "mode": "INPUT",
                "data": base64.b64encode(
                    json.dumps(
                        {"instances": [{"amount": 1.0, "category": "food", "count": 1}]}
                    ).encode()
                ).decode(),
                "encoding": "BASE64",
            }
        },
        "eventMetadata": {"eventId": "x", "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }
    put_capture(stored, "fraud", frame.iloc[:0], when, extra_lines=[json.dumps(wrapped)])
    clock.advance(hours=1)
    (done,) = stored.monitor.scheduler().tick()
    assert done.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS, done.failure_reason
    assert done.item_count == 121 and done.skipped_records == 0
    assert "missing_column_check" not in done.summary["violations"]


def test_input_and_output_side_by_side(stored: Bastion, clock: FrozenClock) -> None:
    _endpoint_schedule(stored, capture_index_names=["endpointInput", "endpointOutput"])
    put_capture(stored, "fraud", drifted(50), START + timedelta(minutes=1))
    clock.advance(hours=1)
    (done,) = stored.monitor.scheduler().tick()
    # feature_names name the three input columns and the output: four names are needed
    assert done.status is ExecutionStatus.FAILED
    assert done.failure_reason is not None and "feature_names" in done.failure_reason
    stored.monitor.update_monitoring_schedule(
        "fraud-hourly",
        dataset_format={
            "format": "capture",
            "capture_index_names": ["endpointInput", "endpointOutput"],
            "feature_names": [*FEATURES, "score"],
        },
    )
    again = stored.monitor.retry_monitoring_execution(done.execution_id)
    assert again.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS, again.failure_reason
    assert "extra_column_check" in again.summary["violations"]  # score is not in the baseline


def test_a_hostile_stream_is_checked_not_crashed(stored: Bastion, clock: FrozenClock) -> None:
    _endpoint_schedule(stored)
    rows = 10_000
    frame = drifted(rows)
    frame["category"] = [f"merchant-{i}" for i in range(rows)]  # 10 000 distinct categories
    frame["amount"] = frame["amount"].astype(object)
    frame.loc[:99, "amount"] = "inf"
    frame.loc[100:199, "amount"] = "nan"
    frame.loc[200:1699, "amount"] = "not a number"  # mixed types: 15 % text
    put_capture(stored, "fraud", frame, START + timedelta(minutes=3))
    clock.advance(hours=1)
    (done,) = stored.monitor.scheduler().tick()
    assert done.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS, done.failure_reason
    assert done.item_count == rows
    checks = set(done.summary["violations"])
    assert {"data_type_check", "categorical_values_check"} <= checks
    assert done.summary["metrics_published"] > 0
