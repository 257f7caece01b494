"""Tables only serving writes (the same schema by hand in migration 0010).

An endpoint config is immutable once created (its spec is one JSON document); an endpoint points
at its current config and keeps the previous one, so a rollback is one pointer swap.
"""

import sqlalchemy as sa

from bastion.db import metadata

serving_endpoint_configs = sa.Table(
    "serving_endpoint_configs",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("arn", sa.String(2048), nullable=False, unique=True),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(2048), nullable=False),
)

serving_endpoints = sa.Table(
    "serving_endpoints",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("arn", sa.String(2048), nullable=False, unique=True),
    sa.Column(
        "config_name", sa.String(63), sa.ForeignKey("serving_endpoint_configs.name"), nullable=False
    ),
    sa.Column("previous_config_name", sa.String(63), nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("failure_reason", sa.Text, nullable=True),
    sa.Column("weights", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
)

TABLES = (serving_endpoint_configs, serving_endpoints)
