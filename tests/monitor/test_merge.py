"""Profiles merge without re-reading data: two halves equal the whole."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import Invalid
from bastion.monitor import Profile, ProfileOptions, baseline, merge_profiles, profile
from bastion.monitor._models import CategoricalSummary

ROWS = 200_000


def _frame(rows: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ints = pd.array(rng.integers(-500, 500, rows), dtype="Int64")
    ints[rng.random(rows) < 0.05] = pd.NA
    floats = rng.gamma(2.0, 3.0, rows)
    floats[rng.random(rows) < 0.02] = np.nan
    return pd.DataFrame(
        {
            "ints": ints,
            "floats": floats,
            "cats": rng.choice(["red", "green", "blue", "grey"], rows, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )


def _counts(summary: CategoricalSummary) -> dict[str, int]:
    return dict(zip(summary.values, summary.counts.tolist(), strict=True))


def test_two_halves_merge_to_the_whole() -> None:
    frame = _frame(ROWS)
    whole = profile(frame)
    halves = merge_profiles([profile(frame.iloc[: ROWS // 2]), profile(frame.iloc[ROWS // 2 :])])
    assert halves.item_count == whole.item_count == ROWS
    for name in ("ints", "floats", "cats"):
        a, b = whole.column(name), halves.column(name)
        assert a.types == b.types, name
    for name in ("ints", "floats"):
        a, b = whole.column(name).numeric, halves.column(name).numeric
        assert (a.count, a.min, a.max) == (b.count, b.min, b.max)
        assert b.mean == pytest.approx(a.mean, rel=1e-12)
        assert b.std_dev == pytest.approx(a.std_dev, rel=1e-9)
        bound = a.sketch.rank_error + b.sketch.rank_error
        points = np.linspace(a.min, a.max, 101)
        assert np.max(np.abs(a.sketch.cdf(points) - b.sketch.cdf(points))) <= bound
    assert whole.column("ints").numeric.sum == halves.column("ints").numeric.sum
    assert whole.column("ints").numeric.sum == int(frame["ints"].sum())
    assert halves.column("floats").numeric.sum == pytest.approx(frame["floats"].sum(), rel=1e-12)
    assert _counts(whole.column("cats").categorical) == _counts(halves.column("cats").categorical)
    # the merged profile baselines like the whole
    assert baseline(halves).constraints == baseline(whole).constraints


def test_merged_quantiles_stay_within_kll_bounds_of_the_truth() -> None:
    frame = _frame(ROWS)
    bounds = np.linspace(0, ROWS, 6).astype(int)
    parts = [profile(frame.iloc[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    merged = merge_profiles(parts).column("floats").numeric
    values = np.sort(frame["floats"].dropna().to_numpy())
    points = np.quantile(values, np.linspace(0.01, 0.99, 99))
    truth = np.searchsorted(values, points, side="right") / len(values)
    assert np.max(np.abs(merged.sketch.cdf(points) - truth)) <= merged.sketch.rank_error


def test_columns_missing_from_one_side_count_as_missing() -> None:
    left = profile(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    right = profile(pd.DataFrame({"a": [3]}))
    merged = left.merge(right)
    assert merged.item_count == 3
    assert merged.column("b").types.missing == 1
    assert merged.column("b").types.present == 2


def test_profile_round_trips_through_its_stored_form() -> None:
    original = profile(_frame(5_000))
    stored = json.loads(json.dumps(original.to_dict()))
    assert stored["kind"] == "bastion.monitor/profile@1"
    again = Profile.from_dict(stored)
    assert again.to_dict() == original.to_dict()
    with pytest.raises(Invalid) as caught:
        Profile.from_dict({"kind": "bastion.monitor/profile@2"})
    assert caught.value.field == "kind"
    with pytest.raises(Invalid):
        Profile.from_dict({"kind": "bastion.monitor/profile@1", "columns": "nope"})


def test_categories_beyond_the_cap_fold_into_other_with_a_distinct_estimate() -> None:
    values = [f"v{i}" for i in range(3_000)] * 2 + ["top"] * 10
    result = profile(pd.DataFrame({"c": values}), options=ProfileOptions(max_categories=100))
    summary = result.column("c").categorical
    assert len(summary.values) == 100 and summary.values[0] == "top"
    assert summary.total == len(values)
    assert summary.other_count == len(values) - int(summary.counts.sum())
    assert summary.distinct_count() == pytest.approx(3_001, rel=0.05)
    back = Profile.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.column("c").categorical.distinct_count() == summary.distinct_count()


@settings(max_examples=10, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-(10**6), 10**6)), min_size=1, max_size=300),
    st.data(),
)
def test_any_split_merges_exactly(values, data) -> None:
    cut = data.draw(st.integers(0, len(values)))
    frame = pd.DataFrame({"x": pd.array(values, dtype="Int64")})
    whole = profile(frame)
    parts = merge_profiles([profile(frame.iloc[:cut]), profile(frame.iloc[cut:])])
    a, b = whole.column("x"), parts.column("x")
    assert a.types == b.types
    if a.numeric is None:
        assert b.numeric is None
    else:
        assert (a.numeric.count, a.numeric.sum, a.numeric.min, a.numeric.max) == (
            b.numeric.count,
            b.numeric.sum,
            b.numeric.min,
            b.numeric.max,
        )
        # below k values a KLL sketch is exact: the merged sketch holds every value
        assert sorted(b.numeric.sketch.items.tolist()) == sorted(v for v in values if v is not None)


def test_hourly_profiles_merged_for_a_daily_check() -> None:
    from bastion.monitor import check, check_options

    base = baseline(pd.DataFrame({"zip": ["02139", "10001", "N/A", "10001"] * 25, "n": range(100)}))
    options = check_options(base)
    assert options.text_columns == frozenset({"zip"})
    assert options.keep_values == {"zip": frozenset({"02139", "10001", "N/A"})}
    # a reader types this hour's zip codes as numbers; profiled as text they still compare
    hours = [profile(pd.DataFrame({"zip": [2139, 10001], "n": [1, 2]}), options=options)] * 3
    result = check(merge_profiles(hours), baseline=base)
    drift = result.drift.feature("zip")
    assert drift is not None and drift.current_count == 6
