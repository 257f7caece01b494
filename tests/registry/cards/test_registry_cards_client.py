"""Model cards through the gate on SQLite and PostgreSQL: create, versions, review status,
describe by version, listing, deletion, drafts from the registry, sealed content."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from registry_cards_helpers import CARD_KEY, PACKAGE_ARN, FakeSources, cards_of

from bastion.errors import Conflict, Invalid, NotFound, Tampered
from bastion.gate import RequestContext
from bastion.registry.cards import (
    TRANSITIONS,
    ModelCardChange,
    ModelCardsClient,
    ModelCardStatus,
)
from bastion.registry.cards._tables import model_card_versions, model_cards
from bastion.sdk import Bastion

DRAFT, REVIEW, APPROVED, ARCHIVED = (
    ModelCardStatus.DRAFT,
    ModelCardStatus.PENDING_REVIEW,
    ModelCardStatus.APPROVED,
    ModelCardStatus.ARCHIVED,
)
FIRST: dict[str, Any] = {
    "intended_uses": {"purpose_of_model": "Flag fraud", "risk_rating": "High"},
    "business_details": {"business_problem": "Chargebacks"},
}
SECOND: dict[str, Any] = {
    "intended_uses": {"purpose_of_model": "Flag fraud for review", "risk_rating": "Medium"},
}
PATH_TO = {DRAFT: [], REVIEW: [REVIEW], APPROVED: [REVIEW, APPROVED]}


def _versions(bastion: Bastion, name: str) -> list[dict[str, Any]]:
    """The stored version rows, oldest first (for immutability checks)."""
    with bastion.runtime.db.read() as conn:
        rows = conn.execute(
            sa.select(model_card_versions)
            .where(model_card_versions.c.card_name == name)
            .order_by(model_card_versions.c.version)
        ).all()
    return [dict(r._mapping) for r in rows]


def _card_in(cards: ModelCardsClient, status: ModelCardStatus, name: str = "fraud") -> None:
    cards.create_model_card(name, content=FIRST)
    for step in PATH_TO.get(status, [REVIEW, APPROVED, ARCHIVED]):
        cards.update_model_card(name, status=step)


def test_create_and_describe(cards: ModelCardsClient, bastion: Bastion) -> None:
    card = cards.create_model_card("fraud", content=FIRST)
    assert card.version == card.latest_version == 1
    assert card.status is DRAFT
    assert card.content == FIRST
    assert card.arn == f"arn:bastion:sagemaker:local:{bastion.account_id}:model-card/fraud"
    assert card.created_by == card.last_modified_by == bastion.runtime.principal.arn
    assert card.kms_key_arn is None
    assert card.risk_rating == "High"
    assert cards.describe_model_card("fraud") == card
    assert cards.describe_model_card(card.arn) == card


def test_created_for_review_but_never_approved(cards: ModelCardsClient) -> None:
    assert cards.create_model_card("a", status="PendingReview").status is REVIEW
    for status in ("Approved", "Archived"):
        with pytest.raises(Conflict, match="approved by review"):
            cards.create_model_card("b", status=status)
    with pytest.raises(NotFound):
        cards.describe_model_card("b")


def test_names_must_be_unique(cards: ModelCardsClient) -> None:
    cards.create_model_card("fraud")
    with pytest.raises(Conflict, match="already exists"):
        cards.create_model_card("fraud", content=FIRST)


@pytest.mark.parametrize("name", ["", "-x", "x-", "a" * 64, "a_b", "a/b", "a b", "é"])
def test_bad_names_are_refused_before_the_gate(
    cards: ModelCardsClient, bastion: Bastion, name: str
) -> None:
    before = len(bastion.runtime.trail.events)
    with pytest.raises(Invalid) as caught:
        cards.create_model_card(name)
    assert caught.value.field == "model_card_name"
    assert len(bastion.runtime.trail.events) == before


def test_invalid_content_stores_nothing(cards: ModelCardsClient) -> None:
    with pytest.raises(Invalid) as caught:
        cards.create_model_card("fraud", content={"intended_uses": {"risk_rating": "Severe"}})
    assert caught.value.field == "content.intended_uses.risk_rating"
    with pytest.raises(NotFound):
        cards.describe_model_card("fraud")
    cards.create_model_card("fraud", content=FIRST)
    with pytest.raises(Invalid):
        cards.update_model_card("fraud", content={"extra": 1})
    assert cards.describe_model_card("fraud").version == 1


# ------------------------------------------------------------------------------ review status

ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
REFUSED = sorted(
    (a, b) for a in ModelCardStatus for b in ModelCardStatus if b not in TRANSITIONS[a]
)


def test_the_workflow_table() -> None:
    assert (
        sorted([(DRAFT, REVIEW), (REVIEW, APPROVED), (REVIEW, DRAFT), (APPROVED, ARCHIVED)])
        == ALLOWED
    )


@pytest.mark.parametrize(("start", "target"), ALLOWED, ids=lambda s: str(s))
def test_allowed_status_changes(
    cards: ModelCardsClient, bastion: Bastion, start: ModelCardStatus, target: ModelCardStatus
) -> None:
    _card_in(cards, start)
    before = cards.describe_model_card("fraud")
    after = cards.update_model_card("fraud", status=target)
    assert after.status is target
    assert after.version == before.version + 1
    assert after.content == before.content == FIRST
    assert after.content_sha256 == before.content_sha256
    latest = cards.list_model_card_versions("fraud").items[0]
    assert (latest.version, latest.status, latest.change) == (
        after.version,
        target,
        ModelCardChange.STATUS,
    )


@pytest.mark.parametrize(("start", "target"), REFUSED, ids=lambda s: str(s))
def test_refused_status_changes_change_nothing(
    cards: ModelCardsClient, bastion: Bastion, start: ModelCardStatus, target: ModelCardStatus
) -> None:
    _card_in(cards, start)
    rows = _versions(bastion, "fraud")
    with pytest.raises(Conflict) as caught:
        cards.update_model_card("fraud", status=target)
    if start is ARCHIVED:
        assert "is Archived" in caught.value.message
    elif start is target:
        assert f"is already {start}" in caught.value.message
    else:
        assert f"cannot go from {start} to {target}" in caught.value.message
    assert _versions(bastion, "fraud") == rows


@pytest.mark.parametrize("start", [DRAFT, REVIEW, APPROVED], ids=str)
def test_a_content_edit_makes_a_draft_version(
    cards: ModelCardsClient, start: ModelCardStatus
) -> None:
    _card_in(cards, start)
    before = cards.describe_model_card("fraud")
    edited = cards.update_model_card("fraud", content=SECOND)
    assert edited.status is DRAFT
    assert edited.version == before.version + 1
    assert edited.content == SECOND
    again = cards.describe_model_card("fraud", version=before.version)
    assert (again.status, again.content) == (start, FIRST)


def test_an_approved_card_needs_review_again_after_an_edit(cards: ModelCardsClient) -> None:
    _card_in(cards, APPROVED)
    cards.update_model_card("fraud", content=SECOND)
    with pytest.raises(Conflict, match="cannot go from Draft to Approved"):
        cards.update_model_card("fraud", status="Approved")
    cards.update_model_card("fraud", status="PendingReview")
    approved = cards.update_model_card("fraud", status="Approved")
    assert (approved.version, approved.content) == (6, SECOND)
    history = [
        (v.version, v.status, v.change)
        for v in cards.list_model_card_versions("fraud", sort_order="Ascending").items
    ]
    assert history == [
        (1, DRAFT, ModelCardChange.CREATE),
        (2, REVIEW, ModelCardChange.STATUS),
        (3, APPROVED, ModelCardChange.STATUS),
        (4, DRAFT, ModelCardChange.CONTENT),
        (5, REVIEW, ModelCardChange.STATUS),
        (6, APPROVED, ModelCardChange.STATUS),
    ]


def test_archived_cards_are_read_only(cards: ModelCardsClient) -> None:
    _card_in(cards, ARCHIVED)
    with pytest.raises(Conflict, match="is Archived"):
        cards.update_model_card("fraud", content=SECOND)
    assert cards.describe_model_card("fraud").status is ARCHIVED
    assert "fraud" in cards.export_model_card("fraud", format="markdown").text


def test_unchanged_content_is_not_a_new_version(cards: ModelCardsClient) -> None:
    cards.create_model_card("fraud", content=FIRST)
    with pytest.raises(Conflict, match="already has this content"):
        cards.update_model_card("fraud", content=dict(FIRST))
    assert cards.describe_model_card("fraud").version == 1


def test_content_and_status_are_never_changed_together(cards: ModelCardsClient) -> None:
    cards.create_model_card("fraud")
    for kwargs in ({"content": SECOND, "status": "PendingReview"}, {}):
        with pytest.raises(Invalid) as caught:
            cards.update_model_card("fraud", **kwargs)
        assert caught.value.field == "content"
    with pytest.raises(Invalid) as caught:
        cards.update_model_card("fraud", status="Done")
    assert caught.value.field == "status"


# ------------------------------------------------------------------------------ versions


def test_versions_are_immutable(cards: ModelCardsClient, bastion: Bastion) -> None:
    cards.create_model_card("fraud", content=FIRST)
    first_rows = _versions(bastion, "fraud")
    cards.update_model_card("fraud", status="PendingReview")
    cards.update_model_card("fraud", content=SECOND)
    cards.update_model_card("fraud", status="PendingReview")
    rows = _versions(bastion, "fraud")
    assert rows[0] == first_rows[0]
    assert [r["version"] for r in rows] == [1, 2, 3, 4]
    assert [r["content_version"] for r in rows] == [1, 1, 3, 3]
    assert rows[1]["content"] is None and rows[3]["content"] is None
    for number, status, content in [
        (1, DRAFT, FIRST),
        (2, REVIEW, FIRST),
        (3, DRAFT, SECOND),
        (4, REVIEW, SECOND),
    ]:
        card = cards.describe_model_card("fraud", version=number)
        assert (card.version, card.status, card.content) == (number, status, content)
        assert card.latest_version == 4
        assert card.created_at <= card.last_modified_at


def test_describe_a_version_that_does_not_exist(cards: ModelCardsClient) -> None:
    cards.create_model_card("fraud")
    with pytest.raises(NotFound, match="has no version 2; its latest is 1"):
        cards.describe_model_card("fraud", version=2)
    for bad in (0, -1, True, "1", 2**31):
        with pytest.raises(Invalid) as caught:
            cards.describe_model_card("fraud", version=bad)  # type: ignore[arg-type]
        assert caught.value.field == "version"


def test_versions_list_in_pages_and_filter(cards: ModelCardsClient) -> None:
    cards.create_model_card("fraud", content=FIRST)
    cards.update_model_card("fraud", status="PendingReview")
    cards.update_model_card("fraud", status="Draft")
    cards.update_model_card("fraud", content=SECOND)
    first = cards.list_model_card_versions("fraud", max_results=3)
    assert [v.version for v in first.items] == [4, 3, 2]
    assert first.next_token is not None
    rest = cards.list_model_card_versions("fraud", max_results=3, next_token=first.next_token)
    assert [v.version for v in rest.items] == [1]
    assert rest.next_token is None
    drafts = cards.list_model_card_versions("fraud", status="Draft", sort_order="Ascending")
    assert [v.version for v in drafts.items] == [1, 3, 4]
    with pytest.raises(Invalid) as caught:
        cards.list_model_card_versions("fraud", next_token="abc")
    assert caught.value.field == "next_token"
    with pytest.raises(NotFound):
        cards.list_model_card_versions("nothing")


# ------------------------------------------------------------------------------ listing, delete


def test_list_cards_filters_sorts_and_pages(
    cards: ModelCardsClient, bastion: Bastion, clock: Any
) -> None:
    for name in ("fraud-eu", "fraud-us", "churn"):
        cards.create_model_card(name)
        clock.advance(minutes=1)
    cards.update_model_card("fraud-us", status="PendingReview")
    newest = cards.list_model_cards()
    assert [c.name for c in newest.items] == ["churn", "fraud-us", "fraud-eu"]
    by_name = cards.list_model_cards(sort_by="Name", sort_order="Ascending", max_results=2)
    assert [c.name for c in by_name.items] == ["churn", "fraud-eu"]
    more = cards.list_model_cards(
        sort_by="Name", sort_order="Ascending", max_results=2, next_token=by_name.next_token
    )
    assert [c.name for c in more.items] == ["fraud-us"] and more.next_token is None
    assert [c.name for c in cards.list_model_cards(name_contains="FRAUD").items] == [
        "fraud-us",
        "fraud-eu",
    ]
    pending = cards.list_model_cards(status="PendingReview").items
    assert [(c.name, c.status, c.version) for c in pending] == [("fraud-us", REVIEW, 2)]
    start = bastion.runtime.clock.now()
    assert cards.list_model_cards(created_after=start).items == ()
    for bad, field in (({"max_results": 0}, "max_results"), ({"sort_by": "Size"}, "sort_by")):
        with pytest.raises(Invalid) as caught:
            cards.list_model_cards(**bad)
        assert caught.value.field == field


def test_delete_removes_every_version(cards: ModelCardsClient, bastion: Bastion) -> None:
    _card_in(cards, APPROVED)
    cards.delete_model_card("fraud")
    assert _versions(bastion, "fraud") == []
    with pytest.raises(NotFound):
        cards.describe_model_card("fraud")
    with pytest.raises(NotFound):
        cards.delete_model_card("fraud")
    assert cards.create_model_card("fraud").version == 1


# ------------------------------------------------------------------------------ drafts


def test_a_card_drafted_from_a_model_package(cards: ModelCardsClient, sources: FakeSources) -> None:
    context = RequestContext(source_ip="10.0.0.7")
    card = cards.create_model_card(
        "fraud-v3",
        model_package_arn=PACKAGE_ARN,
        content={"intended_uses": {"risk_rating": "High", "purpose_of_model": "Flag fraud"}},
        context=context,
    )
    assert sources.calls == [(PACKAGE_ARN, context)]
    content = card.content
    assert card.model_id == PACKAGE_ARN
    assert card.model_package_group_name == "fraud"
    assert content["intended_uses"] == {"risk_rating": "High", "purpose_of_model": "Flag fraud"}
    assert content["model_overview"]["algorithm_type"] == "LGBMClassifier"
    assert content["model_package_details"]["model_approval_status"] == "Approved"
    assert [e["name"] for e in content["evaluation_details"]] == [
        "Registered metrics",
        "Bias (pre-training)",
    ]
    found = cards.list_model_cards(model_id=PACKAGE_ARN).items
    assert [c.name for c in found] == ["fraud-v3"]


def test_a_draft_of_an_unknown_package_stores_nothing(cards: ModelCardsClient) -> None:
    with pytest.raises(NotFound, match="Model package"):
        cards.create_model_card("ghost", model_package_arn=PACKAGE_ARN + "9")
    with pytest.raises(NotFound):
        cards.describe_model_card("ghost")


def test_drafting_needs_the_registry(bastion: Bastion) -> None:
    plain = cards_of(bastion)
    with pytest.raises(Invalid) as caught:
        plain.create_model_card("fraud", model_package_arn=PACKAGE_ARN)
    assert caught.value.field == "model_package_arn"


# ------------------------------------------------------------------------------ sealed content


def test_sealed_cards_keep_no_plaintext(
    cards: ModelCardsClient, bastion: Bastion, card_key: str
) -> None:
    marker = "purple-elephant-7731"
    secret = {"intended_uses": {"purpose_of_model": marker}}
    card = cards.create_model_card("fraud", content=secret, kms_key_id=CARD_KEY)
    assert card.kms_key_arn == card_key
    cards.update_model_card("fraud", status="PendingReview")
    cards.update_model_card("fraud", content={"intended_uses": {"intended_uses": marker}})
    for row in _versions(bastion, "fraud"):
        assert row["content"] is None
        assert marker.encode() not in (row["sealed_content"] or b"")
    assert cards.describe_model_card("fraud", version=2).content == secret
    assert cards.describe_model_card("fraud").content == {
        "intended_uses": {"intended_uses": marker}
    }
    events = bastion.runtime.trail.events
    names = [e["eventName"] for e in events]
    assert names.count("GenerateDataKey") == 2 and "Decrypt" in names


def test_sealed_content_that_was_swapped_is_refused(
    cards: ModelCardsClient, bastion: Bastion, card_key: str
) -> None:
    cards.create_model_card("fraud", content=FIRST, kms_key_id=CARD_KEY)
    cards.update_model_card("fraud", content=SECOND)
    version_one = _versions(bastion, "fraud")[0]["sealed_content"]
    with bastion.runtime.db.write() as conn:
        conn.execute(
            model_card_versions.update()
            .where(model_card_versions.c.card_name == "fraud", model_card_versions.c.version == 2)
            .values(sealed_content=version_one)
        )
    with pytest.raises(Tampered, match="version 2 is sealed for another card, version or key"):
        cards.describe_model_card("fraud")
    assert cards.describe_model_card("fraud", version=1).content == FIRST


def test_edited_plain_content_is_refused(cards: ModelCardsClient, bastion: Bastion) -> None:
    cards.create_model_card("fraud", content=FIRST)
    with bastion.runtime.db.write() as conn:
        conn.execute(
            model_card_versions.update()
            .where(model_card_versions.c.card_name == "fraud")
            .values(content=SECOND)
        )
    with pytest.raises(Tampered, match="does not match its recorded SHA-256"):
        cards.describe_model_card("fraud")


def test_a_card_row_keeps_its_latest_version(cards: ModelCardsClient, bastion: Bastion) -> None:
    _card_in(cards, APPROVED)
    with bastion.runtime.db.read() as conn:
        row = conn.execute(sa.select(model_cards)).one()
    assert (row.status, row.latest_version, row.model_id) == ("Approved", 3, None)


def test_every_change_is_an_event(cards: ModelCardsClient, bastion: Bastion) -> None:
    kinds = ("registry.ModelCardChanged", "registry.ModelCardDeleted")
    cards.create_model_card("fraud-v3", model_package_arn=PACKAGE_ARN)
    cards.update_model_card("fraud-v3", status="PendingReview")
    cards.update_model_card("fraud-v3", status="Approved")
    with pytest.raises(Conflict):
        cards.update_model_card("fraud-v3", status="Draft")
    cards.delete_model_card("fraud-v3")
    history = bastion.runtime.events.history(kinds=kinds)
    changed = [(e.detail["version"], e.detail["status"], e.detail["change"]) for e in history[:3]]
    assert changed == [
        (1, "Draft", "Create"),
        (2, "PendingReview", "Status"),
        (3, "Approved", "Status"),
    ]
    assert {e.detail["model_id"] for e in history[:3]} == {PACKAGE_ARN}
    assert history[2].detail["by"] == bastion.runtime.principal.arn
    assert [e.kind for e in history] == [
        *["registry.ModelCardChanged"] * 3,
        "registry.ModelCardDeleted",
    ]
    arn = f"arn:bastion:sagemaker:local:{bastion.account_id}:model-card/fraud-v3"
    assert {e.subject for e in history} == {arn}
