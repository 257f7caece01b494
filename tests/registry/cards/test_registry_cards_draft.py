"""Auto-fill: what a draft takes from the registry's facts, and how an author's content is
merged on top (a fake CardSources stands in for the registry core)."""

from __future__ import annotations

import pytest
from registry_cards_helpers import PACKAGE_ARN, FakeSources, fraud_facts

from bastion.errors import NotFound
from bastion.gate import RequestContext
from bastion.registry.cards import (
    ModelPackageFacts,
    content_problems,
    draft_from_facts,
    draft_from_sources,
    merge_content,
)


def test_a_draft_from_the_registry() -> None:
    sources = FakeSources()
    context = RequestContext(source_ip="10.1.2.3")
    draft = draft_from_sources(sources, PACKAGE_ARN, context=context)
    assert sources.calls == [(PACKAGE_ARN, context)]
    assert content_problems(draft) == []
    assert draft["model_overview"] == {
        "model_id": PACKAGE_ARN,
        "model_name": "fraud",
        "model_version": 3,
        "model_description": "LightGBM fraud detector for card payments",
        "problem_type": "Binary Classification",
        "algorithm_type": "LGBMClassifier",
        "model_creator": "arn:bastion:iam::123456789012:user/alice",
        "model_artifact": ["s3://models/fraud/3/model.txt"],
    }
    package = draft["model_package_details"]
    assert package["model_approval_status"] == "Approved"
    assert package["approval_description"] == (
        "Approved by arn:bastion:iam::123456789012:user/bob: passed the bias review"
    )
    assert draft["intended_uses"] == {"risk_rating": "Unknown"}
    job = draft["training_details"]["training_job_details"]
    assert job["training_datasets"] == ["s3://fraud-data/train/2026-01.csv"]
    assert job["hyper_parameters"] == [
        {"name": "num_leaves", "value": "31"},
        {"name": "learning_rate", "value": "0.05"},
    ]
    assert draft["training_details"]["training_observations"].splitlines()[1] == (
        "training-job fraud-3 Produced model-package fraud/3"
    )
    registered, bias = draft["evaluation_details"]
    assert registered["metric_groups"][0]["metric_data"] == [
        {"name": "auc", "type": "number", "value": 0.9312},
        {"name": "f1", "type": "number", "value": 0.71},
    ]
    assert bias["name"] == "Bias (pre-training)"
    assert bias["metric_groups"][0]["name"] == "customer_age"
    custom = draft["additional_information"]["custom_details"]
    assert custom["framework"] == "lightgbm 4.3.0"
    assert custom["input_signature"] == (
        "amount (float64, range [0, 25000]); merchant_category (category, one of: food, travel)"
    )


def test_a_package_the_registry_does_not_know() -> None:
    with pytest.raises(NotFound):
        draft_from_sources(FakeSources({}), PACKAGE_ARN)


def test_a_bare_package_gives_a_small_draft() -> None:
    draft = draft_from_facts(ModelPackageFacts(model_package_arn="m", group_name="g", version=0))
    assert draft == {
        "model_overview": {"model_id": "m", "model_name": "g"},
        "model_package_details": {"model_package_arn": "m", "model_package_group_name": "g"},
        "intended_uses": {"risk_rating": "Unknown"},
    }


def test_long_texts_are_cut_to_the_schema() -> None:
    facts = fraud_facts()
    long = ModelPackageFacts(
        model_package_arn=facts.model_package_arn,
        group_name="g" * 100,
        version=1,
        description="d" * 5000,
        artifact_uris=tuple(f"s3://m/{i}" for i in range(40)),
        metrics={"": 1.0, "nan": float("nan"), "label": "x" * 100},
    )
    draft = draft_from_facts(long)
    assert content_problems(draft) == []
    assert draft["model_package_details"]["model_package_group_name"] == "g" * 62 + "…"
    assert len(draft["model_overview"]["model_description"]) == 1024
    assert len(draft["model_overview"]["model_artifact"]) == 15
    metrics = draft["evaluation_details"][0]["metric_groups"][0]["metric_data"]
    assert metrics == [{"name": "label", "type": "string", "value": "x" * 62 + "…"}]


def test_merge_completes_a_draft() -> None:
    draft = draft_from_facts(fraud_facts())
    merged = merge_content(
        draft,
        {
            "intended_uses": {"risk_rating": "High", "purpose_of_model": "Flag fraud"},
            "model_overview": {"model_owner": "risk-ml"},
            "evaluation_details": [{"name": "manual"}],
        },
    )
    assert merged["intended_uses"] == {"risk_rating": "High", "purpose_of_model": "Flag fraud"}
    assert merged["model_overview"]["model_owner"] == "risk-ml"
    assert merged["model_overview"]["model_name"] == "fraud"
    assert merged["evaluation_details"] == [{"name": "manual"}]
    assert draft["intended_uses"] == {"risk_rating": "Unknown"}
