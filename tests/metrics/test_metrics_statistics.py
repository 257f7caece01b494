"""PutMetricData and the statistics read back: values, values with counts, statistic sets, periods,
percentiles, units, exact dimensions, GetMetricData and ListMetrics (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bastion.metrics import Metric, MetricDataQuery, MetricDatum
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NS = "fraud/app"
DIMS = {"Endpoint": "fraud", "Variant": "AllTraffic"}


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_values_bucket_by_period(bastion: Bastion, clock: FrozenClock) -> None:
    clock.advance(hours=1)
    values = [10.0, 20.0, 30.0, 40.0, 5.0]
    minutes = [0, 0.5, 1, 1.5, 3]
    data = [
        {"MetricName": "Latency", "Value": v, "Unit": "Milliseconds", "Timestamp": _at(m)}
        | {"Dimensions": [{"Name": k, "Value": d} for k, d in DIMS.items()]}
        for v, m in zip(values, minutes, strict=True)
    ]
    assert bastion.metrics.put_metric_data(NS, data) == 5
    answer = bastion.metrics.get_metric_statistics(
        NS,
        "Latency",
        dimensions=DIMS,
        start=T0,
        end=_at(10),
        period=60,
        statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
    )
    assert answer.label == "Latency"
    rows = [
        (p.timestamp, p.sample_count, p.average, p.sum, p.minimum, p.maximum, p.unit)
        for p in answer.datapoints
    ]
    assert rows == [
        (_at(0), 2.0, 15.0, 30.0, 10.0, 20.0, "Milliseconds"),
        (_at(1), 2.0, 35.0, 70.0, 30.0, 40.0, "Milliseconds"),
        (_at(3), 1.0, 5.0, 5.0, 5.0, 5.0, "Milliseconds"),
    ]
    five = bastion.metrics.get_metric_statistics(
        NS, "Latency", dimensions=DIMS, start=T0, end=_at(10), period=300, statistics=["Sum"]
    )
    assert [(p.timestamp, p.sum, p.average) for p in five.datapoints] == [(T0, 105.0, None)]


def test_dimensions_match_exactly(bastion: Bastion) -> None:
    bastion.metrics.put_metric_data(
        NS,
        [
            MetricDatum(metric_name="Invocations", value=1, dimensions=(("Endpoint", "a"),)),
            MetricDatum(metric_name="Invocations", value=2, dimensions=(("Endpoint", "b"),)),
            MetricDatum(metric_name="Invocations", value=4),
        ],
    )

    def total(dims: dict[str, str]) -> list[float | None]:
        answer = bastion.metrics.get_metric_statistics(
            NS,
            "Invocations",
            dimensions=dims,
            start=T0 - timedelta(minutes=1),
            end=T0 + timedelta(minutes=1),
            period=60,
            statistics=["Sum"],
        )
        return [p.sum for p in answer.datapoints]

    assert total({"Endpoint": "a"}) == [1.0]
    assert total({"Endpoint": "b"}) == [2.0]
    assert total({}) == [4.0]
    assert total({"Endpoint": "c"}) == []


def test_percentiles_are_nearest_rank_like_numpy(bastion: Bastion) -> None:
    rng = np.random.default_rng(7)
    values = rng.lognormal(3, 1, 600).round(3)
    data = [MetricDatum(metric_name="ModelLatency", value=float(v)) for v in values]
    for start in range(0, len(data), 200):
        bastion.metrics.put_metric_data(NS, data[start : start + 200])
    answer = bastion.metrics.get_metric_statistics(
        NS,
        "ModelLatency",
        start=T0,
        end=_at(1),
        period=60,
        statistics=["SampleCount"],
        extended_statistics=["p50", "p90", "p99", "p99.9", "p100", "p0"],
    )
    (point,) = answer.datapoints
    assert point.sample_count == 600
    for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("p100", 100)):
        assert point.extended[name] == np.percentile(values, q, method="inverted_cdf"), name
    assert point.extended["p0"] == values.min()


def test_values_with_counts_and_statistic_sets(bastion: Bastion) -> None:
    bastion.metrics.put_metric_data(
        NS,
        [
            {"MetricName": "Size", "Values": [1.0, 2.0, 10.0], "Counts": [3, 1, 1]},
            {
                "MetricName": "Size",
                "StatisticValues": {"SampleCount": 5, "Sum": 50, "Minimum": 0.5, "Maximum": 20},
            },
        ],
    )
    answer = bastion.metrics.get_metric_statistics(
        NS,
        "Size",
        start=T0,
        end=_at(1),
        period=60,
        statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        extended_statistics=["p50", "p80"],
    )
    (point,) = answer.datapoints
    assert (point.sample_count, point.sum, point.minimum, point.maximum) == (10, 65, 0.5, 20)
    assert point.average == 6.5
    # percentiles come from single values only (the statistic set has none), weighted by counts
    assert point.extended == {"p50": 1.0, "p80": 2.0}


def test_unit_filter(bastion: Bastion) -> None:
    bastion.metrics.put_metric_data(
        NS,
        [
            MetricDatum(metric_name="Mixed", value=1, unit="Seconds"),
            MetricDatum(metric_name="Mixed", value=1000, unit="Milliseconds"),
        ],
    )

    def points(unit: str | None) -> list[tuple[float | None, str]]:
        answer = bastion.metrics.get_metric_statistics(
            NS, "Mixed", start=T0, end=_at(1), period=60, statistics=["Sum"], unit=unit
        )
        return [(p.sum, p.unit) for p in answer.datapoints]

    assert points("Seconds") == [(1.0, "Seconds")]
    assert points("Milliseconds") == [(1000.0, "Milliseconds")]
    assert points(None) == [(1001.0, "None")]
    assert points("Bytes") == []


def test_get_metric_data_newest_first(bastion: Bastion, clock: FrozenClock) -> None:
    clock.advance(hours=1)
    bastion.metrics.put_metric_data(
        NS,
        [
            MetricDatum(
                metric_name="Invocations",
                value=float(i),
                timestamp=_at(i),
                dimensions=(("E", "x"),),
            )
            for i in range(3)
        ],
    )
    metric = Metric.of(NS, "Invocations", {"E": "x"})
    results = bastion.metrics.get_metric_data(
        [
            MetricDataQuery(id="sum", metric=metric, period=60, stat="Sum"),
            MetricDataQuery(id="p99", metric=metric, period=120, stat="p99", label="p99 latency"),
            MetricDataQuery(id="hidden", metric=metric, period=60, stat="Sum", return_data=False),
        ],
        start=T0,
        end=_at(5),
    )
    assert [r.id for r in results] == ["sum", "p99"]
    assert results[0].timestamps == (_at(2), _at(1), _at(0))
    assert results[0].values == (2.0, 1.0, 0.0)
    assert results[1].label == "p99 latency" and results[1].values == (2.0, 1.0)


def test_list_metrics_filters_and_pages(bastion: Bastion, clock: FrozenClock) -> None:
    data = [
        MetricDatum(metric_name=f"m{i:03d}", value=1.0, dimensions=(("Endpoint", f"e{i % 3}"),))
        for i in range(600)
    ]
    bastion.metrics.put_metric_data(NS, data[:300])
    bastion.metrics.put_metric_data(NS, data[300:])
    bastion.metrics.put_metric_data("other/ns", [MetricDatum(metric_name="x", value=1.0)])
    first = bastion.metrics.list_metrics(namespace=NS)
    assert len(first.metrics) == 500 and first.next_token is not None
    second = bastion.metrics.list_metrics(namespace=NS, next_token=first.next_token)
    assert len(second.metrics) == 100 and second.next_token is None
    names = {m.metric_name for m in first.metrics + second.metrics}
    assert len(names) == 600
    e1 = bastion.metrics.list_metrics(namespace=NS, dimensions={"Endpoint": "e1"})
    assert len(e1.metrics) == 200
    any_endpoint = bastion.metrics.list_metrics(metric_name="m001", dimensions={"Endpoint": None})
    assert [m.dimensions for m in any_endpoint.metrics] == [(("Endpoint", "e1"),)]
    assert len(bastion.metrics.list_metrics(recently_active=True).metrics) == 500
    clock.advance(hours=4)
    assert bastion.metrics.list_metrics(recently_active=True).metrics == ()


def test_repeated_series_reuse_their_row(bastion: Bastion) -> None:
    for _ in range(3):
        bastion.metrics.put_metric_data(
            NS, [MetricDatum(metric_name="Invocations", value=1.0, dimensions=(("E", "x"),))]
        )
    listed = bastion.metrics.list_metrics(namespace=NS)
    assert len(listed.metrics) == 1


@pytest.mark.parametrize("stat", ["Sum", "p50"])
def test_no_data_is_no_datapoints(bastion: Bastion, stat: str) -> None:
    results = bastion.metrics.get_metric_data(
        [MetricDataQuery(id="q", metric=Metric.of(NS, "Nothing"), period=60, stat=stat)],
        start=T0,
        end=_at(60),
    )
    assert results[0].values == () and results[0].timestamps == ()
