"""Who may do what with model cards: deny by default, separation of review, KMS on sealed cards,
and every call (allowed or denied) in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from registry_cards_helpers import CARD_KEY

from bastion.errors import AccessDenied
from bastion.registry.cards import ModelCardsClient, ModelCardStatus
from bastion.sdk import Bastion

ALL_CARDS = {"Effect": "Allow", "Action": "sagemaker:*ModelCard*", "Resource": "*"}
NO_APPROVING = {
    "Effect": "Deny",
    "Action": "sagemaker:UpdateModelCard",
    "Resource": "*",
    "Condition": {"StringEquals": {"bastion:ModelCardStatus": "Approved"}},
}

CALLS: dict[str, Callable[[ModelCardsClient], Any]] = {
    "CreateModelCard": lambda c: c.create_model_card("other"),
    "DescribeModelCard": lambda c: c.describe_model_card("fraud"),
    "UpdateModelCard": lambda c: c.update_model_card("fraud", status="PendingReview"),
    "DeleteModelCard": lambda c: c.delete_model_card("fraud"),
    "ListModelCards": lambda c: c.list_model_cards(),
    "ListModelCardVersions": lambda c: c.list_model_card_versions("fraud"),
    "CreateModelCardExportJob": lambda c: c.export_model_card("fraud"),
}


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_a_user_without_a_policy_is_denied_and_audited(
    cards: ModelCardsClient,
    bastion: Bastion,
    user_cards: Callable[..., ModelCardsClient],
    operation: str,
) -> None:
    cards.create_model_card("fraud")
    mallory = user_cards("mallory")
    with pytest.raises(AccessDenied) as caught:
        CALLS[operation](mallory)
    assert f"sagemaker:{operation}" in caught.value.message
    record = bastion.runtime.trail.events[-1]
    assert record["eventName"] == operation
    assert record["errorCode"] == "AccessDenied"
    assert record["userIdentity"]["arn"].endswith(":user/mallory")
    card = cards.describe_model_card("fraud")
    assert (card.version, card.status) == (1, ModelCardStatus.DRAFT)


def test_authors_may_submit_but_not_approve(
    cards: ModelCardsClient, user_cards: Callable[..., ModelCardsClient]
) -> None:
    author = user_cards("author", ALL_CARDS, NO_APPROVING)
    reviewer = user_cards("reviewer", ALL_CARDS)
    author.create_model_card("fraud", content={"intended_uses": {"risk_rating": "Low"}})
    author.update_model_card("fraud", status="PendingReview")
    with pytest.raises(AccessDenied):
        author.update_model_card("fraud", status="Approved")
    approved = reviewer.update_model_card("fraud", status="Approved")
    assert approved.status is ModelCardStatus.APPROVED
    assert approved.last_modified_by.endswith(":user/reviewer")
    assert approved.created_by.endswith(":user/author")


def test_the_status_asked_for_is_in_the_trail(cards: ModelCardsClient, bastion: Bastion) -> None:
    cards.create_model_card("fraud", content={"intended_uses": {"purpose_of_model": "secret"}})
    cards.update_model_card("fraud", status="PendingReview")
    create, update = [
        e for e in bastion.runtime.trail.events if e["eventSource"] == "sagemaker.amazonaws.com"
    ]
    assert create["eventName"] == "CreateModelCard"
    assert create["requestParameters"]["modelCardStatus"] == "Draft"
    assert create["requestParameters"]["content"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert "secret" not in str(create)
    assert create["responseElements"]["modelCardVersion"] == 1
    assert update["requestParameters"] == {
        "modelCardName": "fraud",
        "modelCardStatus": "PendingReview",
    }
    assert update["responseElements"]["modelCardVersion"] == 2


def test_sealed_cards_need_the_key(
    cards: ModelCardsClient,
    bastion: Bastion,
    card_key: str,
    user_cards: Callable[..., ModelCardsClient],
) -> None:
    cards.create_model_card(
        "fraud", content={"intended_uses": {"risk_rating": "Low"}}, kms_key_id=CARD_KEY
    )
    keyless = user_cards("keyless", ALL_CARDS)
    with pytest.raises(AccessDenied, match="kms:Decrypt"):
        keyless.describe_model_card("fraud")
    with pytest.raises(AccessDenied, match="kms:GenerateDataKey"):
        keyless.update_model_card("fraud", content={"intended_uses": {"risk_rating": "High"}})
    with pytest.raises(AccessDenied, match="kms:Decrypt"):
        keyless.update_model_card("fraud", status="PendingReview")
    assert [v.version for v in keyless.list_model_card_versions("fraud").items] == [1]
    holder = user_cards(
        "holder",
        ALL_CARDS,
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": card_key,
            "Condition": {"StringEquals": {"kms:ViaService": "sagemaker.local.amazonaws.com"}},
        },
    )
    assert holder.update_model_card("fraud", status="PendingReview").content == {
        "intended_uses": {"risk_rating": "Low"}
    }
