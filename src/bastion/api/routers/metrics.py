"""``/cloudwatch``: publish datapoints and read their statistics (CloudWatch metrics semantics).

Bodies use CloudWatch's JSON member names (``Namespace``, ``MetricData``, ``StatisticValues``,
``Dimensions`` as ``[{"Name", "Value"}]`` …); times are ISO 8601. Each route is one
:class:`~bastion.metrics.MetricsClient` call through the gate.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from bastion.api._app import RuntimeDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.errors import Invalid
from bastion.metrics import Metric, MetricDataQuery, MetricDatum, MetricsClient, StatisticValues

router = APIRouter(prefix="/cloudwatch", tags=["cloudwatch"], responses=error_responses(403))

INT32 = 2**31 - 1


def _client(runtime: RuntimeDep) -> MetricsClient:
    return MetricsClient(runtime)


class Dimension(RequestModel):
    Name: str
    Value: str


class StatisticSetBody(RequestModel):
    SampleCount: float
    Sum: float
    Minimum: float
    Maximum: float


class MetricDatumBody(RequestModel):
    MetricName: str
    Dimensions: list[Dimension] = []
    Timestamp: dt.datetime | None = None
    Value: float | None = None
    Values: list[float] = []
    Counts: list[float] = []
    StatisticValues: StatisticSetBody | None = None
    Unit: str = "None"
    StorageResolution: int = 60

    def datum(self) -> MetricDatum:
        stats = self.StatisticValues
        return MetricDatum(
            metric_name=self.MetricName,
            value=self.Value,
            values=tuple(self.Values),
            counts=tuple(self.Counts),
            statistic_values=None
            if stats is None
            else StatisticValues(
                sample_count=stats.SampleCount,
                sum=stats.Sum,
                minimum=stats.Minimum,
                maximum=stats.Maximum,
            ),
            dimensions=tuple(sorted((d.Name, d.Value) for d in self.Dimensions)),
            timestamp=self.Timestamp,
            unit=self.Unit,
            storage_resolution=self.StorageResolution,
        )


class PutMetricDataBody(RequestModel):
    Namespace: str
    MetricData: list[MetricDatumBody]


class PutMetricDataResponse(ResponseModel):
    DatapointCount: int


class MetricBody(RequestModel):
    Namespace: str
    MetricName: str
    Dimensions: list[Dimension] = []

    def metric(self) -> Metric:
        return Metric.of(
            self.Namespace, self.MetricName, [(d.Name, d.Value) for d in self.Dimensions]
        )


class GetMetricStatisticsBody(MetricBody):
    StartTime: dt.datetime
    EndTime: dt.datetime
    Period: int
    Statistics: list[str] = []
    ExtendedStatistics: list[str] = []
    Unit: str | None = None


class DatapointOut(ResponseModel):
    Timestamp: Timestamp
    Unit: str
    SampleCount: float | None = None
    Average: float | None = None
    Sum: float | None = None
    Minimum: float | None = None
    Maximum: float | None = None
    ExtendedStatistics: dict[str, float] | None = None


class GetMetricStatisticsResponse(ResponseModel):
    Label: str
    Datapoints: list[DatapointOut]


class MetricStatBody(RequestModel):
    Metric: MetricBody
    Period: int
    Stat: str
    Unit: str | None = None


class MetricDataQueryBody(RequestModel):
    Id: str
    MetricStat: MetricStatBody
    Label: str | None = None
    ReturnData: bool = True


class GetMetricDataBody(RequestModel):
    MetricDataQueries: list[MetricDataQueryBody]
    StartTime: dt.datetime
    EndTime: dt.datetime


class MetricDataResultOut(ResponseModel):
    Id: str
    Label: str
    Timestamps: list[Timestamp]
    Values: list[float]
    StatusCode: str


class GetMetricDataResponse(ResponseModel):
    MetricDataResults: list[MetricDataResultOut]


class DimensionOut(ResponseModel):
    Name: str
    Value: str


class MetricOut(ResponseModel):
    Namespace: str
    MetricName: str
    Dimensions: list[DimensionOut]


class ListMetricsResponse(ResponseModel):
    Metrics: list[MetricOut]
    NextToken: str | None


def _int32(value: int, field: str) -> int:
    if not -INT32 <= value <= INT32:
        raise Invalid(field, got=value, expected="a 32-bit integer")
    return value


@router.post("/metric-data", name="PutMetricData")
def put_metric_data(
    body: PutMetricDataBody, runtime: RuntimeDep, caller: CallerDep
) -> PutMetricDataResponse:
    """Publish 1 to 1000 datums to a namespace."""
    for datum in body.MetricData:
        _int32(datum.StorageResolution, "StorageResolution")
    count = _client(runtime).put_metric_data(
        body.Namespace, [d.datum() for d in body.MetricData], context=caller.context
    )
    return PutMetricDataResponse(DatapointCount=count)


@router.post("/metric-statistics", name="GetMetricStatistics")
def get_metric_statistics(
    body: GetMetricStatisticsBody, runtime: RuntimeDep, caller: CallerDep
) -> GetMetricStatisticsResponse:
    """Statistics of one metric per period, oldest first."""
    metric = body.metric()
    answer = _client(runtime).get_metric_statistics(
        metric.namespace,
        metric.metric_name,
        dimensions=metric.dimensions,
        start=body.StartTime,
        end=body.EndTime,
        period=_int32(body.Period, "Period"),
        statistics=body.Statistics,
        extended_statistics=body.ExtendedStatistics,
        unit=body.Unit,
        context=caller.context,
    )
    return GetMetricStatisticsResponse(
        Label=answer.label,
        Datapoints=[
            DatapointOut.model_validate(p.to_dict() | {"Timestamp": p.timestamp})
            for p in answer.datapoints
        ],
    )


@router.post("/metric-data/query", name="GetMetricData")
def get_metric_data(
    body: GetMetricDataBody, runtime: RuntimeDep, caller: CallerDep
) -> GetMetricDataResponse:
    """One statistic of each queried metric per period, newest first."""
    queries = [
        MetricDataQuery(
            id=q.Id,
            metric=q.MetricStat.Metric.metric(),
            period=_int32(q.MetricStat.Period, "Period"),
            stat=q.MetricStat.Stat,
            unit=q.MetricStat.Unit,
            label=q.Label,
            return_data=q.ReturnData,
        )
        for q in body.MetricDataQueries
    ]
    results = _client(runtime).get_metric_data(
        queries, start=body.StartTime, end=body.EndTime, context=caller.context
    )
    return GetMetricDataResponse(
        MetricDataResults=[
            MetricDataResultOut(
                Id=r.id,
                Label=r.label,
                Timestamps=list(r.timestamps),
                Values=list(r.values),
                StatusCode=r.status_code,
            )
            for r in results
        ]
    )


@router.get("/metrics", name="ListMetrics")
def list_metrics(
    runtime: RuntimeDep,
    caller: CallerDep,
    namespace: Annotated[str | None, Query(alias="Namespace", max_length=255)] = None,
    metric_name: Annotated[str | None, Query(alias="MetricName", max_length=255)] = None,
    dimension: Annotated[
        list[str] | None, Query(alias="Dimension", description="Name or Name=Value; repeatable")
    ] = None,
    recently_active: Annotated[bool, Query(alias="RecentlyActive")] = False,
    next_token: Annotated[str | None, Query(alias="NextToken", max_length=32)] = None,
) -> ListMetricsResponse:
    """Metrics matching every filter; a ``Dimension`` without ``=Value`` matches any value."""
    wanted: dict[str, str | None] = {}
    for item in dimension or []:
        name, sep, value = item.partition("=")
        wanted[name] = value if sep else None
    page = _client(runtime).list_metrics(
        namespace=namespace,
        metric_name=metric_name,
        dimensions=wanted,
        recently_active=recently_active,
        next_token=next_token,
        context=caller.context,
    )
    return ListMetricsResponse(
        Metrics=[
            MetricOut(
                Namespace=m.namespace,
                MetricName=m.metric_name,
                Dimensions=[DimensionOut(Name=k, Value=v) for k, v in m.dimensions],
            )
            for m in page.metrics
        ],
        NextToken=page.next_token,
    )
