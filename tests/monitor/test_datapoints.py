"""Data-quality datapoints: SageMaker's metric names, values and the metric-file shape."""

from __future__ import annotations

import pandas as pd
import pytest

from bastion.monitor import (
    BATCH_NAMESPACE,
    ENDPOINT_NAMESPACE,
    Baseline,
    Constraints,
    Datapoint,
    StatisticSet,
    baseline,
    check,
)


def test_datapoints_per_feature() -> None:
    base = baseline(pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0], "kind": list("aabb")}))
    current = pd.DataFrame({"amount": [10.0, 20.0, None, 30.0], "kind": list("aaab")})
    dims = {"Endpoint": "fraud", "MonitoringSchedule": "hourly"}
    result = check(current, baseline=base, dimensions=dims)
    points = {p.name: p for p in result.datapoints}
    assert set(points) == {
        "feature_non_null_amount",
        "feature_data_amount",
        "feature_baseline_drift_amount",
        "feature_non_null_kind",
        "feature_baseline_drift_kind",
    }
    assert points["feature_non_null_amount"].value == 0.75
    assert points["feature_data_amount"].statistic_values == StatisticSet(
        sample_count=3.0, sum=60.0, minimum=10.0, maximum=30.0
    )
    assert points["feature_baseline_drift_amount"].value == 1.0
    assert points["feature_baseline_drift_kind"].value == 0.25
    assert all(p.dimensions == tuple(dims.items()) for p in result.datapoints)


def test_metric_datum_shape() -> None:
    value = Datapoint(
        name="feature_baseline_drift_age", value=0.21, dimensions=(("Endpoint", "e"),)
    )
    assert value.to_metric_datum("2024-03-05T18:00:00Z") == {
        "MetricName": "feature_baseline_drift_age",
        "Timestamp": "2024-03-05T18:00:00Z",
        "Dimensions": [{"Name": "Endpoint", "Value": "e"}],
        "Value": 0.21,
        "Unit": "None",
    }
    stats = Datapoint(
        name="feature_data_age",
        statistic_values=StatisticSet(sample_count=2, sum=3, minimum=1, maximum=2),
    )
    datum = stats.to_metric_datum("2024-03-05T18:00:00Z")
    assert "Value" not in datum
    assert datum["StatisticValues"] == {"SampleCount": 2, "Sum": 3, "Minimum": 1, "Maximum": 2}
    assert ENDPOINT_NAMESPACE == "aws/sagemaker/Endpoints/data-metrics"
    assert BATCH_NAMESPACE == "aws/sagemaker/ModelMonitoring/data-metrics"


@pytest.mark.parametrize("where", ["global", "feature"])
def test_emit_metrics_disabled(where: str) -> None:
    base = baseline(pd.DataFrame({"x": [1.0, 2.0]}))
    body = base.constraints.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if where == "global":
        body["monitoring_config"]["emit_metrics"] = "Disabled"
    else:
        body["features"][0]["monitoringConfigOverrides"] = {"emit_metrics": "Disabled"}
    off = Baseline(statistics=base.statistics, constraints=Constraints.model_validate(body))
    assert check(pd.DataFrame({"x": [1.0]}), baseline=off).datapoints == ()
