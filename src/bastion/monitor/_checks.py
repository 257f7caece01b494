"""The constraint checks behind ``constraint_violations.json``.

Each check reads the feature's effective ``monitoring_config`` (global block, then the feature's
``monitoringConfigOverrides``) and writes SageMaker's description text. The templates are module
constants so tests compare exact text. Only the data-type text is confirmed from public SageMaker
output; the numerical-drift text follows output quoted in an AWS blog post; the others follow the
reference's wording (see docs/monitor.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bastion.monitor._config import effective_config
from bastion.monitor._formats import Constraints, InferredType
from bastion.monitor._models import CheckType, DriftReport, Profile, Violation

DATA_TYPE_TEMPLATE = (
    "Data type match requirement is not met. Expected data type: {expected}, "
    "Expected match: {expected_match:.1f}%. Observed: Only {observed:.1f}% of data is {expected}."
)
COMPLETENESS_TEMPLATE = (
    "Data completeness requirement is not met. Expected: {expected:.1f}%. "
    "Observed: Only {observed:.1f}% of data is complete."
)
NUMERICAL_DRIFT_TEMPLATE = "Numerical distance: {distance} exceeds numerical threshold: {threshold}"
CATEGORICAL_DRIFT_TEMPLATE = (
    "Categorical distance: {distance} exceeds categorical threshold: {threshold}"
)
CHI_SQUARED_DRIFT_TEMPLATE = (
    "Categorical chi-squared test p-value: {p_value} is below threshold: {threshold}"
)
MISSING_COLUMN_TEMPLATE = (
    "There are missing columns in current dataset. Number of columns in current dataset: "
    "{current}, Number of columns in baseline constraints: {baseline}"
)
EXTRA_COLUMN_TEMPLATE = (
    "There are extra columns in current dataset. Number of columns in current dataset: "
    "{current}, Number of columns in baseline constraints: {baseline}"
)
CATEGORICAL_VALUES_TEMPLATE = (
    "Data values are not in the expected domain. Expected: at most {expected:.1f}% of values "
    "outside the domain. Observed: {observed:.1f}% of data is outside the domain, "
    "e.g. {examples}."
)
NON_NEGATIVE_TEMPLATE = (
    "Non-negative requirement is not met. Expected: no negative values. "
    "Observed: minimum {minimum}."
)
FOLDED_EXAMPLES = "values beyond the categories the profile kept"
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 40


def _columns(constraints: Constraints, current: Profile) -> Iterator[Violation]:
    expected = [f.name for f in constraints.features]
    present = set(current.names)
    known = set(expected)
    numbers = {"current": len(current.names), "baseline": len(expected)}
    for name in expected:
        if name not in present and effective_config(constraints, name).evaluate_constraints:
            yield Violation(
                feature_name=name,
                constraint_check_type=CheckType.MISSING_COLUMN,
                description=MISSING_COLUMN_TEMPLATE.format(**numbers),
            )
    if effective_config(constraints).evaluate_constraints:
        for name in current.names:
            if name not in known:
                yield Violation(
                    feature_name=name,
                    constraint_check_type=CheckType.EXTRA_COLUMN,
                    description=EXTRA_COLUMN_TEMPLATE.format(**numbers),
                )


def _example(value: str) -> str:
    shown = value if len(value) <= MAX_EXAMPLE_CHARS else value[: MAX_EXAMPLE_CHARS - 3] + "..."
    return repr(shown)


def run_checks(constraints: Constraints, current: Profile, drift: DriftReport) -> list[Violation]:
    """Every violation of ``constraints`` by the current profile (and its drift report)."""
    violations = list(_columns(constraints, current))
    for entry in constraints.features:
        column = current.column(entry.name)
        config = effective_config(constraints, entry.name)
        if column is None or not config.evaluate_constraints:
            continue
        types = column.types
        name = entry.name

        match = types.match_fraction(entry.inferred_type)
        if match is not None and 1.0 - match > config.datatype_check_threshold:
            violations.append(
                Violation(
                    feature_name=name,
                    constraint_check_type=CheckType.DATA_TYPE,
                    description=DATA_TYPE_TEMPLATE.format(
                        expected=entry.inferred_type.value,
                        expected_match=(1.0 - config.datatype_check_threshold) * 100,
                        observed=match * 100,
                    ),
                )
            )

        completeness = types.present / current.item_count if current.item_count else 0.0
        if entry.completeness is not None and completeness < entry.completeness:
            violations.append(
                Violation(
                    feature_name=name,
                    constraint_check_type=CheckType.COMPLETENESS,
                    description=COMPLETENESS_TEMPLATE.format(
                        expected=float(entry.completeness) * 100, observed=completeness * 100
                    ),
                )
            )

        numbers = entry.num_constraints
        if (
            numbers is not None
            and numbers.is_non_negative
            and column.numeric is not None
            and column.numeric.min < 0
        ):
            violations.append(
                Violation(
                    feature_name=name,
                    constraint_check_type=CheckType.NON_NEGATIVE,
                    description=NON_NEGATIVE_TEMPLATE.format(minimum=column.numeric.min),
                )
            )

        strings = entry.string_constraints
        categorical = column.categorical
        if (
            entry.inferred_type is InferredType.STRING
            and strings is not None
            and strings.domains is not None
            and categorical is not None
            and categorical.total
        ):
            domain = {str(v) for v in strings.domains}
            outside = np.array([v not in domain for v in categorical.values], dtype=bool)
            unknown = int(categorical.counts[outside].sum()) + categorical.other_count
            share = unknown / categorical.total
            if share > config.domain_content_threshold:
                examples = [
                    _example(v) for v, out in zip(categorical.values, outside, strict=True) if out
                ]
                violations.append(
                    Violation(
                        feature_name=name,
                        constraint_check_type=CheckType.CATEGORICAL_VALUES,
                        description=CATEGORICAL_VALUES_TEMPLATE.format(
                            expected=config.domain_content_threshold * 100,
                            observed=share * 100,
                            examples=", ".join(examples[:MAX_EXAMPLES]) or FOLDED_EXAMPLES,
                        ),
                    )
                )

        feature_drift = drift.feature(name)
        if config.perform_comparison and feature_drift is not None and feature_drift.exceeds:
            if feature_drift.method == "ChiSquared":
                text = CHI_SQUARED_DRIFT_TEMPLATE.format(
                    p_value=feature_drift.chi2_pvalue, threshold=feature_drift.threshold
                )
            elif feature_drift.kind == "categorical":
                text = CATEGORICAL_DRIFT_TEMPLATE.format(
                    distance=feature_drift.distance, threshold=feature_drift.threshold
                )
            else:
                text = NUMERICAL_DRIFT_TEMPLATE.format(
                    distance=feature_drift.distance, threshold=feature_drift.threshold
                )
            violations.append(
                Violation(
                    feature_name=name,
                    constraint_check_type=CheckType.BASELINE_DRIFT,
                    description=text,
                )
            )
    return violations
