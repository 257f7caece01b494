"""The model card operations (reached only through the gate, via :class:`ModelCardsClient`).

Every change appends one immutable row to ``model_card_versions`` and moves the card's row to
it, in one transaction; nothing ever updates a version row. Status rules (see
``docs/registry.md``): a content edit always makes a Draft version, refused once the card is
Archived; a status change follows :data:`TRANSITIONS`; content and status never change in one
call.

A card created with a KMS key keeps every content version sealed: a fresh data key from
``kms:GenerateDataKey`` (encryption context: the card's ARN and the version number), the
content in the key service's envelope format, stored in the version row. The KMS calls are
made as the caller, via ``sagemaker.amazonaws.com``, and outside the database transaction
(they write audit records of their own); a content version's number is therefore fixed before
its transaction starts, and a concurrent change makes the edit start again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Conflict, InvalidCiphertext, NotFound, Tampered
from bastion.events import EventLog
from bastion.gate import RequestContext
from bastion.keys import KeysClient
from bastion.keys._envelope import (
    ALGORITHM,
    EnvelopeHeader,
    read_envelope,
    read_header,
    write_envelope,
)
from bastion.registry.cards._events import MODEL_CARD_CHANGED, MODEL_CARD_DELETED
from bastion.registry.cards._models import (
    CREATE_STATUSES,
    TRANSITIONS,
    ModelCard,
    ModelCardChange,
    ModelCardPage,
    ModelCardStatus,
    ModelCardSummary,
    ModelCardVersionSummary,
)
from bastion.registry.cards._names import card_arn
from bastion.registry.cards._schema import canonical_json
from bastion.registry.cards._tables import model_card_versions, model_cards
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
ARN_CONTEXT_KEY = "aws:sagemaker:model-card-arn"
VERSION_CONTEXT_KEY = "model-card-version"
_ATTEMPTS = 5

ARCHIVED_MESSAGE = "Model card '{name}' is Archived: it can still be read and exported, not changed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Listing:
    """What a list call asks for (already validated by the client)."""

    status: ModelCardStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    descending: bool = True
    limit: int = 10
    offset: int = 0


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _via_sagemaker(context: RequestContext) -> RequestContext:
    """The context of the KMS calls the card service makes on the caller's behalf."""
    return dataclasses.replace(
        context,
        invoked_by=SAGEMAKER_SERVICE,
        extra={**context.extra, "kms:ViaService": SAGEMAKER_SERVICE},
    )


def _no_card(name: str) -> NotFound:
    return NotFound(f"Model card '{name}' not found; create it with create_model_card")


def _lock_name(name: str) -> str:
    return f"registry:model-card:{name}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Content:
    """One content version ready to store: its JSON or its sealed bytes, and its digest."""

    json: dict[str, Any] | None
    sealed: bytes | None
    sha256: str
    key_arn: Arn | None


