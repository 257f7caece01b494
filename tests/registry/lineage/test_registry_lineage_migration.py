"""Migration 0006 writes exactly the lineage tables, and goes down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from bastion.db import Database, metadata
from bastion.db._database import MIGRATIONS
from bastion.registry.lineage import _tables

MINE = {t.name for t in vars(_tables).values() if isinstance(t, sa.Table)}


def _only_mine(name: str | None, type_: str, _parent: object) -> bool:
    return type_ != "table" or name in MINE


def _mine(obj: object, name: str | None, type_: str, _reflected: bool, _other: object) -> bool:
    if type_ == "table":
        return name in MINE
    table = getattr(obj, "table", None)
    return table is None or table.name in MINE


def test_migration_matches_tables(db_url: str) -> None:
    assert {"lineage_entities", "lineage_properties", "lineage_associations"} == MINE
    database = Database(db_url)
    try:
        database.migrate()
        with database.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": _only_mine, "include_object": _mine}
            )
            diff = compare_metadata(context, metadata)
        assert [d for d in diff if any(name in repr(d) for name in MINE)] == []
        inspector = sa.inspect(database.engine)
        assert set(inspector.get_table_names()) >= MINE
        indexes = {i["name"] for i in inspector.get_indexes("lineage_associations")}
        assert "ix_lineage_associations_destination_arn" in indexes
    finally:
        database.dispose()


def test_downgrade_and_upgrade_again(db_url: str) -> None:
    database = Database(db_url)
    try:
        database.migrate()
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with database.engine.connect() as conn:
            if database.is_sqlite:
                conn.info["begin_mode"] = "IMMEDIATE"
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
            conn.commit()
        names = set(sa.inspect(database.engine).get_table_names())
        assert not names & MINE and "accounts" in names
        database.migrate()
        assert set(sa.inspect(database.engine).get_table_names()) >= MINE
    finally:
        database.dispose()
