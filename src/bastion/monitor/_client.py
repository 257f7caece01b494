"""Monitoring as callers see it: every method is one action through the gate.

Baselines and one-off checks run as processing jobs in the caller's process; schedules and
executions are rows the scheduler (``MonitorClient.scheduler()``, ``bastion monitor scheduler``)
turns into runs. Inputs are read and outputs written through the store's client, metrics through
the metrics client, so each of those steps is authorised and audited on its own as well.
Arguments are validated before the call reaches the gate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from bastion._text import has_control
from bastion.access import Principal, request_tag_keys
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Invalid, NotFound
from bastion.events import EventLog
from bastion.gate import Gate, RequestContext
from bastion.metrics import MetricsClient
from bastion.monitor import _actions as actions
from bastion.monitor._data_quality import baseline as make_baseline
from bastion.monitor._events import BASELINE_CREATED
from bastion.monitor._expressions import ScheduleExpression
from bastion.monitor._formats import CategoricalMethod, ComparisonMethod, to_json
from bastion.monitor._io import ReadStats, StoreIO, StoreUri
from bastion.monitor._jobs import (
    BaselineJob,
    CheckJob,
    DatasetFormat,
    ExecutionOutputs,
    ExecutionPage,
    ExecutionStatus,
    ExecutionSummary,
    MonitoringSchedule,
    ScheduleStatus,
)
from bastion.monitor._models import Baseline
from bastion.monitor._report import ReportContext, render_report
from bastion.monitor._runner import Runner, baseline_uris, load_baseline
from bastion.monitor._scheduler import SERVICE_CONTEXT, Scheduler
from bastion.monitor._service import MonitorService, processing_job_arn, schedule_arn
from bastion.settings import Settings
from bastion.store import StoreClient
from bastion.types import AccountId

T = TypeVar("T")

NAME_RULE = "1 to 63 letters, digits and hyphens, starting and ending with a letter or digit"
_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_EXECUTION_ID = re.compile(r"[0-9a-f]{32}")
MAX_TAGS = 50
MAX_RESULTS = 100


class MonitorRuntime(Protocol):
    """What the monitor client needs from :class:`bastion._runtime.Runtime`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def events(self) -> EventLog: ...


