"""Encrypted objects over fsspec (SSE-KMS semantics): buckets, atomic puts, verified reads."""

from bastion.store import _actions  # noqa: F401  (registers the store's actions with the gate)
from bastion.store._client import StoreClient, StoreRuntime
from bastion.store._models import (
    MANAGED_KEY_ALIAS,
    Bucket,
    ObjectInfo,
    ObjectListing,
    ObjectSummary,
    StorageClass,
)

__all__ = [
    "MANAGED_KEY_ALIAS",
    "Bucket",
    "ObjectInfo",
    "ObjectListing",
    "ObjectSummary",
    "StorageClass",
    "StoreClient",
    "StoreRuntime",
]
