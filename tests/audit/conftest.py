"""Fixtures of the audit tests: a bare trail with its signing key on a migrated database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bastion.audit import AuditTrail
from bastion.db import Database
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.resolved_database_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def sealer() -> RootSealer:
    return RootSealer(os.urandom(32))


@pytest.fixture
def trail(
    database: Database, sealer: RootSealer, clock: FrozenClock, settings: Settings
) -> AuditTrail:
    """A trail with its signing key, on SQLite and PostgreSQL."""
    trail = AuditTrail(db=database, sealer=sealer, clock=clock, settings=settings)
    trail.ensure_signing_key()
    return trail
