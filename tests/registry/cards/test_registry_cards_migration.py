"""Migration 0009 writes exactly the model card tables, and goes down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from bastion.db import Database, metadata
from bastion.db._database import MIGRATIONS
from bastion.registry.cards import _tables

MINE = {t.name for t in vars(_tables).values() if isinstance(t, sa.Table)}


def _only_mine(name: str | None, type_: str, _parent: object) -> bool:
    return type_ != "table" or name in MINE


def _mine(obj: object, name: str | None, type_: str, _reflected: bool, _other: object) -> bool:
    if type_ == "table":
        return name in MINE
    table = getattr(obj, "table", None)
    return table is None or table.name in MINE


def test_migration_matches_tables(db_url: str) -> None:
    database = Database(db_url)
    try:
        database.migrate()
        with database.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": _only_mine, "include_object": _mine}
            )
            diff = compare_metadata(context, metadata)
        assert {"model_cards", "model_card_versions"} == MINE
        assert [d for d in diff if any(name in repr(d) for name in MINE)] == []
        assert set(sa.inspect(database.engine).get_table_names()) >= MINE
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
            command.downgrade(cfg, "0008")
            conn.commit()
        assert not MINE & set(sa.inspect(database.engine).get_table_names())
        database.migrate()
        assert set(sa.inspect(database.engine).get_table_names()) >= MINE
    finally:
        database.dispose()
