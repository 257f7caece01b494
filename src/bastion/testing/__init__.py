"""Shipped fakes for tests of Bastion and of code built on it."""

from bastion.keys.backends import FakeKms
from bastion.testing._fakes import FrozenClock, MemoryTrail

__all__ = ["FakeKms", "FrozenClock", "MemoryTrail"]
