"""A model's input/output signature: feature names, types, allowed ranges and categories.

Inferred from training data (``infer_signature``), overridable field by field, stored as JSON
with a stable ``kind``, and used by serving to validate requests (``check_frame``): the wrong
column count, an unknown or missing feature, a wrong type or a NaN where none was seen in training
is a problem naming the field and the row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from bastion.errors import Invalid

SIGNATURE_KIND = "bastion.registry/signature@1"
MAX_CATEGORIES = 50
"""A text feature with at most this many distinct values gets an allowed-category list."""
MAX_FEATURES = 10_000


class FeatureType(StrEnum):
    """The logical type of one feature (what JSON and CSV requests can carry)."""

    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    STRING = "string"


@dataclass(frozen=True, kw_only=True)
class FeatureSpec:
    """One input or output column."""

    name: str
    type: FeatureType
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type.value}
        out["nullable"] = self.nullable
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.categories is not None:
            out["categories"] = list(self.categories)
        return out


@dataclass(frozen=True, kw_only=True)
class SignatureProblem:
    """One reason a request does not match the signature."""

    field: str
    row: int | None
    message: str

    def __str__(self) -> str:
        where = f" (row {self.row})" if self.row is not None else ""
        return f"{self.field}{where}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class ModelSignature:
    """Ordered inputs (and optional outputs) of a model."""

    inputs: tuple[FeatureSpec, ...]
    outputs: tuple[FeatureSpec, ...] = field(default_factory=tuple)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": SIGNATURE_KIND,
            "inputs": [f.to_dict() for f in self.inputs],
            "outputs": [f.to_dict() for f in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: object, *, operation: str = "ModelSignature") -> ModelSignature:
        """Parse a stored or user-given signature; Invalid names the JSON path that is wrong."""
        if not isinstance(data, Mapping):
            raise Invalid(
                "Signature", got=type(data).__name__, expected="an object", operation=operation
            )
        kind = data.get("kind", SIGNATURE_KIND)
        if kind != SIGNATURE_KIND:
            raise Invalid(
                "Signature.kind", got=kind, expected=f"'{SIGNATURE_KIND}'", operation=operation
            )
        inputs = _features(data.get("inputs"), "Signature.inputs", operation, required=True)
        outputs = _features(data.get("outputs", []), "Signature.outputs", operation, required=False)
        return cls(inputs=inputs, outputs=outputs)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> ModelSignature:
        """This signature with some inputs' fields replaced (``{"amount": {"maximum": 1e6}}``)."""
        by_name = {f.name: f for f in self.inputs}
        for name in overrides:
            if name not in by_name:
                raise Invalid(
                    f"SignatureOverrides.{name}",
                    got=name,
                    expected=f"one of the inferred features {sorted(by_name)[:20]}",
                )
        inputs = tuple(
            _feature(
                {**f.to_dict(), **overrides[f.name]}, f"SignatureOverrides.{f.name}", "Override"
            )
            if f.name in overrides
            else f
            for f in self.inputs
        )
        return replace(self, inputs=inputs)

    def check_frame(
        self, frame: pd.DataFrame, *, check_ranges: bool = False, limit: int = 20
    ) -> list[SignatureProblem]:
        """Problems of ``frame`` against the inputs (at most ``limit``); empty when it fits."""
        problems: list[SignatureProblem] = []
        expected = self.feature_names
        columns = [str(c) for c in frame.columns]
        missing = [n for n in expected if n not in columns]
        unknown = [c for c in columns if c not in expected]
        for name in missing:
            problems.append(SignatureProblem(field=name, row=None, message="missing feature"))
        for name in unknown:
            problems.append(
                SignatureProblem(field=name, row=None, message="unknown feature (not in signature)")
            )
        if problems:
            return problems[:limit]
        for spec in self.inputs:
            problems.extend(_check_column(spec, frame[spec.name], check_ranges, limit))
            if len(problems) >= limit:
                break
        return problems[:limit]


def _features(
    value: object, path: str, operation: str, *, required: bool
) -> tuple[FeatureSpec, ...]:
    if not isinstance(value, list) or (required and not value) or len(value) > MAX_FEATURES:
        raise Invalid(
            path,
            got=value if not isinstance(value, list) else f"{len(value)} features",
            expected=f"a list of 1 to {MAX_FEATURES} features"
            if required
            else "a list of features",
            operation=operation,
        )
    specs = tuple(_feature(item, f"{path}[{i}]", operation) for i, item in enumerate(value))
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise Invalid(path, got=dupes, expected="unique feature names", operation=operation)
    return specs


