"""The model card package's public surface is pinned, and every name in it exists."""

from __future__ import annotations

import bastion.registry.cards as cards

PUBLIC = [
    "TRANSITIONS",
    "CardSources",
    "CardsRuntime",
    "EvaluationFact",
    "ExportFormat",
    "FeatureFact",
    "ModelCard",
    "ModelCardChange",
    "ModelCardExport",
    "ModelCardPage",
    "ModelCardStatus",
    "ModelCardSummary",
    "ModelCardVersionSummary",
    "ModelCardsClient",
    "ModelPackageFacts",
    "card_schema",
    "check_content",
    "content_problems",
    "draft_from_facts",
    "draft_from_sources",
    "merge_content",
    "render_html",
    "render_markdown",
]


def test_public_surface() -> None:
    assert sorted(cards.__all__) == sorted(PUBLIC)
    for name in cards.__all__:
        assert hasattr(cards, name), name


def test_actions_are_declared() -> None:
    from bastion.access import declared_actions

    declared = {name for name in declared_actions() if "ModelCard" in name}
    assert declared == {
        "sagemaker:CreateModelCard",
        "sagemaker:DescribeModelCard",
        "sagemaker:UpdateModelCard",
        "sagemaker:DeleteModelCard",
        "sagemaker:ListModelCards",
        "sagemaker:ListModelCardVersions",
        "sagemaker:CreateModelCardExportJob",
    }
