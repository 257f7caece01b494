"""Endpoint metrics (AWS/SageMaker names), aggregated in process and published in batches.

Every invocation adds to a per (endpoint, variant) accumulator: Invocations, ModelLatency and
OverheadLatency (microseconds, as SageMaker), Invocation4XXErrors, Invocation5XXErrors,
ModelSetupTime when a model was loaded for the request. At most every ``flush_seconds`` (and on
``flush()``) the accumulators go to the metrics room as one PutMetricData with CloudWatch's
``Values``/``Counts`` arrays — so percentiles stay exact per batch and an invocation never waits
on a metrics write. Published as the service identity (``invokedBy: sagemaker.amazonaws.com``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "AWS/SageMaker"
Publisher = Callable[[str, Sequence[dict[str, Any]]], object]


@dataclass
class _Series:
    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    model_latency: Counter[int] = field(default_factory=Counter)
    overhead_latency: Counter[int] = field(default_factory=Counter)
    setup_ms: list[float] = field(default_factory=list)


class InvocationMeter:
    """Thread-safe accumulators of endpoint metrics, flushed in batches to ``publish``."""

    def __init__(self, publish: Publisher, *, flush_seconds: float = 10.0) -> None:
        self._publish = publish
        self._flush_seconds = flush_seconds
        self._series: dict[tuple[str, str], _Series] = {}
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def record(
        self,
        endpoint: str,
        variant: str,
        *,
        status: int,
        model_latency_us: int | None = None,
        overhead_us: int | None = None,
        setup_ms: float | None = None,
    ) -> None:
        """Count one invocation with its outcome (HTTP status) and latencies."""
        with self._lock:
            series = self._series.setdefault((endpoint, variant), _Series())
            series.invocations += 1
            if 400 <= status < 500:
                series.errors_4xx += 1
            elif status >= 500:
                series.errors_5xx += 1
            if model_latency_us is not None:
                series.model_latency[_two_digits(model_latency_us)] += 1
            if overhead_us is not None:
                series.overhead_latency[_two_digits(overhead_us)] += 1
            if setup_ms is not None:
                series.setup_ms.append(setup_ms)
            due = time.monotonic() - self._last >= self._flush_seconds
        if due:
            self.flush()

    def flush(self) -> int:
        """Publish what accumulated; returns how many datums were sent."""
        with self._lock:
            taken, self._series = self._series, {}
            self._last = time.monotonic()
        data: list[dict[str, Any]] = []
        for (endpoint, variant), s in taken.items():
            dims = [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ]
            data += [
                _count("Invocations", s.invocations, dims),
                _count("Invocation4XXErrors", s.errors_4xx, dims),
                _count("Invocation5XXErrors", s.errors_5xx, dims),
            ]
            for name, values in (
                ("ModelLatency", s.model_latency),
                ("OverheadLatency", s.overhead_latency),
            ):
                data += _values(name, values, dims, "Microseconds")
            data += _values("ModelSetupTime", Counter(s.setup_ms), dims, "Milliseconds")
        for start in range(0, len(data), 1000):
            self._publish(NAMESPACE, data[start : start + 1000])
        return len(data)


def _two_digits(micros: int) -> int:
    """``micros`` to two significant digits (<= 5 % error), so a batch has few distinct values."""
    if micros < 100:
        return micros
    scale = int(10 ** (len(str(micros)) - 2))
    return round(micros / scale) * scale


def _count(name: str, value: int, dims: list[dict[str, str]]) -> dict[str, Any]:
    return {"MetricName": name, "Value": float(value), "Unit": "Count", "Dimensions": dims}


def _values(
    name: str, values: Counter[Any], dims: list[dict[str, str]], unit: str
) -> list[dict[str, Any]]:
    """Datums of at most 150 distinct values each (CloudWatch's limit per datum)."""
    items = sorted(values.items())
    return [
        {
            "MetricName": name,
            "Values": [float(v) for v, _ in items[i : i + 150]],
            "Counts": [float(c) for _, c in items[i : i + 150]],
            "Unit": unit,
            "Dimensions": dims,
        }
        for i in range(0, len(items), 150)
    ]


def service_publisher(runtime: Any) -> Publisher:
    """Publish as the home's owner (the service identity), audited as invoked by SageMaker;
    ``runtime`` is a :class:`~bastion.serving._hosts.HostRuntime`."""
    from bastion.gate import RequestContext
    from bastion.metrics import MetricsClient

    client = MetricsClient(runtime.acting_as(runtime.owner))
    context = RequestContext(invoked_by="sagemaker.amazonaws.com")

    def publish(namespace: str, data: Sequence[dict[str, Any]]) -> object:
        return client.put_metric_data(namespace, list(data), context=context)

    return publish
