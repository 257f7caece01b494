"""Suggested constraints from baseline statistics, as SageMaker's baseline job suggests them.

Per feature: the inferred type; ``completeness`` (the observed non-null fraction, as SageMaker's
docs define it); ``is_non_negative`` for numbers (baseline minimum >= 0); ``domains`` for
low-cardinality text, by Deequ's categorical-range rule (at most 120 distinct values, all of them
counted, and at most 10 % of them seen only once). ``monitoring_config`` carries the documented
defaults, with the drift methods chosen by the caller.
"""

from __future__ import annotations

from typing import Any

from bastion.monitor._formats import (
    CategoricalMethod,
    ComparisonMethod,
    Constraints,
    FeatureStatistics,
    InferredType,
    Statistics,
)

DEFAULT_THRESHOLD = 0.1
LOW_CARDINALITY = 120
"""Deequ computes value histograms (and suggests domains) only below this many distinct values."""
MAX_UNIQUE_RATIO = 0.1
"""Deequ's CategoricalRangeRule: at most this share of the distinct values may occur once."""


def default_monitoring_config(
    *,
    comparison_method: ComparisonMethod = "Robust",
    categorical_drift_method: CategoricalMethod = "LInfinity",
) -> dict[str, Any]:
    """``monitoring_config`` with the documented defaults."""
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": DEFAULT_THRESHOLD,
        "domain_content_threshold": DEFAULT_THRESHOLD,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": DEFAULT_THRESHOLD,
            "comparison_method": comparison_method,
            "categorical_comparison_threshold": DEFAULT_THRESHOLD,
            "categorical_drift_method": categorical_drift_method,
        },
    }


def _domain(feature: FeatureStatistics) -> list[str] | None:
    strings = feature.string_statistics
    if strings is None or strings.distribution is None or strings.distribution.categorical is None:
        return None
    buckets = strings.distribution.categorical.buckets
    counted = sum(b.count for b in buckets)
    if not buckets or len(buckets) > LOW_CARDINALITY or counted < strings.common.num_present:
        return None
    singletons = sum(1 for b in buckets if b.count == 1)
    if singletons / len(buckets) > MAX_UNIQUE_RATIO:
        return None
    return sorted(str(b.value) for b in buckets)


def suggest_constraints(
    statistics: Statistics,
    *,
    comparison_method: ComparisonMethod = "Robust",
    categorical_drift_method: CategoricalMethod = "LInfinity",
) -> Constraints:
    """The constraints a SageMaker baseline job would suggest for these statistics."""
    item_count = float(statistics.dataset.item_count)
    features: list[dict[str, Any]] = []
    for feature in statistics.features:
        common = feature.common
        present = float(common.num_present) if common else 0.0
        entry: dict[str, Any] = {
            "name": feature.name,
            "inferred_type": feature.inferred_type.value,
            "completeness": min(present / item_count, 1.0) if item_count else 0.0,
        }
        numbers = feature.numerical_statistics
        if feature.inferred_type.is_numeric and numbers is not None and numbers.min is not None:
            entry["num_constraints"] = {"is_non_negative": numbers.min >= 0}
        if feature.inferred_type is InferredType.STRING:
            domain = _domain(feature)
            if domain is not None:
                entry["string_constraints"] = {"domains": domain}
        features.append(entry)
    return Constraints.model_validate(
        {
            "version": 0,
            "features": features,
            "monitoring_config": default_monitoring_config(
                comparison_method=comparison_method,
                categorical_drift_method=categorical_drift_method,
            ),
        }
    )
