"""``/models/cards``: model cards (SageMaker Model Cards), their versions and exports.

Bodies and query parameters use SageMaker's field names (``ModelCardName``, ``Content``,
``ModelCardStatus``, ``ModelCardVersion`` …); ``Content`` travels as a JSON object (its JSON
text is accepted too) and times as ISO 8601 (UTC). A card is named in the path by its name.
``GET …/export`` returns the rendered card itself (``text/markdown`` or ``text/html``). Each
route is one :class:`~bastion.registry.cards.ModelCardsClient` call through the gate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import WithJsonSchema

from bastion.api._app import RuntimeDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses, hidden_as_not_found
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.keys import KeysClient
from bastion.registry.cards import (
    ModelCard,
    ModelCardsClient,
    ModelCardSummary,
    ModelCardVersionSummary,
)

router = APIRouter(
    prefix="/models/cards",
    tags=["models"],
    responses=error_responses(403, 404, 409, 422),
)

_TEXT = {"schema": {"type": "string"}}

CardContent = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": "The card's content in the model card JSON schema, or its JSON text",
            "anyOf": [{"type": "object"}, {"type": "string"}],
        }
    ),
]
"""Checked by the card service (so errors name the JSON path inside the content)."""


def cards_client(runtime: RuntimeDep) -> ModelCardsClient:
    """Model cards as the caller (its key and registry calls are made as the caller too);
    drafts from a model package read the registry (``sagemaker:DescribeModelPackage``)."""
    from bastion.registry import RegistryClient
    from bastion.store import StoreClient

    keys = KeysClient(runtime)
    registry = RegistryClient(runtime, keys=keys, store=StoreClient(runtime, keys=keys))
    return ModelCardsClient(runtime, keys=keys, sources=registry)


CardsDep = Annotated[ModelCardsClient, Depends(cards_client)]


# ------------------------------------------------------------------------------------ models


class SecurityConfigIn(RequestModel):
    KmsKeyId: str


class CreateModelCardBody(RequestModel):
    ModelCardName: str
    Content: CardContent = None
    ModelCardStatus: str = "Draft"
    ModelPackageArn: str | None = None
    SecurityConfig: SecurityConfigIn | None = None


class UpdateModelCardBody(RequestModel):
    Content: CardContent = None
    ModelCardStatus: str | None = None


class SecurityConfigOut(ResponseModel):
    KmsKeyId: str


class ModelCardOut(ResponseModel):
    ModelCardArn: str
    ModelCardName: str
    ModelCardVersion: int
    LatestModelCardVersion: int
    ModelCardStatus: str
    Content: dict[str, Any]
    ContentSHA256: str
    CreatedBy: str
    CreationTime: Timestamp
    LastModifiedBy: str
    LastModifiedTime: Timestamp
    SecurityConfig: SecurityConfigOut | None = None
    ModelId: str | None = None
    RiskRating: str | None = None
    ModelPackageGroupName: str | None = None


class ModelCardSummaryOut(ResponseModel):
    ModelCardName: str
    ModelCardArn: str
    ModelCardStatus: str
    ModelCardVersion: int
    CreationTime: Timestamp
    LastModifiedTime: Timestamp


class ModelCardListResponse(ResponseModel):
    ModelCardSummaries: list[ModelCardSummaryOut]
    NextToken: str | None = None


class ModelCardVersionOut(ResponseModel):
    ModelCardName: str
    ModelCardArn: str
    ModelCardVersion: int
    ModelCardStatus: str
    Change: str
    ContentSHA256: str
    CreatedBy: str
    CreationTime: Timestamp


class ModelCardVersionListResponse(ResponseModel):
    ModelCardVersionSummaryList: list[ModelCardVersionOut]
    NextToken: str | None = None


# ------------------------------------------------------------------------------------ helpers


def _card(card: ModelCard) -> ModelCardOut:
    return ModelCardOut(
        ModelCardArn=card.arn,
        ModelCardName=card.name,
        ModelCardVersion=card.version,
        LatestModelCardVersion=card.latest_version,
        ModelCardStatus=card.status.value,
        Content=dict(card.content),
        ContentSHA256=card.content_sha256,
        CreatedBy=card.created_by,
        CreationTime=card.created_at,
        LastModifiedBy=card.last_modified_by,
        LastModifiedTime=card.last_modified_at,
        SecurityConfig=SecurityConfigOut(KmsKeyId=card.kms_key_arn) if card.kms_key_arn else None,
        ModelId=card.model_id,
        RiskRating=card.risk_rating,
        ModelPackageGroupName=card.model_package_group_name,
    )


def _summary(card: ModelCardSummary) -> ModelCardSummaryOut:
    return ModelCardSummaryOut(
        ModelCardName=card.name,
        ModelCardArn=card.arn,
        ModelCardStatus=card.status.value,
        ModelCardVersion=card.version,
        CreationTime=card.created_at,
        LastModifiedTime=card.last_modified_at,
    )


def _version(entry: ModelCardVersionSummary) -> ModelCardVersionOut:
    return ModelCardVersionOut(
        ModelCardName=entry.name,
        ModelCardArn=entry.arn,
        ModelCardVersion=entry.version,
        ModelCardStatus=entry.status.value,
        Change=entry.change.value,
        ContentSHA256=entry.content_sha256,
        CreatedBy=entry.created_by,
        CreationTime=entry.created_at,
    )


def card_not_found(name: str) -> str:
    """The 404 text for a card the caller may not see: the same as for a missing card."""
    return f"Model card '{name}' not found; create it with create_model_card"


# ------------------------------------------------------------------------------------ routes


@router.post("", name="CreateModelCard")
def create_model_card(
    body: CreateModelCardBody, cards: CardsDep, caller: CallerDep
) -> ModelCardOut:
    """Create a card (version 1, ``Draft`` or ``PendingReview``); with ``ModelPackageArn`` it
    is drafted from the registry and ``Content`` is merged on top; with
    ``SecurityConfig.KmsKeyId`` its content is stored sealed under that key."""
    created = cards.create_model_card(
        body.ModelCardName,
        content=body.Content,
        status=body.ModelCardStatus,
        model_package_arn=body.ModelPackageArn,
        kms_key_id=body.SecurityConfig.KmsKeyId if body.SecurityConfig else None,
        context=caller.context,
    )
    return _card(created)


@router.get("", name="ListModelCards")
def list_model_cards(
    cards: CardsDep,
    caller: CallerDep,
    name_contains: Annotated[str | None, Query(alias="NameContains", max_length=63)] = None,
    status: Annotated[str | None, Query(alias="ModelCardStatus", max_length=32)] = None,
    model_id: Annotated[str | None, Query(alias="ModelId", max_length=1024)] = None,
    created_after: Annotated[datetime | None, Query(alias="CreationTimeAfter")] = None,
    created_before: Annotated[datetime | None, Query(alias="CreationTimeBefore")] = None,
    sort_by: Annotated[str, Query(alias="SortBy", max_length=32)] = "CreationTime",
    sort_order: Annotated[str, Query(alias="SortOrder", max_length=32)] = "Descending",
    max_results: Annotated[int, Query(alias="MaxResults")] = 10,
    next_token: Annotated[str | None, Query(alias="NextToken", max_length=64)] = None,
) -> ModelCardListResponse:
    """One page of cards (the latest version of each)."""
    page = cards.list_model_cards(
        name_contains=name_contains,
        status=status,
        model_id=model_id,
        created_after=created_after,
        created_before=created_before,
        sort_by=sort_by,
        sort_order=sort_order,
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return ModelCardListResponse(
        ModelCardSummaries=[_summary(c) for c in page.items], NextToken=page.next_token
    )


@router.get("/{name}/versions", name="ListModelCardVersions")
def list_model_card_versions(
    name: str,
    cards: CardsDep,
    caller: CallerDep,
    status: Annotated[str | None, Query(alias="ModelCardStatus", max_length=32)] = None,
    created_after: Annotated[datetime | None, Query(alias="CreationTimeAfter")] = None,
    created_before: Annotated[datetime | None, Query(alias="CreationTimeBefore")] = None,
    sort_order: Annotated[str, Query(alias="SortOrder", max_length=32)] = "Descending",
    max_results: Annotated[int, Query(alias="MaxResults")] = 10,
    next_token: Annotated[str | None, Query(alias="NextToken", max_length=64)] = None,
) -> ModelCardVersionListResponse:
    """One page of the card's versions: status, what changed, who and when."""
    with hidden_as_not_found("sagemaker:ListModelCardVersions", card_not_found(name)):
        page = cards.list_model_card_versions(
            name,
            status=status,
            created_after=created_after,
            created_before=created_before,
            sort_order=sort_order,
            max_results=max_results,
            next_token=next_token,
            context=caller.context,
        )
    return ModelCardVersionListResponse(
        ModelCardVersionSummaryList=[_version(v) for v in page.items], NextToken=page.next_token
    )


