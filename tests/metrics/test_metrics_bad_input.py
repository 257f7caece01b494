"""Hostile and malformed metric input is refused before it reaches the database, naming the
field; policies see PutMetricData's namespace (``cloudwatch:namespace``)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bastion.errors import AccessDenied, Invalid
from bastion.metrics import Metric, MetricDataQuery, MetricDatum
from bastion.metrics import _rules as rules
from bastion.sdk import Bastion

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NS = "fraud/app"


BAD_DATUMS: list[tuple[dict[str, Any], str]] = [
    ({"MetricName": "x", "Value": math.nan}, "Value"),
    ({"MetricName": "x", "Value": math.inf}, "Value"),
    ({"MetricName": "x", "Value": 1e-300}, "Value"),
    ({"MetricName": "x", "Value": True}, "Value"),
    ({"MetricName": "x", "Value": "1"}, "Value"),
    ({"MetricName": "x"}, "MetricData"),
    ({"MetricName": "x", "Value": 1, "Values": [1.0]}, "MetricData"),
    ({"MetricName": "x", "Values": [1.0, 2.0], "Counts": [1]}, "Counts"),
    ({"MetricName": "x", "Values": [1.0], "Counts": [-1]}, "Counts"),
    ({"MetricName": "x", "Values": [1.0] * 151}, "Values"),
    ({"MetricName": "", "Value": 1}, "MetricName"),
    ({"MetricName": "a\x00b", "Value": 1}, "MetricName"),
    ({"MetricName": "x" * 256, "Value": 1}, "MetricName"),
    ({"MetricName": "x", "Value": 1, "Unit": "Furlongs"}, "Unit"),
    ({"MetricName": "x", "Value": 1, "StorageResolution": 5}, "StorageResolution"),
    ({"MetricName": "x", "Value": 1, "Timestamp": "yesterday"}, "Timestamp"),
    ({"MetricName": "x", "Value": 1, "Timestamp": "2026-01-01T05:00:00Z"}, "Timestamp"),
    ({"MetricName": "x", "Value": 1, "Extra": 1}, "MetricData"),
    (
        {
            "MetricName": "x",
            "StatisticValues": {"SampleCount": 0, "Sum": 0, "Minimum": 0, "Maximum": 0},
        },
        "StatisticValues.SampleCount",
    ),
    (
        {
            "MetricName": "x",
            "StatisticValues": {"SampleCount": 1, "Sum": 0, "Minimum": 2, "Maximum": 1},
        },
        "StatisticValues.Minimum",
    ),
    ({"MetricName": "x", "StatisticValues": {"SampleCount": 1}}, "StatisticValues"),
    (
        {"MetricName": "x", "Value": 1, "Dimensions": [{"Name": "a", "Value": "1"}] * 2},
        "Dimensions.Name",
    ),
    (
        {
            "MetricName": "x",
            "Value": 1,
            "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)],
        },
        "Dimensions",
    ),
    (
        {"MetricName": "x", "Value": 1, "Dimensions": [{"Name": "a", "Value": ""}]},
        "Dimensions.Value",
    ),
    ({"MetricName": "x", "Value": 1, "Dimensions": [{"Name": "a"}]}, "Dimensions"),
    ({"MetricName": "x", "Value": 1, "Dimensions": ["a"]}, "Dimensions"),
]


def test_bad_datums_name_the_field(bastion: Bastion) -> None:
    for datum, field in BAD_DATUMS:
        with pytest.raises(Invalid) as caught:
            bastion.metrics.put_metric_data(NS, [datum])
        assert caught.value.field == field, datum
    assert bastion.metrics.list_metrics().metrics == ()


def test_bad_namespaces(bastion: Bastion) -> None:
    for namespace in ["", ":x", "é", "a\nb", "x" * 256, None, 5]:
        with pytest.raises(Invalid, match="'Namespace'"):
            bastion.metrics.put_metric_data(namespace, [{"MetricName": "x", "Value": 1}])


def test_batch_limits(bastion: Bastion) -> None:
    with pytest.raises(Invalid, match="1 to 1000 datums"):
        bastion.metrics.put_metric_data(NS, [])
    with pytest.raises(Invalid, match="1 to 1000 datums"):
        bastion.metrics.put_metric_data(NS, [MetricDatum(metric_name="x", value=1.0)] * 1001)
    with pytest.raises(Invalid, match="a list"):
        bastion.metrics.put_metric_data(NS, {"MetricName": "x", "Value": 1})  # type: ignore[arg-type]
    assert (
        bastion.metrics.put_metric_data(NS, [MetricDatum(metric_name="x", value=1.0)] * 1000)
        == 1000
    )


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"period": 45}, "Period"),
    ({"period": 0}, "Period"),
    ({"period": True}, "Period"),
    ({"period": 60, "statistics": []}, "Statistics"),
    ({"period": 60, "statistics": ["Median"]}, "Statistics"),
    ({"period": 60, "statistics": ["p99"]}, "Statistics"),
    ({"period": 60, "extended_statistics": ["Sum"]}, "ExtendedStatistics"),
    ({"period": 60, "extended_statistics": ["p101"]}, "ExtendedStatistics"),
    ({"period": 60, "extended_statistics": [f"p{i}" for i in range(11)]}, "ExtendedStatistics"),
    ({"period": 60, "unit": "Furlongs"}, "Unit"),
    ({"period": 1, "end": T0 + timedelta(days=1)}, "Period"),
    ({"period": 60, "end": T0}, "EndTime"),
    ({"period": 60, "start": datetime(2026, 1, 1)}, "StartTime"),
]


def test_bad_queries_name_the_field(bastion: Bastion) -> None:
    for kwargs, field in BAD_QUERIES:
        args: dict[str, Any] = {"start": T0, "end": T0 + timedelta(hours=1), "statistics": ["Sum"]}
        args.update(kwargs)
        with pytest.raises(Invalid) as caught:
            bastion.metrics.get_metric_statistics(NS, "x", **args)
        assert caught.value.field == field, kwargs


def test_bad_metric_data_queries(bastion: Bastion) -> None:
    metric = Metric.of(NS, "x")
    window = {"start": T0, "end": T0 + timedelta(hours=1)}
    with pytest.raises(Invalid, match="1 to 500 queries"):
        bastion.metrics.get_metric_data([], **window)
    for bad_id in ("", "Upper", "a-b", "1a"):
        with pytest.raises(Invalid, match="'Id'"):
            bastion.metrics.get_metric_data(
                [MetricDataQuery(id=bad_id, metric=metric, period=60, stat="Sum")], **window
            )
    twice = [MetricDataQuery(id="a", metric=metric, period=60, stat="Sum")] * 2
    with pytest.raises(Invalid, match="distinct ids"):
        bastion.metrics.get_metric_data(twice, **window)
    with pytest.raises(Invalid, match="'Stat'"):
        bastion.metrics.get_metric_data(
            [MetricDataQuery(id="a", metric=metric, period=60, stat="Avg")], **window
        )
    with pytest.raises(Invalid, match="'NextToken'"):
        bastion.metrics.list_metrics(next_token="1; DROP TABLE metrics_series")


def test_weighted_percentile_matches_numpy_on_unit_weights() -> None:
    import numpy as np

    from bastion.metrics._service import weighted_percentile

    rng = np.random.default_rng(3)
    for size in (1, 2, 7, 100):
        values = rng.normal(size=size)
        for q in (0, 1, 25, 50, 75, 99, 100):
            got = weighted_percentile(values, np.ones(size), q)
            assert got == np.percentile(values, q, method="inverted_cdf")
    assert rules.PERCENTILE.fullmatch("p99.99") and not rules.PERCENTILE.fullmatch("p100.5")


def test_policies_see_the_namespace(bastion: Bastion, user_session: Any) -> None:
    writer = user_session(
        "writer",
        {
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "team/a"}},
        },
        {"Effect": "Allow", "Action": "cloudwatch:ListMetrics", "Resource": "*"},
    )
    assert writer.metrics.put_metric_data("team/a", [{"MetricName": "x", "Value": 1}]) == 1
    with pytest.raises(AccessDenied):
        writer.metrics.put_metric_data("team/b", [{"MetricName": "x", "Value": 1}])
    with pytest.raises(AccessDenied):
        writer.metrics.get_metric_statistics(
            "team/a", "x", start=T0, end=T0 + timedelta(hours=1), period=60, statistics=["Sum"]
        )
    assert [m.namespace for m in writer.metrics.list_metrics().metrics] == ["team/a"]
    events = bastion.audit.lookup(event_name="PutMetricData").events
    assert {e.error_code for e in events} == {None, "AccessDenied"}
