"""Tables only the lineage graph writes (the same schema by hand in migration 0006).

``lineage_entities`` holds artifacts, actions and contexts keyed by ARN; a source URI is found
through ``source_uri_hash`` (its SHA-256), so a 2 KB URI never has to fit in a B-tree entry.
``lineage_properties`` holds their key-value properties (one row each, so QueryLineage's property
filter and exports read them without parsing JSON). ``lineage_associations`` holds the directed
edges: at most one per (source, destination), with the time and the principal that added it.
"""

import sqlalchemy as sa

from bastion.db import metadata

lineage_entities = sa.Table(
    "lineage_entities",
    metadata,
    sa.Column("arn", sa.String(256), primary_key=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("lineage_type", sa.String(16), nullable=False),
    sa.Column("name", sa.String(120), nullable=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("source_uri", sa.String(2048), nullable=False),
    sa.Column("source_uri_hash", sa.String(64), nullable=False, index=True),
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
    sa.UniqueConstraint("account_id", "lineage_type", "name"),
)

lineage_properties = sa.Table(
    "lineage_properties",
    metadata,
    sa.Column("arn", sa.String(256), sa.ForeignKey("lineage_entities.arn"), primary_key=True),
    sa.Column("name", sa.String(256), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

lineage_associations = sa.Table(
    "lineage_associations",
    metadata,
    sa.Column(
        "source_arn", sa.String(256), sa.ForeignKey("lineage_entities.arn"), primary_key=True
    ),
    sa.Column(
        "destination_arn",
        sa.String(256),
        sa.ForeignKey("lineage_entities.arn"),
        primary_key=True,
        index=True,
    ),
    sa.Column("association_type", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(2048), nullable=False),
)
