"""keys: master keys, their material versions (sealed), aliases and tags.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kms_keys",
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key_usage", sa.String(32), nullable=False),
        sa.Column("key_spec", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deletion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_window_days", sa.Integer(), nullable=True),
        sa.Column("rotation_enabled", sa.Boolean(), nullable=False),
        sa.Column("rotation_period_days", sa.Integer(), nullable=True),
        sa.Column("next_rotation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name="pk_kms_keys"),
        sa.UniqueConstraint("arn", name="uq_kms_keys_arn"),
    )
    op.create_table(
        "kms_key_versions",
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("material", sa.LargeBinary(), nullable=False),
        sa.Column("rotation_type", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "version", name="pk_kms_key_versions"),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["kms_keys.key_id"],
            name="fk_kms_key_versions_key_id_kms_keys",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "kms_aliases",
        sa.Column("alias_name", sa.String(256), nullable=False),
        sa.Column("target_key_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alias_name", name="pk_kms_aliases"),
        sa.ForeignKeyConstraint(
            ["target_key_id"],
            ["kms_keys.key_id"],
            name="fk_kms_aliases_target_key_id_kms_keys",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_kms_aliases_target_key_id", "kms_aliases", ["target_key_id"])
    op.create_table(
        "kms_key_tags",
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("tag_key", sa.String(128), nullable=False),
        sa.Column("tag_value", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "tag_key", name="pk_kms_key_tags"),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["kms_keys.key_id"],
            name="fk_kms_key_tags_key_id_kms_keys",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("kms_key_tags")
    op.drop_index("ix_kms_aliases_target_key_id", table_name="kms_aliases")
    op.drop_table("kms_aliases")
    op.drop_table("kms_key_versions")
    op.drop_table("kms_keys")
