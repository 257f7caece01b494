"""Migration 0005 writes exactly the access room's tables, and goes down and up again."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from bastion.access import _tables
from bastion.db import Database, metadata
from bastion.db._database import MIGRATIONS

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
        assert [d for d in diff if any(name in repr(d) for name in MINE)] == []
        assert set(sa.inspect(database.engine).get_table_names()) >= MINE
    finally:
        database.dispose()


def test_downgrade_and_upgrade_again(db_url: str, tmp_path: Path) -> None:
    database = Database(db_url)
    try:
        database.migrate()
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with database.engine.connect() as conn:
            if database.is_sqlite:
                conn.info["begin_mode"] = "IMMEDIATE"
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
            conn.commit()
        names = set(sa.inspect(database.engine).get_table_names())
        assert "iam_groups" not in names and "accounts" in names
        columns = {c["name"] for c in sa.inspect(database.engine).get_columns("accounts")}
        assert "management" not in columns
        database.migrate()
        assert set(sa.inspect(database.engine).get_table_names()) >= MINE
        columns = {c["name"] for c in sa.inspect(database.engine).get_columns("accounts")}
        assert "management" in columns
    finally:
        database.dispose()
