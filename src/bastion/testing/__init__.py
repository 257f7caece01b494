"""Shipped fakes for tests of Bastion and of code built on it."""

from bastion.testing._fakes import FrozenClock, MemoryTrail

__all__ = ["FrozenClock", "MemoryTrail"]
