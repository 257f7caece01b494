"""Tables only the monitor room writes (the same schema by hand in migration 0008).

``monitor_schedules`` holds each monitoring schedule: what it reads (a batch dataset URI, or an
endpoint's capture prefix), its baseline files, where its outputs go, its expression and
``planned_through`` — the latest scheduled time already turned into an execution, so a
scheduler that was down knows exactly which times it missed.

``monitor_executions`` holds one row per (schedule, scheduled time) — the unique constraint is
what makes catch-up and concurrent schedulers free of duplicates — with its status, lease (the
worker running it and until when), outputs and counts.
"""

import sqlalchemy as sa

from bastion.db import metadata

URI = sa.String(1024)

monitor_schedules = sa.Table(
    "monitor_schedules",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("schedule_expression", sa.String(256), nullable=False),
    sa.Column("monitoring_type", sa.String(32), nullable=False),
    sa.Column("endpoint_name", sa.String(63), nullable=True),
    sa.Column("dataset_uri", URI, nullable=False),
    sa.Column("dataset_format", sa.JSON, nullable=False),
    sa.Column("statistics_uri", URI, nullable=False),
    sa.Column("constraints_uri", URI, nullable=False),
    sa.Column("output_uri", URI, nullable=False),
    sa.Column("kms_key_id", sa.String(2048), nullable=True),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("planned_through", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

monitor_executions = sa.Table(
    "monitor_executions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "schedule_name", sa.String(63), sa.ForeignKey("monitor_schedules.name"), nullable=False
    ),
    sa.Column("scheduled_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("failure_reason", sa.Text, nullable=True),
    sa.Column("processing_job_name", sa.String(63), nullable=False),
    sa.Column("output_prefix", URI, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
    sa.Column("item_count", sa.BigInteger, nullable=True),
    sa.Column("violation_count", sa.Integer, nullable=True),
    sa.Column("files_read", sa.Integer, nullable=False),
    sa.Column("skipped_records", sa.BigInteger, nullable=False),
    sa.Column("summary", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("schedule_name", "scheduled_time"),
    sa.Index("ix_monitor_executions_status_scheduled_time", "status", "scheduled_time"),
)
