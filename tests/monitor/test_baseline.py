"""Baselines: statistics.json and suggested constraints.json against hand-computed values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bastion.errors import Invalid
from bastion.monitor import (
    InferredType,
    baseline,
    read_baseline,
    read_constraints,
    read_statistics,
    suggest_constraints,
    to_json,
)
from bastion.monitor._baseline import from_statistics
from bastion.monitor._suggest import LOW_CARDINALITY

FIXTURES = Path(__file__).parent / "fixtures"


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": pd.array([18, 25, 25, 40, None, 62], dtype="Int64"),
            "amount": [0.5, -2.0, 10.0, 3.5, 8.0, 1.0],
            "state": ["CA", "CA", "NY", "CA", "NY", "CA"],
            "empty": [None] * 6,
        }
    )


def test_statistics_hold_sagemakers_fields_with_hand_computed_values() -> None:
    stats = baseline(_frame()).statistics
    body = json.loads(to_json(stats))
    assert body["version"] == 0 and body["dataset"] == {"item_count": 6}
    age = body["features"][0]
    assert age["name"] == "age" and age["inferred_type"] == "Integral"
    num = age["numerical_statistics"]
    assert num["common"] == {"num_present": 5, "num_missing": 1}
    values = np.array([18, 25, 25, 40, 62.0])
    assert num["sum"] == 170.0
    assert num["mean"] == 34.0
    assert num["std_dev"] == pytest.approx(float(np.std(values)))  # population std-dev
    assert (num["min"], num["max"]) == (18.0, 62.0)
    kll = num["distribution"]["kll"]
    edges = np.linspace(18, 62, 11)
    assert [b["lower_bound"] for b in kll["buckets"]] == pytest.approx(edges[:-1].tolist())
    assert [b["upper_bound"] for b in kll["buckets"]] == pytest.approx(edges[1:].tolist())
    assert [b["count"] for b in kll["buckets"]] == np.histogram(values, edges)[0].tolist()
    assert kll["sketch"]["parameters"] == {"c": pytest.approx(2 / 3), "k": 2048.0}
    assert kll["sketch"]["data"] == [[18.0, 25.0, 25.0, 40.0, 62.0]]
    state = body["features"][2]
    assert state["inferred_type"] == "String"
    assert state["string_statistics"] == {
        "common": {"num_present": 6, "num_missing": 0},
        "distinct_count": 2.0,
        "distribution": {
            "categorical": {"buckets": [{"value": "CA", "count": 4}, {"value": "NY", "count": 2}]}
        },
    }
    assert body["features"][3] == {"name": "empty", "inferred_type": "Unknown"}


def test_constant_column_puts_everything_in_the_last_bucket() -> None:
    stats = baseline(pd.DataFrame({"x": [7, 7, 7]})).statistics
    buckets = stats.features[0].numerical_statistics.distribution.kll.buckets
    assert [b.count for b in buckets] == [0.0] * 9 + [3.0]
    assert all(b.lower_bound == b.upper_bound == 7.0 for b in buckets)


def test_suggested_constraints() -> None:
    constraints = baseline(_frame()).constraints
    body = json.loads(to_json(constraints))
    assert body["features"] == [
        {
            "name": "age",
            "inferred_type": "Integral",
            "completeness": 5 / 6,
            "num_constraints": {"is_non_negative": True},
        },
        {
            "name": "amount",
            "inferred_type": "Fractional",
            "completeness": 1.0,
            "num_constraints": {"is_non_negative": False},
        },
        {
            "name": "state",
            "inferred_type": "String",
            "completeness": 1.0,
            "string_constraints": {"domains": ["CA", "NY"]},
        },
        {"name": "empty", "inferred_type": "Unknown", "completeness": 0.0},
    ]
    assert body["monitoring_config"] == {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 0.1,
        "domain_content_threshold": 0.1,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": "LInfinity",
        },
    }


def test_methods_can_be_chosen() -> None:
    constraints = baseline(
        _frame(), comparison_method="Simple", categorical_drift_method="ChiSquared"
    ).constraints
    dist = constraints.monitoring_config.distribution_constraints
    assert (dist.comparison_method, dist.categorical_drift_method) == ("Simple", "ChiSquared")


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        (["a", "b"] * 10, ["a", "b"]),
        # more than Deequ's 120 distinct values: no domain
        ([f"v{i}" for i in range(LOW_CARDINALITY + 1)] * 2, None),
        # more than 10 % of the values seen once: no domain
        (["a"] * 20 + ["b"] * 20 + ["c"] * 20 + ["x", "y"], None),
        # exactly 10 % seen once: a domain
        ([f"v{i}" for i in range(9)] * 2 + ["once"], [*(f"v{i}" for i in range(9)), "once"]),
    ],
)
def test_domains_follow_deequs_categorical_range_rule(values, domain) -> None:
    constraints = baseline(pd.DataFrame({"c": values})).constraints
    strings = constraints.features[0].string_constraints
    assert (strings.domains if strings else None) == (sorted(domain) if domain else None)


def test_domains_need_every_value_counted() -> None:
    stats = read_statistics(FIXTURES / "statistics.json")
    body = json.loads(to_json(stats))
    body["features"][2]["string_statistics"]["common"]["num_present"] = 30  # 10 not in buckets
    constraints = suggest_constraints(read_statistics(json.dumps(body).encode()))
    assert constraints.feature("state").string_constraints is None


def test_imported_statistics_become_a_comparable_profile() -> None:
    imported = from_statistics(read_statistics(FIXTURES / "statistics.json"))
    assert imported.item_count == 20
    age = imported.column("age")
    assert age.inferred_type is InferredType.INTEGRAL
    assert (age.types.present, age.types.missing) == (18, 2)
    assert age.numeric.sketch.n == 18 and age.numeric.sketch.c == 0.64
    amount = imported.column("amount").numeric.sketch
    assert amount.n == 20
    state = imported.column("state").categorical
    assert dict(zip(state.values, state.counts.tolist(), strict=True)) == {
        "CA": 10,
        "NY": 6,
        "TX": 4,
    }
    assert imported.column("notes").inferred_type is InferredType.UNKNOWN


def test_read_baseline_and_empty_data() -> None:
    loaded = read_baseline(FIXTURES / "statistics.json", FIXTURES / "constraints.json")
    assert loaded.profile is None
    assert loaded.constraints == read_constraints(FIXTURES / "constraints.json")
    with pytest.raises(Invalid) as caught:
        baseline(pd.DataFrame({"a": pd.Series([], dtype="int64")}))
    assert caught.value.field == "data"
