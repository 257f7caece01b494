"""Fixtures for model cards: clients for the owner and for users connected by token, a fake
CardSources standing in for the registry core, and a KMS key for sealed cards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from registry_cards_helpers import CARD_KEY, FakeSources, cards_of

from bastion.registry.cards import ModelCardsClient
from bastion.sdk import Bastion


@pytest.fixture
def sources() -> FakeSources:
    return FakeSources()


@pytest.fixture
def cards(bastion: Bastion, sources: FakeSources) -> ModelCardsClient:
    """Model cards as the owner, drafting from the fake registry."""
    return cards_of(bastion, sources)


@pytest.fixture
def card_key(bastion: Bastion) -> str:
    """A customer key aliased alias/model-cards; returns its ARN."""
    meta = bastion.keys.create_key(description="model cards")
    bastion.keys.create_alias(CARD_KEY, meta.key_id)
    return str(meta.arn)


@pytest.fixture
def user_cards(user_session: Callable[..., Bastion]) -> Callable[..., ModelCardsClient]:
    """``user_cards(name, *statements)``: model cards as a new user with that inline policy."""

    def make(name: str, *statements: dict[str, Any]) -> ModelCardsClient:
        return cards_of(user_session(name, *statements))

    return make
