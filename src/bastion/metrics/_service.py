"""The metrics room's operations (reached only through the gate, via :class:`MetricsClient`).

``put`` writes a batch in one transaction: the batch's series are looked up (and created, with
insert-or-ignore so concurrent writers agree on one id each), then every datapoint goes in with
one ``executemany``. ``statistics`` buckets datapoints by period in SQL (counts, sums, minima,
maxima); percentiles read the period's single values and take the nearest rank, weighted by
their counts (CloudWatch computes them from raw values; statistic sets have none).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bastion.clock import Clock
from bastion.db import Database
from bastion.metrics._models import (
    Datapoint,
    Dimensions,
    Metric,
    MetricDataQuery,
    MetricDataResult,
    MetricDatum,
    MetricStatistics,
)
from bastion.metrics._tables import metrics_datapoints, metrics_series
from bastion.types import AccountId

log = logging.getLogger(__name__)

RECENTLY_ACTIVE = timedelta(hours=3)
"""ListMetrics' ``RecentlyActive=PT3H``: metrics with a datapoint in the last three hours."""
LIST_PAGE = 500


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return round(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def dimensions_key(dimensions: Dimensions) -> str:
    """SHA-256 of the canonical dimensions (the short key of the unique index)."""
    text = json.dumps([list(p) for p in dimensions], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def aligned_start(start: datetime, period: int) -> datetime:
    """CloudWatch rounds the start down: to the period below a minute, else to the minute."""
    step = period if period < 60 else 60
    seconds = math.floor(start.timestamp() / step) * step
    return datetime.fromtimestamp(seconds, tz=UTC)


F64 = npt.NDArray[np.float64]


def weighted_percentile(values: F64, weights: F64, q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of ``values`` weighted by ``weights``.

    The smallest value whose cumulative weight reaches ``q`` % of the total (NumPy's
    ``inverted_cdf`` method when every weight is 1).
    """
    order = np.argsort(values, kind="stable")
    ordered, cumulative = values[order], np.cumsum(weights[order])
    target = q / 100.0 * cumulative[-1]
    index = int(np.searchsorted(cumulative, target, side="left"))
    return float(ordered[min(index, len(ordered) - 1)])


@dataclass(frozen=True, kw_only=True)
class _Row:
    key: tuple[str, str]
    timestamp_ms: int
    value: float | None
    sample_count: float
    sum: float
    minimum: float
    maximum: float
    unit: str
    storage_resolution: int


def _rows(datum: MetricDatum, key: tuple[str, str], timestamp_ms: int) -> Iterable[_Row]:
    unit, resolution = datum.unit, datum.storage_resolution
    if datum.statistic_values is not None:
        s = datum.statistic_values
        yield _Row(
            key=key,
            timestamp_ms=timestamp_ms,
            value=None,
            sample_count=s.sample_count,
            sum=s.sum,
            minimum=s.minimum,
            maximum=s.maximum,
            unit=unit,
            storage_resolution=resolution,
        )
        return
    values = datum.values if datum.values else (datum.value,)
    counts = datum.counts or (1.0,) * len(values)
    for value, count in zip(values, counts, strict=True):
        if value is None or count == 0:
            continue
        yield _Row(
            key=key,
            timestamp_ms=timestamp_ms,
            value=value,
            sample_count=count,
            sum=value * count,
            minimum=value,
            maximum=value,
            unit=unit,
            storage_resolution=resolution,
        )


class MetricsService:
    """Datapoints in the database: put in batches, statistics by period, the list of metrics."""

    def __init__(self, *, db: Database, clock: Clock, account_id: AccountId) -> None:
        self.db = db
        self.clock = clock
        self.account_id = account_id

    # ----------------------------------------------------------------------------- writes

    def put(self, namespace: str, data: Sequence[MetricDatum]) -> int:
        """Store the datums (already validated); returns the number of datapoint rows."""
        now_ms = to_ms(self.clock.now())
        series: dict[tuple[str, str], tuple[str, Dimensions]] = {}
        rows: list[_Row] = []
        keys: dict[Dimensions, str] = {}
        for datum in data:
            dims_key = keys.get(datum.dimensions)
            if dims_key is None:
                dims_key = keys[datum.dimensions] = dimensions_key(datum.dimensions)
            key = (datum.metric_name, dims_key)
            series.setdefault(key, (datum.metric_name, datum.dimensions))
            stamp = to_ms(datum.timestamp) if datum.timestamp is not None else now_ms
            rows.extend(_rows(datum, key, stamp))
        with self.db.write() as conn:
            ids = self._series_ids(conn, namespace, series, now_ms)
            if rows:
                conn.execute(
                    metrics_datapoints.insert(),
                    [
                        {
                            "series_id": ids[r.key],
                            "timestamp_ms": r.timestamp_ms,
                            "value": r.value,
                            "sample_count": r.sample_count,
                            "sum": r.sum,
                            "minimum": r.minimum,
                            "maximum": r.maximum,
                            "unit": r.unit,
                            "storage_resolution": r.storage_resolution,
                        }
                        for r in rows
                    ],
                )
            latest: dict[int, int] = {}
            for r in rows:
                latest[ids[r.key]] = max(latest.get(ids[r.key], r.timestamp_ms), r.timestamp_ms)
            if latest:
                conn.execute(
                    metrics_series.update()
                    .where(metrics_series.c.id == sa.bindparam("sid"))
                    .where(metrics_series.c.last_timestamp_ms < sa.bindparam("ts"))
                    .values(last_timestamp_ms=sa.bindparam("ts")),
                    [{"sid": sid, "ts": ts} for sid, ts in latest.items()],
                )
        log.info("metrics.put namespace=%s datums=%d rows=%d", namespace, len(data), len(rows))
        return len(rows)

    def _series_ids(
        self,
        conn: Connection,
        namespace: str,
        series: dict[tuple[str, str], tuple[str, Dimensions]],
        now_ms: int,
    ) -> dict[tuple[str, str], int]:
        ids = self._existing(conn, namespace, series)
        missing = [k for k in series if k not in ids]
        if missing:
            insert = (
                postgresql.insert(metrics_series)
                if not self.db.is_sqlite
                else sqlite.insert(metrics_series)
            )
            conn.execute(
                insert.on_conflict_do_nothing(),
                [
                    {
                        "account_id": self.account_id,
                        "namespace": namespace,
                        "metric_name": series[k][0],
                        "dimensions": [list(p) for p in series[k][1]],
                        "dimensions_key": k[1],
                        "last_timestamp_ms": 0,
                        "created_at": from_ms(now_ms),
                    }
                    for k in missing
                ],
            )
            ids = self._existing(conn, namespace, series)
        return ids

    def _existing(
        self,
        conn: Connection,
        namespace: str,
        series: dict[tuple[str, str], tuple[str, Dimensions]],
    ) -> dict[tuple[str, str], int]:
        names = sorted({k[0] for k in series})
        found = conn.execute(
            sa.select(
                metrics_series.c.id, metrics_series.c.metric_name, metrics_series.c.dimensions_key
            ).where(
                metrics_series.c.account_id == self.account_id,
                metrics_series.c.namespace == namespace,
                metrics_series.c.metric_name.in_(names),
                metrics_series.c.dimensions_key.in_(sorted({k[1] for k in series})),
            )
        ).all()
        return {(r.metric_name, r.dimensions_key): int(r.id) for r in found}

    # ----------------------------------------------------------------------------- reads

    def _series_id(self, conn: Connection, metric: Metric) -> int | None:
        return conn.execute(
            sa.select(metrics_series.c.id).where(
                metrics_series.c.account_id == self.account_id,
                metrics_series.c.namespace == metric.namespace,
                metrics_series.c.metric_name == metric.metric_name,
                metrics_series.c.dimensions_key == dimensions_key(metric.dimensions),
            )
        ).scalar_one_or_none()

    def statistics(
        self,
        metric: Metric,
        *,
        start: datetime,
        end: datetime,
        period: int,
        statistics: Sequence[str],
        extended: Sequence[str] = (),
        unit: str | None = None,
    ) -> MetricStatistics:
        """One datapoint per period with data, oldest first (validated arguments)."""
        first = aligned_start(start, period)
        start_ms, end_ms, period_ms = to_ms(first), to_ms(end), period * 1000
        with self.db.read() as conn:
            series_id = self._series_id(conn, metric)
            if series_id is None:
                return MetricStatistics(label=metric.metric_name, datapoints=())
            d = metrics_datapoints.c
            where = [
                d.series_id == series_id,
                d.timestamp_ms >= start_ms,
                d.timestamp_ms < end_ms,
            ]
            if unit is not None:
                where.append(d.unit == unit)
            bucket = ((d.timestamp_ms - start_ms) // period_ms).label("bucket")
            grouped = conn.execute(
                sa.select(
                    bucket,
                    sa.func.sum(d.sample_count).label("n"),
                    sa.func.sum(d.sum).label("total"),
                    sa.func.min(d.minimum).label("low"),
                    sa.func.max(d.maximum).label("high"),
                    sa.func.min(d.unit).label("unit_low"),
                    sa.func.max(d.unit).label("unit_high"),
                )
                .where(*where)
                .group_by(sa.text("bucket"))
                .order_by(sa.text("bucket"))
            ).all()
            raw: list[Any] = []
            if extended:
                raw = list(
                    conn.execute(
                        sa.select(bucket, d.value, d.sample_count)
                        .where(*where, d.value.is_not(None))
                        .order_by(bucket)
                    ).all()
                )
        percentiles = _percentiles(raw, extended)
        wanted = set(statistics)
        points = []
        for row in grouped:
            n, total = float(row.n), float(row.total)
            points.append(
                Datapoint(
                    timestamp=from_ms(start_ms + int(row.bucket) * period_ms),
                    unit=row.unit_low if row.unit_low == row.unit_high else "None",
                    sample_count=n if "SampleCount" in wanted else None,
                    average=total / n if "Average" in wanted and n else None,
                    sum=total if "Sum" in wanted else None,
                    minimum=float(row.low) if "Minimum" in wanted else None,
                    maximum=float(row.high) if "Maximum" in wanted else None,
                    extended=percentiles.get(int(row.bucket), {}),
                )
            )
        return MetricStatistics(label=metric.metric_name, datapoints=tuple(points))

    def data(
        self, queries: Sequence[MetricDataQuery], *, start: datetime, end: datetime
    ) -> list[MetricDataResult]:
        """GetMetricData over metric-stat queries: values newest first."""
        results = []
        for query in queries:
            simple = query.stat in ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
            answer = self.statistics(
                query.metric,
                start=start,
                end=end,
                period=query.period,
                statistics=[query.stat] if simple else [],
                extended=[] if simple else [query.stat],
                unit=query.unit,
            )
            pairs = [
                (p.timestamp, value)
                for p in reversed(answer.datapoints)
                if (value := p.statistic(query.stat)) is not None
            ]
            if query.return_data:
                results.append(
                    MetricDataResult(
                        id=query.id,
                        label=query.label or query.metric.metric_name,
                        timestamps=tuple(t for t, _ in pairs),
                        values=tuple(v for _, v in pairs),
                    )
                )
        return results

    def list_metrics(
        self,
        *,
        namespace: str | None = None,
        metric_name: str | None = None,
        dimensions: Sequence[tuple[str, str | None]] = (),
        recently_active: bool = False,
        next_token: str | None = None,
    ) -> tuple[list[Metric], str | None]:
        """Metrics matching every filter, by id; a page of 500 and the token of the next."""
        s = metrics_series.c
        query = sa.select(s.id, s.namespace, s.metric_name, s.dimensions).where(
            s.account_id == self.account_id
        )
        if namespace is not None:
            query = query.where(s.namespace == namespace)
        if metric_name is not None:
            query = query.where(s.metric_name == metric_name)
        if recently_active:
            query = query.where(s.last_timestamp_ms >= to_ms(self.clock.now() - RECENTLY_ACTIVE))
        if next_token is not None:
            query = query.where(s.id > int(next_token))
        wanted = list(dimensions)
        found: list[Metric] = []
        last_id: int | None = None
        with self.db.read() as conn:
            for row in conn.execute(query.order_by(s.id)).yield_per(LIST_PAGE):
                dims = tuple((str(k), str(v)) for k, v in row.dimensions)
                have = dict(dims)
                if all(k in have and (v is None or have[k] == v) for k, v in wanted):
                    if len(found) == LIST_PAGE:
                        return found, str(last_id)
                    metric = Metric(
                        namespace=row.namespace, metric_name=row.metric_name, dimensions=dims
                    )
                    found.append(metric)
                    last_id = int(row.id)
        return found, None


def _percentiles(raw: Sequence[Any], extended: Sequence[str]) -> dict[int, dict[str, float]]:
    """Per bucket, each asked percentile of the single values (weighted by their counts)."""
    if not raw or not extended:
        return {}
    buckets = np.asarray([int(r[0]) for r in raw], dtype=np.int64)
    values = np.asarray([float(r[1]) for r in raw], dtype=np.float64)
    weights = np.asarray([float(r[2]) for r in raw], dtype=np.float64)
    result: dict[int, dict[str, float]] = {}
    edges = np.flatnonzero(np.diff(buckets)) + 1
    for part in np.split(np.arange(len(buckets)), edges):
        b = int(buckets[part[0]])
        result[b] = {
            name: weighted_percentile(values[part], weights[part], float(name[1:]))
            for name in extended
        }
    return result
