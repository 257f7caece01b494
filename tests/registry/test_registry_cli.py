"""`bastion models …` and `bastion endpoints …` from the command line, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from typer.testing import CliRunner

from bastion.cli import app
from bastion.registry.flavors import save_model

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BASTION_DATABASE_URL", db_url)
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init", "--json"]).exit_code == 0
    return home


def cli(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), *args])
    assert result.exit_code == code, result.output
    if code == 0 and "--json" in args:
        return json.loads(result.stdout)
    return result


def test_models_and_endpoints_from_the_command_line(
    home: Path, tmp_path: Path, sk_model: Pipeline, features: pd.DataFrame
) -> None:
    saved = tmp_path / "model"
    save_model(sk_model, saved)
    train = tmp_path / "train.csv"
    features.assign(label=0).to_csv(train, index=False)
    cli(home, "models", "create-group", "fraud", "--description", "card fraud", "--json")
    made = cli(
        home,
        "models",
        "register",
        "fraud",
        str(saved),
        "--training-data",
        str(train),
        "--label",
        "label",
        "--metric",
        "auc=0.7",
        "--data-uri",
        "s3://data/train.csv",
        "--json",
    )
    assert made["version"] == 1 and made["approval_status"] == "PendingManualApproval"
    bad = cli(
        home,
        "models",
        "register",
        "fraud",
        str(saved),
        "--training-data",
        str(train),
        "--metric",
        "auc=high",
        code=2,
    )
    assert "metric auc" in bad.output
    cli(home, "models", "approve", "fraud", "--version", "1", "--reason", "ok", "--json")
    history = cli(home, "models", "history", "fraud", "--version", "1", "--json")
    assert [h["to_status"] for h in history] == ["PendingManualApproval", "Approved"]
    rows = tmp_path / "rows.csv"
    features.head(3).to_csv(rows, index=False)
    loaded = cli(home, "models", "load", "fraud", "--predict", str(rows), "--json")
    assert loaded["verified"] and len(loaded["predictions"]) == 3
    graph = cli(home, "models", "lineage", "fraud", "--version", "1", "--mermaid")
    assert graph.output.startswith("graph LR") and "DataSet" in graph.output
    out = tmp_path / "card.html"
    cli(home, "models", "card", "fraud", "--version", "1", "--out", str(out), "--json")
    assert "<html" in out.read_text().lower()
    cli(home, "endpoints", "create-config", "fraud-v1", "--variant", "AllTraffic=fraud:1", "--json")
    cli(home, "endpoints", "create", "fraud", "--config", "fraud-v1", "--json")
    body = features.head(1).to_csv(header=False, index=False).strip()
    answer = cli(home, "endpoints", "invoke", "fraud", "--body", body, "--json")
    assert answer["variant"] == "AllTraffic" and "," in answer["body"]
    wrong = cli(home, "endpoints", "invoke", "fraud", "--body", "1,2", code=2)
    assert "row 0" in wrong.output
    assert cli(home, "endpoints", "list", "--json")[0]["status"] == "InService"
