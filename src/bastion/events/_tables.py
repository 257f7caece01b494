"""Tables only the events room writes (the same schema by hand in migration 0007).

``events`` is the outbox: an emitting room inserts its event in the same transaction as the
change it describes, so an event exists exactly when its change committed. ``event_deliveries``
records, per subscriber, each event it has handled (or given up on): delivery is tracked per event,
not by a cursor, because on PostgreSQL a transaction holding a lower ``seq`` may commit after one
holding a higher ``seq``.
"""

import sqlalchemy as sa

from bastion.db import metadata

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("kind", sa.String(128), nullable=False, index=True),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("subject", sa.String(2048), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
)

event_deliveries = sa.Table(
    "event_deliveries",
    metadata,
    sa.Column("subscriber", sa.String(128), primary_key=True),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

TABLES = (events, event_deliveries)
