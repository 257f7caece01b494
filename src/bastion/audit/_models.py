"""Values the audit room hands out: looked-up events, verify reports, digests, query results."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bastion.types import EventId

DIGEST_KIND = "bastion.audit/digest@1"
SIGNATURE_ALGORITHM = "Ed25519"
HASH_ALGORITHM = "SHA-256"


@dataclass(frozen=True, kw_only=True)
class ResourceRef:
    """One entry of a record's ``resources`` list."""

    arn: str
    type: str | None


@dataclass(frozen=True, kw_only=True)
class TrailEvent:
    """One audit record as LookupEvents returns it; ``record`` is the stored JSON, verbatim."""

    seq: int
    event_id: EventId
    event_time: datetime
    event_name: str
    event_source: str
    user_arn: str | None
    username: str | None
    access_key_id: str | None
    read_only: bool
    error_code: str | None
    resources: tuple[ResourceRef, ...]
    record: str

    def cloudtrail_event(self) -> dict[str, Any]:
        """The record parsed into a dict (CloudTrail's ``CloudTrailEvent``)."""
        parsed: dict[str, Any] = json.loads(self.record)
        return parsed


@dataclass(frozen=True, kw_only=True)
class LookupResult:
    """A page of events, newest first; pass ``next_token`` back to get the next page."""

    events: tuple[TrailEvent, ...]
    next_token: str | None


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    """What ``verify`` found. ``first_bad_*`` name the first record that fails, when any.

    ``unsigned_records`` counts the records after the newest digest: the hash chain protects them
    against edits, but only a later signed digest protects them against a re-computed chain.
    """

    ok: bool
    records_checked: int
    digests_checked: int
    last_seq: int
    unsigned_records: int
    first_bad_event_id: str | None = None
    first_bad_seq: int | None = None
    problem: str | None = None


@dataclass(frozen=True, kw_only=True)
class SigningKey:
    """The public half of the digest signing key (the private half is sealed in the database)."""

    key_id: str
    fingerprint: str
    algorithm: str
    public_key_hex: str
    created_at: datetime
    created: bool


@dataclass(frozen=True, kw_only=True)
class DigestInfo:
    """One signed digest: the range of records it vouches for and its signature."""

    number: int
    start_seq: int
    end_seq: int
    record_count: int
    end_time: str
    last_record_hash: str
    signature_hex: str
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class QueryResult:
    """Rows of a DuckDB query over the trail; ``records_loaded`` is how many records it saw.

    ``truncated`` is true when the query had more rows than ``max_rows``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    records_loaded: int
    truncated: bool


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    """Files written by ``export``: CloudTrail log files and digest files, relative paths."""

    destination: str
    records: int
    log_files: tuple[str, ...]
    digest_files: tuple[str, ...]
