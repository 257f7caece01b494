"""``/sagemaker``: monitoring schedules, executions, baselines and batch checks.

Bodies use SageMaker's member names where SageMaker has them (``MonitoringScheduleName``,
``ScheduleExpression``, ``MonitoringExecutionStatus`` …). Data and outputs are named by
``s3://bucket/prefix`` URIs of the Bastion store only: a server never reads its own files for a
caller. Each route is one :class:`~bastion.monitor.MonitorClient` call through the gate.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from bastion.api._app import RuntimeDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.errors import NotFound
from bastion.keys import KeysClient
from bastion.metrics import MetricsClient
from bastion.monitor import ExecutionSummary, MonitorClient, MonitoringSchedule
from bastion.store import StoreClient

router = APIRouter(
    prefix="/sagemaker", tags=["sagemaker"], responses=error_responses(403, 404, 409)
)

S3_URI = r"^s3://.+"
NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
Uri = Annotated[str, Field(pattern=S3_URI, max_length=1024)]
ScheduleName = Annotated[str, Path(pattern=NAME, max_length=63)]
ExecutionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _client(runtime: RuntimeDep) -> MonitorClient:
    store = StoreClient(runtime, keys=KeysClient(runtime))
    return MonitorClient(runtime, store=store, metrics=MetricsClient(runtime))


# ------------------------------------------------------------------------------------ models


class Tag(RequestModel):
    Key: str
    Value: str


class DatasetFormatBody(RequestModel):
    Format: Literal["csv", "jsonl", "parquet", "capture"] | None = None
    Header: bool = True
    Delimiter: str | None = None
    CaptureIndexNames: list[str] | None = None
    FeatureNames: list[str] | None = None

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "format": self.Format,
            "header": self.Header,
            "delimiter": self.Delimiter,
            "feature_names": self.FeatureNames,
        }
        if self.CaptureIndexNames is not None:
            spec["capture_index_names"] = self.CaptureIndexNames
        return spec


class CreateScheduleBody(RequestModel):
    MonitoringScheduleName: str
    ScheduleExpression: str
    OutputUri: Uri
    BaselineUri: Uri | None = None
    StatisticsUri: Uri | None = None
    ConstraintsUri: Uri | None = None
    EndpointName: str | None = None
    CaptureUri: Uri | None = None
    DatasetUri: Uri | None = None
    DatasetFormat: DatasetFormatBody | None = None
    KmsKeyId: str | None = None
    PublishMetrics: bool = True
    Tags: list[Tag] = []


class UpdateScheduleBody(RequestModel):
    ScheduleExpression: str | None = None
    OutputUri: Uri | None = None
    BaselineUri: Uri | None = None
    StatisticsUri: Uri | None = None
    ConstraintsUri: Uri | None = None
    DatasetFormat: DatasetFormatBody | None = None
    KmsKeyId: str | None = None
    PublishMetrics: bool | None = None


class ExecutionOut(ResponseModel):
    MonitoringExecutionId: str
    MonitoringScheduleName: str
    ScheduledTime: Timestamp
    WindowStartTime: Timestamp
    WindowEndTime: Timestamp
    MonitoringExecutionStatus: str
    FailureReason: str | None
    ProcessingJobArn: str
    EndpointName: str | None
    MonitoringType: str
    OutputUri: str
    Attempts: int
    ItemCount: int | None
    ViolationCount: int | None
    FilesRead: int
    SkippedRecords: int
    CreationTime: Timestamp
    LastModifiedTime: Timestamp


class ScheduleOut(ResponseModel):
    MonitoringScheduleName: str
    MonitoringScheduleArn: str
    MonitoringScheduleStatus: str
    ScheduleExpression: str
    MonitoringType: str
    EndpointName: str | None
    DatasetUri: str
    DatasetFormat: dict[str, Any]
    BaselineStatisticsUri: str
    BaselineConstraintsUri: str
    OutputUri: str
    KmsKeyId: str | None
    PublishMetrics: bool
    CreationTime: Timestamp
    LastModifiedTime: Timestamp
    Tags: list[dict[str, str]]
    LastMonitoringExecutionSummary: ExecutionOut | None


class ScheduleListResponse(ResponseModel):
    MonitoringScheduleSummaries: list[ScheduleOut]


class ExecutionListResponse(ResponseModel):
    MonitoringExecutionSummaries: list[ExecutionOut]
    NextToken: str | None


class BaselineBody(RequestModel):
    DatasetUri: Uri
    OutputUri: Uri | None = None
    ProcessingJobName: str | None = None
    DatasetFormat: DatasetFormatBody | None = None
    ComparisonMethod: Literal["Robust", "Simple"] = "Robust"
    CategoricalDriftMethod: Literal["LInfinity", "ChiSquared"] = "LInfinity"
    KmsKeyId: str | None = None


class BaselineResponse(ResponseModel):
    ProcessingJobName: str
    ProcessingJobArn: str
    StatisticsUri: str | None
    ConstraintsUri: str | None
    ItemCount: int
    FeatureCount: int


class CheckBody(RequestModel):
    DatasetUri: Uri
    BaselineUri: Uri | None = None
    StatisticsUri: Uri | None = None
    ConstraintsUri: Uri | None = None
    OutputUri: Uri | None = None
    ProcessingJobName: str | None = None
    DatasetFormat: DatasetFormatBody | None = None
    KmsKeyId: str | None = None


class ViolationOut(ResponseModel):
    feature_name: str
    constraint_check_type: str
    description: str


class CheckResponse(ResponseModel):
    ProcessingJobName: str
    ProcessingJobArn: str
    Status: str
    ItemCount: int
    Violations: list[ViolationOut]
    Drift: dict[str, Any]
    Outputs: dict[str, str]


def _execution(e: ExecutionSummary) -> ExecutionOut:
    return ExecutionOut(
        MonitoringExecutionId=e.execution_id,
        MonitoringScheduleName=e.schedule_name,
        ScheduledTime=e.scheduled_time,
        WindowStartTime=e.window_start,
        WindowEndTime=e.window_end,
        MonitoringExecutionStatus=e.status.value,
        FailureReason=e.failure_reason,
        ProcessingJobArn=e.processing_job_arn,
        EndpointName=e.endpoint_name,
        MonitoringType=e.monitoring_type,
        OutputUri=e.output_uri,
        Attempts=e.attempts,
        ItemCount=e.item_count,
        ViolationCount=e.violation_count,
        FilesRead=e.files_read,
        SkippedRecords=e.skipped_records,
        CreationTime=e.created_at,
        LastModifiedTime=e.updated_at,
    )


def _schedule(s: MonitoringSchedule) -> ScheduleOut:
    return ScheduleOut(
        MonitoringScheduleName=s.name,
        MonitoringScheduleArn=s.arn,
        MonitoringScheduleStatus=s.status.value,
        ScheduleExpression=s.schedule_expression,
        MonitoringType=s.monitoring_type,
        EndpointName=s.endpoint_name,
        DatasetUri=s.dataset_uri,
        DatasetFormat=s.dataset_format.sagemaker(),
        BaselineStatisticsUri=s.statistics_uri,
        BaselineConstraintsUri=s.constraints_uri,
        OutputUri=s.output_uri,
        KmsKeyId=s.kms_key_id,
        PublishMetrics=s.publish_metrics,
        CreationTime=s.created_at,
        LastModifiedTime=s.updated_at,
        Tags=[{"Key": k, "Value": v} for k, v in s.tags.items()],
        LastMonitoringExecutionSummary=_execution(s.last_execution) if s.last_execution else None,
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# ------------------------------------------------------------------------------------ schedules


@router.post("/monitoring-schedules", name="CreateMonitoringSchedule")
def create_schedule(
    body: CreateScheduleBody, runtime: RuntimeDep, caller: CallerDep
) -> ScheduleOut:
    """Create a data-quality schedule over an endpoint's capture or a dataset in the store."""
    made = _client(runtime).create_monitoring_schedule(
        body.MonitoringScheduleName,
        schedule_expression=body.ScheduleExpression,
        output_uri=body.OutputUri,
        baseline_uri=body.BaselineUri,
        statistics_uri=body.StatisticsUri,
        constraints_uri=body.ConstraintsUri,
        endpoint_name=body.EndpointName,
        capture_uri=body.CaptureUri,
        dataset_uri=body.DatasetUri,
        dataset_format=body.DatasetFormat.spec() if body.DatasetFormat else None,
        kms_key_id=body.KmsKeyId,
        publish_metrics=body.PublishMetrics,
        tags={t.Key: t.Value for t in body.Tags},
        context=caller.context,
    )
    return _schedule(made)


