"""Fixtures for the lineage graph: its client as the owner, and clients for limited users."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import bastion as bastion_pkg
from bastion.registry.lineage import LineageClient
from bastion.sdk import Bastion


@pytest.fixture
def lineage(bastion: Bastion) -> LineageClient:
    """The lineage graph as the home's owner."""
    return LineageClient(bastion.runtime)


@pytest.fixture
def user_lineage(bastion: Bastion) -> Iterator[Callable[[str, str | None], LineageClient]]:
    """``make(name, policy)``: a user with that inline policy (or none) and its lineage client."""
    opened: list[Bastion] = []

    def make(name: str, policy: str | None) -> LineageClient:
        bastion.access.create_user(name)
        if policy is not None:
            bastion.access.put_user_policy(name, "lineage", policy)
        token = bastion.access.create_api_token(user_name=name).token
        runtime = bastion.runtime
        client = bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock, token=token)
        opened.append(client)
        return LineageClient(client.runtime)

    yield make
    for client in opened:
        client.close()
