"""Metrics (CloudWatch semantics): datapoints by namespace, name and dimensions; statistics.

``MetricsClient`` publishes datums (PutMetricData) and answers GetMetricStatistics (Average,
Sum, Minimum, Maximum, SampleCount and percentiles per period), GetMetricData and ListMetrics,
every call through the gate. Other rooms write here: monitoring executions their
``feature_baseline_drift_<f>`` datapoints, endpoints their latency and invocation counts.
"""

from bastion.metrics import _actions  # noqa: F401  (registers the cloudwatch:* actions)
from bastion.metrics._client import MetricListing, MetricsClient, MetricsRuntime
from bastion.metrics._models import (
    Datapoint,
    Metric,
    MetricDataQuery,
    MetricDataResult,
    MetricDatum,
    MetricStatistics,
    Statistic,
    StatisticValues,
    Unit,
)

__all__ = [
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
