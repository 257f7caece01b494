"""The model card schema: good cards pass, bad ones fail naming the exact JSON path and the fix."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from bastion.errors import INVALID_TEMPLATE, Invalid
from bastion.registry.cards import (
    EvaluationFact,
    FeatureFact,
    ModelPackageFacts,
    card_schema,
    check_content,
    content_problems,
    draft_from_facts,
)
from bastion.registry.cards._schema import MAX_CONTENT_CHARS

OP = "CreateModelCard"

FULL_CARD: dict[str, Any] = {
    "model_overview": {
        "model_description": "Scores card payments for fraud",
        "model_owner": "risk-ml",
        "model_creator": "risk-ml team",
        "problem_type": "Binary Classification",
        "algorithm_type": "Gradient boosted trees",
        "model_id": "arn:bastion:sagemaker:local:123456789012:model-package/fraud/3",
        "model_artifact": ["s3://models/fraud/3/model.txt"],
        "model_name": "fraud",
        "model_version": 3,
        "inference_environment": {"container_image": ["bastion/lightgbm:4.3"]},
    },
    "model_package_details": {
        "model_package_arn": "arn:bastion:sagemaker:local:123456789012:model-package/fraud/3",
        "model_package_group_name": "fraud",
        "model_package_version": 3,
        "model_approval_status": "Approved",
        "created_by": {"user_profile_name": "alice"},
        "inference_specification": {"containers": [{"image": "bastion/lightgbm:4.3"}]},
        "source_algorithms": [{"algorithm_name": "lightgbm"}],
    },
    "intended_uses": {
        "purpose_of_model": "Flag likely fraud for manual review",
        "intended_uses": "Card-not-present payments in the EU",
        "factors_affecting_model_efficiency": "Merchant mix drift",
        "risk_rating": "High",
        "explanations_for_risk_rating": "Decisions affect customers' payments",
    },
    "business_details": {
        "business_problem": "Chargebacks",
        "business_stakeholders": "Payments risk",
        "line_of_business": "Cards",
    },
    "training_details": {
        "objective_function": {
            "function": {"function": "Minimize", "facet": "Loss", "condition": "logloss"},
            "notes": "binary log loss",
        },
        "training_observations": "Trained on 2026-01 transactions",
        "training_job_details": {
            "training_arn": "arn:bastion:sagemaker:local:123456789012:training-job/fraud-3",
            "training_datasets": ["s3://fraud-data/train/2026-01.csv"],
            "training_environment": {"container_image": ["bastion/train:1"]},
            "training_metrics": [{"name": "train_auc", "value": 0.97}],
            "user_provided_training_metrics": [{"name": "cv_auc", "value": 0.95, "notes": "5-f"}],
            "hyper_parameters": [{"name": "num_leaves", "value": "31"}],
            "user_provided_hyper_parameters": [{"name": "seed", "value": "7"}],
        },
    },
    "evaluation_details": [
        {
            "name": "holdout",
            "evaluation_observation": "Stable across months",
            "evaluation_job_arn": "arn:bastion:sagemaker:local:123456789012:processing-job/e",
            "datasets": ["s3://fraud-data/test.csv"],
            "metadata": {"split": "time"},
            "metric_groups": [
                {
                    "name": "quality",
                    "metric_data": [
                        {"name": "auc", "type": "number", "value": 0.93},
                        {"name": "label", "type": "string", "value": "is_fraud"},
                        {"name": "calibrated", "type": "boolean", "value": True},
                        {
                            "name": "roc",
                            "type": "linear_graph",
                            "value": [[0, 0], [0.1, 0.8], [1, 1]],
                            "x_axis_name": "fpr",
                            "y_axis_name": "tpr",
                        },
                        {
                            "name": "by_month",
                            "type": "bar_chart",
                            "value": [0.92, 0.93],
                            "x_axis_name": ["jan", "feb"],
                        },
                        {
                            "name": "confusion",
                            "type": "matrix",
                            "value": [[90, 10], [5, 95]],
                            "x_axis_name": ["0", "1"],
                            "y_axis_name": ["0", "1"],
                        },
                    ],
                }
            ],
        }
    ],
    "additional_information": {
        "ethical_considerations": "Review disparate impact quarterly",
        "caveats_and_recommendations": "Not for credit decisions",
        "custom_details": {"owner team": "risk-ml"},
    },
}


def _metric(**metric: Any) -> dict[str, Any]:
    return {
        "evaluation_details": [
            {"name": "e", "metric_groups": [{"name": "g", "metric_data": [metric]}]}
        ]
    }


METRIC = "content.evaluation_details[0].metric_groups[0].metric_data[0]"

BAD_CARDS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "risk rating outside the enum",
        {"intended_uses": {"risk_rating": "Severe"}},
        "content.intended_uses.risk_rating",
        "one of 'High', 'Medium', 'Low', 'Unknown'",
    ),
    (
        "unknown top-level section",
        {"model_details": {}},
        "content.model_details",
        "absent: it is not a field of the model card schema here",
    ),
    (
        "unknown field in a section",
        {"business_details": {"budget": "1M"}},
        "content.business_details.budget",
        "fields allowed: business_problem, business_stakeholders, line_of_business",
    ),
    (
        "evaluation without its name",
        {"evaluation_details": [{"datasets": []}]},
        "content.evaluation_details[0].name",
        "given (it is required here)",
    ),
    (
        "too many model artifacts",
        {"model_overview": {"model_artifact": [f"s3://m/{i}" for i in range(16)]}},
        "content.model_overview.model_artifact",
        "an array of at most 15 items",
    ),
    (
        "bar chart whose value is not a list",
        _metric(name="m", type="bar_chart", value="high"),
        f"{METRIC}.value",
        "an array (a JSON list)",
    ),
    (
        "metric of an unknown type",
        _metric(name="m", type="pie", value=1),
        f"{METRIC}.type",
        "one of 'number', 'string', 'boolean', 'linear_graph', 'bar_chart', 'matrix'",
    ),
    (
        "simple metric string value too long",
        _metric(name="m", type="string", value="x" * 64),
        f"{METRIC}.value",
        "a string of at most 63 characters (shorten it)",
    ),
    (
        "linear graph point with three numbers",
        _metric(name="m", type="linear_graph", value=[[0, 1, 2]]),
        f"{METRIC}.value[0]",
        "an array of at most 2 items",
    ),
    (
        "custom detail that is not text",
        {"additional_information": {"custom_details": {"owner team": 3}}},
        'content.additional_information.custom_details["owner team"]',
        "a string",
    ),
    (
        "objective direction outside the enum",
        {"training_details": {"objective_function": {"function": {"function": "Up"}}}},
        "content.training_details.objective_function.function.function",
        "one of 'Maximize', 'Minimize'",
    ),
    (
        "objective function written as text",
        {"training_details": {"objective_function": "log loss"}},
        "content.training_details.objective_function",
        "an object",
    ),
    (
        "model version below 1",
        {"model_overview": {"model_version": 0}},
        "content.model_overview.model_version",
        "a number >= 1",
    ),
    (
        "purpose longer than 2048 characters",
        {"intended_uses": {"purpose_of_model": "p" * 2049}},
        "content.intended_uses.purpose_of_model",
        "a string of at most 2048 characters (shorten it)",
    ),
    (
        "hyper-parameter with an empty value",
        {
            "training_details": {
                "training_job_details": {"hyper_parameters": [{"name": "seed", "value": ""}]}
            }
        },
        "content.training_details.training_job_details.hyper_parameters[0].value",
        "a string of at least 1 character",
    ),
    (
        "approval status of a model package outside the enum",
        {"model_package_details": {"model_approval_status": "OK"}},
        "content.model_package_details.model_approval_status",
        "one of 'Approved', 'Rejected', 'PendingManualApproval'",
    ),
    (
        "boolean where a number is expected",
        {"model_overview": {"model_version": True}},
        "content.model_overview.model_version",
        "a number",
    ),
]


def test_schema_is_draft_2020_12_and_valid() -> None:
    schema = card_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {
        "model_overview",
        "model_package_details",
        "intended_uses",
        "business_details",
        "training_details",
        "evaluation_details",
        "additional_information",
    }


@pytest.mark.parametrize("content", [{}, FULL_CARD], ids=["empty", "full"])
def test_good_cards_pass_unchanged(content: dict[str, Any]) -> None:
    assert check_content(content, operation=OP) == content
    assert content_problems(content) == []


def test_json_text_is_accepted() -> None:
    assert check_content(json.dumps(FULL_CARD), operation=OP) == FULL_CARD


def test_tuples_become_lists() -> None:
    checked = check_content({"model_overview": {"model_artifact": ("s3://a",)}}, operation=OP)
    assert checked == {"model_overview": {"model_artifact": ["s3://a"]}}


@pytest.mark.parametrize(
    ("content", "path", "expected"), [c[1:] for c in BAD_CARDS], ids=[c[0] for c in BAD_CARDS]
)
def test_bad_cards_name_the_path_and_the_fix(
    content: dict[str, Any], path: str, expected: str
) -> None:
    with pytest.raises(Invalid) as caught:
        check_content(content, operation=OP)
    assert caught.value.field == path
    assert expected in caught.value.expected
    assert caught.value.operation == OP
    assert [p.field for p in content_problems(content)] == [path]


def test_the_message_follows_the_one_grammar() -> None:
    with pytest.raises(Invalid) as caught:
        check_content({"intended_uses": {"risk_rating": "Severe"}}, operation=OP)
    assert caught.value.message == INVALID_TEMPLATE.format(
        field="content.intended_uses.risk_rating",
        operation=OP,
        expected="one of 'High', 'Medium', 'Low', 'Unknown'",
        got="Severe",
    )


def test_every_problem_is_listed_in_path_order() -> None:
    content = {
        "intended_uses": {"risk_rating": "Severe"},
        "business_details": {"budget": "1M"},
        "model_overview": {"model_version": 0},
    }
    assert [p.field for p in content_problems(content)] == [
        "content.business_details.budget",
        "content.intended_uses.risk_rating",
        "content.model_overview.model_version",
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('{"model_overview": {"model_version": NaN}}', "not valid JSON"),
        ('{"a": Infinity}', "not valid JSON"),
        ("[1, 2]", "a JSON object"),
        (["model_overview"], "a JSON object"),
        ({"model_overview": {"model_version": math.nan}}, "JSON: strings, finite numbers"),
        ({"model_overview": {"model_name": {1, 2}}}, "JSON: strings, finite numbers"),
        (42, "a JSON object"),
    ],
    ids=["broken", "nan-text", "infinity-text", "array-text", "list", "nan", "set", "number"],
)
def test_content_that_is_not_a_json_object(content: object, fragment: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_content(content, operation=OP)
    assert caught.value.field == "content"
    assert fragment in caught.value.expected


def test_content_over_the_size_limit() -> None:
    per_field = 2000
    count = MAX_CONTENT_CHARS // per_field + 1
    content = {
        "evaluation_details": [
            {"name": f"e{i}", "evaluation_observation": "o" * per_field} for i in range(count)
        ]
    }
    with pytest.raises(Invalid) as caught:
        check_content(content, operation=OP)
    assert caught.value.field == "content"
    assert f"at most {MAX_CONTENT_CHARS} characters" in caught.value.expected


@pytest.mark.parametrize(
    ("content", "path"),
    [
        ({"intended_uses": {"intended_uses": "a\x00b"}}, "content.intended_uses.intended_uses"),
        (
            {"additional_information": {"custom_details": {"k\ud800": "v"}}},
            'content.additional_information.custom_details["k\\ud800"]',
        ),
        (
            {"model_overview": {"model_artifact": ["ok", "bad\udfff"]}},
            "content.model_overview.model_artifact[1]",
        ),
    ],
    ids=["nul", "surrogate-key", "surrogate-item"],
)
def test_text_no_database_stores_is_refused_by_path(content: dict[str, Any], path: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_content(content, operation=OP)
    assert caught.value.field == path


# ------------------------------------------------------------------------------ drafts always fit

_text = st.text(max_size=3000)
_features = st.lists(
    st.builds(FeatureFact, name=_text, type=st.text(max_size=20), detail=_text), max_size=5
)
_metrics = st.dictionaries(
    st.text(max_size=300),
    st.one_of(st.floats(allow_nan=True), st.integers(), st.booleans(), st.text(max_size=100)),
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(
    facts=st.builds(
        ModelPackageFacts,
        model_package_arn=_text,
        group_name=_text,
        version=st.integers(min_value=-3, max_value=10**6),
        description=_text,
        framework=st.none() | _text,
        algorithm=st.none() | _text,
        problem_type=st.none() | _text,
        created_by=st.none() | _text,
        inputs=_features.map(tuple),
        metrics=_metrics,
        approval_status=st.none() | st.sampled_from(["Approved", "Rejected", "Odd"]),
        approved_by=st.none() | _text,
        approval_reason=st.none() | _text,
        artifact_uris=st.lists(_text, max_size=20).map(tuple),
        training_data=st.lists(_text, max_size=20).map(tuple),
        hyper_parameters=st.dictionaries(st.text(max_size=300), _text, max_size=5),
        lineage=st.lists(_text, max_size=3).map(tuple),
        evaluations=st.lists(
            st.builds(EvaluationFact, name=_text, metrics=_metrics, group=_text, observation=_text),
            max_size=3,
        ).map(tuple),
        custom=st.dictionaries(st.text(max_size=20), _text, max_size=3),
    )
)
def test_a_draft_always_fits_the_schema(facts: ModelPackageFacts) -> None:
    draft = draft_from_facts(facts)
    assert [p.field for p in content_problems(draft)] == []
