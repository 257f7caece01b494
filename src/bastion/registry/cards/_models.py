"""Values the model card service hands out: cards, versions, listings, exports.

Every value is a frozen, keyword-only dataclass. A card's ``content`` is the JSON object of
SageMaker's model card schema (validated before it is stored; see :mod:`._schema`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from bastion.types import Arn

T = TypeVar("T")


class ModelCardStatus(StrEnum):
    """SageMaker's ``ModelCardStatus``: where the card is in its review."""

    DRAFT = "Draft"
    PENDING_REVIEW = "PendingReview"
    APPROVED = "Approved"
    ARCHIVED = "Archived"


TRANSITIONS: Mapping[ModelCardStatus, frozenset[ModelCardStatus]] = {
    ModelCardStatus.DRAFT: frozenset({ModelCardStatus.PENDING_REVIEW}),
    ModelCardStatus.PENDING_REVIEW: frozenset({ModelCardStatus.APPROVED, ModelCardStatus.DRAFT}),
    ModelCardStatus.APPROVED: frozenset({ModelCardStatus.ARCHIVED}),
    ModelCardStatus.ARCHIVED: frozenset(),
}
"""The status changes UpdateModelCard accepts (Archived is terminal). A content edit is not
in this table: it always makes a Draft version (see ``docs/registry.md``)."""

CREATE_STATUSES = frozenset({ModelCardStatus.DRAFT, ModelCardStatus.PENDING_REVIEW})
"""The statuses a card may be created in: approval happens by review, never at creation."""


class ModelCardChange(StrEnum):
    """What made a version: the card's creation, a content edit, or a status change."""

    CREATE = "Create"
    CONTENT = "Content"
    STATUS = "Status"


class ExportFormat(StrEnum):
    """What a card can be exported as."""

    MARKDOWN = "markdown"
    HTML = "html"


EXPORT_MEDIA_TYPES: Mapping[ExportFormat, str] = {
    ExportFormat.MARKDOWN: "text/markdown; charset=utf-8",
    ExportFormat.HTML: "text/html; charset=utf-8",
}
EXPORT_SUFFIXES: Mapping[ExportFormat, str] = {
    ExportFormat.MARKDOWN: ".md",
    ExportFormat.HTML: ".html",
}


@dataclass(frozen=True, kw_only=True)
class ModelCard:
    """One version of a card with its content (DescribeModelCard).

    ``created_*`` are the card's (its first version); ``last_modified_*`` are this version's.
    ``kms_key_arn`` is set when the content is stored sealed under that key.
    """

    name: str
    arn: Arn
    version: int
    status: ModelCardStatus
    content: Mapping[str, Any]
    content_sha256: str
    created_by: str
    created_at: datetime
    last_modified_by: str
    last_modified_at: datetime
    latest_version: int
    kms_key_arn: Arn | None = None

    @property
    def model_id(self) -> str | None:
        """``model_overview.model_id`` (the model package ARN for cards drafted from one)."""
        value = self.content.get("model_overview", {}).get("model_id")
        return value if isinstance(value, str) else None

    @property
    def risk_rating(self) -> str | None:
        """``intended_uses.risk_rating``."""
        value = self.content.get("intended_uses", {}).get("risk_rating")
        return value if isinstance(value, str) else None

    @property
    def model_package_group_name(self) -> str | None:
        """``model_package_details.model_package_group_name``."""
        value = self.content.get("model_package_details", {}).get("model_package_group_name")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, kw_only=True)
class ModelCardSummary:
    """One entry of ListModelCards: the card's latest version, without content."""

    name: str
    arn: Arn
    status: ModelCardStatus
    version: int
    created_at: datetime
    last_modified_at: datetime


@dataclass(frozen=True, kw_only=True)
class ModelCardVersionSummary:
    """One entry of ListModelCardVersions: who made which version, and how."""

    name: str
    arn: Arn
    version: int
    status: ModelCardStatus
    change: ModelCardChange
    content_sha256: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class ModelCardPage(Generic[T]):
    """One page of a listing; pass ``next_token`` back for the next page."""

    items: tuple[T, ...]
    next_token: str | None = None


@dataclass(frozen=True, kw_only=True)
class ModelCardExport:
    """A rendered card (CreateModelCardExportJob, run at once)."""

    name: str
    version: int
    format: ExportFormat
    text: str

    @property
    def media_type(self) -> str:
        return EXPORT_MEDIA_TYPES[self.format]

    @property
    def filename(self) -> str:
        """A file name for the export: ``<card>-v<version>.md|.html``."""
        return f"{self.name}-v{self.version}{EXPORT_SUFFIXES[self.format]}"


__all__ = [
    "CREATE_STATUSES",
    "TRANSITIONS",
    "ExportFormat",
    "ModelCard",
    "ModelCardChange",
    "ModelCardExport",
    "ModelCardPage",
    "ModelCardStatus",
    "ModelCardSummary",
    "ModelCardVersionSummary",
]
