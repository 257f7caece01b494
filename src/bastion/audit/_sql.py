"""The raw DBAPI side of the audit room: the hot paths skip SQLAlchemy's row processing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection


def raw_connection(conn: Connection) -> Any:
    """The DBAPI connection under ``conn`` (sqlite3 or psycopg), inside its transaction."""
    return conn.connection.dbapi_connection


def placeholder(dialect: str) -> str:
    """The DBAPI parameter marker: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if dialect == "sqlite" else "%s"
