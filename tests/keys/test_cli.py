"""`bastion keys …`: each command is one SDK call; errors are one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.cli.keys import app as keys_app

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised home on SQLite and PostgreSQL."""
    monkeypatch.setenv("BASTION_DATABASE_URL", db_url)
    home = tmp_path / "home"
    result = runner.invoke(app, ["--home", str(home), "init", "--json"])
    assert result.exit_code == 0, result.output
    return home


def cli(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), "keys", *args])
    assert result.exit_code == code, result.output
    if code == 0 and "--json" in args:
        return json.loads(result.stdout)
    return result


def test_key_lifecycle_from_the_command_line(home: Path, tmp_path: Path) -> None:
    created = cli(home, "create", "--description", "fraud data", "--tag", "team=risk", "--json")
    kid = created["key_id"]
    assert created["key_state"] == "Enabled" and created["description"] == "fraud data"
    assert cli(home, "alias", "alias/fraud-data", kid, "--json")["target_key_id"] == kid
    assert cli(home, "describe", "alias/fraud-data", "--json")["key_id"] == kid
    assert [k["key_id"] for k in cli(home, "list", "--json")] == [kid]

    rotated = cli(home, "rotate", "alias/fraud-data", "--json")
    assert rotated == {"key_id": created["arn"], "rotation": "ON_DEMAND"}
    assert cli(home, "describe", kid, "--json")["current_version"] == 2
    auto = cli(home, "rotate", kid, "--enable-auto", "--period-days", "180", "--json")
    assert auto["key_rotation_enabled"] is True and auto["rotation_period_in_days"] == 180
    assert cli(home, "rotate", kid, "--disable-auto", "--json")["key_rotation_enabled"] is False

    assert cli(home, "disable", kid, "--json")["key_state"] == "Disabled"
    assert cli(home, "enable", kid, "--json")["key_state"] == "Enabled"
    scheduled = cli(home, "schedule-deletion", kid, "--days", "7", "--json")
    assert scheduled["key_state"] == "PendingDeletion"
    assert scheduled["pending_window_in_days"] == 7
    assert cli(home, "cancel-deletion", kid, "--json")["key_state"] == "Disabled"
    assert cli(home, "maintain", "--json") == {"rotated": [], "deleted": []}

    other = cli(home, "create", "--json")["key_id"]
    assert cli(home, "alias", "alias/fraud-data", other, "--json")["target_key_id"] == other

    policy = tmp_path / "policy.json"
    statement = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert cli(home, "create", "--policy-file", str(policy), "--json")["key_state"] == "Enabled"


def test_tables_are_printed_without_json(home: Path) -> None:
    cli(home, "create", "--description", "shown in a table")
    result = cli(home, "list")
    assert "shown in a table" in result.stdout and "Enabled" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["describe", "alias/missing"], "Alias 'alias/missing' not found"),
        (["schedule-deletion", "alias/missing", "--days", "31"], "Got 31 instead"),
        (["create", "--tag", "no-equals-sign"], "KEY=VALUE"),
        (["alias", "bad-name", "0b1f0cf6-0000-4000-8000-000000000000"], "'alias_name'"),
        (["rotate", "alias/x", "--enable-auto", "--disable-auto"], "at most one of"),
    ],
)
def test_errors_are_one_line_and_exit_2(home: Path, args: list[str], message: str) -> None:
    result = cli(home, *args, code=2)
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_disabled_key_error_names_the_fix(home: Path) -> None:
    kid = cli(home, "create", "--json")["key_id"]
    cli(home, "disable", kid)
    result = cli(home, "rotate", kid, code=2)
    assert "is disabled; enable it first" in result.stderr


def test_every_command_help_has_an_example() -> None:
    commands = [c.name or c.callback.__name__ for c in keys_app.registered_commands]  # type: ignore[union-attr]
    assert sorted(commands) == sorted(
        [
            "create",
            "list",
            "describe",
            "rotate",
            "disable",
            "enable",
            "schedule-deletion",
            "cancel-deletion",
            "alias",
            "maintain",
            "sign",
            "verify",
            "public-key",
        ]
    )
    for name in commands:
        result = runner.invoke(app, ["keys", name, "--help"])
        assert result.exit_code == 0
        assert "Example: bastion keys " + name in " ".join(result.stdout.split())
