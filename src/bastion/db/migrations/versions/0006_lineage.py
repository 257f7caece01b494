"""lineage graph (artifacts, actions, contexts, associations) — owned by registry/lineage.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_entities",
        sa.Column("arn", sa.String(256), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("lineage_type", sa.String(16), nullable=False),
        sa.Column("name", sa.String(120), nullable=True),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("source_uri", sa.String(2048), nullable=False),
        sa.Column("source_uri_hash", sa.String(64), nullable=False),
        sa.Column("source_types", sa.JSON, nullable=False),
        sa.Column("source_type", sa.String(256), nullable=True),
        sa.Column("source_id", sa.String(256), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(2048), nullable=False),
        sa.Column("last_modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified_by", sa.String(2048), nullable=False),
        sa.PrimaryKeyConstraint("arn", name="pk_lineage_entities"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_lineage_entities_account_id_accounts",
        ),
        sa.UniqueConstraint(
            "account_id", "lineage_type", "name", name="uq_lineage_entities_account_id"
        ),
    )
    op.create_index("ix_lineage_entities_source_uri_hash", "lineage_entities", ["source_uri_hash"])
    op.create_table(
        "lineage_properties",
        sa.Column("arn", sa.String(256), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "name", name="pk_lineage_properties"),
        sa.ForeignKeyConstraint(
            ["arn"], ["lineage_entities.arn"], name="fk_lineage_properties_arn_lineage_entities"
        ),
    )
    op.create_table(
        "lineage_associations",
        sa.Column("source_arn", sa.String(256), nullable=False),
        sa.Column("destination_arn", sa.String(256), nullable=False),
        sa.Column("association_type", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(2048), nullable=False),
        sa.PrimaryKeyConstraint("source_arn", "destination_arn", name="pk_lineage_associations"),
        sa.ForeignKeyConstraint(
            ["source_arn"],
            ["lineage_entities.arn"],
            name="fk_lineage_associations_source_arn_lineage_entities",
        ),
        sa.ForeignKeyConstraint(
            ["destination_arn"],
            ["lineage_entities.arn"],
            name="fk_lineage_associations_destination_arn_lineage_entities",
        ),
    )
    op.create_index(
        "ix_lineage_associations_destination_arn", "lineage_associations", ["destination_arn"]
    )


def downgrade() -> None:
    op.drop_index("ix_lineage_associations_destination_arn", "lineage_associations")
    op.drop_table("lineage_associations")
    op.drop_table("lineage_properties")
    op.drop_index("ix_lineage_entities_source_uri_hash", "lineage_entities")
    op.drop_table("lineage_entities")
