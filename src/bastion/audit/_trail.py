"""The audit trail: append-only, hash-chained, with signed digests, verify, lookup, SQL, export.

The gate calls :meth:`AuditTrail.append` once per call (allowed or denied); the record is
committed when it returns (docs/audit.md, "Durability", says what that survives). Appends from
several processes keep one linear chain: each transaction holds the trail's lock (``BEGIN
IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL) while it reads the head, hashes and
inserts; appends from threads of one process that arrive together share a transaction (group
commit, see ``_append``).

The reading operations (:meth:`verify`, :meth:`lookup`, :meth:`query`, :meth:`export`) are
reached by users only through :class:`~bastion.audit.AuditClient`, which passes the gate.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bastion.audit._append import LOCK, GroupCommit, Head, Writer, stored_time
from bastion.audit._chain import canonical_record
from bastion.audit._digest import (
    Signer,
    fingerprint_of,
    new_key,
    public_pem,
    public_raw,
    seal_key,
)
from bastion.audit._export import ExportDigest, Exporter
from bastion.audit._models import (
    SIGNATURE_ALGORITHM,
    DigestInfo,
    ExportResult,
    LookupResult,
    QueryResult,
    ResourceRef,
    SigningKey,
    TrailEvent,
    VerifyReport,
)
from bastion.audit._query import check_read_only, run_query
from bastion.audit._tables import audit_digests, audit_signing_keys, field_sql
from bastion.audit._verify import verify_trail
from bastion.clock import Clock, iso_z
from bastion.db import Database
from bastion.errors import Invalid, NotFound
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.types import EventId

log = logging.getLogger(__name__)

MAX_LOOKUP_RESULTS = 1000
_TOKEN = re.compile(r"[1-9][0-9]{0,18}")
_PAGE = 20_000


class AuditTrail:
    """The trail of one installation (see the module docstring)."""

    def __init__(
        self, *, db: Database, sealer: RootSealer, clock: Clock, settings: Settings
    ) -> None:
        self.db = db
        self.sealer = sealer
        self.clock = clock
        self.settings = settings
        self._dialect = "sqlite" if db.is_sqlite else "postgresql"
        self._writer = Writer(db, fsync=settings.audit.fsync)
        self._group = GroupCommit(self._commit)
        self._signer: tuple[Signer, datetime] | None = None
        self._next_digest_check: datetime | None = None

    @property
    def _interval(self) -> timedelta:
        return timedelta(seconds=self.settings.audit.digest_interval_seconds)

    # -- writing -------------------------------------------------------------------------

    def append(self, event: Mapping[str, Any]) -> None:
        """Append one CloudTrail record; committed when this returns."""
        self._group.submit((canonical_record(event),))

    def append_many(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Append records in one transaction (all or none), contiguous in the chain; returns
        how many."""
        records = [canonical_record(event) for event in events]
        if records:
            self._group.submit(records)
        return len(records)

    def _commit(self, records: Sequence[str]) -> None:
        """One transaction: chain ``records`` after the head, and sign a digest when one is due
        (called by the group commit, one transaction at a time in this process)."""
        now = self.clock.now()
        due = self._next_digest_check
        if due is not None and now < due:
            head = self._writer.append(records)
        else:
            found: list[datetime] = []
            head = self._writer.append(
                records, lambda cursor, head: found.append(self._digest_if_due(cursor, head, now))
            )
            self._next_digest_check = found[0]
        log.debug("audit.append records=%d last_seq=%d", len(records), head.seq)

    def flush(self) -> None:
        """Nothing is buffered: every append is committed before it returns."""

    def ensure_signing_key(self) -> SigningKey:
        """Create the Ed25519 digest signing key once; later calls return the existing one."""
        with self.db.write() as conn:
            self.db.lock(conn, LOCK)
            row = conn.execute(
                sa.select(audit_signing_keys).order_by(audit_signing_keys.c.created_at).limit(1)
            ).first()
            if row is not None:
                return SigningKey(
                    key_id=row.key_id,
                    fingerprint=row.fingerprint,
                    algorithm=row.algorithm,
                    public_key_hex=bytes(row.public_key).hex(),
                    created_at=stored_time(row.created_at),
                    created=False,
                )
            key = new_key()
            key_id = str(uuid.uuid4())
            public = public_raw(key)
            now = self.clock.now()
            conn.execute(
                audit_signing_keys.insert().values(
                    key_id=key_id,
                    created_at=now,
                    algorithm=SIGNATURE_ALGORITHM,
                    public_key=public,
                    fingerprint=fingerprint_of(public),
                    sealed_private_key=seal_key(self.sealer, key_id, key),
                )
            )
        log.info("audit.signing_key created key=%s", key_id)
        return SigningKey(
            key_id=key_id,
            fingerprint=fingerprint_of(public),
            algorithm=SIGNATURE_ALGORITHM,
            public_key_hex=public.hex(),
            created_at=now,
            created=True,
        )

    def create_digest(self) -> DigestInfo:
        """Sign a digest of every record since the previous digest (possibly none) now."""
        now = self.clock.now()
        made: list[DigestInfo] = []

        def sign(cursor: Any, head: Head) -> None:
            signer = self._load_signer(cursor)
            if signer is None:
                raise NotFound("The trail has no digest signing key; run 'bastion init' first")
            made.append(self._write_digest(cursor, head, signer, now))

        self._writer.append((), sign)
        self._next_digest_check = now + self._interval
        return made[0]

    def _load_signer(self, cursor: Any) -> tuple[Signer, datetime] | None:
        if self._signer is None:
            self._signer = self._writer.signer(cursor, self.sealer)
        return self._signer

    def _digest_if_due(self, cursor: Any, head: Head, now: datetime) -> datetime:
        """Write a digest when the interval has passed; returns when to look again."""
        signer = self._load_signer(cursor)
        if signer is None:
            log.warning("audit.digest skipped: no signing key (run 'bastion init')")
            return now + self._interval
        last = self._writer.last_digest(cursor)
        since = _parse_time(last.fields["digestEndTime"]) if last else signer[1]
        due = since + self._interval
        if now < due:
            return due
        self._write_digest(cursor, head, signer, now)
        return now + self._interval

    def _write_digest(
        self, cursor: Any, head: Head, signer: tuple[Signer, datetime], now: datetime
    ) -> DigestInfo:
        info = self._writer.write_digest(
            cursor,
            head=head,
            signer=signer[0],
            key_created=signer[1],
            now=now,
            region=self.settings.region,
            interval_seconds=self.settings.audit.digest_interval_seconds,
        )
        log.info("audit.digest number=%d seq=%d..%d", info.number, info.start_seq, info.end_seq)
        return info

    # -- reading -------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Check every record and digest; names the first bad record (see ``_verify``)."""
        with self.db.read() as conn:
            return verify_trail(
                conn,
                dialect=self._dialect,
                sealer=self.sealer,
                interval_seconds=self.settings.audit.digest_interval_seconds,
            )

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every record parsed, oldest first: the view :class:`~bastion.testing.MemoryTrail`
        gives, so tests can swap one for the other. It reads the whole trail; use
        :meth:`lookup` or :meth:`query` on a large one."""
        return [json.loads(r) for page in self._stream("record", [], {}) for _, r in page]

    def lookup(
        self,
        *,
        event_name: str | None = None,
        user: str | None = None,
        resource: str | None = None,
        event_source: str | None = None,
        access_key: str | None = None,
        read_only: bool | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        max_results: int = 50,
        next_token: str | None = None,
    ) -> LookupResult:
        """Events matching every given filter, newest first (CloudTrail's LookupEvents).

        ``user`` is an ARN (``arn:…``) or a user name; ``resource`` matches the record's
        (first) resource ARN; ``event_source`` may be short (``kms``); ``start``/``end`` are
        inclusive, timezone-aware datetimes.
        """
        if not isinstance(max_results, int) or not 1 <= max_results <= MAX_LOOKUP_RESULTS:
            raise Invalid(
                "max_results",
                got=max_results,
                expected=f"an integer in [1, {MAX_LOOKUP_RESULTS}]",
                operation="LookupEvents",
            )
        where, params = self._filters(
            event_name=event_name,
            user=user,
            resource=resource,
            event_source=event_source,
            access_key=access_key,
            read_only=read_only,
            start=start,
            end=end,
        )
        if next_token is not None:
            if not isinstance(next_token, str) or not _TOKEN.fullmatch(next_token):
                raise Invalid(
                    "next_token",
                    got=next_token,
                    expected="a token returned by a previous lookup",
                    operation="LookupEvents",
                )
            where.append("seq < :before")
            params["before"] = int(next_token)
        sql = "SELECT seq, record FROM audit_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT :limit"
        params["limit"] = max_results + 1
        with self.db.read() as conn:
            rows = conn.execute(sa.text(sql), params).all()
        events = tuple(_trail_event(int(r[0]), r[1]) for r in rows[:max_results])
        token = str(events[-1].seq) if len(rows) > max_results else None
        return LookupResult(events=events, next_token=token)

    def _filters(
        self,
        *,
        event_name: str | None = None,
        user: str | None = None,
        resource: str | None = None,
        event_source: str | None = None,
        access_key: str | None = None,
        read_only: bool | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[list[str], dict[str, Any]]:
        """SQL conditions (on the indexed expressions) and their parameters."""
        where: list[str] = []
        params: dict[str, Any] = {}

        def equal(field: str, name: str, value: str | None) -> None:
            if value is None:
                return
            if not isinstance(value, str) or not value or len(value) > 2048:
                raise Invalid(
                    name, got=value, expected="a non-empty string", operation="LookupEvents"
                )
            where.append(f"{field_sql(self._dialect, field)} = :{field}")
            params[field] = value

        equal("event_name", "event_name", event_name)
        if user is not None:
            equal("user_arn" if str(user).startswith("arn:") else "user_name", "user", user)
        equal("resource_arn", "resource", resource)
        if isinstance(event_source, str) and event_source and "." not in event_source:
            event_source = f"{event_source}.amazonaws.com"
        equal("event_source", "event_source", event_source)
        equal("access_key_id", "access_key", access_key)
        if read_only is not None:
            if not isinstance(read_only, bool):
                raise Invalid(
                    "read_only", got=read_only, expected="true or false", operation="LookupEvents"
                )
            value = (
                ("1" if read_only else "0")
                if self._dialect == "sqlite"
                else ("'true'" if read_only else "'false'")
            )
            where.append(f"{field_sql(self._dialect, 'read_only')} = {value}")
        time = field_sql(self._dialect, "event_time")
        for name, moment, op in (("start", start, ">="), ("end", end, "<=")):
            if moment is None:
                continue
            where.append(f"{time} {op} :{name}")
            params[name] = iso_z(_checked_time(name, moment))
        if start is not None and end is not None and start > end:
            raise Invalid("end", got=iso_z(end), expected=f"a time after start ({iso_z(start)})")
        return where, params

    def query(
        self,
        sql: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        max_rows: int = 10_000,
        timeout_seconds: float = 60.0,
    ) -> QueryResult:
        """Run one read-only DuckDB SELECT over the ``events`` view of the trail.

        Only the records between ``start`` and ``end`` (inclusive, when given) are loaded.
        """
        check_read_only(sql)
        if not isinstance(max_rows, int) or max_rows < 1:
            raise Invalid(
                "max_rows", got=max_rows, expected="a positive integer", operation="StartQuery"
            )
        where, params = self._filters(start=start, end=end)
        seqs: list[int] = []
        records: list[str] = []
        for page in self._stream("record", where, params):
            for seq, record in page:
                seqs.append(seq)
                records.append(record)
        return run_query(sql, seqs, records, max_rows=max_rows, timeout_seconds=timeout_seconds)

    def export(
        self,
        dest_url: str,
        *,
        account_id: str,
        storage_options: Mapping[str, Any] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> ExportResult:
        """Write the records (optionally a time range) and every digest under ``dest_url``."""
        if not isinstance(dest_url, str) or not dest_url.strip():
            raise Invalid(
                "destination",
                got=dest_url,
                expected="a folder path or URL",
                operation="ExportEvents",
            )
        options = (
            storage_options if storage_options is not None else self.settings.store.storage_options
        )
        exporter = Exporter(
            dest_url, account_id=account_id, region=self.settings.region, storage_options=options
        )
        where, params = self._filters(start=start, end=end)
        time = field_sql(self._dialect, "event_time")
        exporter.write_records(
            (str(t), r)
            for page in self._stream(f"{time}, record", where, params)
            for _, t, r in page
        )
        with self.db.read() as conn:
            digests = [
                ExportDigest(
                    body=r.body,
                    signature=bytes(r.signature),
                    end_time=json.loads(r.body)["digestEndTime"],
                )
                for r in conn.execute(sa.select(audit_digests).order_by(audit_digests.c.digest_seq))
            ]
            keys = {
                r.fingerprint: public_pem(bytes(r.public_key))
                for r in conn.execute(sa.select(audit_signing_keys))
            }
        exporter.write_digests(digests, keys)
        result = exporter.result()
        log.info(
            "audit.export files=%d digests=%d records=%d",
            len(result.log_files),
            len(result.digest_files),
            result.records,
        )
        return result

    def _stream(
        self, columns: str, where: list[str], params: dict[str, Any]
    ) -> Iterator[Sequence[Any]]:
        """``seq, <columns>`` of the matching records in seq order, a page at a time."""
        clauses = [*where, "seq > :after"]
        sql = sa.text(
            f"SELECT seq, {columns} FROM audit_events WHERE {' AND '.join(clauses)} "
            "ORDER BY seq LIMIT :page"
        )
        after = 0
        while True:
            with self.db.read() as conn:
                page = conn.execute(sql, {**params, "after": after, "page": _PAGE}).all()
            if not page:
                return
            yield page
            after = int(page[-1][0])


def _trail_event(seq: int, record: str) -> TrailEvent:
    event: dict[str, Any] = json.loads(record)
    identity = event.get("userIdentity") or {}
    resources = tuple(
        ResourceRef(arn=str(r.get("ARN")), type=r.get("type"))
        for r in event.get("resources") or ()
        if isinstance(r, dict)
    )
    return TrailEvent(
        seq=seq,
        event_id=EventId(event["eventID"]),
        event_time=_parse_time(event["eventTime"]),
        event_name=event["eventName"],
        event_source=event["eventSource"],
        user_arn=identity.get("arn"),
        username=identity.get("userName"),
        access_key_id=identity.get("accessKeyId"),
        read_only=bool(event.get("readOnly")),
        error_code=event.get("errorCode"),
        resources=resources,
        record=record,
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _checked_time(name: str, moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise Invalid(name, got=str(moment), expected="a timezone-aware datetime (e.g. UTC)")
    return moment
