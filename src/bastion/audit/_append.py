"""The write path: one transaction per append on a raw pooled DBAPI connection.

Appends are the hottest write in Bastion (one per gated call), so they skip SQLAlchemy's
connection and event machinery (measured 2-2.5x faster) but keep :meth:`Database.write` and
:meth:`Database.lock`'s semantics exactly: ``BEGIN IMMEDIATE`` on SQLite, and on PostgreSQL the
transaction-scoped advisory lock that ``db.lock(conn, "audit")`` takes (same key), sent in one
round trip with the read of the chain's head.

Digests are written inside the same transaction when one is due, so a digest always covers
exactly the records committed before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bastion.audit._chain import GENESIS
from bastion.audit._digest import DigestRange, Signer, digest_body, open_key
from bastion.audit._models import DigestInfo
from bastion.audit._sql import placeholder
from bastion.audit._tables import field_sql
from bastion.clock import iso_z
from bastion.db import Database
from bastion.keys._root import RootSealer

LOCK = "audit"
#: the key ``Database.lock(conn, "audit")`` uses, so both paths exclude each other
LOCK_KEY = Database.lock_key(LOCK)
_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"


@dataclass(frozen=True)
class Head:
    """The newest record: its seq and chain hash (0 and 32 zero bytes for an empty trail)."""

    seq: int
    hash: bytes


@dataclass(frozen=True, kw_only=True)
class LastDigest:
    body: str
    fields: dict[str, Any]
    signature: bytes


class Writer:
    """Raw transactions and statements of the audit room's writes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.is_sqlite
        self.dialect = "sqlite" if db.is_sqlite else "postgresql"
        self.p = placeholder(self.dialect)
        self.insert_sql = (
            f"INSERT INTO audit_events (seq, record, hash) VALUES ({self.p}, {self.p}, {self.p})"
        )

    @contextmanager
    def transaction(self) -> Iterator[tuple[Any, Head]]:
        """Hold the trail's lock; yields a raw cursor and the head read under the lock.

        On PostgreSQL the transaction runs in pipeline mode: the lock and the head go in one
        round trip, the inserts and the commit in another.
        """
        pooled = self.db.engine.raw_connection()
        connection: Any = pooled.driver_connection
        cursor = connection.cursor()
        committed = False
        try:
            with nullcontext() if self.sqlite else connection.pipeline():
                if self.sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                else:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                cursor.execute(_HEAD)
                row = cursor.fetchone()
                head = Head(int(row[0]), bytes(row[1])) if row else Head(0, GENESIS)
                yield cursor, head
                if self.sqlite:
                    cursor.execute("COMMIT")
                else:
                    connection.commit()
                committed = True
        finally:
            if not committed:
                connection.rollback()
            cursor.close()
            pooled.close()

    def insert(self, cursor: Any, rows: list[tuple[int, str, bytes]]) -> None:
        """Insert chained rows (one statement, or one batched statement)."""
        if len(rows) == 1:
            cursor.execute(self.insert_sql, rows[0])
        else:
            cursor.executemany(self.insert_sql, rows)

    def signer(self, cursor: Any, sealer: RootSealer) -> tuple[Signer, datetime] | None:
        """The oldest signing key, opened, and when it was created (``None`` if there is none)."""
        cursor.execute(
            "SELECT key_id, fingerprint, sealed_private_key, created_at FROM audit_signing_keys "
            "ORDER BY created_at LIMIT 1"
        )
        row = cursor.fetchone()
        if row is None:
            return None
        key_id, fingerprint, sealed, created = row
        private = open_key(sealer, key_id, bytes(sealed))
        return Signer(key_id=key_id, fingerprint=fingerprint, private=private), stored_time(created)

    def last_digest(self, cursor: Any) -> LastDigest | None:
        cursor.execute("SELECT body, signature FROM audit_digests ORDER BY digest_seq DESC LIMIT 1")
        row = cursor.fetchone()
        if row is None:
            return None
        return LastDigest(body=row[0], fields=json.loads(row[0]), signature=bytes(row[1]))

    def write_digest(
        self,
        cursor: Any,
        *,
        head: Head,
        signer: Signer,
        key_created: datetime,
        now: datetime,
        region: str,
        interval_seconds: int,
    ) -> DigestInfo:
        """Sign and store a digest of the records after the previous digest up to ``head``."""
        last = self.last_digest(cursor)
        start = last.fields["endSequence"] + 1 if last else 1
        ends = self._events_at(cursor, start, head.seq) if head.seq >= start else {}
        number = last.fields["digestNumber"] + 1 if last else 1
        body = digest_body(
            number=number,
            region=region,
            start_time=last.fields["digestEndTime"] if last else iso_z(key_created),
            end_time=iso_z(now),
            interval_seconds=interval_seconds,
            covered=DigestRange(
                start_seq=start,
                end_seq=head.seq,
                last_record_hash=head.hash,
                first_event=ends.get(start),
                last_event=ends.get(head.seq),
            ),
            previous_body=last.body if last else None,
            previous_signature=last.signature if last else None,
            fingerprint=signer.fingerprint,
        )
        signature = signer.sign(body)
        p = self.p
        cursor.execute(
            f"INSERT INTO audit_digests (digest_seq, key_id, body, signature) "
            f"VALUES ({p}, {p}, {p}, {p})",
            (number, signer.key_id, body, signature),
        )
        return DigestInfo(
            number=number,
            start_seq=start,
            end_seq=head.seq,
            record_count=head.seq - start + 1,
            end_time=iso_z(now),
            last_record_hash=head.hash.hex(),
            signature_hex=signature.hex(),
            fingerprint=signer.fingerprint,
        )

    def _events_at(self, cursor: Any, first: int, last: int) -> dict[int, tuple[str, str]]:
        event_id = field_sql(self.dialect, "event_id")
        event_time = field_sql(self.dialect, "event_time")
        cursor.execute(
            f"SELECT seq, {event_id}, {event_time} FROM audit_events "
            f"WHERE seq = {self.p} OR seq = {self.p}",
            (first, last),
        )
        return {int(r[0]): (str(r[1]), str(r[2])) for r in cursor.fetchall()}


def stored_time(value: datetime | str) -> datetime:
    """A DateTime column read raw: SQLite gives SQLAlchemy's text, naive, in UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
