"""Running a data-quality job: read the input, check it against the baseline, store the outputs.

Shared by one-off checks (``MonitorClient.check``) and scheduled executions. Inputs are read and
outputs written through the store's client (so every read and write is authorised, audited and
encrypted); datapoints go to the metrics room through its client. Outputs, as SageMaker writes
them: ``statistics.json``, ``constraint_violations.json``, and Bastion's ``drift.json`` (the
extra statistics) and ``report.html``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bastion.errors import BastionError, Invalid
from bastion.metrics import MetricDatum, MetricsClient, StatisticValues
from bastion.metrics._models import finite
from bastion.monitor._data_quality import check, check_options, read_baseline
from bastion.monitor._datapoints import BATCH_NAMESPACE, ENDPOINT_NAMESPACE
from bastion.monitor._formats import to_json
from bastion.monitor._io import ReadStats, StoreIO, StoreUri, is_store_uri, store_json
from bastion.monitor._jobs import (
    DatasetFormat,
    ExecutionStatus,
    ExecutionSummary,
    MonitoringSchedule,
)
from bastion.monitor._models import Baseline, CheckResult, Datapoint, Profile, ProfileOptions
from bastion.monitor._report import ReportContext, render_report
from bastion.monitor._service import MonitorService
from bastion.monitor._settings import drift_options, engine_for, profile_options
from bastion.monitor.engine import Dataset, Engine
from bastion.settings import Settings

log = logging.getLogger(__name__)

MAX_REASON = 1024
"""SageMaker's FailureReason is at most 1024 characters."""
METRICS_PER_CALL = 1000


def load_baseline(io: StoreIO, statistics_uri: str, constraints_uri: str) -> Baseline:
    """A baseline from its two files in the store (validated as on import)."""
    statistics = io.get(StoreUri.parse(statistics_uri, field="statistics_uri"))
    constraints = io.get(StoreUri.parse(constraints_uri, field="constraints_uri"))
    return read_baseline(statistics, constraints)


def baseline_uris(uri: str) -> tuple[str, str]:
    """A baseline folder's two files: ``<uri>/statistics.json``, ``<uri>/constraints.json``."""
    folder = StoreUri.parse(uri, field="baseline_uri")
    return str(folder.child("statistics.json")), str(folder.child("constraints.json"))


