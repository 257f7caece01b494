"""Drift statistics, each against SciPy on the same data, and the calibrated verdict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from bastion.monitor import DriftOptions, baseline, check
from bastion.monitor._drift import (
    EXACT_KS_LIMIT,
    benjamini_hochberg,
    chi_square,
    js_distance,
    ks_band,
    ks_distance,
    ks_pvalue,
    psi,
    wasserstein,
)
from bastion.monitor._sketch import Kll

RNG = np.random.default_rng(2024)


def _sketch(values: np.ndarray) -> Kll:
    return Kll.from_sorted(np.sort(values), rng=np.random.default_rng(0))


# Below k = 2048 values a sketch is exact, so statistics over sketches equal SciPy's on the data.
BASE = RNG.normal(0.0, 1.0, 1503)
NOW = RNG.normal(0.15, 1.1, 1201)


def test_ks_matches_scipy() -> None:
    expected = stats.ks_2samp(BASE, NOW, method="asymp")
    distance = ks_distance(_sketch(BASE), _sketch(NOW))
    assert distance == pytest.approx(expected.statistic, abs=1e-12)
    assert ks_pvalue(distance, len(BASE), len(NOW)) == pytest.approx(expected.pvalue, rel=1e-9)


@pytest.mark.parametrize("z", [1.0, 1.36, 2.0, 3.0])
def test_large_samples_use_the_limiting_distribution_conservatively(z: float) -> None:
    n = 2 * (EXACT_KS_LIMIT + 1)  # effective size n * n / 2n = EXACT_KS_LIMIT + 1
    d = z / math.sqrt(EXACT_KS_LIMIT + 1)
    exact = stats.kstwo.sf(d, EXACT_KS_LIMIT + 1)
    assert exact <= ks_pvalue(d, n, n) <= exact * 1.025


def test_wasserstein_matches_scipy() -> None:
    assert wasserstein(_sketch(BASE), _sketch(NOW)) == pytest.approx(
        stats.wasserstein_distance(BASE, NOW), rel=1e-9
    )


def test_wasserstein_of_weighted_sketch_items_matches_scipy() -> None:
    a = Kll.from_levels([[0.0, 3.0], [1.0], [2.0]], k=8, c=0.64)
    b = Kll.from_levels([[0.5, 1.5, 2.5]], k=8, c=0.64)
    expected = stats.wasserstein_distance(a.items, b.items, a.weights, b.weights)
    assert wasserstein(a, b) == pytest.approx(expected, rel=1e-12)


def _binned(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    cdf = np.searchsorted(np.sort(values), edges, side="right") / len(values)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def test_psi_and_js_on_baseline_decile_bins_match_scipy() -> None:
    edges = np.unique(np.quantile(BASE, np.linspace(0, 1, 11)[1:-1], method="inverted_cdf"))
    b, c = _binned(BASE, edges), _binned(NOW, edges)
    ours_edges = np.unique(_sketch(BASE).quantiles(np.linspace(0, 1, 11)[1:-1]))
    assert ours_edges == pytest.approx(edges)
    assert psi(b, c) == pytest.approx(float(np.sum(rel_entr(c, b) + rel_entr(b, c))), rel=1e-12)
    assert js_distance(b, c) == pytest.approx(float(jensenshannon(b, c, base=2)), rel=1e-9)
    assert js_distance(b, b) == 0.0


def test_psi_floors_empty_bins() -> None:
    b, c = np.array([0.5, 0.5, 0.0]), np.array([0.4, 0.4, 0.2])
    floored = np.maximum(b, 1e-4), np.maximum(c, 1e-4)
    expected = float(np.sum(rel_entr(floored[1], floored[0]) + rel_entr(*floored)))
    assert psi(b, c) == pytest.approx(expected)
    assert math.isfinite(psi(b, c))


def test_chi_square_and_cramers_v_match_scipy() -> None:
    table = np.array([[120, 80, 40, 0], [100, 90, 70, 5]])
    statistic, dof, p_value = chi_square(table)
    expected = stats.chi2_contingency(table[:, :], correction=False)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert dof == expected.dof
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)
    v = math.sqrt(statistic / table.sum())
    assert v == pytest.approx(stats.contingency.association(table, method="cramer"), rel=1e-12)
    # a category seen on neither side is dropped; one category is no test at all
    padded = np.hstack([table, np.zeros((2, 1), dtype=np.int64)])
    assert chi_square(padded)[:2] == (statistic, dof)
    assert chi_square(np.array([[5], [7]])) == (0.0, 0, 1.0)


def test_benjamini_hochberg_matches_scipy() -> None:
    p = RNG.uniform(0, 0.2, 25)
    p[:5] = [1e-6, 3e-4, 0.01, 0.04, 0.049]
    assert benjamini_hochberg(list(p)) == pytest.approx(
        stats.false_discovery_control(p, method="bh"), rel=1e-12
    )
    assert benjamini_hochberg([]) == []


def test_ks_band_is_the_asymptotic_critical_value() -> None:
    # c(0.05) = sqrt(-ln(0.025) / 2) = 1.3581; n = m = 100: 1.3581 * sqrt(200 / 10000)
    assert ks_band(100, 100, 0.05) == pytest.approx(1.3581015 * math.sqrt(0.02), rel=1e-6)


def test_effect_sizes() -> None:
    frame_b = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    frame_c = pd.DataFrame({"x": [3.0, 4.0, 5.0, 6.0]})
    result = check(frame_c, baseline=baseline(frame_b))
    drift = result.drift.feature("x")
    # Cohen's d with pooled sample variances: (4.5 - 2.5) / sqrt((5 + 5) / 6)
    assert drift.cohens_d == pytest.approx(2.0 / math.sqrt(10 / 6))
    assert drift.wasserstein == pytest.approx(2.0)
    assert drift.wasserstein_normalized == pytest.approx(2.0 / float(np.std([1, 2, 3, 4])))


def _table(rows: int, *, drifted: bool, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shift = 1.0 if drifted else 0.0
    columns: dict[str, object] = {}
    for i in range(12):
        columns[f"n{i}"] = rng.normal(0.0, 1.0, rows)
    for j in range(3):
        columns[f"c{j}"] = rng.choice(["a", "b", "c", "d"], rows, p=[0.4, 0.3, 0.2, 0.1])
    if drifted:
        columns["n0"] = rng.normal(0.05 * shift, 1.0, rows)  # small mean shift
        columns["n1"] = rng.normal(0.0, 1.06, rows)  # small scale change
        columns["c0"] = rng.choice(["a", "b", "c", "d"], rows, p=[0.37, 0.31, 0.21, 0.11])
    return pd.DataFrame(columns)


def test_calibrated_verdict_flags_exactly_the_drifted_columns() -> None:
    base = baseline(_table(60_000, drifted=False, seed=1))
    result = check(_table(60_000, drifted=True, seed=2), baseline=base)
    flagged = {f.feature for f in result.drift.features if f.drifted}
    assert flagged == {"n0", "n1", "c0"}
    # SageMaker's L-infinity >= 0.1 rule misses all of them at this size
    assert not any(f.exceeds for f in result.drift.features)
    assert all(f.distance < 0.1 for f in result.drift.features)


def test_same_distribution_is_not_called_drift() -> None:
    base = baseline(_table(60_000, drifted=False, seed=3))
    result = check(_table(60_000, drifted=False, seed=4), baseline=base)
    assert not any(f.drifted for f in result.drift.features)


def test_effect_floor_keeps_tiny_significant_shifts_quiet() -> None:
    base = baseline(_table(60_000, drifted=False, seed=1))
    strict = DriftOptions(min_effect_numerical=0.5, min_effect_categorical=0.5)
    result = check(_table(60_000, drifted=True, seed=2), baseline=base, drift_options=strict)
    assert not any(f.drifted for f in result.drift.features)
    assert result.drift.feature("n0").p_adjusted < 0.05
    stored = result.drift.to_dict()
    assert stored["kind"] == "bastion.monitor/drift@1"
    assert stored["options"]["min_effect_numerical"] == 0.5


def _long_tail(rows: int, heavy_share: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    heavy = rng.random(rows) < 0.5
    first = rng.random(rows) < heavy_share / 0.5
    tail = np.char.add("t", rng.integers(0, 20_000, rows).astype(str))
    values = np.where(heavy, np.where(first, "h0", "h1"), tail)
    return pd.DataFrame({"c": values})


def test_high_cardinality_compares_only_values_kept_without_selection_bias() -> None:
    base = baseline(_long_tail(100_000, 0.25, seed=1))
    assert base.statistics.features[0].string_statistics.common.num_present == 100_000
    quiet = check(_long_tail(100_000, 0.25, seed=2), baseline=base).drift.feature("c")
    assert not quiet.drifted
    moved = check(_long_tail(100_000, 0.30, seed=3), baseline=base).drift.feature("c")
    assert moved.drifted and moved.distance == pytest.approx(0.05, abs=0.01)
