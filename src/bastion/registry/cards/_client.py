"""Model cards as callers see them: every method is one action through the gate.

Names, statuses, versions and listing parameters are checked before the call reaches the gate;
content is checked against the model card schema inside the call, after authorization (so a
caller who may not write a card learns nothing about its content), and before anything is
stored. The audit record names the card, the status asked for and the key; never the content
(SageMaker marks ``Content`` sensitive, and it may be sealed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bastion.access import Principal
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Invalid
from bastion.events import EventLog
from bastion.gate import REDACTED, Gate, RequestContext
from bastion.keys import KeysClient
from bastion.registry.cards import _actions as actions
from bastion.registry.cards import _names as names
from bastion.registry.cards._draft import CardSources, draft_from_sources, merge_content
from bastion.registry.cards._models import (
    ExportFormat,
    ModelCard,
    ModelCardExport,
    ModelCardPage,
    ModelCardStatus,
    ModelCardSummary,
    ModelCardVersionSummary,
)
from bastion.registry.cards._render import render_card
from bastion.registry.cards._schema import check_content, parse_content
from bastion.registry.cards._service import Listing, ModelCardService
from bastion.settings import Settings
from bastion.types import AccountId

T = TypeVar("T")

NO_SOURCES = (
    "a model package ARN only where this client was given the registry's CardSources "
    "(bastion.connect() wires it); pass content instead"
)


class CardsRuntime(Protocol):
    """What the card service needs from the runtime (``bastion._runtime.Runtime`` has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def events(self) -> EventLog: ...


def _with_status(context: RequestContext, status: ModelCardStatus) -> RequestContext:
    """``context`` with ``bastion:ModelCardStatus`` (the status the call asks for)."""
    return replace(context, extra={**context.extra, actions.STATUS_KEY: status.value})


def _card_response(card: ModelCard) -> dict[str, Any]:
    return {
        "modelCardArn": card.arn,
        "modelCardVersion": card.version,
        "modelCardStatus": card.status.value,
    }


class ModelCardsClient:
    """SageMaker Model Cards: versioned, reviewed, schema-checked documentation of a model.

    >>> cards = bastion.connect(home=".bastion").cards  # doctest: +SKIP
    >>> cards.create_model_card("fraud-v3", model_package_arn=package_arn,  # doctest: +SKIP
    ...     content={"intended_uses": {"risk_rating": "High"}}, kms_key_id="alias/cards")
    >>> cards.update_model_card("fraud-v3", status="PendingReview")  # doctest: +SKIP
    >>> html = cards.export_model_card("fraud-v3", format="html").text  # doctest: +SKIP
    """

    def __init__(
        self,
        runtime: CardsRuntime,
        *,
        keys: KeysClient,
        sources: CardSources | None = None,
    ) -> None:
        self.runtime = runtime
        self.sources = sources
        self._service = ModelCardService(
            db=runtime.db,
            clock=runtime.clock,
            keys=keys,
            events=runtime.events,
            account_id=runtime.account_id,
            region=runtime.settings.region,
        )

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        try:
            return self.runtime.gate.call(
                self.runtime.principal,
                action,
                resource,
                params,
                handler,
                context=context,
                respond=respond,
            )
        finally:
            self.runtime.events.deliver_if_pending()

    def _name(self, value: object, operation: str) -> str:
        return names.card_name(
            value,
            region=self.runtime.settings.region,
            account_id=self.runtime.account_id,
            operation=operation,
        )

    def _actor(self) -> str:
        return str(self.runtime.principal.arn)

    # ----------------------------------------------------------------------------- writes

    def create_model_card(
        self,
        name: str,
        *,
        content: Mapping[str, Any] | str | None = None,
        status: ModelCardStatus | str = ModelCardStatus.DRAFT,
        model_package_arn: str | None = None,
        kms_key_id: str | None = None,
        context: RequestContext | None = None,
    ) -> ModelCard:
        """Create a card (version 1) in Draft or PendingReview.

        ``content`` follows the model card schema (a mapping or its JSON text). With
        ``model_package_arn`` the card is drafted from the registry (overview, package details,
        training and evaluation details) and ``content`` is merged on top of the draft. With
        ``kms_key_id`` (a key id, ARN or alias) every version's content is stored sealed under
        that key; the caller then also needs ``kms:GenerateDataKey`` and ``kms:Decrypt`` on it.
        """
        op = "CreateModelCard"
        card = self._name(name, op)
        wanted = names.card_status(status, operation=op)
        if model_package_arn is not None and (
            not isinstance(model_package_arn, str) or not model_package_arn
        ):
            raise Invalid(
                "model_package_arn", got=model_package_arn, expected="an ARN", operation=op
            )
        if model_package_arn is not None and self.sources is None:
            raise Invalid(
                "model_package_arn", got=model_package_arn, expected=NO_SOURCES, operation=op
            )
        if kms_key_id is not None and (not isinstance(kms_key_id, str) or not kms_key_id):
            raise Invalid(
                "kms_key_id", got=kms_key_id, expected="a key id, ARN or alias", operation=op
            )
        params: dict[str, Any] = {"modelCardName": card, "modelCardStatus": wanted.value}
        if kms_key_id is not None:
            params["securityConfig"] = {"kmsKeyId": kms_key_id}
        if model_package_arn is not None:
            params["modelPackageArn"] = model_package_arn
        if content is not None:
            params["content"] = REDACTED
        ctx = context or RequestContext()

        def create() -> ModelCard:
            body = self._content(content, model_package_arn, ctx, op)
            return self._service.create(
                card,
                body,
                status=wanted,
                kms_key_id=kms_key_id,
                actor=self._actor(),
                context=ctx,
            )

        return self._call(
            actions.CREATE_MODEL_CARD,
            self._service.arn(card),
            params,
            create,
            _with_status(ctx, wanted),
            respond=_card_response,
        )

    def _content(
        self,
        content: Mapping[str, Any] | str | None,
        model_package_arn: str | None,
        context: RequestContext,
        operation: str,
    ) -> dict[str, Any]:
        given = {} if content is None else parse_content(content, operation=operation)
        if model_package_arn is None or self.sources is None:
            return check_content(given, operation=operation)
        draft = draft_from_sources(self.sources, model_package_arn, context=context)
        return check_content(merge_content(draft, given), operation=operation)

    def update_model_card(
        self,
        name: str,
        *,
        content: Mapping[str, Any] | str | None = None,
        status: ModelCardStatus | str | None = None,
        context: RequestContext | None = None,
    ) -> ModelCard:
        """Change the card's content *or* its status (never both in one call, as SageMaker).

        New content (the whole content, not a patch) makes a new Draft version: an edited card
        goes back through review. A status change makes a new version with that status and the
        same content: Draft → PendingReview → Approved → Archived, PendingReview → Draft.
        """
        op = "UpdateModelCard"
        card = self._name(name, op)
        if (content is None) == (status is None):
            raise Invalid(
                "content",
                got="both content and status" if content is not None else "neither",
                expected="either new content or a new status (change them in two calls)",
                operation=op,
            )
        ctx = context or RequestContext()
        if status is not None:
            wanted = names.card_status(status, operation=op)
            return self._call(
                actions.UPDATE_MODEL_CARD,
                self._service.arn(card),
                {"modelCardName": card, "modelCardStatus": wanted.value},
                lambda: self._service.update_status(card, wanted, actor=self._actor(), context=ctx),
                _with_status(ctx, wanted),
                respond=_card_response,
            )
        return self._call(
            actions.UPDATE_MODEL_CARD,
            self._service.arn(card),
            {"modelCardName": card, "content": REDACTED},
            lambda: self._service.update_content(
                card,
                check_content(content, operation=op),
                actor=self._actor(),
                context=ctx,
            ),
            _with_status(ctx, ModelCardStatus.DRAFT),
            respond=_card_response,
        )

    def delete_model_card(self, name: str, *, context: RequestContext | None = None) -> None:
        """Delete the card and every version of it."""
        op = "DeleteModelCard"
        card = self._name(name, op)
        self._call(
            actions.DELETE_MODEL_CARD,
            self._service.arn(card),
            {"modelCardName": card},
            lambda: self._service.delete(card),
            context,
        )

    # ----------------------------------------------------------------------------- reads

    def describe_model_card(
        self,
        name: str,
        *,
        version: int | None = None,
        context: RequestContext | None = None,
    ) -> ModelCard:
        """The card at ``version`` (default: the latest), with its content and status then."""
        op = "DescribeModelCard"
        card = self._name(name, op)
        number = None if version is None else names.version_number(version, operation=op)
        params: dict[str, Any] = {"modelCardName": card}
        if number is not None:
            params["modelCardVersion"] = number
        ctx = context or RequestContext()
        return self._call(
            actions.DESCRIBE_MODEL_CARD,
            self._service.arn(card),
            params,
            lambda: self._service.describe(card, version=number, context=ctx),
            ctx,
        )

    def list_model_cards(
        self,
        *,
        name_contains: str | None = None,
        status: ModelCardStatus | str | None = None,
        model_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort_by: str = "CreationTime",
        sort_order: str = "Descending",
        max_results: int = 10,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> ModelCardPage[ModelCardSummary]:
        """One page of cards (latest version of each); ``model_id`` finds the cards of a model
        package (its ARN, as drafted cards record it in ``model_overview.model_id``)."""
        op = "ListModelCards"
        listing = self._listing(
            op, status, created_after, created_before, sort_order, max_results, next_token
        )
        fragment = names.name_fragment(name_contains, operation=op)
        order = names.sort_by(sort_by, operation=op)
        if model_id is not None and not isinstance(model_id, str):
            raise Invalid("model_id", got=model_id, expected="a model id or ARN", operation=op)
        params: dict[str, Any] = {"sortBy": order, "sortOrder": sort_order}
        if fragment is not None:
            params["nameContains"] = fragment
        if listing.status is not None:
            params["modelCardStatus"] = listing.status.value
        return self._call(
            actions.LIST_MODEL_CARDS,
            self._service.arn("*"),
            params,
            lambda: self._service.list_cards(
                listing, name_contains=fragment, model_id=model_id, sort_by=order
            ),
            context,
        )

    def list_model_card_versions(
        self,
        name: str,
        *,
        status: ModelCardStatus | str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort_order: str = "Descending",
        max_results: int = 10,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> ModelCardPage[ModelCardVersionSummary]:
        """One page of the card's versions, newest first unless ``sort_order="Ascending"``."""
        op = "ListModelCardVersions"
        card = self._name(name, op)
        listing = self._listing(
            op, status, created_after, created_before, sort_order, max_results, next_token
        )
        params: dict[str, Any] = {"modelCardName": card, "sortOrder": sort_order}
        if listing.status is not None:
            params["modelCardStatus"] = listing.status.value
        return self._call(
            actions.LIST_MODEL_CARD_VERSIONS,
            self._service.arn(card),
            params,
            lambda: self._service.list_versions(card, listing),
            context,
        )

    def _listing(
        self,
        op: str,
        status: object,
        created_after: object,
        created_before: object,
        sort_order: object,
        max_results: object,
        next_token: object,
    ) -> Listing:
        return Listing(
            status=None if status is None else names.card_status(status, operation=op),
            created_after=names.moment(created_after, field="created_after", operation=op),
            created_before=names.moment(created_before, field="created_before", operation=op),
            descending=names.sort_order(sort_order, operation=op),
            limit=names.max_results(max_results, operation=op),
            offset=names.page_offset(next_token, operation=op),
        )

    def export_model_card(
        self,
        name: str,
        *,
        version: int | None = None,
        format: ExportFormat | str = ExportFormat.HTML,
        context: RequestContext | None = None,
    ) -> ModelCardExport:
        """The card at ``version`` (default: the latest) as Markdown or as one self-contained
        HTML page (``sagemaker:CreateModelCardExportJob``, done at once)."""
        op = "CreateModelCardExportJob"
        card = self._name(name, op)
        number = None if version is None else names.version_number(version, operation=op)
        fmt = names.export_format(format, operation=op)
        params: dict[str, Any] = {"modelCardName": card, "format": fmt.value}
        if number is not None:
            params["modelCardVersion"] = number
        ctx = context or RequestContext()

        def export() -> ModelCardExport:
            found = self._service.describe(card, version=number, context=ctx)
            return ModelCardExport(
                name=card, version=found.version, format=fmt, text=render_card(found, fmt)
            )

        return self._call(
            actions.EXPORT_MODEL_CARD,
            self._service.arn(card),
            params,
            export,
            ctx,
            respond=lambda e: {"modelCardVersion": e.version},
        )


__all__ = ["CardsRuntime", "ModelCardsClient"]
