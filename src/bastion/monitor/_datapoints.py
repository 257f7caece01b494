"""Data-quality metrics as datapoints (SageMaker's ``aws/sagemaker/Endpoints/data-metrics``).

Per feature of the baseline found in the current data: ``feature_non_null_<f>`` (completeness),
``feature_data_<f>`` for numbers (a statistic set: sample count, sum, minimum, maximum) and
``feature_baseline_drift_<f>`` (the SageMaker-compatible drift distance). Nothing is emitted when
the constraints' ``emit_metrics`` is Disabled (globally or for the feature).
"""

from __future__ import annotations

from collections.abc import Mapping

from bastion.monitor._config import effective_config
from bastion.monitor._formats import Constraints
from bastion.monitor._models import Datapoint, DriftReport, Profile, StatisticSet

ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/data-metrics"


def data_quality_datapoints(
    constraints: Constraints,
    current: Profile,
    drift: DriftReport,
    *,
    dimensions: Mapping[str, str] | None = None,
) -> list[Datapoint]:
    """The data-quality datapoints of one check, with ``dimensions`` attached to each."""
    dims = tuple((dimensions or {}).items())
    points: list[Datapoint] = []
    for entry in constraints.features:
        column = current.column(entry.name)
        if column is None or not effective_config(constraints, entry.name).emit_metrics:
            continue
        name = entry.name
        completeness = column.types.present / current.item_count if current.item_count else 0.0
        points.append(
            Datapoint(name=f"feature_non_null_{name}", value=completeness, dimensions=dims)
        )
        if entry.inferred_type.is_numeric and column.numeric is not None:
            numeric = column.numeric
            points.append(
                Datapoint(
                    name=f"feature_data_{name}",
                    statistic_values=StatisticSet(
                        sample_count=float(numeric.count),
                        sum=float(numeric.sum),
                        minimum=numeric.min,
                        maximum=numeric.max,
                    ),
                    dimensions=dims,
                )
            )
        feature_drift = drift.feature(name)
        if feature_drift is not None:
            points.append(
                Datapoint(
                    name=f"feature_baseline_drift_{name}",
                    value=feature_drift.distance,
                    dimensions=dims,
                )
            )
    return points
