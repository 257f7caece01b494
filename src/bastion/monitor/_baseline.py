"""Profiles to SageMaker's ``statistics.json`` and back.

``to_statistics`` writes a profile in SageMaker's shape: per feature the inferred type, present and
missing counts, and either numerical statistics (mean, sum, population std-dev, min, max, 10
equal-width KLL buckets between min and max, and the KLL sketch itself) or string statistics
(distinct count and the value counts kept). ``from_statistics`` turns a statistics file, ours or
SageMaker's, into a profile that checks can compare against.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bastion.monitor._formats import FeatureStatistics, InferredType, Statistics
from bastion.monitor._models import (
    CategoricalSummary,
    ColumnProfile,
    NumericSummary,
    Profile,
    TypeCounts,
)
from bastion.monitor._sketch import Kll

KLL_BUCKETS = 10
"""SageMaker materialises the distribution in 10 buckets (not configurable)."""


def kll_buckets(numeric: NumericSummary) -> list[dict[str, float]]:
    """10 equal-width buckets between min and max; counts from the sketch.

    Each bucket holds ``[lower, upper)``, the last ``[lower, upper]`` (NumPy's histogram rule).
    """
    edges = np.linspace(numeric.min, numeric.max, KLL_BUCKETS + 1)
    edges[-1] = numeric.max
    below = numeric.sketch.cdf(edges, inclusive=False)
    below[-1] = 1.0
    counts = np.diff(below) * numeric.count
    return [
        {"lower_bound": float(lo), "upper_bound": float(hi), "count": float(round(c, 6))}
        for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def _numerical(column: ColumnProfile, item_count: int) -> dict[str, Any]:
    numeric = column.numeric
    assert numeric is not None  # an Integral or Fractional column has numbers
    sketch = numeric.sketch
    return {
        "common": {
            "num_present": column.types.present,
            "num_missing": item_count - column.types.present,
        },
        "mean": numeric.mean,
        "sum": float(numeric.sum),
        "std_dev": numeric.std_dev,
        "min": numeric.min,
        "max": numeric.max,
        "distribution": {
            "kll": {
                "buckets": kll_buckets(numeric),
                "sketch": {
                    "parameters": {"c": sketch.c, "k": float(sketch.k)},
                    "data": [level.tolist() for level in sketch.levels],
                },
            }
        },
    }


def _string(column: ColumnProfile, item_count: int) -> dict[str, Any]:
    categorical = column.categorical or CategoricalSummary()
    return {
        "common": {
            "num_present": column.types.present,
            "num_missing": item_count - column.types.present,
        },
        "distinct_count": float(round(categorical.distinct_count())),
        "distribution": {
            "categorical": {
                "buckets": [
                    {"value": value, "count": int(count)}
                    for value, count in zip(categorical.values, categorical.counts, strict=True)
                ]
            }
        },
    }


def to_statistics(profile: Profile) -> Statistics:
    """The ``statistics.json`` of a profile."""
    features: list[dict[str, Any]] = []
    for column in profile.columns:
        inferred = column.inferred_type
        feature: dict[str, Any] = {"name": column.name, "inferred_type": inferred.value}
        if inferred.is_numeric and column.numeric is not None:
            feature["numerical_statistics"] = _numerical(column, profile.item_count)
        elif inferred is InferredType.STRING:
            feature["string_statistics"] = _string(column, profile.item_count)
        features.append(feature)
    return Statistics.model_validate(
        {"version": 0, "dataset": {"item_count": profile.item_count}, "features": features}
    )


def _column(feature: FeatureStatistics, item_count: int) -> ColumnProfile:
    common = feature.common
    present = int(common.num_present) if common else 0
    missing = int(common.num_missing) if common else max(item_count - present, 0)
    numeric: NumericSummary | None = None
    categorical: CategoricalSummary | None = None
    stats = feature.numerical_statistics
    if stats is not None and present:
        kll = stats.distribution.kll if stats.distribution else None
        sketch = Kll()
        if kll is not None and kll.sketch is not None:
            parameters = kll.sketch.parameters
            sketch = Kll.from_levels(kll.sketch.data, k=int(parameters.k), c=float(parameters.c))
        mean = float(stats.mean) if stats.mean is not None else 0.0
        std = float(stats.std_dev) if stats.std_dev is not None else 0.0
        numeric = NumericSummary(
            count=present,
            sum=stats.sum if stats.sum is not None else mean * present,
            min=float(stats.min) if stats.min is not None else float("nan"),
            max=float(stats.max) if stats.max is not None else float("nan"),
            mean=mean,
            m2=std * std * present,
            sketch=sketch,
        )
    strings = feature.string_statistics
    if strings is not None:
        distribution = strings.distribution
        buckets = (
            distribution.categorical.buckets
            if distribution is not None and distribution.categorical is not None
            else []
        )
        kept = {str(b.value): int(b.count) for b in buckets}
        categorical = CategoricalSummary(
            values=tuple(kept),
            counts=np.asarray(list(kept.values()), dtype=np.int64),
            other_count=max(present - sum(kept.values()), 0),
        )
    inferred = feature.inferred_type
    types = TypeCounts(
        null=missing,
        integral=present if inferred is InferredType.INTEGRAL else 0,
        fractional=present if inferred is InferredType.FRACTIONAL else 0,
        string=present if inferred is InferredType.STRING else 0,
    )
    return ColumnProfile(name=feature.name, types=types, numeric=numeric, categorical=categorical)


def from_statistics(statistics: Statistics) -> Profile:
    """A profile that stands for a statistics file (for comparing current data against it)."""
    item_count = int(statistics.dataset.item_count)
    return Profile(
        item_count=item_count,
        columns=tuple(_column(f, item_count) for f in statistics.features),
    )
