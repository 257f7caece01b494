"""Model cards (SageMaker Model Cards): schema-checked content, immutable versions, a review
status, drafts filled from the registry, and exports to Markdown and self-contained HTML.

``ModelCardsClient`` is the SDK face (every call through the gate); the registry core
implements :class:`CardSources` so a card can be drafted from a model package.
"""

from bastion.registry.cards import _actions  # noqa: F401  (registers the card actions)
from bastion.registry.cards._client import CardsRuntime, ModelCardsClient
from bastion.registry.cards._draft import (
    CardSources,
    EvaluationFact,
    FeatureFact,
    ModelPackageFacts,
    draft_from_facts,
    draft_from_sources,
    merge_content,
)
from bastion.registry.cards._models import (
    TRANSITIONS,
    ExportFormat,
    ModelCard,
    ModelCardChange,
    ModelCardExport,
    ModelCardPage,
    ModelCardStatus,
    ModelCardSummary,
    ModelCardVersionSummary,
)
from bastion.registry.cards._render import render_html, render_markdown
from bastion.registry.cards._schema import card_schema, check_content, content_problems

__all__ = [
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
