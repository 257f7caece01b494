"""pytest plugin: databases on SQLite *and* PostgreSQL, an initialised home, a clean env.

PostgreSQL comes from ``BASTION_TEST_POSTGRES_URL``; each test gets its own schema. When the
variable is missing the PostgreSQL variant is skipped, unless ``BASTION_REQUIRE_SERVICES=1`` (CI),
where it fails. The S3 server works the same way with ``BASTION_TEST_S3_ENDPOINT``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.testing._fakes import FrozenClock

_KEEP = ("BASTION_TEST_", "BASTION_REQUIRE_SERVICES")


def _service_url(var: str, what: str) -> str:
    url = os.environ.get(var)
    if url:
        return url
    if os.environ.get("BASTION_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (BASTION_REQUIRE_SERVICES=1) but {var} is not set")
    pytest.skip(f"{what} not available: set {var}")


@pytest.fixture(autouse=True)
def _clean_bastion_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BASTION_* setting leaks from the developer's shell into a test."""
    for name in list(os.environ):
        if name.startswith("BASTION_") and not name.startswith(_KEEP):
            monkeypatch.delenv(name)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    import sqlalchemy as sa

    base = _service_url("BASTION_TEST_POSTGRES_URL", "PostgreSQL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def s3_endpoint() -> str:
    """The URL of the S3-compatible test server."""
    return _service_url("BASTION_TEST_S3_ENDPOINT", "S3-compatible server")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that touches the database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bastion.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock("2026-01-01T00:00:00Z")


@pytest.fixture
def settings(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """Settings for a fresh home on the parametrised database."""
    from bastion.settings import Settings

    return Settings(home=tmp_path / "home", database_url=db_url)


@pytest.fixture
def bastion(settings, clock):  # type: ignore[no-untyped-def]
    """An initialised home, connected as its owner, on SQLite and PostgreSQL."""
    import bastion as bastion_pkg

    bastion_pkg.init(settings=settings, clock=clock)
    client = bastion_pkg.connect(settings=settings, clock=clock)
    yield client
    client.close()


@pytest.fixture
def connect_as(bastion):  # type: ignore[no-untyped-def]
    """``connect_as(token)``: another connection to ``bastion``'s home, as the token's principal."""
    import bastion as bastion_pkg

    opened = []

    def connect(token: str):  # type: ignore[no-untyped-def]
        runtime = bastion.runtime
        client = bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock, token=token)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()


@pytest.fixture
def user_session(bastion, connect_as):  # type: ignore[no-untyped-def]
    """``user_session(name, *statements)``: a new IAM user of ``bastion``'s home with an inline
    policy of those statements, connected through a bearer token."""
    import json

    def make(name: str, *statements: dict):  # type: ignore[no-untyped-def, type-arg]
        bastion.access.create_user(name)
        if statements:
            document = {"Version": "2012-10-17", "Statement": list(statements)}
            bastion.access.put_user_policy(name, "inline", json.dumps(document))
        return connect_as(bastion.access.create_api_token(user_name=name).token)

    return make
