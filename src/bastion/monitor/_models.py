"""Values of data-quality monitoring: profiles (mergeable partial results), options, results.

A ``Profile`` is what one pass over a dataset leaves behind, per column: Deequ's data-type counts,
exact moments, a KLL sketch and categorical value counts. Profiles of partitions or days merge
(``Profile.merge``) without re-reading data; ``to_dict``/``from_dict`` store them with a stable
``kind``. Options are pydantic models (they are stored in schedules); results are frozen
dataclasses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from bastion.errors import Invalid
from bastion.monitor._formats import Constraints, ConstraintViolations, InferredType, Statistics
from bastion.monitor._sketch import KLL_K, Hll, Kll, merge_all

PROFILE_KIND = "bastion.monitor/profile@1"
DRIFT_KIND = "bastion.monitor/drift@1"


class ProfileOptions(BaseModel):
    """How a profile is computed (a stored spec: ``kind`` names it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["bastion.monitor/profile-options@1"] = "bastion.monitor/profile-options@1"
    kll_k: int = Field(KLL_K, ge=8, le=65535, description="KLL sketch size k")
    max_categories: int = Field(
        1000, ge=1, le=1_000_000, description="text values whose counts a profile keeps exactly"
    )
    batch_rows: int = Field(122_880, ge=1024, description="rows per Arrow batch")
    seed: int | None = Field(0, description="seed of the sketches' coin flips (None: random)")
    text_columns: frozenset[str] = Field(
        frozenset(), description="columns profiled as text whatever their storage type"
    )
    keep_values: dict[str, frozenset[str]] = Field(
        default_factory=dict, description="per column, text values whose counts are never folded"
    )


class DriftOptions(BaseModel):
    """The calibrated drift verdict beside SageMaker's distance rule (a stored spec)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["bastion.monitor/drift-options@1"] = "bastion.monitor/drift-options@1"
    fdr: float = Field(0.05, gt=0, lt=1, description="Benjamini-Hochberg false discovery rate")
    min_effect_numerical: float = Field(
        0.01, ge=0, le=1, description="smallest KS distance (after sketch error) called drift"
    )
    min_effect_categorical: float = Field(
        0.01, ge=0, le=1, description="smallest Cramer's V called drift"
    )
    psi_bins: int = Field(10, ge=2, le=100, description="baseline-quantile bins for PSI and JS")
    robust_alpha: float = Field(
        0.05, gt=0, lt=1, description="significance of the KS band of comparison_method Robust"
    )


@dataclass(frozen=True, kw_only=True)
class TypeCounts:
    """Deequ's data-type histogram of one column, plus Bastion's counts for non-finite floats.

    ``fractional_whole`` counts the fractional values (of a floating column) that are whole
    numbers: once a CSV reader has parsed ``2`` as a double its text is gone, so a data-type check
    against an Integral baseline accepts them.
    """

    null: int = 0
    non_finite: int = 0
    fractional: int = 0
    fractional_whole: int = 0
    integral: int = 0
    boolean: int = 0
    string: int = 0

    def __add__(self, other: TypeCounts) -> TypeCounts:
        return TypeCounts(
            null=self.null + other.null,
            non_finite=self.non_finite + other.non_finite,
            fractional=self.fractional + other.fractional,
            fractional_whole=self.fractional_whole + other.fractional_whole,
            integral=self.integral + other.integral,
            boolean=self.boolean + other.boolean,
            string=self.string + other.string,
        )

    @property
    def missing(self) -> int:
        """Nulls, and NaN or infinite floats."""
        return self.null + self.non_finite

    @property
    def present(self) -> int:
        """Values that are neither null nor non-finite."""
        return self.fractional + self.integral + self.boolean + self.string

    def inferred_type(self) -> InferredType:
        """Deequ's rule: any text (or booleans beside numbers) makes String; else the widest number.

        SageMaker's files know no Boolean type: a column of booleans is String.
        """
        if self.present == 0:
            return InferredType.UNKNOWN
        if self.string or self.boolean:
            return InferredType.STRING
        if self.fractional:
            return InferredType.FRACTIONAL
        return InferredType.INTEGRAL

    def match_fraction(self, expected: InferredType) -> float | None:
        """Fraction of present values whose type fits ``expected`` (None if nothing is present).

        Integral fits Integral (and whole numbers a parser made floating); Integral and Fractional
        fit Fractional; everything fits String and Unknown.
        """
        if self.present == 0:
            return None
        if expected is InferredType.INTEGRAL:
            matching = self.integral + self.fractional_whole
        elif expected is InferredType.FRACTIONAL:
            matching = self.integral + self.fractional
        else:
            matching = self.present
        return matching / self.present


@dataclass(frozen=True, kw_only=True, eq=False)
class NumericSummary:
    """Exact moments and a KLL sketch of a column's finite numbers."""

    count: int
    sum: int | float
    min: float
    max: float
    mean: float
    m2: float
    sketch: Kll

    @property
    def std_dev(self) -> float:
        """Population standard deviation."""
        return math.sqrt(max(self.m2, 0.0) / self.count) if self.count else 0.0

    def merge(self, other: NumericSummary) -> NumericSummary:
        """Both summaries in one."""
        return merge_numeric([self, other])


def merge_numeric(summaries: Sequence[NumericSummary]) -> NumericSummary:
    """All summaries in one (Chan's parallel update for the second moment)."""
    first = summaries[0]
    count, total, low, high = first.count, first.sum, first.min, first.max
    mean, m2 = first.mean, first.m2
    for other in summaries[1:]:
        merged = count + other.count
        delta = other.mean - mean
        mean = mean + delta * other.count / merged
        m2 = m2 + other.m2 + delta * delta * count * other.count / merged
        count = merged
        total = total + other.sum
        low, high = min(low, other.min), max(high, other.max)
    return NumericSummary(
        count=count,
        sum=total,
        min=low,
        max=high,
        mean=mean,
        m2=m2,
        sketch=merge_all([s.sketch for s in summaries]),
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class CategoricalSummary:
    """Counts of a column's values as text: exact for the ``values`` kept, the rest folded.

    ``values``/``counts`` are sorted by count (descending), then value. Values beyond a profile's
    ``max_categories`` fold into ``other_count``, their distinct values into ``other_distinct``.
    """

    values: tuple[str, ...] = ()
    counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    other_count: int = 0
    other_distinct: Hll | None = None
    pinned: frozenset[str] = frozenset()

    @property
    def total(self) -> int:
        """All values counted (kept and folded)."""
        return int(self.counts.sum()) + self.other_count

    @property
    def is_exact(self) -> bool:
        """True when nothing was folded."""
        return self.other_count == 0

    def distinct_count(self) -> float:
        """Exact while nothing was folded; a HyperLogLog estimate after."""
        if self.other_distinct is None:
            return float(len(self.values))
        return max(
            Hll.from_strings(self.values).merge(self.other_distinct).estimate(),
            float(len(self.values)),
        )

    def merge(self, other: CategoricalSummary, *, max_categories: int) -> CategoricalSummary:
        """Both summaries in one, keeping at most ``max_categories`` values exactly."""
        return merge_categorical([self, other], max_categories=max_categories)

    def truncated(self, max_categories: int) -> CategoricalSummary:
        """The same counts keeping at most ``max_categories`` values."""
        if len(self.values) <= max(max_categories, len(self.pinned)):
            return self
        return _summary(
            list(self.values),
            self.counts,
            other_count=self.other_count,
            other_distinct=self.other_distinct,
            max_categories=max_categories,
            pinned=self.pinned,
        )


def merge_categorical(
    summaries: Sequence[CategoricalSummary], *, max_categories: int
) -> CategoricalSummary:
    """All summaries in one, keeping at most ``max_categories`` values exactly."""
    if len(summaries) == 1:
        return summaries[0].truncated(max_categories)
    values = pa.array([v for s in summaries for v in s.values], type=pa.string())
    counts = np.concatenate([s.counts for s in summaries])
    grouped = (
        pa.table({"value": values, "count": counts}).group_by("value").aggregate([("count", "sum")])
    )
    other: Hll | None = None
    pinned: frozenset[str] = frozenset()
    for summary in summaries:
        other = _union(other, summary.other_distinct)
        pinned |= summary.pinned
    return _summary(
        grouped.column("value"),
        grouped.column("count_sum").to_numpy(),
        other_count=sum(s.other_count for s in summaries),
        other_distinct=other,
        max_categories=max_categories,
        pinned=pinned,
    )


def _union(a: Hll | None, b: Hll | None) -> Hll | None:
    if a is None:
        return b
    return a if b is None else a.merge(b)


def _summary(
    values: Any,
    counts: npt.NDArray[np.int64],
    *,
    other_count: int,
    other_distinct: Hll | None,
    max_categories: int,
    pinned: frozenset[str] = frozenset(),
) -> CategoricalSummary:
    """Sort by count then value; fold what does not fit (``pinned`` values are never folded)."""
    column = (
        values
        if isinstance(values, pa.Array | pa.ChunkedArray)
        else pa.array(values, type=pa.string())
    )
    table = pa.table({"value": column, "count": np.asarray(counts, np.int64)})
    by_count = [("count", "descending"), ("value", "ascending")]
    if table.num_rows > max_categories:
        if pinned:
            keep = pc.is_in(table.column("value"), value_set=pa.array(sorted(pinned), pa.string()))
            table = table.append_column("pinned", keep)
            table = table.sort_by([("pinned", "descending"), *by_count]).drop_columns("pinned")
        else:
            table = table.sort_by(by_count)
        folded = table.slice(max(max_categories, len(pinned)))
        other_count += int(pc.sum(folded.column("count")).as_py() or 0)
        other_distinct = _union(
            other_distinct,
            Hll.from_strings(folded.column("value").to_numpy(zero_copy_only=False)),
        )
        table = table.slice(0, max(max_categories, len(pinned)))
    table = table.sort_by(by_count)
    return CategoricalSummary(
        values=tuple(table.column("value").to_pylist()),
        counts=table.column("count").to_numpy(),
        other_count=other_count,
        other_distinct=other_distinct,
        pinned=pinned,
    )


def categorical_summary(
    values: Any,
    counts: npt.NDArray[np.int64],
    *,
    max_categories: int,
    pinned: frozenset[str] = frozenset(),
) -> CategoricalSummary:
    """A summary from distinct values and their counts."""
    return _summary(
        values,
        counts,
        other_count=0,
        other_distinct=None,
        max_categories=max_categories,
        pinned=pinned,
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class ColumnProfile:
    """Everything one pass learnt about one column."""

    name: str
    types: TypeCounts = field(default_factory=TypeCounts)
    numeric: NumericSummary | None = None
    categorical: CategoricalSummary | None = None

    @property
    def inferred_type(self) -> InferredType:
        """SageMaker's inferred type of the column."""
        return self.types.inferred_type()

    def merge(self, other: ColumnProfile, *, max_categories: int) -> ColumnProfile:
        """The column over both partitions."""
        return merge_columns([self, other], max_categories=max_categories)


def merge_columns(columns: Sequence[ColumnProfile], *, max_categories: int) -> ColumnProfile:
    """One column over all partitions."""
    numerics = [c.numeric for c in columns if c.numeric is not None]
    categoricals = [c.categorical for c in columns if c.categorical is not None]
    types = columns[0].types
    for column in columns[1:]:
        types = types + column.types
    return ColumnProfile(
        name=columns[0].name,
        types=types,
        numeric=merge_numeric(numerics) if numerics else None,
        categorical=merge_categorical(categoricals, max_categories=max_categories)
        if categoricals
        else None,
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class Profile:
    """A mergeable profile of a dataset: its row count and one ``ColumnProfile`` per column."""

    item_count: int
    columns: tuple[ColumnProfile, ...]
    max_categories: int = 1000

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnProfile | None:
        """The named column, or None."""
        return next((c for c in self.columns if c.name == name), None)

    def merge(self, other: Profile) -> Profile:
        """The profile of both datasets, without reading either again.

        A column missing from one side counts as all-null there. Counts, sums, minima and maxima
        merge exactly; quantiles keep KLL's error bound.
        """
        return merge_profiles([self, other])

    def finished(self) -> Profile:
        """The profile with categorical counts cut to ``max_categories``."""
        columns = tuple(
            c
            if c.categorical is None
            else replace(c, categorical=c.categorical.truncated(self.max_categories))
            for c in self.columns
        )
        return replace(self, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with a stable ``kind`` (for storing partial results)."""
        return {
            "kind": PROFILE_KIND,
            "item_count": self.item_count,
            "max_categories": self.max_categories,
            "columns": [_column_to_dict(c) for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Read ``to_dict``'s form back; refuses another ``kind``."""
        if not isinstance(data, dict) or data.get("kind") != PROFILE_KIND:
            got = data.get("kind") if isinstance(data, dict) else type(data).__name__
            raise Invalid("kind", got=got, expected=f"'{PROFILE_KIND}'")
        try:
            return cls(
                item_count=int(data["item_count"]),
                max_categories=int(data["max_categories"]),
                columns=tuple(_column_from_dict(c) for c in data["columns"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid("profile", got=str(exc)[:80], expected="a stored profile") from None


def merge_profiles(profiles: Sequence[Profile]) -> Profile:
    """One profile of all the datasets (see ``Profile.merge``)."""
    if not profiles:
        raise Invalid("profiles", got=[], expected="at least one profile")
    cap = max(p.max_categories for p in profiles)
    names: list[str] = []
    for profile in profiles:
        names += [n for n in profile.names if n not in names]
    merged = [
        merge_columns(
            [
                p.column(name) or ColumnProfile(name=name, types=TypeCounts(null=p.item_count))
                for p in profiles
            ],
            max_categories=cap,
        )
        for name in names
    ]
    return Profile(
        item_count=sum(p.item_count for p in profiles), columns=tuple(merged), max_categories=cap
    )


def _column_to_dict(column: ColumnProfile) -> dict[str, Any]:
    body: dict[str, Any] = {"name": column.name, "types": column.types.__dict__.copy()}
    if column.numeric is not None:
        n = column.numeric
        body["numeric"] = {
            "count": n.count,
            "sum": n.sum,
            "min": n.min,
            "max": n.max,
            "mean": n.mean,
            "m2": n.m2,
            "kll": {
                "k": n.sketch.k,
                "c": n.sketch.c,
                "levels": [level.tolist() for level in n.sketch.levels],
            },
        }
    if column.categorical is not None:
        cat = column.categorical
        body["categorical"] = {
            "values": list(cat.values),
            "counts": cat.counts.tolist(),
            "other_count": cat.other_count,
            "other_distinct": None
            if cat.other_distinct is None
            else cat.other_distinct.registers.tolist(),
            "pinned": sorted(cat.pinned),
        }
    return body


def _column_from_dict(body: dict[str, Any]) -> ColumnProfile:
    numeric = None
    if body.get("numeric") is not None:
        n = body["numeric"]
        kll = n["kll"]
        numeric = NumericSummary(
            count=int(n["count"]),
            sum=n["sum"],
            min=float(n["min"]),
            max=float(n["max"]),
            mean=float(n["mean"]),
            m2=float(n["m2"]),
            sketch=Kll.from_levels(kll["levels"], k=int(kll["k"]), c=float(kll["c"])),
        )
    categorical = None
    if body.get("categorical") is not None:
        c = body["categorical"]
        registers = c.get("other_distinct")
        categorical = CategoricalSummary(
            values=tuple(str(v) for v in c["values"]),
            counts=np.asarray(c["counts"], dtype=np.int64),
            other_count=int(c["other_count"]),
            other_distinct=None
            if registers is None
            else Hll(registers=np.asarray(registers, dtype=np.uint8)),
            pinned=frozenset(str(v) for v in c.get("pinned", ())),
        )
    return ColumnProfile(
        name=str(body["name"]),
        types=TypeCounts(**{k: int(v) for k, v in body["types"].items()}),
        numeric=numeric,
        categorical=categorical,
    )


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """A baseline: SageMaker's two files, and the profile they came from when Bastion made them."""

    statistics: Statistics
    constraints: Constraints
    profile: Profile | None = None


class CheckType(StrEnum):
    """``constraint_check_type`` values (SageMaker's six, and Bastion's non-negative check)."""

    DATA_TYPE = "data_type_check"
    COMPLETENESS = "completeness_check"
    BASELINE_DRIFT = "baseline_drift_check"
    MISSING_COLUMN = "missing_column_check"
    EXTRA_COLUMN = "extra_column_check"
    CATEGORICAL_VALUES = "categorical_values_check"
    NON_NEGATIVE = "non_negative_check"


@dataclass(frozen=True, kw_only=True)
class Violation:
    """One entry of ``constraint_violations.json``."""

    feature_name: str
    constraint_check_type: CheckType
    description: str


@dataclass(frozen=True, kw_only=True)
class FeatureDrift:
    """One feature compared with its baseline: SageMaker's distance rule and the extra statistics.

    ``distance`` is what SageMaker publishes as ``feature_baseline_drift_<f>`` (numerical: the
    largest CDF gap; categorical: the largest probability gap); ``exceeds`` is its rule under the
    constraints' method and threshold. ``drifted`` is the calibrated verdict: the test's
    Benjamini-Hochberg adjusted p-value below ``fdr`` and the effect size at least the floor.
    """

    feature: str
    kind: Literal["numerical", "categorical"]
    method: str
    threshold: float
    distance: float
    exceeds: bool
    baseline_count: int
    current_count: int
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    chi2_statistic: float | None = None
    chi2_dof: int | None = None
    chi2_pvalue: float | None = None
    psi: float | None = None
    js_distance: float | None = None
    wasserstein: float | None = None
    wasserstein_normalized: float | None = None
    cohens_d: float | None = None
    cramers_v: float | None = None
    effect_size: float = 0.0
    p_value: float = 1.0
    p_adjusted: float = 1.0
    drifted: bool = False


@dataclass(frozen=True, kw_only=True)
class DriftReport:
    """Drift of every comparable feature, with the options of the calibrated verdict."""

    features: tuple[FeatureDrift, ...]
    options: DriftOptions

    def feature(self, name: str) -> FeatureDrift | None:
        """The named feature's drift, or None."""
        return next((f for f in self.features if f.feature == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with a stable ``kind``."""
        return {
            "kind": DRIFT_KIND,
            "options": self.options.model_dump(mode="json"),
            "features": [f.__dict__.copy() for f in self.features],
        }


@dataclass(frozen=True, kw_only=True)
class StatisticSet:
    """CloudWatch ``StatisticValues``."""

    sample_count: float
    sum: float
    minimum: float
    maximum: float


@dataclass(frozen=True, kw_only=True)
class Datapoint:
    """A metric datapoint ready for a metrics room: a value or a statistic set, and dimensions."""

    name: str
    value: float | None = None
    statistic_values: StatisticSet | None = None
    unit: str = "None"
    dimensions: tuple[tuple[str, str], ...] = ()

    def to_metric_datum(self, timestamp: str) -> dict[str, Any]:
        """The PutMetricData ``MetricDatum`` shape of SageMaker's metric files."""
        datum: dict[str, Any] = {
            "MetricName": self.name,
            "Timestamp": timestamp,
            "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
            "Unit": self.unit,
        }
        if self.statistic_values is not None:
            s = self.statistic_values
            datum["StatisticValues"] = {
                "SampleCount": s.sample_count,
                "Sum": s.sum,
                "Minimum": s.minimum,
                "Maximum": s.maximum,
            }
        else:
            datum["Value"] = self.value
        return datum


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """What a data-quality check leaves: the current statistics, violations, drift, datapoints."""

    statistics: Statistics
    violations: tuple[Violation, ...]
    drift: DriftReport
    datapoints: tuple[Datapoint, ...]
    profile: Profile

    @property
    def status(self) -> Literal["Completed", "CompletedWithViolations"]:
        """The execution status SageMaker would report."""
        return "CompletedWithViolations" if self.violations else "Completed"

    def violations_file(self) -> ConstraintViolations:
        """The ``constraint_violations.json`` document."""
        return ConstraintViolations.model_validate(
            {
                "violations": [
                    {
                        "feature_name": v.feature_name,
                        "constraint_check_type": str(v.constraint_check_type),
                        "description": v.description,
                    }
                    for v in self.violations
                ]
            }
        )
