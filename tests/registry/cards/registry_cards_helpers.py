"""Helpers for the model card tests: a fake CardSources standing in for the registry core, the
facts it knows, and the card client of a connected home."""

from __future__ import annotations

from bastion.errors import NotFound
from bastion.gate import RequestContext
from bastion.registry.cards import (
    EvaluationFact,
    FeatureFact,
    ModelCardsClient,
    ModelPackageFacts,
)
from bastion.sdk import Bastion

PACKAGE_ARN = "arn:bastion:sagemaker:local:123456789012:model-package/fraud/3"
CARD_KEY = "alias/model-cards"


def fraud_facts(arn: str = PACKAGE_ARN) -> ModelPackageFacts:
    """What a registry would know about version 3 of the fraud model."""
    return ModelPackageFacts(
        model_package_arn=arn,
        group_name="fraud",
        version=3,
        description="LightGBM fraud detector for card payments",
        framework="lightgbm",
        framework_version="4.3.0",
        algorithm="LGBMClassifier",
        problem_type="Binary Classification",
        created_by="arn:bastion:iam::123456789012:user/alice",
        inputs=(
            FeatureFact(name="amount", type="float64", detail="range [0, 25000]"),
            FeatureFact(name="merchant_category", type="category", detail="one of: food, travel"),
        ),
        outputs=(FeatureFact(name="fraud_probability", type="float64"),),
        metrics={"auc": 0.9312, "f1": 0.71},
        approval_status="Approved",
        approved_by="arn:bastion:iam::123456789012:user/bob",
        approval_reason="passed the bias review",
        artifact_uris=("s3://models/fraud/3/model.txt",),
        training_data=("s3://fraud-data/train/2026-01.csv",),
        training_job_arn="arn:bastion:sagemaker:local:123456789012:training-job/fraud-3",
        hyper_parameters={"num_leaves": "31", "learning_rate": "0.05"},
        lineage=(
            "dataset s3://fraud-data/train/2026-01.csv ContributedTo training-job fraud-3",
            "training-job fraud-3 Produced model-package fraud/3",
        ),
        evaluations=(
            EvaluationFact(
                name="Bias (pre-training)",
                group="customer_age",
                metrics={"CI": 0.02, "DPL": -0.1},
                observation="Class imbalance is small.",
            ),
        ),
    )


class FakeSources:
    """The registry core's CardSources, in memory; records the calls it got."""

    def __init__(self, facts: dict[str, ModelPackageFacts] | None = None) -> None:
        self.facts = facts if facts is not None else {PACKAGE_ARN: fraud_facts()}
        self.calls: list[tuple[str, RequestContext | None]] = []

    def model_package_facts(
        self, model_package_arn: str, *, context: RequestContext | None = None
    ) -> ModelPackageFacts:
        self.calls.append((model_package_arn, context))
        try:
            return self.facts[model_package_arn]
        except KeyError:
            raise NotFound(f"Model package '{model_package_arn}' not found") from None


def cards_of(client: Bastion, sources: FakeSources | None = None) -> ModelCardsClient:
    """The model card client of a connected home."""
    return ModelCardsClient(client.runtime, keys=client.keys, sources=sources)