def _name(value: object, *, field: str, operation: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise Invalid(field, got=value, expected=NAME_RULE, operation=operation)
    return value


def _execution_id(value: object, *, operation: str) -> str:
    if not isinstance(value, str) or not _EXECUTION_ID.fullmatch(value):
        raise Invalid(
            "execution_id",
            got=value,
            expected="an execution id (32 hexadecimal digits)",
            operation=operation,
        )
    return value


def _uri(value: object, *, field: str, operation: str) -> str:
    try:
        return str(StoreUri.parse(value, field=field))
    except Invalid as exc:
        raise Invalid(field, got=value, expected=exc.expected, operation=operation) from None


def _tags(tags: Mapping[str, str] | None, *, operation: str) -> dict[str, str]:
    clean = dict(tags or {})
    if len(clean) > MAX_TAGS:
        raise Invalid(
            "tags", got=len(clean), expected=f"at most {MAX_TAGS} tags", operation=operation
        )
    for key, value in clean.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or has_control(key):
            raise Invalid(
                "tags", got=key, expected="keys of 1 to 128 characters", operation=operation
            )
        if not isinstance(value, str) or len(value) > 256 or has_control(value):
            raise Invalid(
                "tags", got=value, expected="values of at most 256 characters", operation=operation
            )
    return clean


def _describe_data(data: Any) -> str:
    if isinstance(data, str | Path):
        return str(data)
    return type(data).__name__


def _job_name(value: str | None, prefix: str, now: datetime, operation: str) -> str:
    if value is None:
        return f"{prefix}-{now.strftime('%Y-%m-%d-%H-%M-%S')}-{now.microsecond // 1000:03d}"
    return _name(value, field="job_name", operation=operation)


def _format(value: DatasetFormat | Mapping[str, Any] | None, operation: str) -> DatasetFormat:
    if value is None:
        return DatasetFormat()
    if isinstance(value, DatasetFormat):
        return value
    try:
        return DatasetFormat.model_validate(dict(value))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "dataset_format"
        raise Invalid(
            f"dataset_format.{where}",
            got=first.get("input"),
            expected=first["msg"],
            operation=operation,
        ) from None


class MonitorClient:
    """Baselines, checks, monitoring schedules and their executions (SageMaker Model Monitor).

    >>> monitor = bastion.connect(home=".bastion").monitor  # doctest: +SKIP
    >>> job = monitor.suggest_baseline("s3://fraud-data/train/", output_uri="s3://fraud-monitor/baseline")
    ...     # doctest: +SKIP
    >>> monitor.create_monitoring_schedule("fraud-hourly", endpoint_name="fraud",
    ...     capture_uri="s3://fraud-capture/datacapture", baseline_uri="s3://fraud-monitor/baseline",
    ...     output_uri="s3://fraud-monitor/reports", schedule_expression="cron(0 * ? * * *)")
    ...     # doctest: +SKIP
    """

    def __init__(
        self, runtime: MonitorRuntime, *, store: StoreClient, metrics: MetricsClient
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.metrics = metrics
        self._service = MonitorService(
            db=runtime.db,
            clock=runtime.clock,
            settings=runtime.settings,
            account_id=runtime.account_id,
        )

    # ----------------------------------------------------------------------------- plumbing

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        try:
            return self.runtime.gate.call(
                self.runtime.principal,
                action,
                resource,
                params,
                handler,
                context=context,
                respond=respond,
            )
        finally:
            self.runtime.events.deliver_if_pending()

    def _schedule_arn(self, name: str) -> str:
        return schedule_arn(self.runtime.settings.region, self.runtime.account_id, name)

    def _job_arn(self, name: str) -> str:
        return processing_job_arn(self.runtime.settings.region, self.runtime.account_id, name)

    def _runner(self, context: RequestContext | None) -> Runner:
        return Runner(
            settings=self.runtime.settings,
            io=StoreIO(self.store, context=context),
            metrics=self.metrics,
        )

    def scheduler(self, *, worker: str | None = None) -> Scheduler:
        """The monitoring service's worker, running executions as this client's principal
        (``tick()`` once, or ``run(stop_event)``): use the owner's client."""
        return Scheduler(
            service=self._service,
            runner=self._runner(SERVICE_CONTEXT),
            gate=self.runtime.gate,
            principal=self.runtime.principal,
            settings=self.runtime.settings,
            account_id=self.runtime.account_id,
            worker=worker,
        )

    # ----------------------------------------------------------------------------- jobs

    def suggest_baseline(
        self,
        data: Any,
        *,
        output_uri: str | None = None,
        job_name: str | None = None,
        dataset_format: DatasetFormat | Mapping[str, Any] | None = None,
        comparison_method: ComparisonMethod = "Robust",
        categorical_drift_method: CategoricalMethod = "LInfinity",
        kms_key_id: str | None = None,
        context: RequestContext | None = None,
    ) -> BaselineJob:
        """Baseline ``data`` (a store URI, a local path, a DataFrame or an Arrow table).

        With ``output_uri`` (``s3://bucket/prefix``) ``statistics.json`` and ``constraints.json``
        are stored there, encrypted, and a ``monitor.BaselineCreated`` event is emitted.
        """
        op = "CreateProcessingJob"
        name = _job_name(job_name, "baseline-suggestion-job", self.runtime.clock.now(), op)
        out = _uri(output_uri, field="output_uri", operation=op) if output_uri else None
        fmt = _format(dataset_format, op)
        if comparison_method not in ("Robust", "Simple"):
            raise Invalid(
                "comparison_method",
                got=comparison_method,
                expected="Robust or Simple",
                operation=op,
            )
        if categorical_drift_method not in ("LInfinity", "ChiSquared"):
            raise Invalid(
                "categorical_drift_method",
                got=categorical_drift_method,
                expected="LInfinity or ChiSquared",
                operation=op,
            )
        arn = self._job_arn(name)
        params = {
            "processingJobName": name,
            "analysisType": "DataQuality",
            "dataset": _describe_data(data),
            "outputUri": out,
        }

        def run() -> BaselineJob:
            runner = self._runner(context)
            profile = runner.profile(data, fmt, runner.options, ReadStats())
            baseline = make_baseline(
                profile,
                comparison_method=comparison_method,
                categorical_drift_method=categorical_drift_method,
            )
            if out is None:
                return BaselineJob(job_name=name, job_arn=arn, baseline=baseline)
            statistics_uri, constraints_uri = baseline_uris(out)
            for uri, body in (
                (statistics_uri, to_json(baseline.statistics)),
                (constraints_uri, to_json(baseline.constraints)),
            ):
                runner.io.put(
                    StoreUri.parse(uri, field="output_uri"),
                    body,
                    kms_key_id=kms_key_id,
                    content="application/json",
                )
            with self.runtime.db.write() as conn:
                self.runtime.events.emit(
                    conn,
                    kind=BASELINE_CREATED,
                    subject=arn,
                    account_id=self.runtime.account_id,
                    detail={
                        "job_name": name,
                        "job_arn": arn,
                        "statistics_uri": statistics_uri,
                        "constraints_uri": constraints_uri,
                        "dataset": _describe_data(data),
                        "item_count": profile.item_count,
                        "feature_count": len(baseline.statistics.features),
                    },
                )
            return BaselineJob(
                job_name=name,
                job_arn=arn,
                baseline=baseline,
                statistics_uri=statistics_uri,
                constraints_uri=constraints_uri,
            )

        return self._call(
            actions.CREATE_JOB,
            arn,
            params,
            run,
            context,
            respond=lambda job: {
                "processingJobArn": job.job_arn,
                "statisticsUri": job.statistics_uri,
                "constraintsUri": job.constraints_uri,
            },
        )

    def check(
        self,
        data: Any,
        *,
        baseline: Baseline | None = None,
        baseline_uri: str | None = None,
        statistics_uri: str | None = None,
        constraints_uri: str | None = None,
        output_uri: str | None = None,
        job_name: str | None = None,
        dataset_format: DatasetFormat | Mapping[str, Any] | None = None,
        report: bool = True,
        kms_key_id: str | None = None,
        context: RequestContext | None = None,
    ) -> CheckJob:
        """Check ``data`` against a baseline (batch drift): violations, drift, datapoints.

        The baseline is a :class:`Baseline`, a folder ``baseline_uri`` holding
        ``statistics.json`` and ``constraints.json``, or the two file URIs. With ``output_uri``
        the outputs (``statistics.json``, ``constraint_violations.json``, ``drift.json``,
        ``report.html``) are stored there, encrypted.
        """
        op = "CreateProcessingJob"
        now = self.runtime.clock.now()
        name = _job_name(job_name, "data-quality-check", now, op)
        out = _uri(output_uri, field="output_uri", operation=op) if output_uri else None
        fmt = _format(dataset_format, op)
        files = self._baseline_files(baseline_uri, statistics_uri, constraints_uri, op)
        if (baseline is None) == (files is None):
            raise Invalid(
                "baseline",
                got="both" if baseline is not None else "none",
                expected="a Baseline, or baseline_uri, or statistics_uri and constraints_uri",
                operation=op,
            )
        arn = self._job_arn(name)
        params = {
            "processingJobName": name,
            "analysisType": "DataQuality",
            "dataset": _describe_data(data),
            "baselineStatistics": files[0] if files else None,
            "baselineConstraints": files[1] if files else None,
            "outputUri": out,
        }

        def run() -> CheckJob:
            runner = self._runner(context)
            if baseline is not None:
                base = baseline
            else:
                assert files is not None  # exactly one of the two, checked above
                base = load_baseline(runner.io, files[0], files[1])
            result, stats = runner.check(data, base, fmt=fmt)
            html = None
            if report:
                ctx = ReportContext(
                    title=f"Data quality check: {name}",
                    status=result.status,
                    dataset=_describe_data(data),
                    files_read=stats.files_read,
                    skipped_records=stats.skipped_records,
                    generated_at=self.runtime.clock.now(),
                )
                html = render_report(ctx, base, result)
            outputs: dict[str, str] = {}
            if out is not None:
                outputs = runner.store_outputs(
                    StoreUri.parse(out, field="output_uri"),
                    result,
                    kms_key_id=kms_key_id,
                    report_html=html,
                )
            return CheckJob(
                job_name=name,
                job_arn=arn,
                result=result,
                outputs=outputs,
                report_html=html,
                files_read=stats.files_read,
                skipped_records=stats.skipped_records,
            )

        return self._call(
            actions.CREATE_JOB,
            arn,
            params,
            run,
            context,
            respond=lambda job: {
                "processingJobArn": job.job_arn,
                "status": job.result.status,
                "violations": len(job.result.violations),
            },
        )

    def _baseline_files(
        self,
        baseline_uri: str | None,
        statistics_uri: str | None,
        constraints_uri: str | None,
        operation: str,
    ) -> tuple[str, str] | None:
        if baseline_uri is not None:
            if statistics_uri is not None or constraints_uri is not None:
                raise Invalid(
                    "baseline_uri",
                    got=baseline_uri,
                    expected="either baseline_uri or statistics_uri and constraints_uri",
                    operation=operation,
                )
            return baseline_uris(_uri(baseline_uri, field="baseline_uri", operation=operation))
        if statistics_uri is None and constraints_uri is None:
            return None
        if statistics_uri is None or constraints_uri is None:
            missing = "statistics_uri" if statistics_uri is None else "constraints_uri"
            raise Invalid(
                missing,
                got=None,
                expected="both statistics_uri and constraints_uri",
                operation=operation,
            )
        return (
            _uri(statistics_uri, field="statistics_uri", operation=operation),
            _uri(constraints_uri, field="constraints_uri", operation=operation),
        )

    # ----------------------------------------------------------------------------- schedules

    def create_monitoring_schedule(
        self,
        name: str,
        *,
        schedule_expression: str,
        output_uri: str,
        baseline_uri: str | None = None,
        statistics_uri: str | None = None,
        constraints_uri: str | None = None,
        endpoint_name: str | None = None,
        capture_uri: str | None = None,
        dataset_uri: str | None = None,
        dataset_format: DatasetFormat | Mapping[str, Any] | None = None,
        kms_key_id: str | None = None,
        publish_metrics: bool = True,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> MonitoringSchedule:
        """A data-quality schedule over an endpoint's capture (``endpoint_name`` and the capture
        destination ``capture_uri``) or over a dataset in the store (``dataset_uri``).

        The baseline files are read once here, so a schedule never starts with a baseline it
        cannot use; ``schedule_expression`` is ``cron(0 * ? * * *)`` (hourly), ``rate(1 day)``
        or a cron line.
        """
        op = "CreateMonitoringSchedule"
        values = self._schedule_values(
            op,
            schedule_expression=schedule_expression,
            output_uri=output_uri,
            endpoint_name=endpoint_name,
            capture_uri=capture_uri,
            dataset_uri=dataset_uri,
            dataset_format=dataset_format,
            kms_key_id=kms_key_id,
            publish_metrics=publish_metrics,
        )
        files = self._baseline_files(baseline_uri, statistics_uri, constraints_uri, op)
        if files is None:
            raise Invalid(
                "baseline_uri",
                got=None,
                expected="baseline_uri, or statistics_uri and constraints_uri",
                operation=op,
            )
        clean_name = _name(name, field="name", operation=op)
        clean_tags = _tags(tags, operation=op)
        values.update(
            name=clean_name,
            statistics_uri=files[0],
            constraints_uri=files[1],
            tags=clean_tags,
        )
        ctx = context or RequestContext()
        extra = request_tag_keys(clean_tags)
        if extra:
            ctx = replace(ctx, extra={**ctx.extra, **extra})

        def run() -> MonitoringSchedule:
            load_baseline(StoreIO(self.store, context=context), files[0], files[1])
            return self._service.create_schedule(values)

        return self._call(
            actions.CREATE_SCHEDULE,
            self._schedule_arn(clean_name),
            _audit_params(values),
            run,
            ctx,
            respond=lambda s: {"monitoringScheduleArn": s.arn},
        )

    def _schedule_values(
        self,
        op: str,
        *,
        schedule_expression: str | None,
        output_uri: str | None,
        endpoint_name: str | None = None,
        capture_uri: str | None = None,
        dataset_uri: str | None = None,
        dataset_format: DatasetFormat | Mapping[str, Any] | None = None,
        kms_key_id: str | None = None,
        publish_metrics: bool | None = None,
        creating: bool = True,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if schedule_expression is not None or creating:
            values["schedule_expression"] = ScheduleExpression.parse(schedule_expression).text
        if output_uri is not None or creating:
            values["output_uri"] = _uri(output_uri, field="output_uri", operation=op)
        if creating:
            fmt = _format(dataset_format, op)
            if endpoint_name is not None:
                if dataset_uri is not None:
                    raise Invalid(
                        "dataset_uri",
                        got=dataset_uri,
                        expected="no dataset_uri with an endpoint (its capture is the input)",
                        operation=op,
                    )
                if fmt.format not in (None, "capture"):
                    raise Invalid(
                        "dataset_format",
                        got=fmt.format,
                        expected="capture (or nothing) for an endpoint",
                        operation=op,
                    )
                values["endpoint_name"] = _name(endpoint_name, field="endpoint_name", operation=op)
                values["dataset_uri"] = _uri(capture_uri, field="capture_uri", operation=op)
                fmt = fmt.model_copy(update={"format": "capture"})
            elif dataset_uri is not None:
                if capture_uri is not None:
                    raise Invalid(
                        "capture_uri",
                        got=capture_uri,
                        expected="a capture_uri only with an endpoint_name",
                        operation=op,
                    )
                if fmt.format == "capture":
                    raise Invalid(
                        "dataset_format",
                        got="capture",
                        expected="csv, jsonl, parquet (or nothing) for a dataset",
                        operation=op,
                    )
                values["endpoint_name"] = None
                values["dataset_uri"] = _uri(dataset_uri, field="dataset_uri", operation=op)
            else:
                raise Invalid(
                    "endpoint_name",
                    got=None,
                    expected="an endpoint_name with its capture_uri, or a dataset_uri",
                    operation=op,
                )
            values["dataset_format"] = fmt.model_dump(mode="json")
        elif dataset_format is not None:
            values["dataset_format"] = _format(dataset_format, op).model_dump(mode="json")
        if kms_key_id is not None:
            if not isinstance(kms_key_id, str) or not 1 <= len(kms_key_id) <= 2048:
                raise Invalid(
                    "kms_key_id", got=kms_key_id, expected="a key id, ARN or alias", operation=op
                )
            values["kms_key_id"] = kms_key_id
        elif creating:
            values["kms_key_id"] = None
        if publish_metrics is not None:
            values["options"] = {"publish_metrics": bool(publish_metrics)}
        return values

    def describe_monitoring_schedule(
        self, name: str, *, context: RequestContext | None = None
    ) -> MonitoringSchedule:
        """The schedule, with its last execution."""
        op = "DescribeMonitoringSchedule"
        clean = _name(name, field="name", operation=op)
        return self._call(
            actions.DESCRIBE_SCHEDULE,
            self._schedule_arn(clean),
            {"monitoringScheduleName": clean},
            lambda: self._service.describe_schedule(clean),
            context,
        )

    def list_monitoring_schedules(
        self,
        *,
        endpoint_name: str | None = None,
        status: ScheduleStatus | str | None = None,
        name_contains: str | None = None,
        context: RequestContext | None = None,
    ) -> list[MonitoringSchedule]:
        """Schedules, newest first, filtered by endpoint, status or part of the name."""
        op = "ListMonitoringSchedules"
        if endpoint_name is not None:
            _name(endpoint_name, field="endpoint_name", operation=op)
        state = _enum(ScheduleStatus, status, "status", op)
        if name_contains is not None and (
            not isinstance(name_contains, str)
            or len(name_contains) > 63
            or has_control(name_contains)
        ):
            raise Invalid(
                "name_contains",
                got=name_contains,
                expected="text of at most 63 characters",
                operation=op,
            )
        return self._call(
            actions.LIST_SCHEDULES,
            self._schedule_arn("*"),
            {
                "endpointName": endpoint_name,
                "statusEquals": status and str(status),
                "nameContains": name_contains,
            },
            lambda: self._service.list_schedules(
                endpoint_name=endpoint_name, status=state, name_contains=name_contains
            ),
            context,
        )

    def update_monitoring_schedule(
        self,
        name: str,
        *,
        schedule_expression: str | None = None,
        output_uri: str | None = None,
        baseline_uri: str | None = None,
        statistics_uri: str | None = None,
        constraints_uri: str | None = None,
        dataset_format: DatasetFormat | Mapping[str, Any] | None = None,
        kms_key_id: str | None = None,
        publish_metrics: bool | None = None,
        context: RequestContext | None = None,
    ) -> MonitoringSchedule:
        """Change what is given; the next scheduled times follow the new expression."""
        op = "UpdateMonitoringSchedule"
        clean = _name(name, field="name", operation=op)
        values = self._schedule_values(
            op,
            schedule_expression=schedule_expression,
            output_uri=output_uri,
            dataset_format=dataset_format,
            kms_key_id=kms_key_id,
            publish_metrics=publish_metrics,
            creating=False,
        )
        files = self._baseline_files(baseline_uri, statistics_uri, constraints_uri, op)
        if files is not None:
            values.update(statistics_uri=files[0], constraints_uri=files[1])
        if not values:
            raise Invalid("name", got=clean, expected="at least one field to change", operation=op)

        def run() -> MonitoringSchedule:
            current = self._service.describe_schedule(clean)
            fmt = values.get("dataset_format")
            if fmt is not None:
                chosen = DatasetFormat.model_validate(fmt)
                if (chosen.format == "capture") != (current.endpoint_name is not None):
                    raise Invalid(
                        "dataset_format",
                        got=chosen.format,
                        expected="capture for an endpoint's schedule, csv, jsonl or parquet "
                        "for a dataset's",
                        operation=op,
                    )
            if files is not None:
                load_baseline(StoreIO(self.store, context=context), files[0], files[1])
            return self._service.update_schedule(clean, values)

        return self._call(
            actions.UPDATE_SCHEDULE,
            self._schedule_arn(clean),
            {"monitoringScheduleName": clean, **_audit_params(values)},
            run,
            context,
        )

    def delete_monitoring_schedule(
        self, name: str, *, context: RequestContext | None = None
    ) -> None:
        """Delete the schedule and its execution records; outputs stay in the store."""
        op = "DeleteMonitoringSchedule"
        clean = _name(name, field="name", operation=op)
        self._call(
            actions.DELETE_SCHEDULE,
            self._schedule_arn(clean),
            {"monitoringScheduleName": clean},
            lambda: self._service.delete_schedule(clean),
            context,
        )

    def start_monitoring_schedule(
        self, name: str, *, context: RequestContext | None = None
    ) -> MonitoringSchedule:
        """Scheduled again from now on."""
        op = "StartMonitoringSchedule"
        clean = _name(name, field="name", operation=op)
        return self._call(
            actions.START_SCHEDULE,
            self._schedule_arn(clean),
            {"monitoringScheduleName": clean},
            lambda: self._service.start_schedule(clean),
            context,
        )

    def stop_monitoring_schedule(
        self, name: str, *, context: RequestContext | None = None
    ) -> MonitoringSchedule:
        """No new executions; pending ones become Stopped."""
        op = "StopMonitoringSchedule"
        clean = _name(name, field="name", operation=op)
        return self._call(
            actions.STOP_SCHEDULE,
            self._schedule_arn(clean),
            {"monitoringScheduleName": clean},
            lambda: self._service.stop_schedule(clean),
            context,
        )

    # ----------------------------------------------------------------------------- executions

    def list_monitoring_executions(
        self,
        *,
        schedule_name: str | None = None,
        endpoint_name: str | None = None,
        status: ExecutionStatus | str | None = None,
        scheduled_after: datetime | None = None,
        scheduled_before: datetime | None = None,
        max_results: int = MAX_RESULTS,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> ExecutionPage:
        """Executions, newest scheduled time first (``ScheduledTimeAfter`` inclusive,
        ``ScheduledTimeBefore`` exclusive)."""
        op = "ListMonitoringExecutions"
        if schedule_name is not None:
            _name(schedule_name, field="schedule_name", operation=op)
        if endpoint_name is not None:
            _name(endpoint_name, field="endpoint_name", operation=op)
        state = _enum(ExecutionStatus, status, "status", op)
        for field, moment in (
            ("scheduled_after", scheduled_after),
            ("scheduled_before", scheduled_before),
        ):
            if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
                raise Invalid(field, got=moment, expected="a time with a zone (UTC)", operation=op)
        if (
            isinstance(max_results, bool)
            or not isinstance(max_results, int)
            or not 1 <= max_results <= MAX_RESULTS
        ):
            raise Invalid(
                "max_results",
                got=max_results,
                expected=f"an integer in [1, {MAX_RESULTS}]",
                operation=op,
            )
        offset = 0
        if next_token is not None:
            if (
                not isinstance(next_token, str)
                or not next_token.isascii()
                or not next_token.isdigit()
                or len(next_token) > 9
            ):
                raise Invalid(
                    "next_token",
                    got=next_token,
                    expected="a token from a previous call",
                    operation=op,
                )
            offset = int(next_token)
        resource = self._schedule_arn(schedule_name or "*")
        params = {
            "monitoringScheduleName": schedule_name,
            "endpointName": endpoint_name,
            "statusEquals": status and str(status),
            "scheduledTimeAfter": scheduled_after.isoformat() if scheduled_after else None,
            "scheduledTimeBefore": scheduled_before.isoformat() if scheduled_before else None,
            "maxResults": max_results,
        }
        return self._call(
            actions.LIST_EXECUTIONS,
            resource,
            params,
            lambda: self._service.list_executions(
                schedule_name=schedule_name,
                endpoint_name=endpoint_name,
                status=state,
                scheduled_after=scheduled_after,
                scheduled_before=scheduled_before,
                max_results=max_results,
                offset=offset,
            ),
            context,
        )

    def _execution_resource(self, execution_id: str) -> str:
        """The execution's schedule ARN (the resource of execution actions); an unknown id is
        NotFound before authorisation, as the id itself names nothing."""
        try:
            return self._schedule_arn(self._service.describe_execution(execution_id).schedule_name)
        except NotFound:
            return self._schedule_arn("*")

    def describe_monitoring_execution(
        self, execution_id: str, *, context: RequestContext | None = None
    ) -> ExecutionSummary:
        """One execution: status, failure reason, counts, where its outputs are."""
        op = "DescribeMonitoringExecution"
        clean = _execution_id(execution_id, operation=op)
        return self._call(
            actions.DESCRIBE_EXECUTION,
            self._execution_resource(clean),
            {"executionId": clean},
            lambda: self._service.describe_execution(clean),
            context,
        )

    def execution_outputs(
        self, execution_id: str, *, context: RequestContext | None = None
    ) -> ExecutionOutputs:
        """An execution's outputs read back from the store (violations, drift, statistics,
        the HTML report); files it did not write are None."""
        op = "DescribeMonitoringExecution"
        clean = _execution_id(execution_id, operation=op)

        def run() -> ExecutionOutputs:
            execution = self._service.describe_execution(clean)
            io = StoreIO(self.store, context=context)
            folder = StoreUri.parse(execution.output_uri, field="output_uri")
            found: dict[str, bytes | None] = {}
            for name in (
                "constraint_violations.json",
                "drift.json",
                "statistics.json",
                "report.html",
            ):
                try:
                    found[name] = io.get(folder.child(name))
                except NotFound:
                    found[name] = None
            violations = found["constraint_violations.json"]
            drift, statistics, report = (
                found["drift.json"],
                found["statistics.json"],
                found["report.html"],
            )
            return ExecutionOutputs(
                execution=execution,
                violations=json.loads(violations)["violations"] if violations else [],
                drift=json.loads(drift) if drift else None,
                statistics=json.loads(statistics) if statistics else None,
                report_html=report.decode() if report else None,
            )

        return self._call(
            actions.DESCRIBE_EXECUTION,
            self._execution_resource(clean),
            {"executionId": clean, "outputs": True},
            run,
            context,
        )

    def retry_monitoring_execution(
        self, execution_id: str, *, context: RequestContext | None = None
    ) -> ExecutionSummary:
        """Run a Failed or Stopped execution again, now, in this process; returns the outcome."""
        op = "RetryMonitoringExecution"
        clean = _execution_id(execution_id, operation=op)
        return self._call(
            actions.RETRY_EXECUTION,
            self._execution_resource(clean),
            {"executionId": clean},
            lambda: self.scheduler().run_now(clean, retry=True),
            context,
            respond=lambda e: {"status": e.status.value},
        )


def _enum(kind: Any, value: Any, field: str, operation: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise Invalid(
            field,
            got=value,
            expected="one of " + ", ".join(v.value for v in kind),
            operation=operation,
        ) from None


def _audit_params(values: Mapping[str, Any]) -> dict[str, Any]:
    keys = {
        "name": "monitoringScheduleName",
        "schedule_expression": "scheduleExpression",
        "endpoint_name": "endpointName",
        "dataset_uri": "datasetUri",
        "dataset_format": "datasetFormat",
        "statistics_uri": "baselineStatistics",
        "constraints_uri": "baselineConstraints",
        "output_uri": "outputUri",
        "kms_key_id": "kmsKeyId",
        "tags": "tags",
    }
    return {keys[k]: v for k, v in values.items() if k in keys}


__all__ = ["MonitorClient", "MonitorRuntime"]
