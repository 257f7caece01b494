"""Fixtures for the access tests: the owner, and connections as users."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from access_helpers import ConnectAs, UserSession, policy

import bastion as bastion_pkg
from bastion.sdk import Bastion


@pytest.fixture
def owner(bastion: Bastion) -> Bastion:
    return bastion


@pytest.fixture
def connect_as(owner: Bastion) -> Iterator[ConnectAs]:
    """Open another connection to the owner's home, authenticated by a bearer token."""
    opened: list[Bastion] = []

    def connect(token: str) -> Bastion:
        runtime = owner.runtime
        client = bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock, token=token)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()


@pytest.fixture
def user_session(owner: Bastion, connect_as: ConnectAs) -> UserSession:
    """Create a user with an inline policy of the given statements and connect as it."""

    def make(name: str, *statements: Mapping[str, Any]) -> Bastion:
        owner.access.create_user(name)
        if statements:
            owner.access.put_user_policy(name, "inline", policy(*statements))
        return connect_as(owner.access.create_api_token(user_name=name).token)

    return make
