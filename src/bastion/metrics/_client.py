"""The metrics room as callers see it: every method is one action through the gate.

Arguments are validated before the call reaches the gate (CloudWatch's limits: names, 30
dimensions, 1000 datums a call, finite values, standard units, periods of 1, 5, 10, 30 or n x 60
seconds, at most 1440 datapoints a query), so a malformed request never reaches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bastion.access import Principal
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Invalid
from bastion.gate import Gate, RequestContext
from bastion.metrics import _actions as actions
from bastion.metrics import _rules as rules
from bastion.metrics._models import (
    Metric,
    MetricDataQuery,
    MetricDataResult,
    MetricDatum,
    MetricStatistics,
)
from bastion.metrics._service import MetricsService
from bastion.types import AccountId

T = TypeVar("T")


class MetricsRuntime(Protocol):
    """What the metrics client needs from :class:`bastion._runtime.Runtime`."""

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


@dataclass(frozen=True, kw_only=True)
class MetricListing:
    """One page of ListMetrics; pass ``next_token`` back for the next."""

    metrics: tuple[Metric, ...]
    next_token: str | None = None


def _datum(value: MetricDatum | Mapping[str, Any]) -> MetricDatum:
    return value if isinstance(value, MetricDatum) else MetricDatum.from_dict(value)


class MetricsClient:
    """Datapoints and their statistics (CloudWatch metrics semantics).

    >>> metrics = bastion.connect(home=".bastion").metrics  # doctest: +SKIP
    >>> metrics.put_metric_data("fraud/app", [{"MetricName": "Latency", "Value": 12.5,
    ...     "Unit": "Milliseconds", "Dimensions": [{"Name": "Endpoint", "Value": "fraud"}]}])
    ...     # doctest: +SKIP
    >>> metrics.get_metric_statistics("fraud/app", "Latency", dimensions={"Endpoint": "fraud"},
    ...     start=start, end=end, period=60, statistics=["Average"], extended_statistics=["p99"])
    ...     # doctest: +SKIP
    """

    def __init__(self, runtime: MetricsRuntime) -> None:
        self.runtime = runtime
        self._service = MetricsService(
            db=runtime.db, clock=runtime.clock, account_id=runtime.account_id
        )

    def _call(
        self,
        action: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        return self.runtime.gate.call(
            self.runtime.principal,
            action,
            actions.ANY,
            params,
            handler,
            context=context,
            respond=respond,
        )

    def put_metric_data(
        self,
        namespace: str,
        metric_data: Sequence[MetricDatum | Mapping[str, Any]],
        *,
        context: RequestContext | None = None,
    ) -> int:
        """Publish 1 to 1000 datums to ``namespace``; returns the datapoints stored.

        A datum is a :class:`MetricDatum` or CloudWatch's ``MetricDatum`` JSON; one without a
        timestamp is stamped with the time of the call.
        """
        op = "PutMetricData"
        ns = rules.namespace(namespace, operation=op)
        if isinstance(metric_data, str | bytes | Mapping) or not isinstance(metric_data, Sequence):
            raise Invalid(
                "MetricData", got=type(metric_data).__name__, expected="a list", operation=op
            )
        data = rules.data(
            [_datum(d) for d in metric_data], now=self.runtime.clock.now(), operation=op
        )
        ctx = context or RequestContext()
        ctx = replace(ctx, extra={**ctx.extra, "cloudwatch:namespace": ns})
        names = sorted({d.metric_name for d in data})
        params = {"namespace": ns, "metricNames": names[:20], "metricDataCount": len(data)}
        return self._call(
            actions.PUT_METRIC_DATA,
            params,
            lambda: self._service.put(ns, data),
            ctx,
            respond=lambda n: {"datapoints": n},
        )

    def get_metric_statistics(
        self,
        namespace: str,
        metric_name: str,
        *,
        start: datetime,
        end: datetime,
        period: int,
        statistics: Sequence[str] = (),
        extended_statistics: Sequence[str] = (),
        dimensions: Mapping[str, str] | Sequence[Any] | None = None,
        unit: str | None = None,
        context: RequestContext | None = None,
    ) -> MetricStatistics:
        """Statistics of one metric (exact dimensions) per period in ``[start, end)``.

        ``statistics``: SampleCount, Average, Sum, Minimum, Maximum; ``extended_statistics``:
        percentiles such as ``p99`` (from single values; statistic sets have none).
        """
        op = "GetMetricStatistics"
        metric = rules.metric(Metric.of(namespace, metric_name, dimensions), operation=op)
        seconds = rules.period(period, operation=op)
        rules.window(start, end, seconds, operation=op)
        simple = [rules.statistic(s, field="Statistics", operation=op) for s in statistics]
        if any(s.startswith("p") for s in simple):
            raise Invalid(
                "Statistics",
                got=simple,
                expected="simple statistics only; ask for percentiles in ExtendedStatistics",
                operation=op,
            )
        extended = [
            rules.statistic(s, field="ExtendedStatistics", operation=op)
            for s in extended_statistics
        ]
        if any(not s.startswith("p") for s in extended) or len(extended) > rules.MAX_EXTENDED:
            raise Invalid(
                "ExtendedStatistics",
                got=extended,
                expected=f"at most {rules.MAX_EXTENDED} percentiles such as p99",
                operation=op,
            )
        if not simple and not extended:
            raise Invalid(
                "Statistics",
                got=[],
                expected="at least one statistic or extended statistic",
                operation=op,
            )
        if unit is not None:
            rules.unit(unit, operation=op)
        params = {
            **metric.to_dict(),
            "startTime": start.isoformat(),
            "endTime": end.isoformat(),
            "period": seconds,
            "statistics": simple,
            "extendedStatistics": extended,
        }
        return self._call(
            actions.GET_METRIC_STATISTICS,
            params,
            lambda: self._service.statistics(
                metric,
                start=start,
                end=end,
                period=seconds,
                statistics=simple,
                extended=extended,
                unit=unit,
            ),
            context,
        )

    def get_metric_data(
        self,
        queries: Sequence[MetricDataQuery],
        *,
        start: datetime,
        end: datetime,
        context: RequestContext | None = None,
    ) -> list[MetricDataResult]:
        """One statistic of each queried metric per period, values newest first.

        Metric-stat queries only (no metric math expressions).
        """
        op = "GetMetricData"
        if not 1 <= len(queries) <= rules.MAX_QUERIES:
            raise Invalid(
                "MetricDataQueries",
                got=len(queries),
                expected=f"1 to {rules.MAX_QUERIES} queries",
                operation=op,
            )
        seen: set[str] = set()
        for query in queries:
            if not query.id or not query.id[0].islower() or not query.id.isidentifier():
                raise Invalid(
                    "Id",
                    got=query.id,
                    expected="an id starting with a lowercase letter, of letters, digits and _",
                    operation=op,
                )
            if query.id in seen:
                raise Invalid("Id", got=query.id, expected="distinct ids", operation=op)
            seen.add(query.id)
            rules.metric(query.metric, operation=op)
            rules.window(start, end, rules.period(query.period, operation=op), operation=op)
            rules.statistic(query.stat, field="Stat", operation=op)
            if query.unit is not None:
                rules.unit(query.unit, operation=op)
        params = {
            "metricDataQueries": [
                {"id": q.id, **q.metric.to_dict(), "period": q.period, "stat": q.stat}
                for q in queries[:20]
            ],
            "startTime": start.isoformat(),
            "endTime": end.isoformat(),
        }
        return self._call(
            actions.GET_METRIC_DATA,
            params,
            lambda: self._service.data(queries, start=start, end=end),
            context,
        )

    def list_metrics(
        self,
        *,
        namespace: str | None = None,
        metric_name: str | None = None,
        dimensions: Mapping[str, str | None] | None = None,
        recently_active: bool = False,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> MetricListing:
        """Metrics that match every filter (a dimension given with value None matches any value).

        ``recently_active``: only metrics with a datapoint in the last three hours (``PT3H``).
        """
        op = "ListMetrics"
        if namespace is not None:
            rules.namespace(namespace, operation=op)
        if metric_name is not None:
            rules.name(metric_name, field="MetricName", operation=op)
        wanted = sorted((dimensions or {}).items())
        rules.dimensions(tuple((k, v if v is not None else "*") for k, v in wanted), operation=op)
        if next_token is not None and not (next_token.isascii() and next_token.isdigit()):
            raise Invalid(
                "NextToken", got=next_token, expected="a token from a previous call", operation=op
            )
        params: dict[str, Any] = {
            "namespace": namespace,
            "metricName": metric_name,
            "dimensions": [{"name": k, "value": v} for k, v in wanted],
        }
        if recently_active:
            params["recentlyActive"] = "PT3H"

        def run() -> MetricListing:
            found, token = self._service.list_metrics(
                namespace=namespace,
                metric_name=metric_name,
                dimensions=wanted,
                recently_active=recently_active,
                next_token=next_token,
            )
            return MetricListing(metrics=tuple(found), next_token=token)

        return self._call(actions.LIST_METRICS, params, run, context)