@router.get("/monitoring-schedules", name="ListMonitoringSchedules")
def list_schedules(
    runtime: RuntimeDep,
    caller: CallerDep,
    endpoint_name: Annotated[str | None, Query(alias="EndpointName", max_length=63)] = None,
    status: Annotated[str | None, Query(alias="StatusEquals", max_length=32)] = None,
    name_contains: Annotated[str | None, Query(alias="NameContains", max_length=63)] = None,
) -> ScheduleListResponse:
    """Schedules, newest first."""
    found = _client(runtime).list_monitoring_schedules(
        endpoint_name=endpoint_name,
        status=status,
        name_contains=name_contains,
        context=caller.context,
    )
    return ScheduleListResponse(MonitoringScheduleSummaries=[_schedule(s) for s in found])


@router.get("/monitoring-schedules/{name}", name="DescribeMonitoringSchedule")
def describe_schedule(name: ScheduleName, runtime: RuntimeDep, caller: CallerDep) -> ScheduleOut:
    """The schedule and its last execution."""
    return _schedule(_client(runtime).describe_monitoring_schedule(name, context=caller.context))


@router.patch("/monitoring-schedules/{name}", name="UpdateMonitoringSchedule")
def update_schedule(
    name: ScheduleName, body: UpdateScheduleBody, runtime: RuntimeDep, caller: CallerDep
) -> ScheduleOut:
    """Change what the body gives."""
    return _schedule(
        _client(runtime).update_monitoring_schedule(
            name,
            schedule_expression=body.ScheduleExpression,
            output_uri=body.OutputUri,
            baseline_uri=body.BaselineUri,
            statistics_uri=body.StatisticsUri,
            constraints_uri=body.ConstraintsUri,
            dataset_format=body.DatasetFormat.spec() if body.DatasetFormat else None,
            kms_key_id=body.KmsKeyId,
            publish_metrics=body.PublishMetrics,
            context=caller.context,
        )
    )


