"""Values of the metrics room: datapoints in, statistics out (CloudWatch's shapes).

A metric is (namespace, metric name, dimensions); a datum is one value, a list of values with
counts, or a statistic set, at a timestamp with a unit. Queries return one ``Datapoint`` per
period with the statistics asked for. Every value is a frozen, keyword-only dataclass;
``from_dict``/``to_dict`` speak CloudWatch's JSON member names (``MetricName``, ``Dimensions`` …).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bastion.clock import iso_z
from bastion.errors import Invalid


class Unit(StrEnum):
    """CloudWatch's ``StandardUnit``."""

    SECONDS = "Seconds"
    MICROSECONDS = "Microseconds"
    MILLISECONDS = "Milliseconds"
    BYTES = "Bytes"
    KILOBYTES = "Kilobytes"
    MEGABYTES = "Megabytes"
    GIGABYTES = "Gigabytes"
    TERABYTES = "Terabytes"
    BITS = "Bits"
    KILOBITS = "Kilobits"
    MEGABITS = "Megabits"
    GIGABITS = "Gigabits"
    TERABITS = "Terabits"
    PERCENT = "Percent"
    COUNT = "Count"
    BYTES_PER_SECOND = "Bytes/Second"
    KILOBYTES_PER_SECOND = "Kilobytes/Second"
    MEGABYTES_PER_SECOND = "Megabytes/Second"
    GIGABYTES_PER_SECOND = "Gigabytes/Second"
    TERABYTES_PER_SECOND = "Terabytes/Second"
    BITS_PER_SECOND = "Bits/Second"
    KILOBITS_PER_SECOND = "Kilobits/Second"
    MEGABITS_PER_SECOND = "Megabits/Second"
    GIGABITS_PER_SECOND = "Gigabits/Second"
    TERABITS_PER_SECOND = "Terabits/Second"
    COUNT_PER_SECOND = "Count/Second"
    NONE = "None"


class Statistic(StrEnum):
    """CloudWatch's simple statistics (percentiles are ``pNN`` extended statistics)."""

    SAMPLE_COUNT = "SampleCount"
    AVERAGE = "Average"
    SUM = "Sum"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"


@dataclass(frozen=True, kw_only=True)
class StatisticValues:
    """A pre-aggregated set (PutMetricData ``StatisticValues``)."""

    sample_count: float
    sum: float
    minimum: float
    maximum: float


Dimensions = tuple[tuple[str, str], ...]
"""Dimension (name, value) pairs, sorted by name: the canonical form of a metric's dimensions."""


def _dimensions(value: Mapping[str, str] | Sequence[Any] | None) -> Dimensions:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = []
        for item in value:
            if isinstance(item, Mapping) and set(item) == {"Name", "Value"}:
                pairs.append((item["Name"], item["Value"]))
            elif isinstance(item, tuple | list) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise Invalid(
                    "Dimensions",
                    got=item,
                    expected="{'Name': ..., 'Value': ...} objects or (name, value) pairs",
                )
    return tuple(sorted(pairs, key=lambda p: str(p[0])))


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One metric: namespace, name and dimensions (sorted by name)."""

    namespace: str
    metric_name: str
    dimensions: Dimensions = ()

    @classmethod
    def of(
        cls,
        namespace: str,
        metric_name: str,
        dimensions: Mapping[str, str] | Sequence[Any] | None = None,
    ) -> Metric:
        """A metric with dimensions given as a mapping, CloudWatch objects or pairs."""
        return cls(namespace=namespace, metric_name=metric_name, dimensions=_dimensions(dimensions))

    def to_dict(self) -> dict[str, Any]:
        """CloudWatch's ``Metric`` shape."""
        return {
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
        }


