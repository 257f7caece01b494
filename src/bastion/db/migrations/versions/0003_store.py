"""store: buckets and the current version of each encrypted object.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_KEY = sa.String(4096).with_variant(sa.String(4096, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "store_buckets",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column(
            "account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False
        ),
        sa.Column("default_kms_key_arn", sa.String(2048), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "store_objects",
        sa.Column("bucket", sa.String(63), sa.ForeignKey("store_buckets.name"), primary_key=True),
        sa.Column("key", _KEY, primary_key=True),
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("blob", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_class", sa.String(32), nullable=False),
        sa.Column("kms_key_arn", sa.String(2048), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("algorithm", sa.String(64), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("user_metadata", sa.JSON, nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_objects")
    op.drop_table("store_buckets")
