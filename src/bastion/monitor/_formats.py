"""SageMaker's data-quality files: statistics, constraints and constraint violations.

The pydantic models below mirror the files field for field (``../shared/reference`` section 2-3).
Reading is strict about what SageMaker defines (types, ranges, enums; counts may be ints or floats,
as the Spark container writes ``120.0``) and keeps every key it does not know, so an imported file
written back is equal to the original. Errors name the JSON path of the bad value, e.g.
``$.features[2].numerical_statistics.common.num_present``.

Hostile input is refused before pydantic sees it: files over ``MAX_FILE_BYTES``, invalid UTF-8,
``NaN``/``Infinity`` tokens, numbers that overflow a double, duplicate keys and nesting deeper
than ``MAX_DEPTH``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from bastion.errors import Invalid

MAX_FILE_BYTES = 256 << 20
MAX_DEPTH = 32
MAX_SKETCH_ITEMS = 1_000_000

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
VIOLATIONS_FILE_ALIASES = (VIOLATIONS_FILE, "constraints_violations.json")


class InferredType(StrEnum):
    """A feature's type as SageMaker (Deequ) infers it."""

    INTEGRAL = "Integral"
    FRACTIONAL = "Fractional"
    STRING = "String"
    UNKNOWN = "Unknown"

    @property
    def is_numeric(self) -> bool:
        """True for Integral and Fractional."""
        return self in (InferredType.INTEGRAL, InferredType.FRACTIONAL)