@router.delete("/monitoring-schedules/{name}", name="DeleteMonitoringSchedule", status_code=204)
def delete_schedule(name: ScheduleName, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """Delete the schedule and its execution records (outputs stay in the store)."""
    _client(runtime).delete_monitoring_schedule(name, context=caller.context)
    return Response(status_code=204)


@router.post("/monitoring-schedules/{name}/start", name="StartMonitoringSchedule")
def start_schedule(name: ScheduleName, runtime: RuntimeDep, caller: CallerDep) -> ScheduleOut:
    """Scheduled again from now on."""
    return _schedule(_client(runtime).start_monitoring_schedule(name, context=caller.context))


@router.post("/monitoring-schedules/{name}/stop", name="StopMonitoringSchedule")
def stop_schedule(name: ScheduleName, runtime: RuntimeDep, caller: CallerDep) -> ScheduleOut:
    """No new executions; pending ones become Stopped."""
    return _schedule(_client(runtime).stop_monitoring_schedule(name, context=caller.context))


# ------------------------------------------------------------------------------------ executions


@router.get("/monitoring-executions", name="ListMonitoringExecutions")
def list_executions(
    runtime: RuntimeDep,
    caller: CallerDep,
    schedule_name: Annotated[
        str | None, Query(alias="MonitoringScheduleName", max_length=63)
    ] = None,
    endpoint_name: Annotated[str | None, Query(alias="EndpointName", max_length=63)] = None,
    status: Annotated[str | None, Query(alias="StatusEquals", max_length=32)] = None,
    after: Annotated[dt.datetime | None, Query(alias="ScheduledTimeAfter")] = None,
    before: Annotated[dt.datetime | None, Query(alias="ScheduledTimeBefore")] = None,
    max_results: Annotated[int, Query(alias="MaxResults", ge=1, le=100)] = 100,
    next_token: Annotated[str | None, Query(alias="NextToken", max_length=9)] = None,
) -> ExecutionListResponse:
    """Executions, newest scheduled time first."""
    page = _client(runtime).list_monitoring_executions(
        schedule_name=schedule_name,
        endpoint_name=endpoint_name,
        status=status,
        scheduled_after=_utc(after),
        scheduled_before=_utc(before),
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return ExecutionListResponse(
        MonitoringExecutionSummaries=[_execution(e) for e in page.executions],
        NextToken=page.next_token,
    )


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


@router.get("/monitoring-executions/{execution_id}", name="DescribeMonitoringExecution")
def describe_execution(
    execution_id: ExecutionId, runtime: RuntimeDep, caller: CallerDep
) -> ExecutionOut:
    """One execution."""
    return _execution(
        _client(runtime).describe_monitoring_execution(execution_id, context=caller.context)
    )


@router.post("/monitoring-executions/{execution_id}/retry", name="RetryMonitoringExecution")
def retry_execution(
    execution_id: ExecutionId, runtime: RuntimeDep, caller: CallerDep
) -> ExecutionOut:
    """Run a Failed or Stopped execution again, now (the response waits for the outcome)."""
    return _execution(
        _client(runtime).retry_monitoring_execution(execution_id, context=caller.context)
    )


@router.get(
    "/monitoring-executions/{execution_id}/report",
    name="GetMonitoringExecutionReport",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "The HTML report",
        }
    },
)
def execution_report(
    execution_id: ExecutionId, runtime: RuntimeDep, caller: CallerDep
) -> HTMLResponse:
    """The execution's self-contained HTML report."""
    outputs = _client(runtime).execution_outputs(execution_id, context=caller.context)
    if outputs.report_html is None:
        raise NotFound(
            f"Execution '{execution_id}' has no report.html ({outputs.execution.status.value})"
        )
    return HTMLResponse(outputs.report_html)


