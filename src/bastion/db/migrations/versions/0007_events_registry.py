"""events (the outbox rooms emit into) and the model registry.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", _SEQ, primary_key=True),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("subject", sa.String(2048), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_kind", "events", ["kind"])
    op.create_table(
        "event_deliveries",
        sa.Column("subscriber", sa.String(128), primary_key=True),
        sa.Column("seq", _SEQ, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    _registry()


def _registry() -> None:
    op.create_table(
        "registry_groups",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("arn", sa.String(2048), nullable=False, unique=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("next_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(2048), nullable=False),
    )
    op.create_table(
        "registry_packages",
        sa.Column(
            "group_name", sa.String(63), sa.ForeignKey("registry_groups.name"), primary_key=True
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("arn", sa.String(2048), nullable=False, unique=True),
        sa.Column("flavor", sa.String(64), nullable=False),
        sa.Column("framework_version", sa.String(64), nullable=False),
        sa.Column("artifact_uri", sa.String(2048), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("signature", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("customer_metadata", sa.JSON, nullable=False),
        sa.Column("training_data", sa.JSON, nullable=False),
        sa.Column("training_job", sa.String(256), nullable=True),
        sa.Column("signed_manifest", sa.JSON, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("signing_key_arn", sa.String(2048), nullable=False),
        sa.Column("approval_status", sa.String(32), nullable=False),
        sa.Column("approval_by", sa.String(2048), nullable=True),
        sa.Column("approval_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(2048), nullable=False),
    )
    op.create_table(
        "registry_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("group_name", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("by", sa.String(2048), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_name", "version"],
            ["registry_packages.group_name", "registry_packages.version"],
        ),
    )
    op.create_table(
        "registry_trust",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("artifact_format", sa.String(64), nullable=False),
        sa.Column("decided_by", sa.String(2048), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("registry_trust", "registry_approvals", "registry_packages", "registry_groups"):
        op.drop_table(table)
    op.drop_table("event_deliveries")
    op.drop_index("ix_events_kind", table_name="events")
    op.drop_table("events")
