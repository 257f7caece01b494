"""`bastion audit …`: lookup, verify (exit 1 names the tampered record), query, export, digest."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bastion.cli import app
from bastion.cli.audit import app as audit_app

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
    result = runner.invoke(app, ["--home", str(home), "audit", *args])
    assert result.exit_code == code, result.output
    if "--json" in args and code in (0, 1):
        return json.loads(result.stdout)
    return result


def test_verify_lookup_query_export_digest(home: Path, tmp_path: Path) -> None:
    report = cli(home, "verify", "--json")
    assert report["ok"] is True and report["first_bad_event_id"] is None
    assert "intact" in cli(home, "verify").stdout

    found = cli(home, "lookup", "--event-name", "ValidateLogs", "--max", "1", "--json")
    (event,) = found["Events"]
    assert event["EventName"] == "ValidateLogs" and event["ReadOnly"] == "true"
    assert json.loads(event["CloudTrailEvent"])["eventID"] == event["EventId"]
    assert found["NextToken"] is not None
    table = cli(home, "lookup", "--source", "cloudtrail", "--start", "2020-01-01").stdout
    assert "ValidateLogs" in table and "LookupEvents" in table

    rows = cli(
        home,
        "query",
        "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        "--json",
    )
    assert rows["columns"] == ["event_name", "n"] and not rows["truncated"]
    assert {"event_name": "ValidateLogs", "n": 2} in rows["rows"]
    assert "event_time" in cli(home, "query", "SELECT event_time FROM events").stdout

    exported = cli(home, "export", str(tmp_path / "out"), "--json")
    assert exported["records"] >= 5 and exported["log_files"]
    assert (tmp_path / "out" / exported["log_files"][0]).exists()
    assert "digest_files" in cli(home, "export", str(tmp_path / "out2")).stdout

    digest = cli(home, "digest", "--json")
    assert digest["number"] == 1 and digest["start_seq"] == 1
    assert cli(home, "verify", "--json")["digests_checked"] == 1


def test_verify_names_a_row_tampered_with_sqlite3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the demo does: edit one record with plain sqlite3, then verify exits 1 naming it."""
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    cli(home, "verify")
    cli(home, "lookup")
    target = cli(home, "lookup", "--event-name", "ValidateLogs", "--json")["Events"][0]["EventId"]
    with sqlite3.connect(home / "bastion.db") as db:
        db.execute(
            "UPDATE audit_events SET record = replace(record, '\"ValidateLogs\"', "
            "'\"SomethingElse\"') WHERE json_extract(record, '$.eventID') = ?",
            (target,),
        )
    result = cli(home, "verify", code=1)
    assert "TAMPERED" in result.stdout and target in result.stdout
    report = cli(home, "verify", "--json", code=1)
    assert report["ok"] is False and report["first_bad_event_id"] == target


def test_bad_input_is_one_line_and_exit_code_2(home: Path) -> None:
    result = cli(home, "query", "DELETE FROM events", code=2)
    assert "The 'sql' parameter of StartQuery must be one read-only SELECT" in result.output
    result = cli(home, "lookup", "--start", "yesterday", code=2)
    assert "'start'" in result.output and "ISO-8601" in result.output
    result = cli(home, "lookup", "--max", "0", code=2)
    assert "'max_results'" in result.output


def test_every_command_has_an_example() -> None:
    for command in audit_app.registered_commands:
        assert command.callback is not None
        assert "Example: bastion audit" in (command.callback.__doc__ or ""), command.name
    result = runner.invoke(app, ["audit", "--help"])
    assert result.exit_code == 0
    for name in ("lookup", "verify", "query", "export", "digest"):
        assert name in result.stdout
