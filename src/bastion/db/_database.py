"""One Database object per process: engine, write/read transactions, migrations.

Rooms declare their tables on :data:`metadata` in their own ``_tables.py`` and use SQLAlchemy
Core inside ``db.write()`` / ``db.read()``. On SQLite a write transaction starts with
``BEGIN IMMEDIATE``, so writers from several processes queue instead of failing; on PostgreSQL a
room that needs a total order takes :meth:`Database.lock` inside its transaction.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_connect_hooks(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.info.pop("begin_mode", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The metadata database: SQLite (WAL) by default, PostgreSQL for teams."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = sa.make_url(url)
        if self.url.drivername == "postgresql":
            self.url = self.url.set(drivername="postgresql+psycopg")
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _sqlite_connect_hooks(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it holds the write lock from its first statement."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.info["begin_mode"] = "IMMEDIATE"
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @staticmethod
    def lock_key(name: str) -> int:
        """The PostgreSQL advisory-lock key of ``name`` (for code on a raw DBAPI connection)."""
        return zlib.crc32(name.encode()) & 0x7FFFFFFF

    def lock(self, conn: Connection, name: str) -> None:
        """Serialise writers on ``name`` until the transaction ends (no-op on SQLite)."""
        if not self.is_sqlite:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock_key(name)})

    def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to run again)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.info["begin_mode"] = "IMMEDIATE"
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        log.info("db.migrated url=%s", self.url.render_as_string(hide_password=True))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
