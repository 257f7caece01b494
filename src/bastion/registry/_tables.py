"""Tables only the registry writes (the same schema by hand in migration 0007).

A version's row is written once (versions are immutable) except its approval columns, whose
history is kept in ``registry_approvals``. Artifact bytes live in the encrypted store; the row
holds their URI, the signed manifest and the signature.
"""

import sqlalchemy as sa

from bastion.db import metadata

registry_groups = sa.Table(
    "registry_groups",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("arn", sa.String(2048), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("next_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(2048), nullable=False),
)

registry_packages = sa.Table(
    "registry_packages",
    metadata,
    sa.Column("group_name", sa.String(63), sa.ForeignKey("registry_groups.name"), primary_key=True),
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

registry_approvals = sa.Table(
    "registry_approvals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_name", sa.String(63), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("from_status", sa.String(32), nullable=True),
    sa.Column("to_status", sa.String(32), nullable=False),
    sa.Column("by", sa.String(2048), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(
        ["group_name", "version"], ["registry_packages.group_name", "registry_packages.version"]
    ),
)

registry_trust = sa.Table(
    "registry_trust",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("artifact_format", sa.String(64), nullable=False),
    sa.Column("decided_by", sa.String(2048), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

TABLES = (registry_groups, registry_packages, registry_approvals, registry_trust)
