"""CloudWatch's input rules: names, dimensions, values, units, periods and statistics.

Each rule's wording is a constant (the ``expected`` part of :class:`~bastion.errors.Invalid`), so
tests and docs use the same words as the error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from bastion._text import has_control
from bastion.errors import Invalid
from bastion.metrics._models import (
    Dimensions,
    Metric,
    MetricDatum,
    Statistic,
    StatisticValues,
    Unit,
    finite,
)

MAX_DATA = 1000
"""Datums in one PutMetricData call (CloudWatch's limit)."""
MAX_VALUES = 150
"""Values (and counts) in one datum."""
MAX_DIMENSIONS = 30
MAX_DATAPOINTS = 1440
"""Datapoints one GetMetricStatistics call may return (CloudWatch's limit)."""
MAX_QUERIES = 500
MAX_EXTENDED = 10
FUTURE_LIMIT = timedelta(hours=2)
"""How far ahead of the clock a timestamp may be (CloudWatch's limit)."""

NAME_RULE = "1 to 255 characters of text without control characters"
DIMENSION_VALUE_RULE = "1 to 1024 characters of text without control characters"
NAMESPACE_RULE = "1 to 255 printable ASCII characters, not starting with ':'"
VALUE_RULE = "a finite number of magnitude between 2^-260 and 2^360, or 0"
UNIT_RULE = "one of " + ", ".join(u.value for u in Unit)
PERIOD_RULE = "1, 5, 10, 30 or a multiple of 60 seconds"
PERCENTILE = re.compile(r"p(100(\.0{1,10})?|\d{1,2}(\.\d{1,10})?)")
STATISTIC_RULE = (
    "one of SampleCount, Average, Sum, Minimum, Maximum, or a percentile p0 to p100 (e.g. p99.9)"
)
_NAMESPACE = re.compile(r"[ -~]{1,255}")


def namespace(value: object, *, operation: str) -> str:
    """A namespace (printable ASCII, at most 255 characters)."""
    if not isinstance(value, str) or not _NAMESPACE.fullmatch(value) or value.startswith(":"):
        raise Invalid("Namespace", got=value, expected=NAMESPACE_RULE, operation=operation)
    return value


def name(value: object, *, field: str, operation: str) -> str:
    """A metric or dimension name."""
    if not isinstance(value, str) or not 1 <= len(value) <= 255 or has_control(value):
        raise Invalid(field, got=value, expected=NAME_RULE, operation=operation)
    return value


def dimensions(value: Dimensions, *, operation: str) -> Dimensions:
    """At most 30 dimensions with distinct names (sorted by name)."""
    if len(value) > MAX_DIMENSIONS:
        raise Invalid(
            "Dimensions",
            got=len(value),
            expected=f"at most {MAX_DIMENSIONS} dimensions",
            operation=operation,
        )
    seen: set[str] = set()
    for key, val in value:
        name(key, field="Dimensions.Name", operation=operation)
        if not isinstance(val, str) or not 1 <= len(val) <= 1024 or has_control(val):
            raise Invalid(
                "Dimensions.Value", got=val, expected=DIMENSION_VALUE_RULE, operation=operation
            )
        if key in seen:
            raise Invalid(
                "Dimensions.Name", got=key, expected="distinct names", operation=operation
            )
        seen.add(key)
    return value


def metric(value: Metric, *, operation: str) -> Metric:
    """A metric whose namespace, name and dimensions follow the rules."""
    namespace(value.namespace, operation=operation)
    name(value.metric_name, field="MetricName", operation=operation)
    dimensions(value.dimensions, operation=operation)
    return value


def unit(value: object, *, operation: str) -> str:
    """A CloudWatch standard unit."""
    if not isinstance(value, str) or value not in Unit.__members__.values():
        raise Invalid("Unit", got=value, expected=UNIT_RULE, operation=operation)
    return value


def _value(number: float, field: str, operation: str) -> float:
    if not finite(number):
        raise Invalid(field, got=number, expected=VALUE_RULE, operation=operation)
    return number


def datum(value: MetricDatum, *, now: datetime, operation: str) -> MetricDatum:
    """One datum: exactly one of Value, Values or StatisticValues; a time not in the future."""
    name(value.metric_name, field="MetricName", operation=operation)
    dimensions(value.dimensions, operation=operation)
    return _measures(value, now=now, operation=operation)


def _measures(value: MetricDatum, *, now: datetime, operation: str) -> MetricDatum:
    """Everything of a datum but its names (checked once per series by ``data``)."""
    unit(value.unit, operation=operation)
    given = sum((value.value is not None, bool(value.values), value.statistic_values is not None))
    if given != 1:
        raise Invalid(
            "MetricData",
            got=f"{given} of Value, Values, StatisticValues",
            expected="exactly one of Value, Values or StatisticValues in each datum",
            operation=operation,
        )
    if value.value is not None:
        _value(value.value, "Value", operation)
    if value.values:
        if len(value.values) > MAX_VALUES:
            raise Invalid(
                "Values",
                got=len(value.values),
                expected=f"at most {MAX_VALUES} values",
                operation=operation,
            )
        for number in value.values:
            _value(number, "Values", operation)
    if value.counts:
        if len(value.counts) != len(value.values):
            raise Invalid(
                "Counts",
                got=len(value.counts),
                expected=f"as many counts as values ({len(value.values)})",
                operation=operation,
            )
        for count in value.counts:
            if not (count >= 0 and finite(count)):
                raise Invalid(
                    "Counts", got=count, expected="finite counts >= 0", operation=operation
                )
    if value.statistic_values is not None:
        _statistic_set(value.statistic_values, operation)
    if value.storage_resolution not in (1, 60):
        raise Invalid(
            "StorageResolution",
            got=value.storage_resolution,
            expected="1 (high resolution) or 60",
            operation=operation,
        )
    if value.timestamp is not None:
        if value.timestamp.tzinfo is None:
            raise Invalid(
                "Timestamp",
                got=str(value.timestamp),
                expected="a time with a zone (UTC)",
                operation=operation,
            )
        if value.timestamp > now + FUTURE_LIMIT:
            raise Invalid(
                "Timestamp",
                got=value.timestamp.isoformat(),
                expected="a time at most 2 hours after now",
                operation=operation,
            )
    return value


def _statistic_set(stats: StatisticValues, operation: str) -> None:
    for field, number in (
        ("SampleCount", stats.sample_count),
        ("Sum", stats.sum),
        ("Minimum", stats.minimum),
        ("Maximum", stats.maximum),
    ):
        _value(number, f"StatisticValues.{field}", operation)
    if stats.sample_count <= 0:
        raise Invalid(
            "StatisticValues.SampleCount",
            got=stats.sample_count,
            expected="a count above 0",
            operation=operation,
        )
    if stats.minimum > stats.maximum:
        raise Invalid(
            "StatisticValues.Minimum",
            got=stats.minimum,
            expected=f"at most Maximum ({stats.maximum})",
            operation=operation,
        )


def data(values: Sequence[MetricDatum], *, now: datetime, operation: str) -> list[MetricDatum]:
    """1 to 1000 datums, each valid (names and dimensions checked once per series)."""
    if not 1 <= len(values) <= MAX_DATA:
        raise Invalid(
            "MetricData",
            got=len(values),
            expected=f"1 to {MAX_DATA} datums",
            operation=operation,
        )
    series: set[tuple[str, Dimensions]] = set()
    for value in values:
        key = (value.metric_name, value.dimensions)
        try:
            fresh = key not in series
        except TypeError:  # unhashable parts are no names: the checks below refuse them
            fresh = True
        if fresh:
            name(value.metric_name, field="MetricName", operation=operation)
            dimensions(value.dimensions, operation=operation)
            series.add(key)
        _measures(value, now=now, operation=operation)
    return list(values)


def period(value: object, *, operation: str) -> int:
    """1, 5, 10, 30 or a multiple of 60 seconds."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < 1
        or (value not in (1, 5, 10, 30) and value % 60)
    ):
        raise Invalid("Period", got=value, expected=PERIOD_RULE, operation=operation)
    return value


def statistic(value: object, *, field: str, operation: str) -> str:
    """A simple statistic or a percentile ``pNN``."""
    if isinstance(value, str) and (
        value in Statistic.__members__.values() or PERCENTILE.fullmatch(value)
    ):
        return value
    raise Invalid(field, got=value, expected=STATISTIC_RULE, operation=operation)


def window(start: datetime, end: datetime, period_seconds: int, *, operation: str) -> None:
    """StartTime before EndTime, both with a zone, at most 1440 periods apart."""
    for field, moment in (("StartTime", start), ("EndTime", end)):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise Invalid(
                field, got=str(moment), expected="a time with a zone (UTC)", operation=operation
            )
    if start >= end:
        raise Invalid(
            "EndTime",
            got=end.isoformat(),
            expected=f"a time after StartTime ({start.isoformat()})",
            operation=operation,
        )
    if (end - start).total_seconds() / period_seconds > MAX_DATAPOINTS:
        raise Invalid(
            "Period",
            got=period_seconds,
            expected=f"a period giving at most {MAX_DATAPOINTS} datapoints between StartTime "
            "and EndTime (raise the period or narrow the window)",
            operation=operation,
        )