def _sanitised(value: Any) -> Any:
    """JSON-ready: non-finite floats become None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _sanitised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitised(v) for v in value]
    return value


def metric_data(points: Sequence[Datapoint], timestamp: datetime) -> tuple[list[MetricDatum], int]:
    """Monitor datapoints as metric datums; those CloudWatch would refuse are dropped (counted)."""
    data: list[MetricDatum] = []
    dropped = 0
    for point in points:
        stats = point.statistic_values
        numbers = (
            [stats.sample_count, stats.sum, stats.minimum, stats.maximum]
            if stats is not None
            else [point.value if point.value is not None else math.nan]
        )
        if not all(finite(float(n)) for n in numbers) or len(point.name) > 255:
            dropped += 1
            continue
        data.append(
            MetricDatum(
                metric_name=point.name,
                value=None if stats is not None else point.value,
                statistic_values=None
                if stats is None
                else StatisticValues(
                    sample_count=stats.sample_count,
                    sum=stats.sum,
                    minimum=stats.minimum,
                    maximum=stats.maximum,
                ),
                dimensions=tuple(sorted(point.dimensions)),
                timestamp=timestamp,
                unit=point.unit,
            )
        )
    return data, dropped


@dataclass
class Outcome:
    """What one job produced."""

    result: CheckResult
    stats: ReadStats
    outputs: dict[str, str] = field(default_factory=dict)
    report_html: str | None = None
    metrics_published: int = 0
    metrics_dropped: int = 0


class Runner:
    """Runs data-quality jobs for one principal's clients."""

    def __init__(self, *, settings: Settings, io: StoreIO, metrics: MetricsClient) -> None:
        self.settings = settings
        self.io = io
        self.metrics = metrics
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The configured engine (made on first use)."""
        if self._engine is None:
            self._engine = engine_for(self.settings)
        return self._engine

    @property
    def options(self) -> ProfileOptions:
        return profile_options(self.settings)

    def profile(
        self, data: Any, fmt: DatasetFormat, options: ProfileOptions, stats: ReadStats
    ) -> Profile:
        """A profile of ``data``: a store URI (read through the store), a local path or files
        (``Dataset``), an in-memory table, or a profile already made."""
        if isinstance(data, Profile):
            return data
        if is_store_uri(data):
            return self.io.profile_dataset(
                StoreUri.parse(data, field="data"),
                fmt,
                engine=self.engine,
                options=options,
                stats=stats,
            )
        if isinstance(data, str) or hasattr(data, "__fspath__"):
            kind = fmt.format
            data = Dataset.of(
                str(data),
                format=None if kind is None or kind == "capture" else kind,
                header=fmt.header,
                delimiter=fmt.delimiter,
            )
        profile = self.engine.profile(data, options=options)
        stats.files_read += len(data.paths) if isinstance(data, Dataset) else 0
        return profile

    def check(
        self,
        data: Any,
        baseline: Baseline,
        *,
        fmt: DatasetFormat,
        dimensions: Mapping[str, str] | None = None,
        stats: ReadStats | None = None,
    ) -> tuple[CheckResult, ReadStats]:
        """Profile ``data`` for this baseline and check it."""
        stats = stats or ReadStats()
        current = self.profile(data, fmt, check_options(baseline, options=self.options), stats)
        result = check(
            current,
            baseline=baseline,
            drift_options=drift_options(self.settings),
            dimensions=dimensions,
        )
        return result, stats

    def store_outputs(
        self,
        folder: StoreUri,
        result: CheckResult,
        *,
        kms_key_id: str | None,
        report_html: str | None,
    ) -> dict[str, str]:
        """Write the check's files under ``folder``; returns their URIs by file name."""
        files: dict[str, tuple[bytes, str]] = {
            "statistics.json": (to_json(result.statistics), "application/json"),
            "constraint_violations.json": (to_json(result.violations_file()), "application/json"),
            "drift.json": (store_json(_sanitised(result.drift.to_dict())), "application/json"),
        }
        if report_html is not None:
            files["report.html"] = (report_html.encode(), "text/html; charset=utf-8")
        written = {}
        for name, (body, content) in files.items():
            target = folder.child(name)
            self.io.put(target, body, kms_key_id=kms_key_id, content=content)
            written[name] = str(target)
        return written

    def publish(
        self, namespace: str, points: Sequence[Datapoint], timestamp: datetime
    ) -> tuple[int, int]:
        """Put the datapoints into the metrics room; returns (published, dropped)."""
        data, dropped = metric_data(points, timestamp)
        for start in range(0, len(data), METRICS_PER_CALL):
            self.metrics.put_metric_data(
                namespace, data[start : start + METRICS_PER_CALL], context=self.io.context
            )
        if dropped:
            log.warning("monitor.metrics.dropped namespace=%s count=%d", namespace, dropped)
        return len(data), dropped

    # ----------------------------------------------------------------------------- executions

    def execute(
        self,
        execution: ExecutionSummary,
        schedule: MonitoringSchedule,
        service: MonitorService,
        worker: str,
    ) -> ExecutionSummary:
        """Run a claimed execution and record its outcome (Failed with the reason on error)."""
        try:
            outcome = self._execute(execution, schedule)
        except BastionError as exc:
            return self._failed(service, execution, worker, exc.message)
        except Exception as exc:  # a bug or an outside failure: recorded, never lost
            log.exception("monitor.execution.error id=%s", execution.execution_id)
            return self._failed(
                service, execution, worker, f"Internal error: {type(exc).__name__}: {exc}"
            )
        result = outcome.result
        service.finish(
            execution.execution_id,
            worker,
            status=ExecutionStatus(result.status),
            item_count=result.profile.item_count,
            violation_count=len(result.violations),
            files_read=outcome.stats.files_read,
            skipped_records=outcome.stats.skipped_records,
            summary={
                "violations": _by_type(result),
                "drifted": [d.feature for d in result.drift.features if d.drifted],
                "over_threshold": [d.feature for d in result.drift.features if d.exceeds],
                "metrics_published": outcome.metrics_published,
                "metrics_dropped": outcome.metrics_dropped,
                "outputs": outcome.outputs,
            },
        )
        log.info(
            "monitor.execution.done id=%s status=%s rows=%d",
            execution.execution_id,
            result.status,
            result.profile.item_count,
        )
        return service.describe_execution(execution.execution_id)

    def _failed(
        self, service: MonitorService, execution: ExecutionSummary, worker: str, reason: str
    ) -> ExecutionSummary:
        log.info("monitor.execution.failed id=%s reason=%s", execution.execution_id, reason[:200])
        service.finish(
            execution.execution_id,
            worker,
            status=ExecutionStatus.FAILED,
            failure_reason=reason[:MAX_REASON],
        )
        return service.describe_execution(execution.execution_id)

    def _execute(self, execution: ExecutionSummary, schedule: MonitoringSchedule) -> Outcome:
        baseline = load_baseline(self.io, schedule.statistics_uri, schedule.constraints_uri)
        dimensions = {"MonitoringSchedule": schedule.name}
        stats = ReadStats()
        data: Any = schedule.dataset_uri
        if schedule.endpoint_name:
            dimensions = {"Endpoint": schedule.endpoint_name, **dimensions}
            data = self._capture_profile(execution, schedule, baseline, stats)
        result, stats = self.check(
            data, baseline, fmt=schedule.dataset_format, dimensions=dimensions, stats=stats
        )
        report = None
        if self.settings.monitor.html_report:
            ctx = ReportContext(
                title=f"Data quality: {schedule.name} at {execution.scheduled_time.isoformat()}",
                status=result.status,
                dataset=schedule.dataset_uri,
                schedule_name=schedule.name,
                endpoint_name=schedule.endpoint_name,
                scheduled_time=execution.scheduled_time,
                window=(execution.window_start, execution.window_end),
                files_read=stats.files_read,
                skipped_records=stats.skipped_records,
            )
            report = render_report(ctx, baseline, result)
        folder = StoreUri.parse(execution.output_uri, field="output_uri")
        outputs = self.store_outputs(
            folder, result, kms_key_id=schedule.kms_key_id, report_html=report
        )
        published = dropped = 0
        if schedule.publish_metrics:
            namespace = ENDPOINT_NAMESPACE if schedule.endpoint_name else BATCH_NAMESPACE
            published, dropped = self.publish(
                namespace, result.datapoints, execution.scheduled_time
            )
        return Outcome(
            result=result,
            stats=stats,
            outputs=outputs,
            metrics_published=published,
            metrics_dropped=dropped,
        )

    def _capture_profile(
        self,
        execution: ExecutionSummary,
        schedule: MonitoringSchedule,
        baseline: Baseline,
        stats: ReadStats,
    ) -> Profile:
        assert schedule.endpoint_name is not None
        uri = StoreUri.parse(schedule.dataset_uri, field="capture_uri")
        start, end = execution.window_start, execution.window_end
        keys = self.io.capture_keys(uri, schedule.endpoint_name, start, end)
        table = self.io.capture_table(
            keys, schedule.dataset_format, start=start, end=end, stats=stats
        )
        if table.num_rows == 0:
            raise Invalid(
                "data",
                got=(
                    f"no capture records of endpoint '{schedule.endpoint_name}' from "
                    f"{start.isoformat()} to {end.isoformat()} ({stats.files_read} file(s) read, "
                    f"{stats.skipped_records} corrupted record(s) skipped)"
                ),
                expected=f"captured requests under {uri} in the window",
            )
        options = check_options(baseline, options=self.options)
        return self.engine.profile(table, options=options)


def _by_type(result: CheckResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for violation in result.violations:
        key = str(violation.constraint_check_type)
        counts[key] = counts.get(key, 0) + 1
    return counts
