"""monitoring: metric series and datapoints; monitoring schedules and executions.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_URI = sa.String(1024)
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metrics_series",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False
        ),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("metric_name", sa.String(255), nullable=False),
        sa.Column("dimensions", sa.JSON, nullable=False),
        sa.Column("dimensions_key", sa.String(64), nullable=False),
        sa.Column("last_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.UniqueConstraint(
            "account_id",
            "namespace",
            "metric_name",
            "dimensions_key",
            name="uq_metrics_series_account_id",
        ),
    )
    op.create_index(
        "ix_metrics_series_namespace_metric_name", "metrics_series", ["namespace", "metric_name"]
    )
    op.create_table(
        "metrics_datapoints",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("series_id", _ID, sa.ForeignKey("metrics_series.id"), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("sample_count", sa.Float, nullable=False),
        sa.Column("sum", sa.Float, nullable=False),
        sa.Column("minimum", sa.Float, nullable=False),
        sa.Column("maximum", sa.Float, nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("storage_resolution", sa.SmallInteger, nullable=False),
    )
    op.create_index(
        "ix_metrics_datapoints_series_id_timestamp_ms",
        "metrics_datapoints",
        ["series_id", "timestamp_ms"],
    )
    op.create_table(
        "monitor_schedules",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column(
            "account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False
        ),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schedule_expression", sa.String(256), nullable=False),
        sa.Column("monitoring_type", sa.String(32), nullable=False),
        sa.Column("endpoint_name", sa.String(63), nullable=True),
        sa.Column("dataset_uri", _URI, nullable=False),
        sa.Column("dataset_format", sa.JSON, nullable=False),
        sa.Column("statistics_uri", _URI, nullable=False),
        sa.Column("constraints_uri", _URI, nullable=False),
        sa.Column("output_uri", _URI, nullable=False),
        sa.Column("kms_key_id", sa.String(2048), nullable=True),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("planned_through", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_table(
        "monitor_executions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "schedule_name",
            sa.String(63),
            sa.ForeignKey("monitor_schedules.name"),
            nullable=False,
        ),
        sa.Column("scheduled_time", _TIME, nullable=False),
        sa.Column("window_start", _TIME, nullable=False),
        sa.Column("window_end", _TIME, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("failure_reason", sa.Text, nullable=True),
        sa.Column("processing_job_name", sa.String(63), nullable=False),
        sa.Column("output_prefix", _URI, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires", _TIME, nullable=True),
        sa.Column("item_count", sa.BigInteger, nullable=True),
        sa.Column("violation_count", sa.Integer, nullable=True),
        sa.Column("files_read", sa.Integer, nullable=False),
        sa.Column("skipped_records", sa.BigInteger, nullable=False),
        sa.Column("summary", sa.JSON, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("ended_at", _TIME, nullable=True),
        sa.UniqueConstraint(
            "schedule_name", "scheduled_time", name="uq_monitor_executions_schedule_name"
        ),
    )
    op.create_index(
        "ix_monitor_executions_status_scheduled_time",
        "monitor_executions",
        ["status", "scheduled_time"],
    )


def downgrade() -> None:
    op.drop_table("monitor_executions")
    op.drop_table("monitor_schedules")
    op.drop_table("metrics_datapoints")
    op.drop_table("metrics_series")
