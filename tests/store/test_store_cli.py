"""`bastion store …`: each command is one SDK call; errors are one line and exit code 2."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.cli import store as store_cli
from bastion.cli.store import app as store_app

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised home (SQLite and PostgreSQL) with key alias/fraud-data."""
    monkeypatch.setenv("BASTION_DATABASE_URL", db_url)
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    made = runner.invoke(app, ["--home", str(home), "keys", "create", "--json"])
    key_id = json.loads(made.stdout)["key_id"]
    alias = runner.invoke(app, ["--home", str(home), "keys", "alias", "alias/fraud-data", key_id])
    assert alias.exit_code == 0, alias.output
    return home


def cli(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), "store", *args])
    assert result.exit_code == code, result.output
    if code == 0 and "--json" in args:
        return json.loads(result.stdout)
    return result


def test_bucket_and_object_lifecycle(home: Path, tmp_path: Path) -> None:
    made = cli(home, "mb", "fraud-data", "--key", "alias/fraud-data", "--json")
    assert made["name"] == "fraud-data"
    source = tmp_path / "train.csv"
    source.write_bytes(b"amount,label\n1,0\n")

    info = cli(
        home, "put", str(source), "fraud-data", "train/2026-01.csv", "--tag", "ds=fraud", "--json"
    )
    assert info["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert info["kms_key_arn"] == made["default_kms_key_arn"]
    assert info["tags"] == {"ds": "fraud"}
    by_name = cli(home, "put", str(source), "fraud-data", "--storage-class", "ARCHIVE", "--json")
    assert (by_name["key"], by_name["storage_class"]) == ("train.csv", "ARCHIVE")

    assert [b["name"] for b in cli(home, "ls", "--json")] == ["fraud-data"]
    listed = cli(home, "ls", "fraud-data", "--prefix", "train/", "--json")
    assert [o["key"] for o in listed] == ["train/2026-01.csv"]
    assert cli(home, "head", "fraud-data", "train.csv", "--json")["storage_class"] == "ARCHIVE"

    dest = tmp_path / "out.csv"
    cli(home, "get", "fraud-data", "train/2026-01.csv", str(dest))
    assert dest.read_bytes() == source.read_bytes()
    piped = cli(home, "get", "fraud-data", "train/2026-01.csv", "-")
    assert piped.stdout_bytes == source.read_bytes()

    assert cli(home, "rm", "fraud-data", "train/2026-01.csv", "--json")["deleted"] is True
    assert cli(home, "rm", "fraud-data", "train/2026-01.csv", "--json")["deleted"] is False
    cli(home, "rm", "fraud-data", "train.csv")
    cli(home, "rb", "fraud-data")
    assert cli(home, "ls", "--json") == []


def test_large_put_and_get_show_a_progress_bar(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_cli, "PROGRESS_MIN_BYTES", 1024)
    source = tmp_path / "big.bin"
    source.write_bytes(b"\x01" * 300_000)
    cli(home, "mb", "fraud-data")
    put = cli(home, "put", str(source), "fraud-data", "big.bin")
    assert "object stored" in put.stdout
    dest = tmp_path / "copy.bin"
    cli(home, "get", "fraud-data", "big.bin", str(dest))
    assert dest.read_bytes() == source.read_bytes()


def test_tables_without_json(home: Path, tmp_path: Path) -> None:
    cli(home, "mb", "fraud-data")
    source = tmp_path / "a.csv"
    source.write_text("x\n")
    cli(home, "put", str(source), "fraud-data", "a.csv")
    out = cli(home, "ls", "fraud-data").stdout
    assert "a.csv" in out and "STANDARD" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mb", "Bad_Name"], "The 'bucket' parameter of CreateBucket must be made of lowercase"),
        (["get", "nope-bucket", "k", "out"], "Bucket 'nope-bucket' not found"),
        (["rm", "fraud-data", "../etc/passwd"], "without '..' path segments"),
        (["mb", "other", "--key", "alias/missing"], "alias/missing"),
        (["put", "FILE", "fraud-data", "k", "--tag", "novalue"], "KEY=VALUE"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    home: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    cli(home, "mb", "fraud-data")
    source = tmp_path / "file.csv"
    source.write_text("x\n")
    args = [str(source) if a == "FILE" else a for a in args]
    result = cli(home, *args, code=2)
    assert message in " ".join(result.stderr.split())
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_command_help_has_an_example() -> None:
    commands = [c.name or c.callback.__name__ for c in store_app.registered_commands]  # type: ignore[union-attr]
    assert sorted(commands) == ["get", "head", "ls", "mb", "put", "rb", "rm"]
    for name in commands:
        result = runner.invoke(app, ["store", name, "--help"])
        assert result.exit_code == 0
        assert "Example: bastion store " + name in " ".join(result.stdout.split())
