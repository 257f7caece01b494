"""Each constraint check, with hand-computed expected values and SageMaker's exact texts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bastion.errors import Invalid
from bastion.monitor import (
    Baseline,
    CheckType,
    Constraints,
    Violation,
    baseline,
    check,
    profile,
    read_baseline,
    read_violations,
    write_violations,
)
from bastion.monitor._checks import (
    CATEGORICAL_DRIFT_TEMPLATE,
    CATEGORICAL_VALUES_TEMPLATE,
    CHI_SQUARED_DRIFT_TEMPLATE,
    COMPLETENESS_TEMPLATE,
    DATA_TYPE_TEMPLATE,
    EXTRA_COLUMN_TEMPLATE,
    FOLDED_EXAMPLES,
    MISSING_COLUMN_TEMPLATE,
    NON_NEGATIVE_TEMPLATE,
    NUMERICAL_DRIFT_TEMPLATE,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _edit(base: Baseline, change: Any) -> Baseline:
    body = base.constraints.model_dump(mode="json", by_alias=True, exclude_unset=True)
    change(body)
    return Baseline(statistics=base.statistics, constraints=Constraints.model_validate(body))


def _only(result_violations: tuple[Violation, ...], kind: CheckType) -> list[Violation]:
    return [v for v in result_violations if v.constraint_check_type is kind]


def test_data_type_check() -> None:
    base = baseline(pd.DataFrame({"x": list(range(10))}))
    current = pd.DataFrame({"x": ["1", "2", "3", "4", "5", "6", "7", "8", "x", "y"]})
    (violation,) = _only(check(current, baseline=base).violations, CheckType.DATA_TYPE)
    assert violation == Violation(
        feature_name="x",
        constraint_check_type=CheckType.DATA_TYPE,
        description="Data type match requirement is not met. Expected data type: Integral, "
        "Expected match: 90.0%. Observed: Only 80.0% of data is Integral.",
    )
    assert violation.description == DATA_TYPE_TEMPLATE.format(
        expected="Integral", expected_match=90.0, observed=80.0
    )
    # 20 % mismatch is tolerated under a 0.25 threshold for this feature
    tolerant = _edit(
        base,
        lambda b: b["features"][0].update(
            monitoringConfigOverrides={"datatype_check_threshold": 0.25}
        ),
    )
    assert not _only(check(current, baseline=tolerant).violations, CheckType.DATA_TYPE)


def test_data_type_check_reads_parsed_whole_numbers_as_integral() -> None:
    base = baseline(pd.DataFrame({"x": list(range(10))}))
    # a reader made the column floating because of one value: 2 of 3 are still whole
    (violation,) = _only(
        check(pd.DataFrame({"x": [1.0, 2.0, 2.5]}), baseline=base).violations, CheckType.DATA_TYPE
    )
    assert violation.description.endswith("Observed: Only 66.7% of data is Integral.")
    fractional = baseline(pd.DataFrame({"x": [0.5, 1.5]}))
    ints = pd.DataFrame({"x": [1, 2, 3]})
    assert not _only(check(ints, baseline=fractional).violations, CheckType.DATA_TYPE)


def test_completeness_check() -> None:
    base = baseline(pd.DataFrame({"x": list(range(10))}))
    current = pd.DataFrame({"x": pd.array([1, 2, 3, 4, 5, 6, 7, 8, 9, None], dtype="Int64")})
    (violation,) = _only(check(current, baseline=base).violations, CheckType.COMPLETENESS)
    assert violation.description == (
        "Data completeness requirement is not met. Expected: 100.0%. "
        "Observed: Only 90.0% of data is complete."
    )
    assert violation.description == COMPLETENESS_TEMPLATE.format(expected=100.0, observed=90.0)
    assert not _only(
        check(pd.DataFrame({"x": [1]}), baseline=base).violations, CheckType.COMPLETENESS
    )


def test_numerical_drift_simple_and_robust_by_hand() -> None:
    ten = pd.DataFrame({"x": [float(v) for v in range(1, 11)]})
    shifted = pd.DataFrame({"x": [float(v) for v in range(6, 16)]})
    simple = baseline(ten, comparison_method="Simple")
    (violation,) = _only(check(shifted, baseline=simple).violations, CheckType.BASELINE_DRIFT)
    # CDFs 1..10 and 6..15 differ most at x = 5: 0.5 - 0 = 0.5
    assert violation.description == "Numerical distance: 0.5 exceeds numerical threshold: 0.1"
    assert violation.description == NUMERICAL_DRIFT_TEMPLATE.format(distance=0.5, threshold=0.1)
    # Robust: 0.5 - 1.3581 * sqrt(20 / 100) = -0.107, not above 0.1: sampling noise explains it
    robust = baseline(ten, comparison_method="Robust")
    result = check(shifted, baseline=robust)
    assert not _only(result.violations, CheckType.BASELINE_DRIFT)
    assert result.drift.feature("x").distance == 0.5
    # with 100 values each the band is 0.192: 0.6 - 0.192 > 0.1 is drift
    hundred = baseline(pd.DataFrame({"x": np.arange(100.0)}), comparison_method="Robust")
    moved = pd.DataFrame({"x": np.arange(60.0, 160.0)})
    (violation,) = _only(check(moved, baseline=hundred).violations, CheckType.BASELINE_DRIFT)
    assert violation.description == "Numerical distance: 0.6 exceeds numerical threshold: 0.1"


def test_drift_threshold_override_and_disabled_comparison() -> None:
    ten = pd.DataFrame({"x": [float(v) for v in range(1, 11)]})
    shifted = pd.DataFrame({"x": [float(v) for v in range(6, 16)]})
    simple = baseline(ten, comparison_method="Simple")
    raised = _edit(
        simple,
        lambda b: b["features"][0].update(
            monitoringConfigOverrides={"distribution_constraints": {"comparison_threshold": 0.6}}
        ),
    )
    assert not _only(check(shifted, baseline=raised).violations, CheckType.BASELINE_DRIFT)
    off = _edit(
        simple,
        lambda b: b["monitoring_config"]["distribution_constraints"].update(
            perform_comparison="Disabled"
        ),
    )
    result = check(shifted, baseline=off)
    assert not _only(result.violations, CheckType.BASELINE_DRIFT)
    assert result.drift.feature("x").exceeds  # still measured and published


def _states(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"state": [k for k, n in counts.items() for _ in range(n)]})


def test_categorical_drift_l_infinity() -> None:
    base = baseline(_states({"CA": 8, "NY": 4, "TX": 4}))
    # p = (0.5, 0.25, 0.25) against (0.25, 0.25, 0.5): largest gap 0.25
    current = _states({"CA": 2, "NY": 2, "TX": 4})
    result = check(current, baseline=base)
    (violation,) = _only(result.violations, CheckType.BASELINE_DRIFT)
    assert violation.description == "Categorical distance: 0.25 exceeds categorical threshold: 0.1"
    assert violation.description == CATEGORICAL_DRIFT_TEMPLATE.format(distance=0.25, threshold=0.1)


def test_categorical_drift_chi_squared() -> None:
    base = baseline(_states({"CA": 80, "NY": 40, "TX": 40}), categorical_drift_method="ChiSquared")
    current = _states({"CA": 20, "NY": 20, "TX": 40})
    table = np.array([[80, 40, 40], [20, 20, 40]])
    expected_p = stats.chi2_contingency(table, correction=False).pvalue
    (violation,) = _only(check(current, baseline=base).violations, CheckType.BASELINE_DRIFT)
    assert violation.description == CHI_SQUARED_DRIFT_TEMPLATE.format(
        p_value=check(current, baseline=base).drift.feature("state").chi2_pvalue, threshold=0.1
    )
    assert check(current, baseline=base).drift.feature("state").chi2_pvalue == pytest.approx(
        expected_p, rel=1e-9
    )
    same = _states({"CA": 40, "NY": 20, "TX": 20})
    assert not _only(check(same, baseline=base).violations, CheckType.BASELINE_DRIFT)


def test_missing_and_extra_columns() -> None:
    base = baseline(pd.DataFrame({"a": [1], "b": [2], "c": [3]}))
    result = check(pd.DataFrame({"a": [1], "b": [2], "d": [4]}), baseline=base)
    (missing,) = _only(result.violations, CheckType.MISSING_COLUMN)
    (extra,) = _only(result.violations, CheckType.EXTRA_COLUMN)
    assert missing == Violation(
        feature_name="c",
        constraint_check_type=CheckType.MISSING_COLUMN,
        description="There are missing columns in current dataset. Number of columns in current "
        "dataset: 3, Number of columns in baseline constraints: 3",
    )
    assert extra.feature_name == "d"
    assert extra.description == EXTRA_COLUMN_TEMPLATE.format(current=3, baseline=3)
    assert missing.description == MISSING_COLUMN_TEMPLATE.format(current=3, baseline=3)


def test_categorical_values_check() -> None:
    base = baseline(_states({"CA": 10, "NY": 6, "TX": 4}))
    assert base.constraints.features[0].string_constraints.domains == ["CA", "NY", "TX"]
    current = _states({"CA": 7, "XX": 2, "YY": 1})
    (violation,) = _only(check(current, baseline=base).violations, CheckType.CATEGORICAL_VALUES)
    assert violation.description == (
        "Data values are not in the expected domain. Expected: at most 10.0% of values outside "
        "the domain. Observed: 30.0% of data is outside the domain, e.g. 'XX', 'YY'."
    )
    assert violation.description == CATEGORICAL_VALUES_TEMPLATE.format(
        expected=10.0, observed=30.0, examples="'XX', 'YY'"
    )
    fine = _states({"CA": 19, "XX": 1})  # 5 %: within the 10 % tolerated
    assert not _only(check(fine, baseline=base).violations, CheckType.CATEGORICAL_VALUES)


def test_categorical_values_check_counts_folded_values_as_unknown() -> None:
    from bastion.monitor import ProfileOptions

    base = baseline(_states({"CA": 10, "NY": 6, "TX": 4}))
    current = _states({"CA": 5, **{f"Z{i}": 1 for i in range(10)}})
    # a profile made without the baseline at hand keeps only its most frequent value
    result = check(profile(current, options=ProfileOptions(max_categories=1)), baseline=base)
    (violation,) = _only(result.violations, CheckType.CATEGORICAL_VALUES)
    assert violation.description.endswith(f"e.g. {FOLDED_EXAMPLES}.")


def test_non_negative_check() -> None:
    base = baseline(pd.DataFrame({"x": [0.0, 1.0, 2.0]}))
    (violation,) = _only(
        check(pd.DataFrame({"x": [1.0, -2.5]}), baseline=base).violations, CheckType.NON_NEGATIVE
    )
    assert violation.description == NON_NEGATIVE_TEMPLATE.format(minimum=-2.5)


def test_evaluate_constraints_disabled_reports_nothing() -> None:
    base = baseline(pd.DataFrame({"x": [1, 2, 3]}))
    off = _edit(base, lambda b: b["monitoring_config"].update(evaluate_constraints="Disabled"))
    result = check(pd.DataFrame({"x": ["a", None], "y": [1, 2]}), baseline=off)
    assert result.violations == () and result.status == "Completed"


def test_violations_file_round_trips(tmp_path) -> None:
    base = baseline(pd.DataFrame({"x": [1, 2, 3]}))
    result = check(pd.DataFrame({"x": ["a", None]}), baseline=base)
    assert result.status == "CompletedWithViolations"
    write_violations(result.violations_file(), tmp_path / "constraint_violations.json")
    body = json.loads((tmp_path / "constraint_violations.json").read_text())
    assert [v["constraint_check_type"] for v in body["violations"]] == [
        "data_type_check",
        "completeness_check",
    ]
    assert read_violations(tmp_path / "constraint_violations.json") == result.violations_file()


def test_check_against_an_imported_sagemaker_baseline() -> None:
    imported = read_baseline(FIXTURES / "statistics.json", FIXTURES / "constraints.json")
    current = pd.DataFrame(
        {
            "age": [20, 30, 40, 50, 60, 35, 45, 25, 55, 65],
            "amount": [500.0 + i for i in range(10)],
            "state": ["CA"] * 5 + ["NY"] * 3 + ["TX"] * 2,
            "notes": [None] * 10,
        }
    )
    result = check(current, baseline=imported)
    kinds = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    # amount moved entirely above the baseline's max: CDF gap 1.0 over its 0.2 override
    assert ("amount", CheckType.BASELINE_DRIFT) in kinds
    assert result.drift.feature("amount").distance == 1.0
    assert result.drift.feature("amount").threshold == 0.2
    assert ("state", CheckType.BASELINE_DRIFT) not in kinds
    assert ("notes", CheckType.COMPLETENESS) not in kinds
    names = {p.name for p in result.datapoints}
    assert {"feature_baseline_drift_amount", "feature_non_null_age", "feature_data_age"} <= names


def test_empty_current_data_is_refused() -> None:
    base = baseline(pd.DataFrame({"x": [1, 2, 3]}))
    with pytest.raises(Invalid) as caught:
        check(pd.DataFrame({"x": pd.Series([], dtype="int64")}), baseline=base)
    assert caught.value.field == "data"