def _number(value: object, path: str, operation: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(path, got=value, expected="a finite number or null", operation=operation)
    return float(value)


def _feature(item: object, path: str, operation: str) -> FeatureSpec:
    if not isinstance(item, Mapping):
        raise Invalid(path, got=item, expected="an object with name and type", operation=operation)
    name = item.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 256 or not name.isprintable():
        raise Invalid(
            f"{path}.name", got=name, expected="1 to 256 printable characters", operation=operation
        )
    try:
        kind = FeatureType(str(item.get("type")))
    except ValueError:
        raise Invalid(
            f"{path}.type",
            got=item.get("type"),
            expected="one of " + ", ".join(t.value for t in FeatureType),
            operation=operation,
        ) from None
    nullable = item.get("nullable", False)
    if not isinstance(nullable, bool):
        raise Invalid(
            f"{path}.nullable", got=nullable, expected="true or false", operation=operation
        )
    minimum = _number(item.get("minimum"), f"{path}.minimum", operation)
    maximum = _number(item.get("maximum"), f"{path}.maximum", operation)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise Invalid(
            f"{path}.minimum",
            got=minimum,
            expected=f"at most maximum ({maximum})",
            operation=operation,
        )
    raw = item.get("categories")
    categories: tuple[str, ...] | None = None
    if raw is not None:
        if (
            not isinstance(raw, list)
            or not all(isinstance(c, str) for c in raw)
            or len(raw) > 100_000
        ):
            raise Invalid(
                f"{path}.categories",
                got=raw,
                expected="a list of strings or null",
                operation=operation,
            )
        categories = tuple(raw)
    return FeatureSpec(
        name=name,
        type=kind,
        nullable=nullable,
        minimum=minimum,
        maximum=maximum,
        categories=categories,
    )


def _kind_of(series: pd.Series) -> FeatureType:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return FeatureType.BOOLEAN
    if pd.api.types.is_integer_dtype(dtype):
        return FeatureType.INTEGER
    if pd.api.types.is_float_dtype(dtype):
        values = series.dropna()
        is_whole = bool(len(values)) and bool(
            np.all(np.isfinite(values)) and np.all(values == np.floor(values))
        )
        return FeatureType.INTEGER if is_whole and series.isna().any() else FeatureType.FLOAT
    return FeatureType.STRING


def infer_signature(
    frame: pd.DataFrame,
    *,
    predictions: pd.DataFrame | pd.Series | np.ndarray | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> ModelSignature:
    """The signature of ``frame``'s columns (and of ``predictions`` as outputs)."""
    if frame.shape[1] == 0:
        raise Invalid(
            "TrainingData", got="no columns", expected="a table with at least one feature"
        )
    return ModelSignature(
        inputs=_infer_columns(frame, max_categories),
        outputs=_infer_columns(_as_frame(predictions), max_categories)
        if predictions is not None
        else (),
    )


def _as_frame(values: pd.DataFrame | pd.Series | np.ndarray) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame):
        return values
    if isinstance(values, pd.Series):
        return values.to_frame(name=str(values.name) if values.name is not None else "prediction")
    array = np.asarray(values)
    if array.ndim == 1:
        return pd.DataFrame({"prediction": array})
    return pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])


def _infer_columns(frame: pd.DataFrame, max_categories: int) -> tuple[FeatureSpec, ...]:
    specs: list[FeatureSpec] = []
    for column in frame.columns:
        series = frame[column]
        kind = _kind_of(series)
        nullable = bool(series.isna().any())
        minimum = maximum = None
        categories = None
        if kind in (FeatureType.INTEGER, FeatureType.FLOAT):
            finite = (
                pd.to_numeric(series, errors="coerce").replace([np.inf, -np.inf], np.nan).dropna()
            )
            if len(finite):
                minimum, maximum = float(finite.min()), float(finite.max())
        elif kind is FeatureType.STRING:
            distinct = series.dropna().astype(str).unique()
            if len(distinct) <= max_categories:
                categories = tuple(sorted(distinct))
        specs.append(
            FeatureSpec(
                name=str(column),
                type=kind,
                nullable=nullable,
                minimum=minimum,
                maximum=maximum,
                categories=categories,
            )
        )
    return tuple(specs)


def _check_column(
    spec: FeatureSpec, series: pd.Series, check_ranges: bool, limit: int
) -> list[SignatureProblem]:
    problems: list[SignatureProblem] = []

    def add(rows: Sequence[int], message: str) -> None:
        for row in rows[: max(0, limit - len(problems))]:
            problems.append(SignatureProblem(field=spec.name, row=int(row), message=message))

    missing = series.isna().to_numpy()
    if not spec.nullable and missing.any():
        add(np.flatnonzero(missing).tolist(), "missing value (NaN/null) where the model saw none")
    present = series[~missing]
    if spec.type in (FeatureType.INTEGER, FeatureType.FLOAT):
        numbers = pd.to_numeric(present, errors="coerce")
        bad = numbers.isna() | present.map(lambda v: isinstance(v, bool | str))
        add(
            [series.index.get_loc(i) for i in present.index[bad.to_numpy()]],
            f"expected a number ({spec.type.value})",
        )
        numbers = numbers[~bad.to_numpy()]
        if spec.type is FeatureType.INTEGER:
            fractional = numbers[np.isfinite(numbers) & (numbers != np.floor(numbers))]
            add([series.index.get_loc(i) for i in fractional.index], "expected an integer")
        if check_ranges:
            low = numbers[numbers < spec.minimum] if spec.minimum is not None else numbers[:0]
            high = numbers[numbers > spec.maximum] if spec.maximum is not None else numbers[:0]
            add(
                [series.index.get_loc(i) for i in low.index],
                f"below the allowed minimum {spec.minimum}",
            )
            add(
                [series.index.get_loc(i) for i in high.index],
                f"above the allowed maximum {spec.maximum}",
            )
    elif spec.type is FeatureType.BOOLEAN:
        bad = ~present.map(lambda v: isinstance(v, bool | np.bool_) or v in (0, 1, "true", "false"))
        add(
            [series.index.get_loc(i) for i in present.index[bad.to_numpy()]],
            "expected true or false",
        )
    elif spec.categories is not None and check_ranges:
        allowed = set(spec.categories)
        bad = ~present.astype(str).isin(allowed)
        add(
            [series.index.get_loc(i) for i in present.index[bad.to_numpy()]],
            f"not one of the {len(allowed)} categories seen in training",
        )
    return problems
