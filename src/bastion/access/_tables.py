"""Tables only the access room writes (schema in migration 0001)."""

import sqlalchemy as sa

from bastion.db import metadata

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

principals = sa.Table(
    "principals",
    metadata,
    sa.Column("arn", sa.String(2048), primary_key=True),
    sa.Column("principal_id", sa.String(128), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
