"""The per-batch kernel: one Arrow record batch in, one partial ``Profile`` out.

Columnar throughout: Arrow compute and NumPy over whole columns, never a Python loop over rows.
Numbers are sorted once per batch; the sorted column gives min, max, exact sums and moments, and
the KLL sketch (``Kll.from_sorted``). Text is counted once (``value_counts``); Deequ's type
patterns and the numeric parse then run on the distinct values only, weighted by their counts.

``profile_stream`` runs the kernel on a stream of batches in a few threads (NumPy's sort, Arrow's
kernels and DuckDB's scan release the GIL) and merges the partial profiles in batch order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from bastion.monitor._models import (
    ColumnProfile,
    NumericSummary,
    Profile,
    ProfileOptions,
    TypeCounts,
    categorical_summary,
    merge_profiles,
)
from bastion.monitor._sketch import Kll
from bastion.monitor.engine._port import ColumnKind

# Deequ's patterns (StatefulDataType): a value matching FRACTIONAL is Fractional, else INTEGRAL
# Integral, else BOOLEAN Boolean, else String.
FRACTIONAL_PATTERN = r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$"
INTEGRAL_PATTERN = r"^(-|\+)? ?\d+$"
BOOLEAN_PATTERN = r"^(true|false)$"

RUN_CATEGORY_FACTOR = 16
"""Within one pass a profile keeps this many times ``max_categories`` values exactly."""
MERGE_FAN_IN = 16


def _rng(options: ProfileOptions, index: int) -> np.random.Generator:
    if options.seed is None:
        return np.random.default_rng()
    return np.random.default_rng([options.seed, index])


def _exact_sum(ordered: npt.NDArray[np.int64]) -> int:
    """The exact sum of sorted int64 values, as a Python int (no silent overflow)."""
    if max(abs(int(ordered[0])), abs(int(ordered[-1]))) * len(ordered) < 2**63:
        return int(np.sum(ordered, dtype=np.int64))
    high = int(np.sum(ordered >> 32, dtype=np.int64))
    low = int(np.sum(ordered & 0xFFFFFFFF, dtype=np.int64))
    return (high << 32) + low


def _numeric(
    sorted_values: npt.NDArray[np.float64],
    total: int | float,
    options: ProfileOptions,
    rng: np.random.Generator,
) -> NumericSummary:
    count = len(sorted_values)
    mean = float(total) / count
    deviations = sorted_values - mean
    np.square(deviations, out=deviations)  # (no BLAS: its threads spin on a busy machine)
    return NumericSummary(
        count=count,
        sum=total,
        min=float(sorted_values[0]),
        max=float(sorted_values[-1]),
        mean=mean,
        m2=float(np.sum(deviations)),
        sketch=Kll.from_sorted(sorted_values, k=options.kll_k, rng=rng),
    )


def _integral(
    name: str, array: pa.Array, options: ProfileOptions, rng: np.random.Generator
) -> ColumnProfile:
    nulls = array.null_count
    values = (pc.drop_null(array) if nulls else array).to_numpy(zero_copy_only=False)
    ints = np.sort(values.astype(np.int64, copy=False))
    numeric = None
    if len(ints):
        numeric = _numeric(ints.astype(np.float64), _exact_sum(ints), options, rng)
    return ColumnProfile(
        name=name, types=TypeCounts(null=nulls, integral=len(ints)), numeric=numeric
    )


def _fractional(
    name: str, array: pa.Array, options: ProfileOptions, rng: np.random.Generator
) -> ColumnProfile:
    nulls = array.null_count
    values = (pc.drop_null(array) if nulls else array).to_numpy(zero_copy_only=False)
    values = values.astype(np.float64, copy=False)
    finite_mask = np.isfinite(values)
    finite = values if finite_mask.all() else values[finite_mask]
    whole = int(np.count_nonzero(np.floor(finite) == finite))
    ordered = np.sort(finite)
    numeric = _numeric(ordered, float(np.sum(ordered)), options, rng) if len(ordered) else None
    types = TypeCounts(
        null=nulls,
        non_finite=len(values) - len(finite),
        fractional=len(finite),
        fractional_whole=whole,
    )
    return ColumnProfile(name=name, types=types, numeric=numeric)


def _value_counts(array: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """Distinct non-null values and their counts."""
    counted = pc.value_counts(array)
    values = counted.field("values")
    counts = counted.field("counts")
    if values.null_count:
        keep = pc.is_valid(values)
        values, counts = pc.filter(values, keep), pc.filter(counts, keep)
    return values, counts.to_numpy(zero_copy_only=False).astype(np.int64)


def _boolean(name: str, array: pa.Array, options: ProfileOptions) -> ColumnProfile:
    values, counts = _value_counts(array)
    text = pc.if_else(values, "true", "false")
    return ColumnProfile(
        name=name,
        types=TypeCounts(null=array.null_count, boolean=int(counts.sum())),
        categorical=categorical_summary(
            text,
            counts,
            max_categories=options.max_categories * RUN_CATEGORY_FACTOR,
            pinned=options.keep_values.get(name, frozenset()),
        ),
    )


def _matches(values: pa.Array, pattern: str) -> npt.NDArray[np.bool_]:
    matched = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    return np.asarray(matched, dtype=bool)


def _text(
    name: str, array: pa.Array, options: ProfileOptions, rng: np.random.Generator
) -> ColumnProfile:
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    values, counts = _value_counts(array)
    fractional = _matches(values, FRACTIONAL_PATTERN)
    integral = _matches(values, INTEGRAL_PATTERN) & ~fractional
    boolean = _matches(values, BOOLEAN_PATTERN)
    numbers = fractional | integral
    types = TypeCounts(
        null=array.null_count,
        fractional=int(counts[fractional].sum()),
        integral=int(counts[integral].sum()),
        boolean=int(counts[boolean].sum()),
        string=int(counts[~numbers & ~boolean].sum()),
    )
    numeric = None
    if numbers.any():
        text = pc.replace_substring(pc.filter(values, pa.array(numbers)), " ", "")
        parsed = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        weights = counts[numbers]
        finite = np.isfinite(parsed)
        repeated = np.sort(np.repeat(parsed[finite], weights[finite]))
        if len(repeated):
            total = float(np.dot(parsed[finite], weights[finite].astype(np.float64)))
            numeric = _numeric(repeated, total, options, rng)
    categorical = categorical_summary(
        values,
        counts,
        max_categories=options.max_categories * RUN_CATEGORY_FACTOR,
        pinned=options.keep_values.get(name, frozenset()),
    )
    return ColumnProfile(name=name, types=types, numeric=numeric, categorical=categorical)


def profile_batch(
    batch: pa.RecordBatch,
    kinds: Sequence[ColumnKind],
    options: ProfileOptions,
    *,
    index: int = 0,
) -> Profile:
    """The partial profile of one batch (columns in batch order, read as ``kinds`` says)."""
    rng = _rng(options, index)
    columns: list[ColumnProfile] = []
    for name, array, kind in zip(batch.schema.names, batch.columns, kinds, strict=True):
        if kind is ColumnKind.INTEGRAL:
            columns.append(_integral(name, array, options, rng))
        elif kind is ColumnKind.FRACTIONAL:
            columns.append(_fractional(name, array, options, rng))
        elif kind is ColumnKind.BOOLEAN:
            columns.append(_boolean(name, array, options))
        else:
            columns.append(_text(name, array, options, rng))
    return Profile(
        item_count=batch.num_rows,
        columns=tuple(columns),
        max_categories=options.max_categories * RUN_CATEGORY_FACTOR,
    )


def empty_profile(names: Sequence[str], options: ProfileOptions) -> Profile:
    """The profile of no rows."""
    return Profile(
        item_count=0,
        columns=tuple(ColumnProfile(name=n) for n in names),
        max_categories=options.max_categories,
    )


def profile_stream(
    batches: Iterable[pa.RecordBatch],
    names: Sequence[str],
    kinds: Sequence[ColumnKind],
    options: ProfileOptions,
    *,
    workers: int,
) -> Profile:
    """Profile a stream of batches on ``workers`` threads, merging partials in batch order.

    At most two batches per worker wait in memory; finished partials merge ``MERGE_FAN_IN`` at a
    time.
    """
    workers = max(1, workers)
    done: list[Profile] = [run_profile(names, options)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="monitor") as pool:
        pending: deque[Future[Profile]] = deque()
        for index, batch in enumerate(batches):
            if batch.num_rows == 0:
                continue
            pending.append(pool.submit(profile_batch, batch, kinds, options, index=index))
            while len(pending) > 2 * workers:
                done.append(pending.popleft().result())
                if len(done) >= MERGE_FAN_IN:
                    done = [merge_profiles(done)]
        done += [future.result() for future in pending]
    return finish_profile(done, options)


def run_profile(names: Sequence[str], options: ProfileOptions) -> Profile:
    """The empty partial profile a pass starts from (it fixes the column order)."""
    return replace(
        empty_profile(names, options), max_categories=options.max_categories * RUN_CATEGORY_FACTOR
    )


def finish_profile(partials: Sequence[Profile], options: ProfileOptions) -> Profile:
    """Merge a pass's partial profiles and cut categorical counts to ``max_categories``."""
    return replace(merge_profiles(partials), max_categories=options.max_categories).finished()


def profile_partition(
    batches: Iterable[pa.RecordBatch],
    kinds: Sequence[ColumnKind],
    options: ProfileOptions,
    *,
    first_index: int = 0,
) -> Profile | None:
    """The partial profile of a stream of batches, in this thread (None if it has no rows).

    For engines that parallelise by partition (Spark's tasks): batches are profiled one after the
    other and partials merge ``MERGE_FAN_IN`` at a time. ``first_index`` seeds the sketches.
    """
    done: list[Profile] = []
    for offset, batch in enumerate(batches):
        if batch.num_rows == 0:
            continue
        done.append(profile_batch(batch, kinds, options, index=first_index + offset))
        if len(done) >= MERGE_FAN_IN:
            done = [merge_profiles(done)]
    return merge_profiles(done) if done else None
