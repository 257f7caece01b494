"""Demo part 5 — data-quality monitoring of the fraud model's traffic.

``run(bastion, data_path, console)`` baselines the training data (statistics.json and
constraints.json, encrypted in the store), writes an hour of drifted endpoint traffic as
SageMaker capture files (amounts shifted up, a loan term the model never saw, two corrupted
lines), creates an hourly monitoring schedule on the endpoint, runs it for the simulated hour,
and shows the violations, the ``feature_baseline_drift_funded_amnt`` metric crossing 0.1, and the
self-contained HTML report. Raises AssertionError when a step does not show what it should.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

import bastion as bastion_pkg
from bastion.errors import Conflict, NotFound
from bastion.monitor import ENDPOINT_NAMESPACE, ExecutionStatus
from bastion.testing import FrozenClock

BUCKET = "fraud-monitoring"
ENDPOINT = "fraud-endpoint"
SCHEDULE = "fraud-hourly"
CAPTURE = f"s3://{BUCKET}/datacapture"
BASELINE = f"s3://{BUCKET}/baseline"
OUTPUT = f"s3://{BUCKET}/reports"
DROPPED = ("Class", "label")
"""The label columns: the model never receives them, so they are not monitored."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _features(data_path: Path) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(gzip.decompress(data_path.read_bytes())))
    return frame.drop(columns=[c for c in DROPPED if c in frame.columns])


def _drifted(train: pd.DataFrame, rows: int) -> pd.DataFrame:
    """Today's traffic: amounts 60 % higher, and 30 % of loans on a term the model never saw."""
    rng = np.random.default_rng(5)
    stream = train.sample(n=rows, random_state=5, replace=True).reset_index(drop=True)
    stream["funded_amnt"] = (stream["funded_amnt"] * 1.6).round(0).astype(int)
    stream.loc[rng.random(rows) < 0.3, "term"] = "term_84"
    return stream


def _capture_lines(stream: pd.DataFrame, start: datetime, span: timedelta) -> list[str]:
    """SageMaker capture records of CSV requests (what serving writes for each invocation)."""
    offsets = np.linspace(0, span.total_seconds(), len(stream), endpoint=False)
    lines = []
    for row, offset in zip(stream.itertuples(index=False), offsets, strict=True):
        when = start + timedelta(seconds=float(offset))
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": ",".join("" if pd.isna(v) else str(v) for v in row) + "\n",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv; charset=utf-8",
                    "mode": "OUTPUT",
                    "data": "0.12",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": str(uuid.uuid4()),
                "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
        lines.append(json.dumps(record))
    return lines