@dataclass(frozen=True, kw_only=True)
class MetricDatum:
    """One datum of PutMetricData: ``value``, ``values`` with ``counts``, or ``statistic_values``.

    ``timestamp`` None means "now" (the clock of the call).
    """

    metric_name: str
    value: float | None = None
    values: tuple[float, ...] = ()
    counts: tuple[float, ...] = ()
    statistic_values: StatisticValues | None = None
    dimensions: Dimensions = ()
    timestamp: datetime | None = None
    unit: str = Unit.NONE.value
    storage_resolution: int = 60

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> MetricDatum:
        """A datum from CloudWatch's ``MetricDatum`` JSON (``Timestamp`` as ISO 8601 text)."""
        if not isinstance(body, Mapping):
            raise Invalid("MetricData", got=type(body).__name__, expected="MetricDatum objects")
        known = {
            "MetricName",
            "Value",
            "Values",
            "Counts",
            "StatisticValues",
            "Dimensions",
            "Timestamp",
            "Unit",
            "StorageResolution",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise Invalid("MetricData", got=unknown[0], expected=f"members among {sorted(known)}")
        stats = body.get("StatisticValues")
        statistic_values = None
        if stats is not None:
            if not isinstance(stats, Mapping) or set(stats) != {
                "SampleCount",
                "Sum",
                "Minimum",
                "Maximum",
            }:
                raise Invalid(
                    "StatisticValues",
                    got=stats,
                    expected="an object with SampleCount, Sum, Minimum and Maximum",
                )
            statistic_values = StatisticValues(
                sample_count=_number(stats["SampleCount"], "StatisticValues.SampleCount"),
                sum=_number(stats["Sum"], "StatisticValues.Sum"),
                minimum=_number(stats["Minimum"], "StatisticValues.Minimum"),
                maximum=_number(stats["Maximum"], "StatisticValues.Maximum"),
            )
        timestamp = body.get("Timestamp")
        if isinstance(timestamp, str):
            timestamp = parse_time(timestamp, field="Timestamp")
        elif timestamp is not None and not isinstance(timestamp, datetime):
            raise Invalid("Timestamp", got=timestamp, expected="an ISO 8601 time")
        value = body.get("Value")
        return cls(
            metric_name=body.get("MetricName"),  # type: ignore[arg-type]  # validated later
            value=None if value is None else _number(value, "Value"),
            values=tuple(_number(v, "Values") for v in _list(body.get("Values"), "Values")),
            counts=tuple(_number(c, "Counts") for c in _list(body.get("Counts"), "Counts")),
            statistic_values=statistic_values,
            dimensions=_dimensions(body.get("Dimensions")),
            timestamp=timestamp,
            unit=body.get("Unit", Unit.NONE.value),
            storage_resolution=body.get("StorageResolution", 60),
        )


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Invalid(name, got=value, expected="a list of numbers")
    return list(value)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(name, got=value, expected="a number")
    return float(value)


def parse_time(text: str, *, field: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            field, got=text, expected="an ISO 8601 time such as 2026-01-31T12:00:00Z"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Datapoint:
    """The statistics of one period (GetMetricStatistics ``Datapoint``).

    Only the statistics asked for are set; ``extended`` maps ``p99`` … to values.
    """

    timestamp: datetime
    unit: str
    sample_count: float | None = None
    average: float | None = None
    sum: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    extended: Mapping[str, float] = field(default_factory=dict)

    def statistic(self, name: str) -> float | None:
        """The value of a simple statistic (``Average``) or an extended one (``p99``)."""
        simple = {
            "SampleCount": self.sample_count,
            "Average": self.average,
            "Sum": self.sum,
            "Minimum": self.minimum,
            "Maximum": self.maximum,
        }
        return simple[name] if name in simple else self.extended.get(name)

    def to_dict(self) -> dict[str, Any]:
        """CloudWatch's ``Datapoint`` JSON."""
        body: dict[str, Any] = {"Timestamp": iso_z(self.timestamp), "Unit": self.unit}
        for key, value in (
            ("SampleCount", self.sample_count),
            ("Average", self.average),
            ("Sum", self.sum),
            ("Minimum", self.minimum),
            ("Maximum", self.maximum),
        ):
            if value is not None:
                body[key] = value
        if self.extended:
            body["ExtendedStatistics"] = dict(self.extended)
        return body


@dataclass(frozen=True, kw_only=True)
class MetricStatistics:
    """GetMetricStatistics' answer: the label (metric name) and datapoints by time."""

    label: str
    datapoints: tuple[Datapoint, ...]


@dataclass(frozen=True, kw_only=True)
class MetricDataQuery:
    """One query of GetMetricData: a metric, a period and one statistic (``Average``, ``p99``)."""

    id: str
    metric: Metric
    period: int
    stat: str
    unit: str | None = None
    label: str | None = None
    return_data: bool = True


@dataclass(frozen=True, kw_only=True)
class MetricDataResult:
    """One result of GetMetricData: timestamps and values, newest first (CloudWatch's default)."""

    id: str
    label: str
    timestamps: tuple[datetime, ...]
    values: tuple[float, ...]
    status_code: str = "Complete"


def finite(value: float) -> bool:
    """True for a number CloudWatch accepts (finite, magnitude within 2^360 or zero)."""
    return math.isfinite(value) and (value == 0 or 2.0**-260 <= abs(value) <= 2.0**360)


__all__ = [
    "Datapoint",
    "Dimensions",
    "Metric",
    "MetricDataQuery",
    "MetricDataResult",
    "MetricDatum",
    "MetricStatistics",
    "Statistic",
    "StatisticValues",
    "Unit",
    "finite",
    "parse_time",
]