class ModelCardService:
    """Model cards and their immutable versions."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        keys: KeysClient,
        events: EventLog,
        account_id: AccountId,
        region: str,
    ) -> None:
        self.db = db
        self.clock = clock
        self.keys = keys
        self.events = events
        self.account_id = account_id
        self.region = region

    def arn(self, name: str) -> Arn:
        return card_arn(self.region, self.account_id, name)

    # ----------------------------------------------------------------------------- writes

    def create(
        self,
        name: str,
        content: dict[str, Any],
        *,
        status: ModelCardStatus,
        kms_key_id: str | None,
        actor: str,
        context: RequestContext,
    ) -> ModelCard:
        if status not in CREATE_STATUSES:
            raise Conflict(
                f"A model card is created as Draft or PendingReview, not {status}: it is "
                "approved by review (update_model_card with status Approved)"
            )
        if self._card_row(name) is not None:
            raise _exists(name)
        stored = self._prepare(name, 1, content, kms_key_id, context)
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, _lock_name(name))
            if self._card_row(name, conn) is not None:
                raise _exists(name)
            conn.execute(
                model_cards.insert().values(
                    name=name,
                    account_id=self.account_id,
                    arn=self.arn(name),
                    status=status.value,
                    latest_version=1,
                    kms_key_arn=stored.key_arn,
                    model_id=_model_id(content),
                    created_by=actor,
                    created_at=now,
                    modified_by=actor,
                    modified_at=now,
                )
            )
            self._insert_version(
                conn,
                name,
                version=1,
                status=status,
                change=ModelCardChange.CREATE,
                content_version=1,
                stored=stored,
                actor=actor,
                now=now,
                model_id=_model_id(content),
            )
        log.info("cards.create card=%s status=%s sealed=%s", name, status, bool(stored.key_arn))
        return self._card(name, 1, content=content, context=context)

    def update_content(
        self, name: str, content: dict[str, Any], *, actor: str, context: RequestContext
    ) -> ModelCard:
        """A new Draft version with ``content`` (the card goes back to Draft for review)."""
        for _ in range(_ATTEMPTS):
            card = self._card_row(name)
            if card is None:
                raise _no_card(name)
            if ModelCardStatus(card.status) is ModelCardStatus.ARCHIVED:
                raise Conflict(ARCHIVED_MESSAGE.format(name=name))
            current = self._version_row(name, card.latest_version)
            if current is not None and current.content_sha256 == _digest(content):
                raise Conflict(
                    f"Model card '{name}' version {card.latest_version} already has this "
                    "content; nothing was changed"
                )
            version = card.latest_version + 1
            stored = self._prepare(name, version, content, card.kms_key_arn, context)
            now = self.clock.now()
            with self.db.write() as conn:
                self.db.lock(conn, _lock_name(name))
                fresh = self._card_row(name, conn)
                if fresh is None:
                    raise _no_card(name)
                if fresh.latest_version != card.latest_version:
                    continue
                self._advance(conn, name, version, ModelCardStatus.DRAFT, actor, now, content)
                self._insert_version(
                    conn,
                    name,
                    version=version,
                    status=ModelCardStatus.DRAFT,
                    change=ModelCardChange.CONTENT,
                    content_version=version,
                    stored=stored,
                    actor=actor,
                    now=now,
                    model_id=_model_id(content),
                )
            log.info("cards.update_content card=%s version=%d", name, version)
            return self._card(name, version, content=content, context=context)
        raise _kept_changing(name)

    def update_status(
        self,
        name: str,
        status: ModelCardStatus,
        *,
        actor: str,
        context: RequestContext,
    ) -> ModelCard:
        """A new version with ``status`` and the previous version's content.

        The content is read (and opened, when sealed) before anything is written: a caller
        who may not read the card changes nothing.
        """
        for _ in range(_ATTEMPTS):
            before = self.describe(name, version=None, context=context)
            if status not in TRANSITIONS[before.status]:
                raise Conflict(_transition_message(name, before.status, status))
            version = before.version + 1
            now = self.clock.now()
            with self.db.write() as conn:
                self.db.lock(conn, _lock_name(name))
                card = self._card_row(name, conn)
                if card is None:
                    raise _no_card(name)
                previous = self._version_row(name, before.version, conn)
                if card.latest_version != before.version or previous is None:
                    continue
                self._advance(conn, name, version, status, actor, now, None)
                self._insert_version(
                    conn,
                    name,
                    version=version,
                    status=status,
                    change=ModelCardChange.STATUS,
                    content_version=previous.content_version,
                    stored=_Content(
                        json=None, sealed=None, sha256=previous.content_sha256, key_arn=None
                    ),
                    actor=actor,
                    now=now,
                    model_id=before.model_id,
                )
            log.info("cards.update_status card=%s version=%d status=%s", name, version, status)
            return dataclasses.replace(
                before,
                version=version,
                latest_version=version,
                status=status,
                last_modified_by=actor,
                last_modified_at=now,
            )
        raise _kept_changing(name)

    def delete(self, name: str) -> None:
        with self.db.write() as conn:
            self.db.lock(conn, _lock_name(name))
            if self._card_row(name, conn) is None:
                raise _no_card(name)
            conn.execute(
                model_card_versions.delete().where(model_card_versions.c.card_name == name)
            )
            conn.execute(model_cards.delete().where(model_cards.c.name == name))
            self.events.emit(
                conn,
                kind=MODEL_CARD_DELETED,
                subject=self.arn(name),
                account_id=self.account_id,
                detail={"model_card_arn": self.arn(name), "name": name},
            )
        log.info("cards.delete card=%s", name)

    def _advance(
        self,
        conn: Connection,
        name: str,
        version: int,
        status: ModelCardStatus,
        actor: str,
        now: datetime,
        content: Mapping[str, Any] | None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status.value,
            "latest_version": version,
            "modified_by": actor,
            "modified_at": now,
        }
        if content is not None:
            values["model_id"] = _model_id(content)
        conn.execute(model_cards.update().where(model_cards.c.name == name).values(**values))

    def _insert_version(
        self,
        conn: Connection,
        name: str,
        *,
        version: int,
        status: ModelCardStatus,
        change: ModelCardChange,
        content_version: int,
        stored: _Content,
        actor: str,
        now: datetime,
        model_id: str | None,
    ) -> None:
        """Append one version row and emit ``registry.ModelCardChanged`` with it."""
        conn.execute(
            model_card_versions.insert().values(
                card_name=name,
                version=version,
                status=status.value,
                change=change.value,
                content_version=content_version,
                content=stored.json,
                sealed_content=stored.sealed,
                content_sha256=stored.sha256,
                created_by=actor,
                created_at=now,
            )
        )
        self.events.emit(
            conn,
            kind=MODEL_CARD_CHANGED,
            subject=self.arn(name),
            account_id=self.account_id,
            detail={
                "model_card_arn": self.arn(name),
                "name": name,
                "version": version,
                "status": status.value,
                "change": change.value,
                "model_id": model_id,
                "content_sha256": stored.sha256,
                "by": actor,
            },
        )

    # ----------------------------------------------------------------------------- reads

    def describe(self, name: str, *, version: int | None, context: RequestContext) -> ModelCard:
        card = self._card_row(name)
        if card is None:
            raise _no_card(name)
        wanted = card.latest_version if version is None else version
        if wanted > card.latest_version:
            raise NotFound(
                f"Model card '{name}' has no version {wanted}; its latest is "
                f"{card.latest_version} (list_model_card_versions shows them all)"
            )
        return self._card(name, wanted, context=context)

    def _card(
        self,
        name: str,
        version: int,
        *,
        context: RequestContext,
        content: Mapping[str, Any] | None = None,
    ) -> ModelCard:
        with self.db.read() as conn:
            card = self._card_row(name, conn)
            row = self._version_row(name, version, conn)
            holder = (
                row
                if row is None or row.content_version == version
                else self._version_row(name, row.content_version, conn)
            )
        if card is None or row is None or holder is None:
            raise _no_card(name)
        if content is None:
            content = self._content(card, holder, context)
        return ModelCard(
            name=name,
            arn=Arn(card.arn),
            version=version,
            status=ModelCardStatus(row.status),
            content=content,
            content_sha256=row.content_sha256,
            created_by=card.created_by,
            created_at=_utc(card.created_at),
            last_modified_by=row.created_by,
            last_modified_at=_utc(row.created_at),
            latest_version=card.latest_version,
            kms_key_arn=Arn(card.kms_key_arn) if card.kms_key_arn else None,
        )

    def list_cards(
        self,
        listing: Listing,
        *,
        name_contains: str | None,
        model_id: str | None,
        sort_by: str,
    ) -> ModelCardPage[ModelCardSummary]:
        c = model_cards.c
        query = sa.select(model_cards)
        if name_contains:
            query = query.where(sa.func.lower(c.name).contains(name_contains.lower()))
        if model_id is not None:
            query = query.where(c.model_id == model_id)
        if listing.status is not None:
            query = query.where(c.status == listing.status.value)
        if listing.created_after is not None:
            query = query.where(c.created_at > listing.created_after)
        if listing.created_before is not None:
            query = query.where(c.created_at < listing.created_before)
        key = c.name if sort_by == "Name" else c.created_at
        order = [key.desc(), c.name.desc()] if listing.descending else [key, c.name]
        rows, token = self._page(query.order_by(*order), listing)
        items = tuple(
            ModelCardSummary(
                name=r.name,
                arn=Arn(r.arn),
                status=ModelCardStatus(r.status),
                version=r.latest_version,
                created_at=_utc(r.created_at),
                last_modified_at=_utc(r.modified_at),
            )
            for r in rows
        )
        return ModelCardPage(items=items, next_token=token)

    def list_versions(self, name: str, listing: Listing) -> ModelCardPage[ModelCardVersionSummary]:
        card = self._card_row(name)
        if card is None:
            raise _no_card(name)
        c = model_card_versions.c
        query = sa.select(model_card_versions).where(c.card_name == name)
        if listing.status is not None:
            query = query.where(c.status == listing.status.value)
        if listing.created_after is not None:
            query = query.where(c.created_at > listing.created_after)
        if listing.created_before is not None:
            query = query.where(c.created_at < listing.created_before)
        query = query.order_by(c.version.desc() if listing.descending else c.version)
        rows, token = self._page(query, listing)
        items = tuple(
            ModelCardVersionSummary(
                name=name,
                arn=Arn(card.arn),
                version=r.version,
                status=ModelCardStatus(r.status),
                change=ModelCardChange(r.change),
                content_sha256=r.content_sha256,
                created_by=r.created_by,
                created_at=_utc(r.created_at),
            )
            for r in rows
        )
        return ModelCardPage(items=items, next_token=token)

    def _page(self, query: sa.Select[Any], listing: Listing) -> tuple[list[Row[Any]], str | None]:
        with self.db.read() as conn:
            rows = list(conn.execute(query.offset(listing.offset).limit(listing.limit + 1)))
        if len(rows) > listing.limit:
            return rows[: listing.limit], str(listing.offset + listing.limit)
        return rows, None

    def _card_row(self, name: str, conn: Connection | None = None) -> Row[Any] | None:
        query = sa.select(model_cards).where(model_cards.c.name == name)
        if conn is not None:
            return conn.execute(query).first()
        with self.db.read() as read:
            return read.execute(query).first()

    def _version_row(
        self, name: str, version: int, conn: Connection | None = None
    ) -> Row[Any] | None:
        c = model_card_versions.c
        query = sa.select(model_card_versions).where(c.card_name == name, c.version == version)
        if conn is not None:
            return conn.execute(query).first()
        with self.db.read() as read:
            return read.execute(query).first()

    # ----------------------------------------------------------------------------- sealing

    def _context(self, name: str, version: int) -> dict[str, str]:
        return {ARN_CONTEXT_KEY: self.arn(name), VERSION_CONTEXT_KEY: str(version)}

    def _prepare(
        self,
        name: str,
        version: int,
        content: dict[str, Any],
        key_id: str | None,
        context: RequestContext,
    ) -> _Content:
        """The content to store as version ``version``: sealed when the card has a key."""
        digest = _digest(content)
        if key_id is None:
            return _Content(json=content, sealed=None, sha256=digest, key_arn=None)
        plaintext = canonical_json(content).encode("utf-8")
        encryption_context = self._context(name, version)
        data_key = self.keys.generate_data_key(
            key_id, encryption_context=encryption_context, context=_via_sagemaker(context)
        )
        header = EnvelopeHeader(
            key_arn=data_key.key_id,
            wrapped_key=data_key.ciphertext_blob,
            encryption_context=encryption_context,
            algorithm=ALGORITHM,
        )
        sealed = io.BytesIO()
        write_envelope(io.BytesIO(plaintext), sealed, header=header, data_key=data_key.plaintext)
        return _Content(json=None, sealed=sealed.getvalue(), sha256=digest, key_arn=data_key.key_id)

    def _content(self, card: Row[Any], holder: Row[Any], context: RequestContext) -> dict[str, Any]:
        """The content a version row holds, opened (and checked) when it is sealed."""
        if holder.sealed_content is None:
            content: dict[str, Any] = dict(holder.content or {})
        else:
            content = _parse_stored(self._open(card, holder, context), card.name, holder.version)
        if _digest(content) != holder.content_sha256:
            raise Tampered(
                f"Model card '{card.name}' version {holder.version} does not match its recorded "
                "SHA-256; restore it from a backup (the audit trail shows who changed it)"
            )
        return content

    def _open(self, card: Row[Any], holder: Row[Any], context: RequestContext) -> bytes:
        expected = self._context(card.name, holder.version)
        where = f"Model card '{card.name}' version {holder.version}"
        try:
            source = io.BytesIO(holder.sealed_content)
            header = read_header(source)
            if header.encryption_context != expected or header.key_arn != card.kms_key_arn:
                raise Tampered(f"{where} is sealed for another card, version or key")
            data_key = self.keys.decrypt(
                header.wrapped_key,
                encryption_context=expected,
                key_id=card.kms_key_arn,
                context=_via_sagemaker(context),
            )
            plaintext = io.BytesIO()
            read_envelope(source, plaintext, header=header, data_key=data_key.plaintext)
        except InvalidCiphertext as exc:
            raise Tampered(f"{where} failed to decrypt ({exc.message})") from exc
        return plaintext.getvalue()


def _parse_stored(plaintext: bytes, name: str, version: int) -> dict[str, Any]:
    try:
        content = json.loads(plaintext)
    except ValueError:
        content = None
    if not isinstance(content, dict):
        raise Tampered(f"Model card '{name}' version {version} does not hold a JSON object")
    return content


def _digest(content: Mapping[str, Any]) -> str:
    """The SHA-256 of the content's canonical JSON (what versions record and exports show)."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _model_id(content: Mapping[str, Any]) -> str | None:
    value = content.get("model_overview", {}).get("model_id")
    return value if isinstance(value, str) else None


def _kept_changing(name: str) -> Conflict:
    return Conflict(f"Model card '{name}' kept changing while this change was made; send it again")


def _exists(name: str) -> Conflict:
    return Conflict(
        f"Model card '{name}' already exists; choose another name or change it with "
        "update_model_card"
    )


def _transition_message(name: str, current: ModelCardStatus, wanted: ModelCardStatus) -> str:
    if current is ModelCardStatus.ARCHIVED:
        return ARCHIVED_MESSAGE.format(name=name)
    if current is wanted:
        return f"Model card '{name}' is already {current}; nothing was changed"
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current]))
    return (
        f"Model card '{name}' cannot go from {current} to {wanted}; from {current} it can go "
        f"to {allowed}"
    )


__all__ = ["ARN_CONTEXT_KEY", "VERSION_CONTEXT_KEY", "Listing", "ModelCardService"]
