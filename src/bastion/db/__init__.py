"""Engine, transactions and migrations for SQLite (WAL) and PostgreSQL; no tables live here."""

from bastion.db._database import Database, metadata

__all__ = ["Database", "metadata"]
