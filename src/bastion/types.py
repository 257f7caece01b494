"""Small id types that cannot be swapped by accident, and shared enums."""

from __future__ import annotations

from enum import StrEnum
from typing import NewType

AccountId = NewType("AccountId", str)
Arn = NewType("Arn", str)
KeyId = NewType("KeyId", str)
BucketName = NewType("BucketName", str)
ObjectKey = NewType("ObjectKey", str)
EventId = NewType("EventId", str)


class EventCategory(StrEnum):
    """CloudTrail's eventCategory."""

    MANAGEMENT = "Management"
    DATA = "Data"


__all__ = ["AccountId", "Arn", "BucketName", "EventCategory", "EventId", "KeyId", "ObjectKey"]
