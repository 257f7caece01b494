"""Fixtures of the keys tests: the SDK client on an initialised home, and the raw service."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from bastion.db import Database
from bastion.keys import KeysClient, KeyService
from bastion.keys._root import RootSealer
from bastion.keys.backends import FakeKms, KeyBackend, LocalKeystore
from bastion.testing import FrozenClock
from bastion.types import AccountId

ACCOUNT = AccountId("111122223333")


@pytest.fixture
def keys(bastion) -> KeysClient:  # type: ignore[no-untyped-def]
    """The keys client of an initialised home (SQLite and PostgreSQL)."""
    return bastion.keys


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A migrated database (SQLite and PostgreSQL)."""
    db = Database(db_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def sealer() -> RootSealer:
    return RootSealer(os.urandom(32))


@pytest.fixture
def make_service(
    database: Database, clock: FrozenClock, sealer: RootSealer
) -> Callable[..., KeyService]:
    """Build a KeyService on the migrated database with the given backend (default: local)."""

    def make(backend: KeyBackend | None = None) -> KeyService:
        return KeyService(
            db=database,
            backend=backend if backend is not None else LocalKeystore(sealer),
            clock=clock,
            account_id=ACCOUNT,
        )

    return make


@pytest.fixture(params=["local", "fake-kms"])
def backend(request: pytest.FixtureRequest, sealer: RootSealer) -> KeyBackend:
    """Every implementation of the key backend port."""
    if request.param == "local":
        return LocalKeystore(sealer)
    return FakeKms()