def run(bastion: Any, data_path: Path, console: Console) -> str:
    """Baseline, drifted traffic, one hourly run, violations, the drift metric, the report."""
    client = bastion
    train = _features(data_path)
    features = list(train.columns)
    with contextlib.suppress(Conflict):
        client.store.create_bucket(BUCKET)

    # 1. baseline the training data, stored encrypted in the store
    body = io.StringIO()
    train.to_csv(body, index=False)
    client.store.put_object(BUCKET, "train/train.csv", body.getvalue().encode())
    job = client.monitor.suggest_baseline(f"s3://{BUCKET}/train/", output_uri=BASELINE)
    statistics = job.baseline.statistics
    console.print(
        f"baseline {job.job_name}: {statistics.dataset.item_count:,} loans, "
        f"{len(statistics.features)} features -> {job.statistics_uri}, {job.constraints_uri}",
        highlight=False,
    )
    term = job.baseline.constraints.feature("term")
    _expect(
        term is not None and term.string_constraints is not None,
        "the baseline suggested no domain for 'term'",
    )

    # 2. an hour of drifted traffic, captured as the endpoint's data capture writes it
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    stream = _drifted(train, 800)
    lines = _capture_lines(stream, hour, max(now - hour, timedelta(minutes=1)))
    lines += ['{"captureData": {"endpointInput": ', "\x00 not a record"]  # corrupted lines
    key = f"datacapture/{ENDPOINT}/AllTraffic/{hour:%Y/%m/%d/%H}/00-00-000-{uuid.uuid4()}.jsonl"
    client.store.put_object(BUCKET, key, ("\n".join(lines) + "\n").encode())
    console.print(
        f"captured {len(stream):,} requests (+2 corrupted lines) under s3://{BUCKET}/{key}",
        highlight=False,
    )

    # 3. an hourly schedule on the endpoint, run for the simulated hour
    with contextlib.suppress(NotFound):
        client.monitor.delete_monitoring_schedule(SCHEDULE)
    schedule = client.monitor.create_monitoring_schedule(
        SCHEDULE,
        endpoint_name=ENDPOINT,
        capture_uri=CAPTURE,
        baseline_uri=BASELINE,
        output_uri=OUTPUT,
        schedule_expression="cron(0 * ? * * *)",
        dataset_format={"feature_names": features},
    )
    run_at = hour + timedelta(hours=1, minutes=1)
    simulated = bastion_pkg.connect(
        settings=client.runtime.settings, clock=FrozenClock(run_at.isoformat())
    )
    try:
        done = simulated.monitor.scheduler().tick()
        _expect(len(done) == 1, f"expected one execution for the hour, got {len(done)}")
        execution = done[0]
        _expect(
            execution.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
            f"execution {execution.status.value}: {execution.failure_reason}",
        )
        metric = simulated.metrics.get_metric_statistics(
            ENDPOINT_NAMESPACE,
            "feature_baseline_drift_funded_amnt",
            dimensions={"Endpoint": ENDPOINT, "MonitoringSchedule": SCHEDULE},
            start=hour,
            end=run_at,
            period=3600,
            statistics=["Maximum"],
        )
        outputs = simulated.monitor.execution_outputs(execution.execution_id)
    finally:
        simulated.close()
    console.print(
        f"schedule {schedule.name} ({schedule.schedule_expression}) ran at "
        f"{execution.scheduled_time:%H:%M} UTC over {execution.window_start:%H:%M}-"
        f"{execution.window_end:%H:%M}: {execution.status.value}, {execution.item_count:,} rows, "
        f"{execution.skipped_records} corrupted record(s) skipped",
        highlight=False,
    )

    # 4. violations first, then the calibrated verdict beside SageMaker's distance
    table = Table(title="constraint_violations.json")
    table.add_column("feature")
    table.add_column("check")
    table.add_column("description", overflow="fold")
    for violation in outputs.violations:
        table.add_row(
            violation["feature_name"], violation["constraint_check_type"], violation["description"]
        )
    console.print(table)
    kinds = {(v["feature_name"], v["constraint_check_type"]) for v in outputs.violations}
    _expect(("funded_amnt", "baseline_drift_check") in kinds, "no drift violation on funded_amnt")
    _expect(("term", "categorical_values_check") in kinds, "the new loan term was not flagged")
    drifted = sorted(
        f["feature"] for f in (outputs.drift or {}).get("features", []) if f["drifted"]
    )
    _expect({"funded_amnt", "term"} <= set(drifted), f"calibrated verdict: {drifted}")

    # 5. the drift metric alarms will watch
    (point,) = metric.datapoints
    _expect(point.maximum is not None and point.maximum > 0.1, f"drift metric {point.maximum}")
    console.print(
        f"metric {ENDPOINT_NAMESPACE} feature_baseline_drift_funded_amnt = {point.maximum:.3f} "
        f"(> 0.1) at {point.timestamp:%H:%M} UTC",
        highlight=False,
    )

    # 6. the self-contained HTML report
    html = outputs.report_html or ""
    _expect(html.startswith("<!DOCTYPE html>"), "no report.html was stored")
    _expect(not re.search(r"<script[^>]*\bsrc\s*=", html), "the report loads a script")
    report = Path(client.runtime.settings.home).resolve().parent / "monitoring-report.html"
    report.write_text(html, encoding="utf-8")
    console.print(
        f"report: {execution.report_uri} (encrypted in the store), saved to {report} "
        f"({len(html) / 1e6:.1f} MB, Plotly embedded, no network)",
        highlight=False,
    )
    return (
        f"{execution.status.value}: {len(outputs.violations)} violations, drifted "
        f"{', '.join(drifted)}; feature_baseline_drift_funded_amnt {point.maximum:.3f} > 0.1; "
        f"report {report}"
    )