def _numeric(
    *, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Callable[[Any], int | float]:
    """A JSON number (int or float, never a bool or a string), finite, within bounds."""
    if ge is not None and le is not None:
        expected = f"a finite number in [{ge:g}, {le:g}]"
    elif gt is not None and le is not None:
        expected = f"a finite number in ({gt:g}, {le:g}]"
    elif ge is not None:
        expected = f"a finite number >= {ge:g}"
    else:
        expected = "a finite number"

    def check(value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(expected)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(expected)
        if (ge is not None and value < ge) or (gt is not None and value <= gt):
            raise ValueError(expected)
        if le is not None and value > le:
            raise ValueError(expected)
        return value

    return check


def _value(value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float) and not (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return value
    raise ValueError("a string, number or boolean")


Number = Annotated[int | float, PlainValidator(_numeric())]
Count = Annotated[int | float, PlainValidator(_numeric(ge=0))]
Fraction = Annotated[int | float, PlainValidator(_numeric(ge=0, le=1))]
Threshold = Annotated[int | float, PlainValidator(_numeric(ge=0))]
Toggle = Literal["Enabled", "Disabled"]
ComparisonMethod = Literal["Simple", "Robust"]
CategoricalMethod = Literal["LInfinity", "ChiSquared"]
Value = Annotated[str | int | float | bool, PlainValidator(_value)]


class _File(BaseModel):
    """Every file model: frozen, keeps unknown keys (SageMaker's 'custom stats')."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


# -- statistics.json -----------------------------------------------------------------------------


class Common(_File):
    """``common``: present and missing counts."""

    num_present: Count
    num_missing: Count


class KllBucket(_File):
    """One of the 10 equal-width buckets between min and max."""

    lower_bound: Number
    upper_bound: Number
    count: Count

    @model_validator(mode="after")
    def _ordered(self) -> KllBucket:
        if self.lower_bound > self.upper_bound:
            raise ValueError("lower_bound must not exceed upper_bound")
        return self


class KllParameters(_File):
    """``c`` (capacity shrink factor) and ``k`` (sketch size)."""

    c: Annotated[int | float, PlainValidator(_numeric(gt=0, le=1))]
    k: Annotated[int | float, PlainValidator(_numeric(ge=2, le=65535))]

    @model_validator(mode="after")
    def _whole_k(self) -> KllParameters:
        if float(self.k) != int(self.k):
            raise ValueError("k must be a whole number")
        return self


MAX_LEVELS = 61


def _plain_levels(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Lists of finite JSON numbers pass at NumPy speed; anything else gets the full validation."""
    if isinstance(value, list) and len(value) <= MAX_LEVELS:
        try:
            plain = all(
                isinstance(level, list) and all(type(x) is float or type(x) is int for x in level)
                for level in value
            )
            if plain and all(np.isfinite(np.asarray(level, np.float64)).all() for level in value):
                return value
        except OverflowError:
            pass
    return handler(value)


class KllSketchData(_File):
    """The KLL compactor levels, level 0 first; an item on level h weighs 2**h."""

    parameters: KllParameters
    data: Annotated[list[list[Number]], WrapValidator(_plain_levels), Field(max_length=MAX_LEVELS)]

    @model_validator(mode="after")
    def _bounded(self) -> KllSketchData:
        if sum(len(level) for level in self.data) > MAX_SKETCH_ITEMS:
            raise ValueError(f"a sketch holds at most {MAX_SKETCH_ITEMS} items")
        return self


class KllDistribution(_File):
    """``distribution.kll``."""

    buckets: list[KllBucket] = Field(default_factory=list)
    sketch: KllSketchData | None = None


class NumericalDistribution(_File):
    """``numerical_statistics.distribution``."""

    kll: KllDistribution | None = None


class NumericalStatistics(_File):
    """Statistics of an Integral or Fractional feature."""

    common: Common
    mean: Number | None = None
    sum: Number | None = None
    std_dev: Count | None = None
    min: Number | None = None
    max: Number | None = None
    distribution: NumericalDistribution | None = None

    @model_validator(mode="after")
    def _min_max(self) -> NumericalStatistics:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class CategoricalBucket(_File):
    """One value and how often it occurs."""

    value: Value
    count: Count


class CategoricalDistribution(_File):
    """``distribution.categorical``."""

    buckets: list[CategoricalBucket] = Field(default_factory=list)


class StringDistribution(_File):
    """``string_statistics.distribution``."""

    categorical: CategoricalDistribution | None = None


class StringStatistics(_File):
    """Statistics of a String feature."""

    common: Common
    distinct_count: Count | None = None
    distribution: StringDistribution | None = None


class FeatureStatistics(_File):
    """One feature of statistics.json."""

    name: StrictStr
    inferred_type: InferredType
    numerical_statistics: NumericalStatistics | None = None
    string_statistics: StringStatistics | None = None

    @property
    def common(self) -> Common | None:
        """The present/missing counts, whichever statistics block holds them."""
        block = self.numerical_statistics or self.string_statistics
        return block.common if block else None


class DatasetStatistics(_File):
    """``dataset``: how many rows were analysed."""

    item_count: Count


class Statistics(_File):
    """A ``statistics.json`` file."""

    version: Number = 0
    dataset: DatasetStatistics
    features: list[FeatureStatistics]

    @model_validator(mode="after")
    def _unique(self) -> Statistics:
        _check_unique(f.name for f in self.features)
        return self

    def feature(self, name: str) -> FeatureStatistics | None:
        """The named feature, or None."""
        return next((f for f in self.features if f.name == name), None)


# -- constraints.json ----------------------------------------------------------------------------


class NumConstraints(_File):
    """``num_constraints``."""

    is_non_negative: StrictBool | None = None


class StringConstraints(_File):
    """``string_constraints``: the allowed values of a low-cardinality String feature."""

    domains: list[Value] | None = None


class DistributionConstraints(_File):
    """``monitoring_config.distribution_constraints`` (``comparion_method`` is kept as written)."""

    perform_comparison: Toggle | None = None
    comparison_threshold: Threshold | None = None
    comparison_method: ComparisonMethod | None = None
    categorical_comparison_threshold: Threshold | None = None
    categorical_drift_method: CategoricalMethod | None = None

    @model_validator(mode="before")
    @classmethod
    def _typo(cls, data: Any) -> Any:
        # One docs revision spells it "comparion_method": accept it, keep the key as written.
        typo = data.get("comparion_method", "Simple") if isinstance(data, dict) else "Simple"
        if typo not in ("Simple", "Robust"):
            raise ValueError("comparion_method must be 'Simple' or 'Robust'")
        return data

    @property
    def method(self) -> ComparisonMethod | None:
        """``comparison_method``, or the misspelt ``comparion_method`` of older files."""
        if self.comparison_method is not None:
            return self.comparison_method
        typo = (self.model_extra or {}).get("comparion_method")
        return typo if typo in ("Simple", "Robust") else None


class MonitoringConfig(_File):
    """``monitoring_config`` (and a feature's ``monitoringConfigOverrides``)."""

    evaluate_constraints: Toggle | None = None
    emit_metrics: Toggle | None = None
    datatype_check_threshold: Threshold | None = None
    domain_content_threshold: Threshold | None = None
    distribution_constraints: DistributionConstraints | None = None


class FeatureConstraints(_File):
    """One feature of constraints.json."""

    name: StrictStr
    inferred_type: InferredType
    completeness: Fraction | None = None
    num_constraints: NumConstraints | None = None
    string_constraints: StringConstraints | None = None
    monitoring_config_overrides: MonitoringConfig | None = Field(
        default=None,
        validation_alias=AliasChoices("monitoringConfigOverrides", "monitoring_config_overrides"),
        serialization_alias="monitoringConfigOverrides",
    )


class Constraints(_File):
    """A ``constraints.json`` file."""

    version: Number = 0
    features: list[FeatureConstraints]
    monitoring_config: MonitoringConfig | None = None

    @model_validator(mode="after")
    def _unique(self) -> Constraints:
        _check_unique(f.name for f in self.features)
        return self

    def feature(self, name: str) -> FeatureConstraints | None:
        """The named feature, or None."""
        return next((f for f in self.features if f.name == name), None)


# -- constraint_violations.json ------------------------------------------------------------------


class ViolationEntry(_File):
    """One violation as written in the file."""

    feature_name: StrictStr
    constraint_check_type: StrictStr
    description: StrictStr


class ConstraintViolations(_File):
    """A ``constraint_violations.json`` file."""

    violations: list[ViolationEntry]


def _check_unique(names: Any) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"feature names must be unique; {name!r} appears twice")
        seen.add(name)


# -- reading and writing -------------------------------------------------------------------------

_M = TypeVar("_M", bound=_File)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} does not fit a double")
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _depth(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def _json_path(loc: tuple[int | str, ...]) -> str:
    path = "$"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def _shown(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."


def _parse(model: type[_M], raw: bytes | str, operation: str) -> _M:
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(
            "$",
            got=f"<{len(data)} bytes>",
            expected=f"a JSON file of at most {MAX_FILE_BYTES} bytes",
            operation=operation,
        )
    try:
        text = data.decode("utf-8")
        parsed = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_pairs,
        )
    except UnicodeDecodeError as exc:
        raise Invalid(
            "$",
            got=f"invalid UTF-8 at byte {exc.start}",
            expected="UTF-8 JSON",
            operation=operation,
        ) from None
    except RecursionError:
        raise Invalid(
            "$",
            got="deeply nested JSON",
            expected=f"at most {MAX_DEPTH} levels",
            operation=operation,
        ) from None
    except ValueError as exc:
        raise Invalid("$", got=str(exc)[:120], expected="valid JSON", operation=operation) from None
    if not _depth(parsed, MAX_DEPTH):
        raise Invalid(
            "$",
            got="deeply nested JSON",
            expected=f"at most {MAX_DEPTH} levels",
            operation=operation,
        )
    try:
        return model.model_validate(parsed)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        if error["type"] == "missing":
            expected, got = "present (it is required)", "nothing"
        else:
            expected = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
            got = _shown(error.get("input"))
        raise Invalid(_json_path(loc), got=got, expected=expected, operation=operation) from None


def _load(model: type[_M], source: str | Path | bytes, operation: str) -> _M:
    if isinstance(source, bytes):
        return _parse(model, source, operation)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _parse(model, b" " * (MAX_FILE_BYTES + 1), operation)
        raw = path.read_bytes()
    except OSError as exc:
        raise Invalid(
            "path",
            got=str(source),
            expected=f"a readable file ({exc.strerror})",
            operation=operation,
        ) from None
    return _parse(model, raw, operation)


def read_statistics(source: str | Path | bytes) -> Statistics:
    """Read and validate a ``statistics.json`` (a path or the file's bytes)."""
    return _load(Statistics, source, "read_statistics")


def read_constraints(source: str | Path | bytes) -> Constraints:
    """Read and validate a ``constraints.json`` (a path or the file's bytes)."""
    return _load(Constraints, source, "read_constraints")


def read_violations(source: str | Path | bytes) -> ConstraintViolations:
    """Read and validate a ``constraint_violations.json`` (a path or the file's bytes)."""
    return _load(ConstraintViolations, source, "read_violations")


def _pretty(value: Any, depth: int = 0) -> str:
    """Indented JSON with lists of plain values on one line (as SageMaker's Jackson writes)."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_pretty(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [f"{inner}{_pretty(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def to_json(document: Statistics | Constraints | ConstraintViolations) -> bytes:
    """The file's bytes: pretty-printed JSON with exactly the keys that were set."""
    body = document.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return (_pretty(body) + "\n").encode()


def _write(document: Statistics | Constraints | ConstraintViolations, path: str | Path) -> None:
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(to_json(document))
    partial.replace(target)


def write_statistics(statistics: Statistics, path: str | Path) -> None:
    """Write ``statistics.json`` (atomically: no half-written file survives a failure)."""
    _write(statistics, path)


def write_constraints(constraints: Constraints, path: str | Path) -> None:
    """Write ``constraints.json`` (atomically)."""
    _write(constraints, path)


def write_violations(violations: ConstraintViolations, path: str | Path) -> None:
    """Write ``constraint_violations.json`` (atomically)."""
    _write(violations, path)
