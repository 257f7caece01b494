"""The monitor room's public surface is pinned."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "bastion.monitor": [
        "BATCH_NAMESPACE",
        "ENDPOINT_NAMESPACE",
        "Baseline",
        "BaselineJob",
        "CheckJob",
        "CheckResult",
        "CheckType",
        "ConstraintViolations",
        "Constraints",
        "Datapoint",
        "DatasetFormat",
        "DriftOptions",
        "DriftReport",
        "ExecutionOutputs",
        "ExecutionPage",
        "ExecutionStatus",
        "ExecutionSummary",
        "FeatureDrift",
        "InferredType",
        "MonitorClient",
        "MonitorRuntime",
        "MonitoringSchedule",
        "Profile",
        "ProfileOptions",
        "ReportContext",
        "ScheduleExpression",
        "ScheduleStatus",
        "Scheduler",
        "StatisticSet",
        "Statistics",
        "Violation",
        "baseline",
        "check",
        "check_options",
        "merge_profiles",
        "profile",
        "read_baseline",
        "read_constraints",
        "read_statistics",
        "read_violations",
        "render_report",
        "suggest_constraints",
        "to_json",
        "write_constraints",
        "write_statistics",
        "write_violations",
    ],
    "bastion.monitor.engine": [
        "ColumnKind",
        "Dataset",
        "DuckDBEngine",
        "Engine",
        "SparkEngine",
        "engine_from_url",
        "profile_batch",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_surface_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names missing {name}"


def test_stored_specs_carry_a_stable_kind() -> None:
    from bastion.monitor import DriftOptions, ProfileOptions

    assert ProfileOptions().kind == "bastion.monitor/profile-options@1"
    assert DriftOptions().kind == "bastion.monitor/drift-options@1"
    assert ProfileOptions.model_validate(ProfileOptions().model_dump()) == ProfileOptions()
