"""Tables only the metrics room writes (the same schema by hand in migration 0008).

``metrics_series`` names each metric once: (account, namespace, metric name, dimensions), the
dimensions canonical (sorted by name) and keyed by their SHA-256 so the unique index stays short.
``metrics_datapoints`` holds every datum as a statistic set (a single value ``v`` with count
``c`` is ``sample_count=c, sum=v*c, minimum=maximum=v`` and keeps ``value=v`` for percentiles),
times as epoch milliseconds so periods bucket the same way on SQLite and PostgreSQL. The
(namespace, metric name, time) lookup is the series' (namespace, metric_name) index and the
datapoints' (series_id, timestamp_ms) index.
"""

import sqlalchemy as sa

from bastion.db import metadata

ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metrics_series = sa.Table(
    "metrics_series",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("namespace", sa.String(255), nullable=False),
    sa.Column("metric_name", sa.String(255), nullable=False),
    sa.Column("dimensions", sa.JSON, nullable=False),
    sa.Column("dimensions_key", sa.String(64), nullable=False),
    sa.Column("last_timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("account_id", "namespace", "metric_name", "dimensions_key"),
    sa.Index("ix_metrics_series_namespace_metric_name", "namespace", "metric_name"),
)

metrics_datapoints = sa.Table(
    "metrics_datapoints",
    metadata,
    sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    sa.Column("series_id", ID_TYPE, sa.ForeignKey("metrics_series.id"), nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("sample_count", sa.Float, nullable=False),
    sa.Column("sum", sa.Float, nullable=False),
    sa.Column("minimum", sa.Float, nullable=False),
    sa.Column("maximum", sa.Float, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False),
    sa.Column("storage_resolution", sa.SmallInteger, nullable=False),
    sa.Index("ix_metrics_datapoints_series_id_timestamp_ms", "series_id", "timestamp_ms"),
)
