"""The audit trail: append-only, hash-chained, signed digests, verify, lookup, SQL."""

from bastion.audit._client import AuditClient
from bastion.audit._trail import AuditTrail

__all__ = ["AuditClient", "AuditTrail"]
