"""SageMaker's files: import, validate, write back equal; hostile JSON refused naming the path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import INVALID_TEMPLATE, Invalid
from bastion.monitor import (
    read_constraints,
    read_statistics,
    read_violations,
    to_json,
    write_constraints,
    write_statistics,
    write_violations,
)
from bastion.monitor._formats import MAX_DEPTH, MAX_FILE_BYTES, Statistics

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("name", "read", "write"),
    [
        ("statistics.json", read_statistics, write_statistics),
        ("constraints.json", read_constraints, write_constraints),
        ("constraints_older_docs.json", read_constraints, write_constraints),
        ("constraint_violations.json", read_violations, write_violations),
    ],
)
def test_imported_sagemaker_file_writes_back_equal(name, read, write, tmp_path) -> None:
    original = json.loads((FIXTURES / name).read_text())
    document = read(FIXTURES / name)
    write(document, tmp_path / name)
    assert json.loads((tmp_path / name).read_text()) == original
    # and reading our own output gives the same document again
    assert read(tmp_path / name) == document


def test_statistics_fields_are_typed() -> None:
    stats = read_statistics(FIXTURES / "statistics.json")
    age = stats.feature("age")
    assert age is not None and age.numerical_statistics is not None
    kll = age.numerical_statistics.distribution.kll
    assert kll.sketch.parameters.k == 2048.0 and kll.sketch.parameters.c == 0.64
    assert len(kll.buckets) == 10
    state = stats.feature("state")
    assert state.string_statistics.distinct_count == 3.0
    assert state.model_extra == {"custom_statistics": {"max_length": 2}}
    assert stats.feature("notes").common is None
    assert stats.feature("nope") is None


def test_constraints_keep_the_misspelt_comparison_method() -> None:
    constraints = read_constraints(FIXTURES / "constraints_older_docs.json")
    dist = constraints.monitoring_config.distribution_constraints
    assert dist.comparison_method is None
    assert dist.method == "Simple"
    body = json.loads(to_json(constraints))
    assert body["monitoring_config"]["distribution_constraints"]["comparion_method"] == "Simple"


def test_overrides_accept_both_spellings_and_write_camel_case() -> None:
    raw = {
        "version": 0,
        "features": [
            {
                "name": "a",
                "inferred_type": "Integral",
                "monitoring_config_overrides": {"datatype_check_threshold": 0.5},
            }
        ],
    }
    constraints = read_constraints(json.dumps(raw).encode())
    assert constraints.features[0].monitoring_config_overrides.datatype_check_threshold == 0.5
    assert "monitoringConfigOverrides" in json.loads(to_json(constraints))["features"][0]


def _stats(**feature: object) -> dict[str, object]:
    base: dict[str, object] = {"name": "a", "inferred_type": "Integral"}
    base.update(feature)
    return {"version": 0, "dataset": {"item_count": 3}, "features": [base]}


HOSTILE = [
    (b"{", "$", "valid JSON"),
    (b"\xff\xfe{}", "$", "UTF-8 JSON"),
    (b'{"version": NaN, "dataset": {"item_count": 1}, "features": []}', "$", "valid JSON"),
    (b'{"version": 0, "dataset": {"item_count": 1e999}, "features": []}', "$", "valid JSON"),
    (
        b'{"version": 0, "version": 1, "dataset": {"item_count": 1}, "features": []}',
        "$",
        "valid JSON",
    ),
    (b"[" * 5000 + b"]" * 5000, "$", f"at most {MAX_DEPTH} levels"),
    (b"[" * 40 + b"]" * 40, "$", f"at most {MAX_DEPTH} levels"),
    (b"[]", "$", "a valid dictionary or instance of Statistics"),
    (b'{"version": 0, "features": []}', "$.dataset", "present (it is required)"),
]


@pytest.mark.parametrize(("raw", "path", "expected"), HOSTILE)
def test_hostile_json_is_refused_naming_the_path(raw: bytes, path: str, expected: str) -> None:
    with pytest.raises(Invalid) as caught:
        read_statistics(raw)
    assert caught.value.field == path
    assert caught.value.expected == expected


@pytest.mark.parametrize(
    ("feature", "path", "expected", "got"),
    [
        ({"inferred_type": "Boolean"}, "$.features[0].inferred_type", None, "Boolean"),
        ({"name": 7}, "$.features[0].name", "a valid string", 7),
        (
            {"numerical_statistics": {"common": {"num_present": -1, "num_missing": 0}}},
            "$.features[0].numerical_statistics.common.num_present",
            "a finite number >= 0",
            -1,
        ),
        (
            {"numerical_statistics": {"common": {"num_present": True, "num_missing": 0}}},
            "$.features[0].numerical_statistics.common.num_present",
            "a finite number >= 0",
            True,
        ),
        (
            {"numerical_statistics": {"common": {"num_present": "3", "num_missing": 0}}},
            "$.features[0].numerical_statistics.common.num_present",
            "a finite number >= 0",
            "3",
        ),
        (
            {
                "numerical_statistics": {
                    "common": {"num_present": 1, "num_missing": 0},
                    "distribution": {
                        "kll": {
                            "buckets": [],
                            "sketch": {"parameters": {"c": 0.64, "k": 2048.5}, "data": []},
                        }
                    },
                }
            },
            "$.features[0].numerical_statistics.distribution.kll.sketch.parameters",
            "k must be a whole number",
            None,
        ),
        (
            {
                "numerical_statistics": {
                    "common": {"num_present": 1, "num_missing": 0},
                    "distribution": {
                        "kll": {
                            "buckets": [{"lower_bound": 2, "upper_bound": 1, "count": 1}],
                        }
                    },
                }
            },
            "$.features[0].numerical_statistics.distribution.kll.buckets[0]",
            "lower_bound must not exceed upper_bound",
            None,
        ),
        (
            {
                "numerical_statistics": {
                    "common": {"num_present": 1, "num_missing": 0},
                    "distribution": {
                        "kll": {
                            "sketch": {
                                "parameters": {"c": 0.64, "k": 8},
                                "data": [[1.0, "x"]],
                            }
                        }
                    },
                }
            },
            "$.features[0].numerical_statistics.distribution.kll.sketch.data[0][1]",
            "a finite number",
            "x",
        ),
        (
            {
                "numerical_statistics": {
                    "common": {"num_present": 1, "num_missing": 0},
                    "distribution": {
                        "kll": {
                            "sketch": {
                                "parameters": {"c": 0.64, "k": 8},
                                "data": [[1.0]] * 62,
                            }
                        }
                    },
                }
            },
            "$.features[0].numerical_statistics.distribution.kll.sketch.data",
            None,
            None,
        ),
    ],
)
def test_bad_fields_name_their_json_path(feature, path, expected, got) -> None:
    with pytest.raises(Invalid) as caught:
        read_statistics(json.dumps(_stats(**feature)).encode())
    assert caught.value.field == path
    assert caught.value.operation == "read_statistics"
    if expected is not None:
        assert caught.value.expected == expected
        assert str(caught.value) == INVALID_TEMPLATE.format(
            field=path, operation="read_statistics", expected=expected, got=caught.value.got
        )
    if got is not None:
        assert caught.value.got == got


def test_duplicate_feature_names_and_oversized_files_are_refused(tmp_path) -> None:
    twice = {
        "version": 0,
        "dataset": {"item_count": 1},
        "features": [{"name": "a", "inferred_type": "String"}] * 2,
    }
    with pytest.raises(Invalid, match="appears twice"):
        read_statistics(json.dumps(twice).encode())
    with pytest.raises(Invalid) as caught:
        read_statistics(b" " * (MAX_FILE_BYTES + 1))
    assert caught.value.field == "$"
    with pytest.raises(Invalid) as caught:
        read_statistics(tmp_path / "missing.json")
    assert caught.value.field == "path"


def test_bad_constraint_values_name_their_path() -> None:
    raw = {
        "version": 0,
        "features": [{"name": "a", "inferred_type": "Integral", "completeness": 1.5}],
        "monitoring_config": {"distribution_constraints": {"comparison_method": "Fancy"}},
    }
    with pytest.raises(Invalid) as caught:
        read_constraints(json.dumps(raw).encode())
    assert caught.value.field == "$.features[0].completeness"
    raw["features"][0]["completeness"] = 1.0
    with pytest.raises(Invalid) as caught:
        read_constraints(json.dumps(raw).encode())
    assert caught.value.field == "$.monitoring_config.distribution_constraints.comparison_method"
    assert caught.value.expected == "'Simple' or 'Robust'"
    raw["monitoring_config"] = {"distribution_constraints": {"comparion_method": "Fancy"}}
    with pytest.raises(Invalid, match="comparion_method"):
        read_constraints(json.dumps(raw).encode())


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
counts = st.one_of(st.integers(0, 10**9), st.floats(0, 1e9))
feature = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=12),
        "inferred_type": st.sampled_from(["Integral", "Fractional"]),
        "numerical_statistics": st.fixed_dictionaries(
            {
                "common": st.fixed_dictionaries({"num_present": counts, "num_missing": counts}),
                "mean": finite,
                "distribution": st.fixed_dictionaries(
                    {
                        "kll": st.fixed_dictionaries(
                            {
                                "sketch": st.fixed_dictionaries(
                                    {
                                        "parameters": st.fixed_dictionaries(
                                            {"c": st.just(0.64), "k": st.just(2048.0)}
                                        ),
                                        "data": st.lists(st.lists(finite, max_size=5), max_size=4),
                                    }
                                )
                            }
                        )
                    }
                ),
            }
        ),
    }
)


@settings(max_examples=40, deadline=None)
@given(st.lists(feature, max_size=4, unique_by=lambda f: f["name"]), st.integers(0, 10**6))
def test_statistics_round_trip(features, item_count) -> None:
    raw = {"version": 0, "dataset": {"item_count": item_count}, "features": features}
    document = read_statistics(json.dumps(raw).encode())
    assert json.loads(to_json(document)) == raw
    assert Statistics.model_validate(json.loads(to_json(document))) == document
