"""Data-quality monitoring: SageMaker-compatible baselines, constraints, violations and drift.

``profile`` makes a mergeable ``Profile`` of a dataset (DuckDB engine by default; see
``bastion.monitor.engine``); ``baseline`` turns data or a merged profile into SageMaker's
``statistics.json`` and suggested ``constraints.json``; ``check`` compares current data with a
baseline and returns the violations, a drift report (SageMaker's distance beside PSI, KS, JS,
Wasserstein, chi-square, effect sizes and a Benjamini-Hochberg calibrated verdict) and the
``feature_*`` datapoints. The ``read_*``/``write_*`` functions import and export SageMaker's files.

``MonitorClient`` (``bastion.connect(...).monitor``) runs the same work through the gate:
baselines and batch checks as processing jobs with their outputs encrypted in the store,
monitoring schedules over an endpoint's capture or a dataset, their executions, HTML reports,
and the ``Scheduler`` that runs them (``bastion monitor scheduler``).

Importing the package is light (its actions and events are declared, nothing else): the names
below load their modules (DuckDB, SciPy, Arrow, Jinja2) on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bastion.monitor import _actions, _events, _tables  # noqa: F401  (declares and registers)

if TYPE_CHECKING:
    from bastion.monitor._client import MonitorClient, MonitorRuntime
    from bastion.monitor._data_quality import baseline, check, check_options, profile, read_baseline
    from bastion.monitor._datapoints import BATCH_NAMESPACE, ENDPOINT_NAMESPACE
    from bastion.monitor._expressions import ScheduleExpression
    from bastion.monitor._formats import (
        Constraints,
        ConstraintViolations,
        InferredType,
        Statistics,
        read_constraints,
        read_statistics,
        read_violations,
        to_json,
        write_constraints,
        write_statistics,
        write_violations,
    )
    from bastion.monitor._jobs import (
        BaselineJob,
        CheckJob,
        DatasetFormat,
        ExecutionOutputs,
        ExecutionPage,
        ExecutionStatus,
        ExecutionSummary,
        MonitoringSchedule,
        ScheduleStatus,
    )
    from bastion.monitor._models import (
        Baseline,
        CheckResult,
        CheckType,
        Datapoint,
        DriftOptions,
        DriftReport,
        FeatureDrift,
        Profile,
        ProfileOptions,
        StatisticSet,
        Violation,
        merge_profiles,
    )
    from bastion.monitor._report import ReportContext, render_report
    from bastion.monitor._scheduler import Scheduler
    from bastion.monitor._suggest import suggest_constraints

_WHERE = {
    "BATCH_NAMESPACE": "bastion.monitor._datapoints",
    "Baseline": "bastion.monitor._models",
    "BaselineJob": "bastion.monitor._jobs",
    "CheckJob": "bastion.monitor._jobs",
    "CheckResult": "bastion.monitor._models",
    "CheckType": "bastion.monitor._models",
    "ConstraintViolations": "bastion.monitor._formats",
    "Constraints": "bastion.monitor._formats",
    "Datapoint": "bastion.monitor._models",
    "DatasetFormat": "bastion.monitor._jobs",
    "DriftOptions": "bastion.monitor._models",
    "DriftReport": "bastion.monitor._models",
    "ENDPOINT_NAMESPACE": "bastion.monitor._datapoints",
    "ExecutionOutputs": "bastion.monitor._jobs",
    "ExecutionPage": "bastion.monitor._jobs",
    "ExecutionStatus": "bastion.monitor._jobs",
    "ExecutionSummary": "bastion.monitor._jobs",
    "FeatureDrift": "bastion.monitor._models",
    "InferredType": "bastion.monitor._formats",
    "MonitorClient": "bastion.monitor._client",
    "MonitorRuntime": "bastion.monitor._client",
    "MonitoringSchedule": "bastion.monitor._jobs",
    "Profile": "bastion.monitor._models",
    "ProfileOptions": "bastion.monitor._models",
    "ReportContext": "bastion.monitor._report",
    "ScheduleExpression": "bastion.monitor._expressions",
    "ScheduleStatus": "bastion.monitor._jobs",
    "Scheduler": "bastion.monitor._scheduler",
    "StatisticSet": "bastion.monitor._models",
    "Statistics": "bastion.monitor._formats",
    "Violation": "bastion.monitor._models",
    "baseline": "bastion.monitor._data_quality",
    "check": "bastion.monitor._data_quality",
    "check_options": "bastion.monitor._data_quality",
    "merge_profiles": "bastion.monitor._models",
    "profile": "bastion.monitor._data_quality",
    "read_baseline": "bastion.monitor._data_quality",
    "read_constraints": "bastion.monitor._formats",
    "read_statistics": "bastion.monitor._formats",
    "read_violations": "bastion.monitor._formats",
    "render_report": "bastion.monitor._report",
    "suggest_constraints": "bastion.monitor._suggest",
    "to_json": "bastion.monitor._formats",
    "write_constraints": "bastion.monitor._formats",
    "write_statistics": "bastion.monitor._formats",
    "write_violations": "bastion.monitor._formats",
}


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'bastion.monitor' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
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
]
