"""KLL sketches: DataSketches' binary form both ways, bulk build, merge, queries; HyperLogLog."""

from __future__ import annotations

import datasketches
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import Invalid
from bastion.monitor._sketch import (
    DATASKETCHES_C,
    Hll,
    Kll,
    _from_bytes,
    _total_capacity,
    merge_all,
)

RNG_SEED = 7


def _native(values: np.ndarray, k: int = 200) -> datasketches.kll_doubles_sketch:
    sketch = datasketches.kll_doubles_sketch(k)
    sketch.update(values)
    return sketch


@pytest.mark.parametrize("n", [0, 1, 5, 200, 201, 1000, 50_000])
def test_native_sketches_parse_and_reserialise_byte_for_byte(n: int) -> None:
    values = np.random.default_rng(n).normal(size=n)
    native = _native(values)
    blob = native.serialize()
    ours = _from_bytes(blob)
    assert ours.n == native.n
    assert ours.num_retained == native.num_retained
    assert ours.c == DATASKETCHES_C and ours.k == 200
    again = datasketches.kll_doubles_sketch.deserialize(ours._to_bytes())
    assert again.n == native.n
    if n:
        points = np.quantile(values, [0.1, 0.5, 0.9])
        assert [again.get_rank(p, True) for p in points] == pytest.approx(
            list(ours.cdf(points)), abs=1e-12
        )


def test_capacity_formula_matches_datasketches() -> None:
    for n in (300, 5_000, 100_000):
        blob = _native(np.arange(n, dtype=float)).serialize()
        ours = _from_bytes(blob)
        import struct

        num_levels = blob[18]
        first_offset = struct.unpack_from("<I", blob, 20)[0]
        assert first_offset + ours.num_retained == _total_capacity(200, num_levels)


def test_exact_while_small() -> None:
    values = np.array([3.0, 1.0, 2.0, 2.0])
    sketch = Kll.from_sorted(np.sort(values), rng=np.random.default_rng(0))
    assert sketch.is_exact and sketch.rank_error == 0.0
    assert list(sketch.cdf(np.array([0.5, 1.0, 2.0, 3.0]))) == [0.0, 0.25, 0.75, 1.0]
    assert list(sketch.cdf(np.array([2.0]), inclusive=False)) == [0.25]
    assert list(sketch.quantiles(np.array([0.25, 0.5, 0.75, 1.0]))) == [1.0, 2.0, 2.0, 3.0]
    assert list(sketch.weights) == [1.0, 1.0, 1.0, 1.0]


def test_bulk_build_keeps_kll_error_bounds() -> None:
    rng = np.random.default_rng(RNG_SEED)
    values = np.sort(rng.lognormal(size=400_000))
    sketch = Kll.from_sorted(values, k=2048, rng=rng)
    assert sketch.n == len(values)
    assert len(sketch.levels[-1]) <= 2048
    points = np.quantile(values, np.linspace(0.01, 0.99, 99))
    truth = np.searchsorted(values, points, side="right") / len(values)
    assert np.max(np.abs(sketch.cdf(points) - truth)) <= sketch.rank_error


def test_merge_of_parts_is_within_bound_of_the_whole() -> None:
    rng = np.random.default_rng(RNG_SEED)
    values = rng.normal(size=300_000)
    parts = [Kll.from_sorted(np.sort(chunk), rng=rng) for chunk in np.array_split(values, 7)]
    merged = merge_all(parts)
    assert merged.n == len(values)
    ordered = np.sort(values)
    points = np.quantile(values, np.linspace(0.01, 0.99, 99))
    truth = np.searchsorted(ordered, points, side="right") / len(values)
    assert np.max(np.abs(merged.cdf(points) - truth)) <= merged.rank_error
    assert merge_all([]).n == 0
    assert merge_all([Kll(), parts[0]]) is parts[0]


def test_sagemaker_levels_answer_queries_and_merge() -> None:
    # Deequ's shape: level 0 first, an item on level h weighs 2**h
    sketch = Kll.from_levels([[5.0, 1.0], [2.0, 4.0], [3.0]], k=2048, c=0.64)
    assert sketch.n == 2 + 4 + 4
    assert list(sketch.items) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(sketch.weights) == [1.0, 2.0, 4.0, 2.0, 1.0]
    assert list(sketch.cdf(np.array([2.0, 3.0]))) == [0.3, 0.7]
    merged = sketch.merge(Kll.from_sorted(np.array([10.0]), rng=np.random.default_rng(0)))
    assert merged.n == 11 and merged.c == DATASKETCHES_C
    assert merged.cdf(np.array([5.0]))[0] == pytest.approx(10 / 11)


def test_levels_larger_than_k_allows_get_a_larger_k_or_are_refused() -> None:
    crowded = Kll.from_levels([np.arange(5000.0)], k=8, c=0.64)
    native = datasketches.kll_doubles_sketch.deserialize(crowded._to_bytes())
    assert native.n == 5000 and native.k == 5000
    hopeless = Kll.from_levels([np.arange(70_000.0)], k=8, c=0.64)
    with pytest.raises(Invalid):
        hopeless._to_bytes()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.floats(-1e9, 1e9, allow_nan=False), max_size=30), min_size=1, max_size=6)
)
def test_any_levels_round_trip_through_datasketches(levels) -> None:
    sketch = Kll.from_levels(levels, k=64, c=0.64)
    back = _from_bytes(sketch._to_bytes())
    assert back.n == sketch.n
    assert sorted(back.items.tolist()) == sorted(sketch.items.tolist())


def test_hyperloglog_estimates_and_merges() -> None:
    a = Hll.from_strings([f"user-{i}" for i in range(60_000)])
    b = Hll.from_strings([f"user-{i}" for i in range(30_000, 90_000)])
    assert a.estimate() == pytest.approx(60_000, rel=0.05)
    assert a.merge(b).estimate() == pytest.approx(90_000, rel=0.05)
    assert Hll.from_strings(["x", "y", "x"]).estimate() == pytest.approx(2, abs=0.01)
    assert Hll().estimate() == 0.0
