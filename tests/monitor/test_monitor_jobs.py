"""Baselines and batch checks as processing jobs: from the store (read decrypting), from local
paths and DataFrames; outputs encrypted in the store; the BaselineCreated event; the settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monitor_helpers import BASELINE, BUCKET, csv_bytes, drifted, training

from bastion.errors import Invalid, NotFound
from bastion.events import Event, subscribe, unsubscribe
from bastion.monitor import Baseline, read_statistics
from bastion.monitor._settings import drift_options, engine_for, profile_options
from bastion.sdk import Bastion
from bastion.settings import Settings


def test_baseline_from_the_store_is_stored_and_announced(bastion: Bastion) -> None:
    seen: list[Event] = []
    subscribe("test-monitor-baseline", ("monitor.BaselineCreated",), lambda _db, e: seen.append(e))
    try:
        bastion.store.create_bucket(BUCKET)
        bastion.store.put_object(BUCKET, "train/part-0.csv", csv_bytes(training(500, 1)))
        bastion.store.put_object(BUCKET, "train/part-1.csv", csv_bytes(training(700, 2)))
        bastion.store.put_object(BUCKET, "train/_SUCCESS", b"")
        job = bastion.monitor.suggest_baseline(
            f"s3://{BUCKET}/train", output_uri=BASELINE, job_name="fraud-baseline"
        )
    finally:
        unsubscribe("test-monitor-baseline")
    assert job.statistics_uri == f"{BASELINE}/statistics.json"
    stored = read_statistics(bastion.store.get_object(BUCKET, "baseline/statistics.json"))
    assert stored.dataset.item_count == 1200
    assert [f.name for f in stored.features] == ["amount", "category", "count"]
    constraints = json.loads(bastion.store.get_object(BUCKET, "baseline/constraints.json"))
    assert (
        constraints["monitoring_config"]["distribution_constraints"]["comparison_method"]
        == "Robust"
    )
    (event,) = seen
    assert event.subject == job.job_arn and event.detail["item_count"] == 1200
    assert event.detail["statistics_uri"] == job.statistics_uri
    records = bastion.audit.lookup(event_name="CreateProcessingJob").events
    assert records and records[0].resources[0].arn == job.job_arn


def test_check_writes_outputs_and_report(stored: Bastion) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(800)))
    job = stored.monitor.check(
        f"s3://{BUCKET}/current/", baseline_uri=BASELINE, output_uri=f"s3://{BUCKET}/checks/1"
    )
    result = job.result
    assert result.status == "CompletedWithViolations"
    kinds = {str(v.constraint_check_type) for v in result.violations}
    assert {"baseline_drift_check", "categorical_values_check"} <= kinds
    assert set(job.outputs) == {
        "statistics.json",
        "constraint_violations.json",
        "drift.json",
        "report.html",
    }
    violations = json.loads(stored.store.get_object(BUCKET, "checks/1/constraint_violations.json"))
    assert len(violations["violations"]) == len(result.violations)
    drift = json.loads(stored.store.get_object(BUCKET, "checks/1/drift.json"))
    assert {f["feature"] for f in drift["features"] if f["drifted"]} >= {"amount", "category"}
    assert job.report_html is not None and "<script src" not in job.report_html
    assert job.files_read == 1


def test_check_of_local_files_and_tables(stored: Bastion, tmp_path: Path) -> None:
    path = tmp_path / "current.csv"
    path.write_bytes(csv_bytes(training(300, 9)))
    baseline_file = stored.monitor.check(path, baseline_uri=BASELINE, report=False)
    assert baseline_file.result.status == "Completed" and baseline_file.report_html is None
    frame = drifted(300)
    base = stored.monitor.suggest_baseline(training(300)).baseline
    assert isinstance(base, Baseline)
    in_memory = stored.monitor.check(frame, baseline=base)
    assert in_memory.result.status == "CompletedWithViolations"
    with pytest.raises(Invalid, match="baseline"):
        stored.monitor.check(frame)
    with pytest.raises(Invalid, match="baseline"):
        stored.monitor.check(frame, baseline=base, baseline_uri=BASELINE)
    with pytest.raises(Invalid, match="constraints_uri"):
        stored.monitor.check(frame, statistics_uri=f"{BASELINE}/statistics.json")


def test_bad_data_is_refused_with_the_reason(stored: Bastion) -> None:
    stored.store.put_object(BUCKET, "empty/part-0.csv", b"amount,category,count\n")
    with pytest.raises(Invalid, match="empty dataset"):
        stored.monitor.check(f"s3://{BUCKET}/empty/", baseline_uri=BASELINE)
    stored.store.put_object(
        BUCKET, "latin/part-0.csv", "amount,category\n1,caf\xe9\n".encode("latin-1")
    )
    with pytest.raises(Invalid, match=r"latin/part-0\.csv"):
        stored.monitor.check(f"s3://{BUCKET}/latin/", baseline_uri=BASELINE)
    stored.store.put_object(BUCKET, "odd/data.bin", b"\x00\x01")
    with pytest.raises(Invalid, match="dataset format"):
        stored.monitor.check(f"s3://{BUCKET}/odd/", baseline_uri=BASELINE)
    with pytest.raises(Invalid, match="an object or a prefix"):
        stored.monitor.check(f"s3://{BUCKET}/nothing-here/", baseline_uri=BASELINE)
    with pytest.raises(NotFound):
        stored.monitor.check("s3://no-such-bucket/x", baseline_uri=BASELINE)
    with pytest.raises(Invalid, match="job_name"):
        stored.monitor.check(training(10), baseline_uri=BASELINE, job_name="no spaces")
    with pytest.raises(Invalid, match="comparison_method"):
        stored.monitor.suggest_baseline(training(10), comparison_method="Exact")  # type: ignore[arg-type]


def test_settings_reach_the_engine_and_the_verdict(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        monitor={  # type: ignore[arg-type]
            "threads": 1,
            "memory_limit": "1GB",
            "kll_k": 256,
            "max_categories": 5,
            "batch_rows": 2048,
            "drift_fdr": 0.01,
            "min_effect_numerical": 0.05,
            "min_effect_categorical": 0.2,
        },
    )
    engine = engine_for(settings)
    assert (engine.name, engine.threads, engine.memory_limit) == ("duckdb", 1, "1GB")  # type: ignore[attr-defined]
    options = profile_options(settings)
    assert (options.kll_k, options.max_categories, options.batch_rows) == (256, 5, 2048)
    drift = drift_options(settings)
    assert (drift.fdr, drift.min_effect_numerical, drift.min_effect_categorical) == (
        0.01,
        0.05,
        0.2,
    )


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_MONITOR__ENGINE", "local[2]")
    monkeypatch.setenv("BASTION_MONITOR__MAX_CATCH_UP", "12")
    monkeypatch.setenv("BASTION_MONITOR__DRIFT_FDR", "0.1")
    settings = Settings()
    assert settings.monitor.engine == "local[2]"
    assert settings.monitor.max_catch_up == 12 and settings.monitor.drift_fdr == 0.1
    for name, value in (("ENGINE", "postgres"), ("DRIFT_FDR", "1.5"), ("MEMORY_LIMIT", "lots")):
        monkeypatch.setenv(f"BASTION_MONITOR__{name}", value)
        with pytest.raises(ValueError, match=name.lower()):
            Settings()
        monkeypatch.delenv(f"BASTION_MONITOR__{name}")


def test_a_smaller_kll_k_shows_in_the_baseline(stored: Bastion) -> None:
    settings = stored.runtime.settings.model_copy(
        update={"monitor": stored.runtime.settings.monitor.model_copy(update={"kll_k": 64})}
    )
    runtime = stored.runtime.__class__(**{**stored.runtime.__dict__, "settings": settings})
    from bastion.monitor import MonitorClient

    client = MonitorClient(runtime, store=stored.store, metrics=stored.metrics)
    stats = client.suggest_baseline(training(5000)).baseline.statistics
    amount = stats.feature("amount")
    assert amount is not None and amount.numerical_statistics is not None
    assert amount.numerical_statistics.distribution.kll.sketch.parameters.k == 64  # type: ignore[union-attr]
