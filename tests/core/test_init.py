"""`bastion init`: home, root key, account, owner; safe to re-run; three root-key sources."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

import bastion
from bastion.errors import Invalid, NotFound
from bastion.keys._root import CHECK_FILE, KEY_FILE, SALT_FILE, load_root_sealer
from bastion.settings import Settings


def test_init_creates_home_key_account_and_owner(settings: Settings) -> None:
    result = bastion.init(settings=settings)
    key_file = settings.home / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_bytes()) == 32
    assert len(result.account_id) == 12 and result.account_id.isdigit()
    assert result.owner_arn == f"arn:bastion:iam::{result.account_id}:root"
    assert result.created_account is True
    with bastion.connect(settings=settings) as client:
        assert client.account_id == result.account_id
        assert client.runtime.principal.arn == result.owner_arn


def test_init_twice_keeps_keys_and_account(settings: Settings) -> None:
    first = bastion.init(settings=settings)
    key_before = (settings.home / KEY_FILE).read_bytes()
    check_before = (settings.home / CHECK_FILE).read_bytes()
    second = bastion.init(settings=settings)
    assert second.account_id == first.account_id
    assert second.created_account is False
    assert (settings.home / KEY_FILE).read_bytes() == key_before
    assert (settings.home / CHECK_FILE).read_bytes() == check_before


def test_root_key_from_environment(tmp_path: Path) -> None:
    raw = base64.b64encode(os.urandom(32)).decode()
    s = Settings(home=tmp_path / "h", root_key=raw)
    result = bastion.init(settings=s)
    assert result.root_key_source == "environment"
    assert not (tmp_path / "h" / KEY_FILE).exists()
    other = Settings(home=tmp_path / "h", root_key=base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(Invalid, match="root key this home was initialised with"):
        bastion.connect(settings=other)


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"short").decode()])
def test_bad_root_key_from_environment_names_the_variable(tmp_path: Path, bad: str) -> None:
    with pytest.raises(Invalid, match="BASTION_ROOT_KEY"):
        bastion.init(settings=Settings(home=tmp_path / "h", root_key=bad))


def test_root_key_from_passphrase(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "h", root_passphrase="correct horse battery staple")
    assert bastion.init(settings=s).root_key_source == "passphrase"
    assert len((tmp_path / "h" / SALT_FILE).read_bytes()) == 16
    sealer, _ = load_root_sealer(s)
    assert sealer.open(sealer.seal(b"x", aad=b"a"), aad=b"a") == b"x"
    wrong = Settings(home=tmp_path / "h", root_passphrase="wrong")
    with pytest.raises(Invalid, match="root_key"):
        bastion.connect(settings=wrong)


def test_connect_before_init_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="bastion init"):
        bastion.connect(settings=Settings(home=tmp_path / "nothing"))


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "h")
    bastion.init(settings=s)
    with bastion.connect(settings=s) as client, client.runtime.db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_migrations_reach_head_on_both_databases(settings: Settings) -> None:
    bastion.init(settings=settings)
    with bastion.connect(settings=settings) as client, client.runtime.db.read() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        tables = set(sa.inspect(conn).get_table_names())
    assert version is not None
    assert {"accounts", "principals"} <= tables
