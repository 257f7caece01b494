"""Fixtures for the access tests: the owner, and connections as users."""

from __future__ import annotations

import pytest

from bastion.sdk import Bastion


@pytest.fixture
def owner(bastion: Bastion) -> Bastion:
    return bastion
