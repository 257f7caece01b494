"""`bastion monitor …`: each command is one SDK call; violations exit 1; errors exit 2 with one
line; --json is machine-readable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from monitor_helpers import csv_bytes, drifted, training
from typer.testing import CliRunner

import bastion
from bastion.cli import app
from bastion.settings import Settings
from bastion.testing import FrozenClock

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised home (SQLite and PostgreSQL) with a bucket holding train.csv, current.csv."""
    monkeypatch.setenv("BASTION_DATABASE_URL", db_url)
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    assert runner.invoke(app, ["--home", str(home), "store", "mb", "fraud-data"]).exit_code == 0
    for name, frame in (("train.csv", training(600)), ("current.csv", drifted(600))):
        path = tmp_path / name
        path.write_bytes(csv_bytes(frame))
        put = runner.invoke(app, ["--home", str(home), "store", "put", str(path), "fraud-data"])
        assert put.exit_code == 0, put.output
    return home


def cli(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), "monitor", *args])
    assert result.exit_code == code, result.output
    if "--json" in args and code in (0, 1):
        return json.loads(result.stdout)
    return result


def test_baseline_check_and_schedules(home: Path, tmp_path: Path) -> None:
    local = tmp_path / "baseline"
    made = cli(
        home,
        "baseline",
        "s3://fraud-data/train.csv",
        "--output",
        "s3://fraud-data/baseline",
        "--out-dir",
        str(local),
        "--json",
    )
    assert made["item_count"] == 600 and made["features"] == 3
    assert (local / "statistics.json").is_file() and (local / "constraints.json").is_file()
    shown = cli(home, "baseline", str(tmp_path / "train.csv"))
    assert "amount" in shown.stdout and "Integral" in shown.stdout

    report = tmp_path / "report.html"
    checked = cli(
        home,
        "check",
        "--data",
        "s3://fraud-data/current.csv",
        "--baseline",
        "s3://fraud-data/baseline",
        "--report",
        str(report),
        "--out-dir",
        str(tmp_path / "out"),
        "--output",
        "s3://fraud-data/checks/one",
        "--json",
        code=1,
    )
    assert checked["status"] == "CompletedWithViolations"
    assert {v["constraint_check_type"] for v in checked["violations"]} >= {"baseline_drift_check"}
    assert checked["outputs"]["report.html"] == "s3://fraud-data/checks/one/report.html"
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"]
    same = cli(home, "check", "--data", str(tmp_path / "train.csv"), "--baseline", str(local))
    assert "Completed" in same.stdout and "no violations" in same.stdout
    summary = cli(
        home,
        "check",
        "--data",
        str(tmp_path / "current.csv"),
        "--statistics",
        str(local / "statistics.json"),
        "--constraints",
        str(local / "constraints.json"),
        code=1,
    )
    assert "baseline_drift_check" in summary.stdout and "drift" in summary.stdout

    created = cli(
        home,
        "schedule",
        "create",
        "batch-hourly",
        "--expression",
        "cron(0 * ? * * *)",
        "--data",
        "s3://fraud-data/current.csv",
        "--baseline",
        "s3://fraud-data/baseline",
        "--output",
        "s3://fraud-data/monitoring",
        "--tag",
        "team=risk",
        "--json",
    )
    assert created["status"] == "Scheduled" and created["tags"] == {"team": "risk"}
    assert [s["name"] for s in cli(home, "schedule", "list", "--json")] == ["batch-hourly"]
    assert cli(home, "schedule", "stop", "batch-hourly", "--json")["status"] == "Stopped"
    assert cli(home, "schedule", "start", "batch-hourly", "--json")["status"] == "Scheduled"
    updated = cli(
        home, "schedule", "update", "batch-hourly", "--expression", "rate(1 hour)", "--json"
    )
    assert updated["schedule_expression"] == "rate(1 hour)"
    assert cli(home, "scheduler", "--once", "--json") == []
    assert cli(home, "executions", "list", "--json") == {"executions": [], "next_token": None}

    settings = Settings(home=home)
    later = FrozenClock(datetime.now(UTC) + timedelta(hours=2, minutes=1))
    client = bastion.connect(settings=settings, clock=later)
    try:
        done = client.monitor.scheduler().tick()
    finally:
        client.close()
    assert len(done) == 2
    first = done[0].execution_id
    listed = cli(home, "executions", "list", "--schedule", "batch-hourly", "--json")
    assert {e["execution_id"] for e in listed["executions"]} == {e.execution_id for e in done}
    described = cli(home, "executions", "describe", first, "--json")
    assert described["status"] == "CompletedWithViolations"
    saved = tmp_path / "execution.html"
    shown = cli(home, "report", first, "--out", str(saved))
    assert "CompletedWithViolations" in shown.stdout and saved.read_text().startswith("<!DOCTYPE")
    as_json = cli(home, "report", first, "--json")
    assert as_json["violations"] and as_json["drift"]["kind"] == "bastion.monitor/drift@1"
    retry = cli(home, "executions", "retry", first, code=2)
    assert "only Failed or Stopped" in retry.output
    assert cli(home, "schedule", "delete", "batch-hourly", "--json") == {"deleted": "batch-hourly"}


def test_errors_are_one_line(home: Path) -> None:
    bad = cli(
        home,
        "schedule",
        "create",
        "x",
        "--expression",
        "hourly",
        "--data",
        "s3://fraud-data/a",
        "--baseline",
        "s3://fraud-data/b",
        "--output",
        "s3://fraud-data/c",
        code=2,
    )
    assert bad.output.count("\n") == 1 and "schedule_expression" in bad.output
    missing = cli(home, "schedule", "describe", "nope", code=2)
    assert "not found" in missing.output
    local = cli(home, "check", "--data", "x.csv", "--baseline", "/nonexistent", code=2)
    assert "statistics.json" in local.output
    assert "Example:" in runner.invoke(app, ["monitor", "check", "--help"]).output
