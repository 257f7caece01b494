"""The data-quality operations: profile, baseline, check.

Pure functions over data (a path, a ``Dataset``, a pandas or Arrow table) or over profiles already
computed; the engine (DuckDB by default) only ever does the profiling.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bastion.errors import Invalid
from bastion.monitor._baseline import from_statistics, to_statistics
from bastion.monitor._checks import run_checks
from bastion.monitor._datapoints import data_quality_datapoints
from bastion.monitor._drift import drift_report
from bastion.monitor._formats import (
    CategoricalMethod,
    ComparisonMethod,
    InferredType,
    read_constraints,
    read_statistics,
)
from bastion.monitor._models import Baseline, CheckResult, DriftOptions, Profile, ProfileOptions
from bastion.monitor._suggest import suggest_constraints
from bastion.monitor.engine import DuckDBEngine, Engine

log = logging.getLogger(__name__)


def profile(
    data: Any, *, engine: Engine | None = None, options: ProfileOptions | None = None
) -> Profile:
    """One pass over ``data``: a mergeable profile of every column."""
    return (engine or DuckDBEngine()).profile(data, options=options or ProfileOptions())


def _profiled(data: Any, engine: Engine | None, options: ProfileOptions | None) -> Profile:
    return data if isinstance(data, Profile) else profile(data, engine=engine, options=options)


def baseline(
    data: Any,
    *,
    engine: Engine | None = None,
    options: ProfileOptions | None = None,
    comparison_method: ComparisonMethod = "Robust",
    categorical_drift_method: CategoricalMethod = "LInfinity",
) -> Baseline:
    """Baseline statistics and suggested constraints of ``data`` (or of a merged profile)."""
    result = _profiled(data, engine, options)
    if result.item_count == 0:
        raise Invalid("data", got="an empty dataset (0 rows)", expected="at least one row")
    statistics = to_statistics(result)
    constraints = suggest_constraints(
        statistics,
        comparison_method=comparison_method,
        categorical_drift_method=categorical_drift_method,
    )
    log.info("monitor.baseline rows=%d features=%d", result.item_count, len(result.columns))
    return Baseline(statistics=statistics, constraints=constraints, profile=result)


def read_baseline(statistics: str | Path | bytes, constraints: str | Path | bytes) -> Baseline:
    """A baseline from existing ``statistics.json`` and ``constraints.json`` files."""
    return Baseline(
        statistics=read_statistics(statistics), constraints=read_constraints(constraints)
    )


def check_options(baseline: Baseline, *, options: ProfileOptions | None = None) -> ProfileOptions:
    """Profile options for data that will be checked against ``baseline``.

    The baseline's String columns are profiled as text (so values compare as values whatever
    type a reader gives them) and the baseline's values are counted exactly however many others
    turn up. ``check`` uses them; use them too for partial profiles merged before a check.
    """
    options = options or ProfileOptions()
    text = {f.name for f in baseline.constraints.features if f.inferred_type is InferredType.STRING}
    keep = {
        column.name: frozenset(column.categorical.values)
        | options.keep_values.get(column.name, frozenset())
        for column in from_statistics(baseline.statistics).columns
        if column.name in text and column.categorical is not None
    }
    return options.model_copy(
        update={
            "text_columns": options.text_columns | text,
            "keep_values": {**options.keep_values, **keep},
        }
    )


def check(
    data: Any,
    *,
    baseline: Baseline,
    engine: Engine | None = None,
    options: ProfileOptions | None = None,
    drift_options: DriftOptions | None = None,
    dimensions: Mapping[str, str] | None = None,
) -> CheckResult:
    """Check ``data`` (or its profile) against a baseline: violations, drift, datapoints.

    Data is profiled with ``check_options(baseline, options=options)``; a profile passed in
    should have been made with them too.
    """
    reference = from_statistics(baseline.statistics)
    if isinstance(data, Profile):
        current = data
    else:
        current = profile(data, engine=engine, options=check_options(baseline, options=options))
    if current.item_count == 0:
        raise Invalid("data", got="an empty dataset (0 rows)", expected="at least one row")
    drift = drift_report(
        reference,
        current,
        baseline.constraints,
        drift_options or DriftOptions(),
    )
    violations = run_checks(baseline.constraints, current, drift)
    datapoints = data_quality_datapoints(
        baseline.constraints, current, drift, dimensions=dimensions
    )
    log.info(
        "monitor.check rows=%d violations=%d drifted=%d",
        current.item_count,
        len(violations),
        sum(f.drifted for f in drift.features),
    )
    return CheckResult(
        statistics=to_statistics(current),
        violations=tuple(violations),
        drift=drift,
        datapoints=tuple(datapoints),
        profile=current,
    )
