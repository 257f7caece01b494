"""Tables only the keys room writes (the same schema by hand in migration 0002).

``kms_key_versions.material`` holds what the key backend returned for that version: for the local
keystore the material sealed by the root key with the key id and version as associated data, for
an external backend an opaque handle. Plaintext key material is never stored.
"""

import sqlalchemy as sa

from bastion.db import metadata

kms_keys = sa.Table(
    "kms_keys",
    metadata,
    sa.Column("key_id", sa.String(36), primary_key=True),
    sa.Column("arn", sa.String(2048), nullable=False, unique=True),
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
)

kms_key_versions = sa.Table(
    "kms_key_versions",
    metadata,
    sa.Column(
        "key_id",
        sa.String(36),
        sa.ForeignKey("kms_keys.key_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("material", sa.LargeBinary(), nullable=False),
    sa.Column("rotation_type", sa.String(16), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

kms_aliases = sa.Table(
    "kms_aliases",
    metadata,
    sa.Column("alias_name", sa.String(256), primary_key=True),
    sa.Column(
        "target_key_id",
        sa.String(36),
        sa.ForeignKey("kms_keys.key_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

kms_key_tags = sa.Table(
    "kms_key_tags",
    metadata,
    sa.Column(
        "key_id",
        sa.String(36),
        sa.ForeignKey("kms_keys.key_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tag_key", sa.String(128), primary_key=True),
    sa.Column("tag_value", sa.String(256), nullable=False),
)

TABLES = (kms_keys, kms_key_versions, kms_aliases, kms_key_tags)
