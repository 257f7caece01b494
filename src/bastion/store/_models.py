"""Values the store hands out: buckets, object descriptions and listings.

Every value is a frozen, keyword-only dataclass; none of them holds key material.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bastion.types import Arn, BucketName, ObjectKey

SERVER_SIDE_ENCRYPTION = "aws:kms"
"""S3's ``ServerSideEncryption`` value for every object: envelope-encrypted under a KMS key."""

MANAGED_KEY_ALIAS = "alias/bastion/s3"
"""The alias of the store-managed key used by buckets created without a default key."""


class StorageClass(StrEnum):
    """Where an object sits on the cost/latency scale (used by lifecycle rules)."""

    STANDARD = "STANDARD"
    INFREQUENT_ACCESS = "INFREQUENT_ACCESS"
    ARCHIVE = "ARCHIVE"


@dataclass(frozen=True, kw_only=True)
class Bucket:
    """A bucket and its default encryption key (what HeadBucket/ListBuckets return)."""

    name: BucketName
    arn: Arn
    default_kms_key_arn: Arn
    created_at: datetime
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ObjectInfo:
    """Everything recorded about the current version of an object (HeadObject)."""

    bucket: BucketName
    key: ObjectKey
    arn: Arn
    version_id: str
    size: int
    sha256: str
    etag: str
    storage_class: StorageClass
    kms_key_arn: Arn
    last_modified: datetime
    server_side_encryption: str = SERVER_SIDE_ENCRYPTION
    tags: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ObjectSummary:
    """One entry of a listing (ListObjectsV2 ``Contents``)."""

    key: ObjectKey
    size: int
    etag: str
    sha256: str
    storage_class: StorageClass
    last_modified: datetime


@dataclass(frozen=True, kw_only=True)
class ObjectListing:
    """One page of ListObjectsV2; pass ``next_continuation_token`` back for the next page."""

    bucket: BucketName
    prefix: str
    max_keys: int
    objects: tuple[ObjectSummary, ...]
    is_truncated: bool
    next_continuation_token: str | None = None

    @property
    def key_count(self) -> int:
        """How many objects this page holds."""
        return len(self.objects)


__all__ = [
    "MANAGED_KEY_ALIAS",
    "SERVER_SIDE_ENCRYPTION",
    "Bucket",
    "ObjectInfo",
    "ObjectListing",
    "ObjectSummary",
    "StorageClass",
]