@router.get(
    "/{name}/export",
    name="CreateModelCardExportJob",
    response_class=Response,
    responses={
        200: {
            "description": "The rendered card",
            "content": {"text/html": _TEXT, "text/markdown": _TEXT},
        }
    },
)
def export_model_card(
    name: str,
    cards: CardsDep,
    caller: CallerDep,
    fmt: Annotated[str, Query(alias="Format", max_length=16)] = "html",
    version: Annotated[int | None, Query(alias="ModelCardVersion")] = None,
) -> Response:
    """The card (latest version, or ``ModelCardVersion``) as ``html`` (one self-contained
    page) or ``markdown``."""
    with hidden_as_not_found("sagemaker:CreateModelCardExportJob", card_not_found(name)):
        export = cards.export_model_card(name, version=version, format=fmt, context=caller.context)
    return Response(
        content=export.text,
        media_type=export.media_type,
        headers={
            "content-disposition": f'attachment; filename="{export.filename}"',
            "x-bastion-model-card-version": str(export.version),
        },
    )


@router.get("/{name}", name="DescribeModelCard")
def describe_model_card(
    name: str,
    cards: CardsDep,
    caller: CallerDep,
    version: Annotated[int | None, Query(alias="ModelCardVersion")] = None,
) -> ModelCardOut:
    """The card at its latest version, or at ``ModelCardVersion``."""
    with hidden_as_not_found("sagemaker:DescribeModelCard", card_not_found(name)):
        found = cards.describe_model_card(name, version=version, context=caller.context)
    return _card(found)


@router.patch("/{name}", name="UpdateModelCard")
def update_model_card(
    name: str, body: UpdateModelCardBody, cards: CardsDep, caller: CallerDep
) -> ModelCardOut:
    """New ``Content`` (a new Draft version) or a new ``ModelCardStatus`` (a new version with
    that status), never both in one request."""
    updated = cards.update_model_card(
        name, content=body.Content, status=body.ModelCardStatus, context=caller.context
    )
    return _card(updated)


@router.delete("/{name}", name="DeleteModelCard", status_code=204)
def delete_model_card(name: str, cards: CardsDep, caller: CallerDep) -> Response:
    """Delete the card and all its versions."""
    cards.delete_model_card(name, context=caller.context)
    return Response(status_code=204)


__all__ = ["card_not_found", "cards_client", "router"]
