"""Data-quality monitoring: SageMaker-compatible baselines, constraints, violations and drift.

``profile`` makes a mergeable ``Profile`` of a dataset (DuckDB engine by default; see
``bastion.monitor.engine``); ``baseline`` turns data or a merged profile into SageMaker's
``statistics.json`` and suggested ``constraints.json``; ``check`` compares current data with a
baseline and returns the violations, a drift report (SageMaker's distance beside PSI, KS, JS,
Wasserstein, chi-square, effect sizes and a Benjamini-Hochberg calibrated verdict) and the
``feature_*`` datapoints. The ``read_*``/``write_*`` functions import and export SageMaker's files.
"""

from bastion.monitor._data_quality import baseline, check, check_options, profile, read_baseline
from bastion.monitor._datapoints import BATCH_NAMESPACE, ENDPOINT_NAMESPACE
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
from bastion.monitor._suggest import suggest_constraints

__all__ = [
    "BATCH_NAMESPACE",
    "ENDPOINT_NAMESPACE",
    "Baseline",
    "CheckResult",
    "CheckType",
    "ConstraintViolations",
    "Constraints",
    "Datapoint",
    "DriftOptions",
    "DriftReport",
    "FeatureDrift",
    "InferredType",
    "Profile",
    "ProfileOptions",
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
    "suggest_constraints",
    "to_json",
    "write_constraints",
    "write_statistics",
    "write_violations",
]
