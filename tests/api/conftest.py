"""Fixtures for the API: an app over an initialised home, real tokens for the owner and for a
user with no permissions, and clients carrying them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import PEER, USER
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.api import ApiOptions, create_app
from bastion.sdk import Bastion


@pytest.fixture
def owner_token(bastion: Bastion) -> str:
    """An API token of the account root (the owner)."""
    return bastion.access.create_api_token(description="api tests").token


@pytest.fixture
def user_token(bastion: Bastion) -> str:
    """An API token of a user that no policy allows anything."""
    bastion.access.create_user(USER)
    return bastion.access.create_api_token(user_name=USER).token


@pytest.fixture
def options() -> ApiOptions:
    return ApiOptions(max_json_bytes=64 * 1024, max_object_bytes=4 * 1024 * 1024)


@pytest.fixture
def app(bastion: Bastion, options: ApiOptions) -> FastAPI:
    """The API over the test home, authenticating with the home's real authenticator."""
    return create_app(bastion.runtime.settings, runtime=bastion.runtime, options=options)


@pytest.fixture
def client(app: FastAPI, owner_token: str) -> Iterator[TestClient]:
    """The owner's client."""
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {owner_token}"}) as c:
        yield c


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    """A client that sends no credentials."""
    with TestClient(app, client=PEER) as c:
        yield c


@pytest.fixture
def user(app: FastAPI, user_token: str) -> Iterator[TestClient]:
    """A client authenticated as a user with no permissions."""
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {user_token}"}) as c:
        yield c
