"""model cards (versioned content, review status).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_cards",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column(
            "account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False
        ),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("kms_key_arn", sa.String(2048), nullable=True),
        sa.Column("model_id", sa.String(1024), nullable=True),
        sa.Column("created_by", sa.String(2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_by", sa.String(2048), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_model_cards_model_id", "model_cards", ["model_id"])
    op.create_table(
        "model_card_versions",
        sa.Column("card_name", sa.String(63), sa.ForeignKey("model_cards.name"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("content_version", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=True),
        sa.Column("sealed_content", sa.LargeBinary, nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_card_versions")
    op.drop_index("ix_model_cards_model_id", table_name="model_cards")
    op.drop_table("model_cards")
