"""Values of schedules, executions and one-off jobs (SageMaker's shapes and names).

A ``MonitoringSchedule`` says what to read (a batch dataset in the store, or an endpoint's
capture prefix), which baseline to compare with, where outputs go and when to run. Each
scheduled time becomes one ``MonitoringExecution``. ``BaselineJob`` and ``CheckJob`` are the
one-off processing jobs (``suggest_baseline``, batch drift). ``DatasetFormat`` is a stored spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bastion.monitor._models import Baseline, CheckResult

CAPTURE_INDEX_NAMES = ("endpointInput", "endpointOutput")


class ScheduleStatus(StrEnum):
    """``MonitoringScheduleStatus``."""

    PENDING = "Pending"
    FAILED = "Failed"
    SCHEDULED = "Scheduled"
    STOPPED = "Stopped"


class ExecutionStatus(StrEnum):
    """``MonitoringExecutionStatus``."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
    FAILED = "Failed"
    STOPPED = "Stopped"

    @property
    def finished(self) -> bool:
        """True once the execution will not change by itself."""
        return self in (
            ExecutionStatus.COMPLETED,
            ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
            ExecutionStatus.FAILED,
            ExecutionStatus.STOPPED,
        )


class DatasetFormat(BaseModel):
    """How a schedule's (or a check's) input is read (a stored spec).

    ``csv`` (``header``, ``delimiter``), ``jsonl``, ``parquet``, or ``capture``: SageMaker's
    capture JSON lines, whose ``capture_index_names`` payloads (CSV or JSON) become the rows.
    CSV payloads have no header: ``feature_names`` names their columns (else ``_c0``, ``_c1``
    … as SageMaker's container names them). ``format`` None (batch input only) takes each
    object's suffix.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["bastion.monitor/dataset-format@1"] = "bastion.monitor/dataset-format@1"
    format: Literal["csv", "jsonl", "parquet", "capture"] | None = None
    header: bool = True
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    capture_index_names: tuple[Literal["endpointInput", "endpointOutput"], ...] = Field(
        ("endpointInput",), min_length=1, max_length=2
    )
    feature_names: tuple[str, ...] | None = Field(None, min_length=1, max_length=10_000)

    def sagemaker(self) -> dict[str, Any]:
        """SageMaker's ``dataset_format`` environment value."""
        if self.format == "capture":
            return {"sagemakerCaptureJson": {"captureIndexNames": list(self.capture_index_names)}}
        if self.format == "csv":
            return {"csv": {"header": self.header}}
        if self.format == "jsonl":
            return {"json": {"line": True}}
        if self.format == "parquet":
            return {"parquet": {}}
        return {}


@dataclass(frozen=True, kw_only=True)
class ExecutionSummary:
    """``MonitoringExecutionSummary``: one execution of a schedule."""

    execution_id: str
    schedule_name: str
    scheduled_time: datetime
    window_start: datetime
    window_end: datetime
    status: ExecutionStatus
    failure_reason: str | None
    processing_job_name: str
    processing_job_arn: str
    output_uri: str
    endpoint_name: str | None
    monitoring_type: str
    attempts: int
    item_count: int | None
    violation_count: int | None
    files_read: int
    skipped_records: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def statistics_uri(self) -> str:
        """Where the execution's ``statistics.json`` is."""
        return f"{self.output_uri}/statistics.json"

    @property
    def violations_uri(self) -> str:
        """Where its ``constraint_violations.json`` is."""
        return f"{self.output_uri}/constraint_violations.json"

    @property
    def report_uri(self) -> str:
        """Where its ``report.html`` is."""
        return f"{self.output_uri}/report.html"


@dataclass(frozen=True, kw_only=True)
class MonitoringSchedule:
    """A monitoring schedule (DescribeMonitoringSchedule)."""

    name: str
    arn: str
    status: ScheduleStatus
    schedule_expression: str
    monitoring_type: str
    endpoint_name: str | None
    dataset_uri: str
    dataset_format: DatasetFormat
    statistics_uri: str
    constraints_uri: str
    output_uri: str
    kms_key_id: str | None
    publish_metrics: bool
    created_at: datetime
    updated_at: datetime
    planned_through: datetime
    tags: Mapping[str, str] = field(default_factory=dict)
    last_execution: ExecutionSummary | None = None


@dataclass(frozen=True, kw_only=True)
class ExecutionPage:
    """One page of ListMonitoringExecutions (newest scheduled time first)."""

    executions: tuple[ExecutionSummary, ...]
    next_token: str | None = None


@dataclass(frozen=True, kw_only=True)
class BaselineJob:
    """A baseline processing job: the baseline and where its files were stored (if they were)."""

    job_name: str
    job_arn: str
    baseline: Baseline
    statistics_uri: str | None = None
    constraints_uri: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckJob:
    """A one-off data-quality check (batch drift): the result and where its outputs went."""

    job_name: str
    job_arn: str
    result: CheckResult
    outputs: Mapping[str, str] = field(default_factory=dict)
    report_html: str | None = None
    files_read: int = 0
    skipped_records: int = 0


@dataclass(frozen=True, kw_only=True)
class ExecutionOutputs:
    """What an execution left in the store: its files, read back."""

    execution: ExecutionSummary
    violations: list[dict[str, Any]]
    drift: dict[str, Any] | None
    statistics: dict[str, Any] | None
    report_html: str | None
