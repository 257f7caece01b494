"""Bad input: empty data, all-null and mixed columns, odd bytes, many categories, NaN and inf."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from bastion.errors import Invalid
from bastion.monitor import (
    CheckType,
    InferredType,
    baseline,
    check,
    profile,
    read_statistics,
    to_json,
)


def test_empty_datasets_profile_but_do_not_baseline(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("a,b\n")
    empty = profile(tmp_path / "empty.csv")
    assert empty.item_count == 0
    assert [c.inferred_type for c in empty.columns] == [InferredType.UNKNOWN] * 2
    with pytest.raises(Invalid) as caught:
        baseline(tmp_path / "empty.csv")
    assert str(caught.value) == (
        "The 'data' parameter must be at least one row. Got 'an empty dataset (0 rows)' instead."
    )
    (tmp_path / "nothing.csv").write_bytes(b"")
    with pytest.raises(Invalid):
        baseline(tmp_path / "nothing.csv")
    assert profile(pa.table({"x": pa.array([], type=pa.int64())})).item_count == 0


def test_all_null_columns() -> None:
    base = baseline(pd.DataFrame({"x": [1.0, 2.0, 3.0], "gone": [None, None, None]}))
    assert base.statistics.feature("gone").inferred_type is InferredType.UNKNOWN
    assert base.constraints.feature("gone").completeness == 0.0
    result = check(pd.DataFrame({"x": [None, None], "gone": [None, None]}), baseline=base)
    kinds = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    assert kinds == {("x", CheckType.COMPLETENESS)}
    assert result.drift.feature("x") is None  # nothing to compare
    values = {p.name: p.value for p in result.datapoints}
    assert values["feature_non_null_x"] == 0.0


def test_mixed_types_in_one_column() -> None:
    frame = pd.DataFrame({"m": [1, "a", 2.5, None, b"z"]})
    column = profile(frame).column("m")
    assert column.inferred_type is InferredType.STRING
    assert (column.types.integral, column.types.fractional, column.types.string) == (1, 1, 2)


def test_mixed_types_in_json_lines(tmp_path: Path) -> None:
    lines = [{"v": 1}, {"v": "two"}, {"v": 3.5}, {"v": None}, {"v": {"nested": True}}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    column = profile(tmp_path / "m.jsonl").column("v")
    assert column.inferred_type is InferredType.STRING
    assert column.types.present == 4 and column.types.missing == 1


def test_non_utf8_csv_is_refused_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "latin1.csv").write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(Invalid) as caught:
        profile(tmp_path / "latin1.csv")
    assert caught.value.field == "data"
    assert "latin1.csv" in str(caught.value) and "iconv" in str(caught.value)


def test_non_utf8_json_lines_are_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_bytes(b'{"a": "caf\xe9"}\n')
    with pytest.raises(Invalid) as caught:
        profile(tmp_path / "bad.jsonl")
    assert caught.value.field == "data"


def test_bytes_in_memory_are_profiled_as_text() -> None:
    column = profile(pd.DataFrame({"b": [b"\xff\xfe", b"ok", None]})).column("b")
    assert column.inferred_type is InferredType.STRING
    assert column.categorical.total == 2


def test_ten_thousand_distinct_categories() -> None:
    rng = np.random.default_rng(5)
    values = rng.integers(0, 10_000, 200_000)
    frame = pd.DataFrame({"cat": [f"k{v}" for v in values]})
    base = baseline(frame)
    feature = base.statistics.feature("cat").string_statistics
    assert len(feature.distribution.categorical.buckets) == 1000
    assert feature.distinct_count == pytest.approx(10_000, rel=0.05)
    assert base.constraints.feature("cat").string_constraints is None  # too many for a domain
    later = pd.DataFrame({"cat": [f"k{v}" for v in rng.integers(0, 10_000, 200_000)]})
    result = check(later, baseline=base)
    drift = result.drift.feature("cat")
    assert drift is not None and not drift.drifted
    assert drift.distance < 0.01


def test_nan_and_infinities_count_as_missing_and_keep_json_valid() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, np.nan, np.inf, -np.inf, 3.0],
            "all_inf": [np.inf] * 5,
        }
    )
    result = profile(frame)
    x = result.column("x")
    assert (x.types.present, x.types.missing, x.types.non_finite) == (2, 3, 2)
    assert (x.numeric.min, x.numeric.max, x.numeric.sum) == (1.0, 3.0, 4.0)
    assert result.column("all_inf").inferred_type is InferredType.UNKNOWN
    stats = baseline(frame).statistics
    body = to_json(stats)  # would raise on NaN or inf
    assert read_statistics(body) == stats
    numbers = json.loads(body)["features"][0]["numerical_statistics"]
    assert all(math.isfinite(numbers[k]) for k in ("mean", "sum", "std_dev", "min", "max"))


def test_columns_only_on_one_side_get_no_drift_or_datapoints() -> None:
    base = baseline(pd.DataFrame({"old": [1, 2], "both": [1, 2]}))
    result = check(pd.DataFrame({"new": [1, 2], "both": [1, 2]}), baseline=base)
    assert {f.feature for f in result.drift.features} == {"both"}
    assert {p.name for p in result.datapoints} == {
        "feature_non_null_both",
        "feature_data_both",
        "feature_baseline_drift_both",
    }
