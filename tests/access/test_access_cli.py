"""`bastion access …`: each command is one SDK call; --json output; errors are one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from access_helpers import allow, deny, policy, trust
from typer.testing import CliRunner

from bastion.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BASTION_DATABASE_URL", db_url)
    home = tmp_path / "home"
    result = runner.invoke(app, ["--home", str(home), "init", "--json"])
    assert result.exit_code == 0, result.output
    return home


def cli(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), "access", *args])
    assert result.exit_code == code, result.output
    if code == 0 and "--json" in args:
        return json.loads(result.stdout)
    return result


def test_access_from_the_command_line(home: Path, tmp_path: Path) -> None:
    account = cli(home, "whoami", "--json")["Account"]
    user = cli(home, "user", "create", "alice", "--tag", "team=risk", "--json")
    assert user["arn"] == f"arn:bastion:iam::{account}:user/alice"
    doc = tmp_path / "p.json"
    doc.write_text(policy(allow("kms:ListKeys"), {**deny("kms:Decrypt"), "Sid": "NoDecrypt"}))
    cli(home, "policy", "put", "inline", "-f", str(doc), "--user", "alice", "--json")
    managed = cli(home, "policy", "create", "Lister", "-f", str(doc), "--json")
    cli(home, "policy", "attach", managed["arn"], "--user", "alice", "--json")
    shown = cli(home, "user", "show", "alice", "--json")
    assert shown["inline_policies"] == ["inline"] and shown["attached_policies"] == [managed["arn"]]
    token = cli(home, "token", "create", "--user", "alice", "--days", "7", "--json")
    assert token["token"].startswith(token["token_id"])
    listed = cli(home, "token", "list", "--user", "alice", "--json")
    assert token["token"] not in json.dumps(listed)
    cli(home, "token", "revoke", token["token_id"], "--json")
    key = cli(home, "key", "create", "--user", "alice", "--json")
    assert key["access_key_id"].startswith("AKIA")

    sim = cli(home, "simulate", "--principal", user["arn"], "--action", "kms:Decrypt", "--json")
    assert sim["decision"] == "ExplicitDeny" and sim["deciding"][0]["sid"] == "NoDecrypt"
    table = cli(home, "simulate", "--principal", user["arn"], "--action", "kms:ListKeys")
    assert "Allow" in table.stdout and "NoDecrypt" in table.stdout

    trust_file = tmp_path / "trust.json"
    trust_file.write_text(trust(f"arn:bastion:iam::{account}:root"))
    role = cli(home, "role", "create", "ops", "--trust-file", str(trust_file), "--json")
    creds = cli(
        home, "role", "assume", role["arn"], "--session-name", "cli", "--duration", "900", "--json"
    )
    assert creds["access_key_id"].startswith("ASIA") and creds["session_token"].startswith("bss_")

    guard = tmp_path / "scp.json"
    guard.write_text(policy(deny("kms:ScheduleKeyDeletion")))
    cli(home, "guardrail", "create", "NoDeletion", "-f", str(guard), "--json")
    attached = cli(home, "guardrail", "attach", "NoDeletion", account, "--json")
    assert attached["targets"] == [account]
    assert len(cli(home, "guardrail", "list", "--json")) == 2
    assert "FullAccess" in cli(home, "guardrail", "list").stdout

    actions = cli(home, "actions", "--json")
    assert any(a["action"] == "sts:AssumeRole" for a in actions)
    markdown = cli(home, "actions", "--markdown")
    assert markdown.stdout.startswith("# Actions")


def test_errors_are_one_line_with_exit_code_2(home: Path, tmp_path: Path) -> None:
    result = cli(home, "user", "create", "bad name", code=2)
    assert "user_name" in result.output and "Traceback" not in result.output
    result = cli(home, "user", "show", "nobody", code=2)
    assert "not found" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": {"Effect": "Allow"}}')
    result = cli(home, "policy", "create", "Bad", "-f", str(bad), code=2)
    assert "Statement" in result.output
    result = cli(home, "policy", "put", "x", "-f", str(bad), code=2)
    assert "exactly one of --user, --group, --role" in result.output
    result = cli(home, "explain", "not-a-request-id", code=2)
    assert "request_id" in result.output


def test_explain_from_the_command_line(home: Path) -> None:
    cli(home, "user", "create", "alice", "--json")
    result = runner.invoke(app, ["--home", str(home), "audit", "lookup", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)["Events"][0]
    assert created["EventName"] == "CreateUser"
    request_id = json.loads(created["CloudTrailEvent"])["requestID"]
    explained = cli(home, "explain", request_id, "--json")
    assert explained["simulation"]["decision"] == "Allow"
    assert "Allow" in cli(home, "explain", request_id).stdout