# ------------------------------------------------------------------------------------ jobs


@router.post("/processing-jobs/baseline", name="SuggestBaseline")
def suggest_baseline(
    body: BaselineBody, runtime: RuntimeDep, caller: CallerDep
) -> BaselineResponse:
    """Baseline a dataset in the store; with ``OutputUri`` its files are stored there."""
    job = _client(runtime).suggest_baseline(
        body.DatasetUri,
        output_uri=body.OutputUri,
        job_name=body.ProcessingJobName,
        dataset_format=body.DatasetFormat.spec() if body.DatasetFormat else None,
        comparison_method=body.ComparisonMethod,
        categorical_drift_method=body.CategoricalDriftMethod,
        kms_key_id=body.KmsKeyId,
        context=caller.context,
    )
    stats = job.baseline.statistics
    return BaselineResponse(
        ProcessingJobName=job.job_name,
        ProcessingJobArn=job.job_arn,
        StatisticsUri=job.statistics_uri,
        ConstraintsUri=job.constraints_uri,
        ItemCount=int(stats.dataset.item_count),
        FeatureCount=len(stats.features),
    )


@router.post("/processing-jobs/check", name="CheckDataQuality")
def check_data_quality(body: CheckBody, runtime: RuntimeDep, caller: CallerDep) -> CheckResponse:
    """Batch drift: check a dataset in the store against a baseline in the store."""
    job = _client(runtime).check(
        body.DatasetUri,
        baseline_uri=body.BaselineUri,
        statistics_uri=body.StatisticsUri,
        constraints_uri=body.ConstraintsUri,
        output_uri=body.OutputUri,
        job_name=body.ProcessingJobName,
        dataset_format=body.DatasetFormat.spec() if body.DatasetFormat else None,
        report=body.OutputUri is not None,
        kms_key_id=body.KmsKeyId,
        context=caller.context,
    )
    result = job.result
    return CheckResponse(
        ProcessingJobName=job.job_name,
        ProcessingJobArn=job.job_arn,
        Status=result.status,
        ItemCount=result.profile.item_count,
        Violations=[
            ViolationOut(
                feature_name=v.feature_name,
                constraint_check_type=str(v.constraint_check_type),
                description=v.description,
            )
            for v in result.violations
        ],
        Drift=_finite(result.drift.to_dict()),
        Outputs=dict(job.outputs),
    )
