"""serving: endpoint configs and endpoints.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serving_endpoint_configs",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("arn", sa.String(2048), nullable=False, unique=True),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(2048), nullable=False),
    )
    op.create_table(
        "serving_endpoints",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("arn", sa.String(2048), nullable=False, unique=True),
        sa.Column(
            "config_name",
            sa.String(63),
            sa.ForeignKey("serving_endpoint_configs.name"),
            nullable=False,
        ),
        sa.Column("previous_config_name", sa.String(63), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("failure_reason", sa.Text, nullable=True),
        sa.Column("weights", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("serving_endpoints")
    op.drop_table("serving_endpoint_configs")
