"""access: accounts and principals.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "principals",
        sa.Column("arn", sa.String(2048), primary_key=True),
        sa.Column("principal_id", sa.String(128), nullable=False, unique=True),
        sa.Column(
            "account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False
        ),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("principals")
    op.drop_table("accounts")
