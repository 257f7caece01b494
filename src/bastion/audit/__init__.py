"""The audit trail: append-only, hash-chained, signed digests, verify, lookup, SQL, export."""

from bastion.audit import _actions  # noqa: F401  (declares the cloudtrail:* actions)
from bastion.audit._client import AuditClient
from bastion.audit._models import (
    DigestInfo,
    ExportResult,
    LookupResult,
    QueryResult,
    ResourceRef,
    SigningKey,
    TrailEvent,
    VerifyReport,
)
from bastion.audit._trail import AuditTrail

__all__ = [
    "AuditClient",
    "AuditTrail",
    "DigestInfo",
    "ExportResult",
    "LookupResult",
    "QueryResult",
    "ResourceRef",
    "SigningKey",
    "TrailEvent",
    "VerifyReport",
]
