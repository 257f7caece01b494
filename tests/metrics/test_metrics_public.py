"""The metrics room's public surface is pinned."""

from __future__ import annotations

import bastion.metrics

PUBLIC = [
    "Datapoint",
    "Metric",
    "MetricDataQuery",
    "MetricDataResult",
    "MetricDatum",
    "MetricListing",
    "MetricStatistics",
    "MetricsClient",
    "MetricsRuntime",
    "Statistic",
    "StatisticValues",
    "Unit",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(bastion.metrics.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(bastion.metrics, name)
