"""The write path: appends commit in groups, on a connection the trail keeps.

Appends are the hottest write in Bastion (one per gated call). They skip SQLAlchemy's connection
and event machinery but keep :meth:`Database.write` and :meth:`Database.lock`'s semantics
exactly: ``BEGIN IMMEDIATE`` on SQLite, and on PostgreSQL the transaction-scoped advisory lock
that ``db.lock(conn, "audit")`` takes (same key), sent in one round trip with the read of the
chain's head. So appends from any number of processes form one chain.

* On a SQLite file each process keeps one DBAPI connection for the trail (opened through the
  engine, so with its pragmas; a forked child opens its own; closed when the engine is disposed).
  On PostgreSQL (and an in-memory SQLite) a transaction borrows a raw pooled connection.
* :class:`GroupCommit`: appends from threads of one process that arrive while a transaction is
  running are committed together by the next one, and every caller returns only once *its*
  records are committed. Nothing is acknowledged before its commit, so nothing is buffered.

Digests are written inside the same transaction when one is due, so a digest always covers
exactly the records committed before it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bastion.audit._chain import GENESIS, chain
from bastion.audit._digest import DigestRange, Signer, digest_body, open_key
from bastion.audit._models import DigestInfo
from bastion.audit._sql import placeholder
from bastion.audit._tables import field_sql
from bastion.clock import iso_z
from bastion.db import Database
from bastion.keys._root import RootSealer

log = logging.getLogger(__name__)

LOCK = "audit"
#: the key ``Database.lock(conn, "audit")`` uses, so both paths exclude each other
LOCK_KEY = Database.lock_key(LOCK)
_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"


@dataclass(frozen=True)
class Head:
    """The newest record: its seq and chain hash (0 and 32 zero bytes for an empty trail)."""

    seq: int
    hash: bytes


Then = Callable[[Any, "Head"], None]
"""Work inside an append's transaction after the insert: the cursor and the new head."""


@dataclass(frozen=True, kw_only=True)
class LastDigest:
    body: str
    fields: dict[str, Any]
    signature: bytes


class Writer:
    """Raw transactions and statements of the audit room's writes."""

    def __init__(self, db: Database, *, fsync: bool = False) -> None:
        self.db = db
        self.sqlite = db.is_sqlite
        self.fsync = fsync
        self.dialect = "sqlite" if db.is_sqlite else "postgresql"
        self.p = placeholder(self.dialect)
        self.insert_sql = (
            f"INSERT INTO audit_events (seq, record, hash) VALUES ({self.p}, {self.p}, {self.p})"
        )
        self._kept = self.sqlite and db.url.database not in (None, "", ":memory:")
        self._connection: Any = None
        self._cursor: Any = None
        self._inherited: list[Any] = []
        self._lock = threading.Lock()
        _WRITERS.add(self)
        if self._kept:
            sa.event.listen(db.engine, "engine_disposed", self._on_dispose)

    def append(self, records: Sequence[str], then: Then | None = None) -> Head:
        """One transaction under the trail's lock: chain ``records`` (possibly none) after the
        head and insert them, hand the cursor and the new head to ``then`` (a digest), commit;
        returns the new head.

        The hot path: on the kept SQLite connection it is five statements and no generator.
        """
        if not self._kept:
            with self._pooled() as (cursor, head):
                return self._insert(cursor, head.seq, head.hash, records, then)
        with self._lock:
            connection = self._connection or self._open()
            cursor = self._cursor
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(_HEAD)
                row = cursor.fetchone()
                seq, prev = row if row else (0, GENESIS)
                head = self._insert(cursor, seq, prev, records, then)
                cursor.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.rollback()
                raise
        return head

    def _insert(
        self, cursor: Any, seq: int, prev: bytes, records: Sequence[str], then: Then | None
    ) -> Head:
        rows = []
        for record in records:
            seq += 1
            prev = chain(prev, record)
            rows.append((seq, record, prev))
        if len(rows) == 1:
            cursor.execute(self.insert_sql, rows[0])
        elif rows:
            cursor.executemany(self.insert_sql, rows)
        head = Head(seq, prev)
        if then is not None:
            then(cursor, head)
        return head

    def _open(self) -> Any:
        """The trail's own SQLite connection (the engine's pragmas; ``fsync`` makes it FULL)."""
        pooled = self.db.engine.raw_connection()
        connection: Any = pooled.driver_connection
        pooled.detach()
        if self.fsync:
            connection.execute("PRAGMA synchronous=FULL")
        self._cursor = connection.cursor()
        self._connection = connection
        return connection

    @contextmanager
    def _pooled(self) -> Iterator[tuple[Any, Head]]:
        """A transaction on a pooled connection; on PostgreSQL in pipeline mode: the lock and
        the head go in one round trip, the inserts and the commit in another."""
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

    def close(self) -> None:
        """Close the trail's own connection (the next transaction opens a new one)."""
        with self._lock:
            connection, self._connection, self._cursor = self._connection, None, None
        if connection is not None:
            connection.close()

    def _on_dispose(self, _engine: Any) -> None:
        self.close()

    def _after_fork(self) -> None:
        """In a forked child: never touch the parent's connections (SQLite forbids it), not even
        to close them. The child opens its own (the engine gets a fresh pool, as SQLAlchemy
        advises after a fork); a lock held by a thread that did not fork is replaced."""
        if self._connection is not None:
            self._inherited.append(self._connection)
        self._connection = self._cursor = None
        self._lock = threading.Lock()
        self.db.engine.dispose(close=False)

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


class _Ticket:
    """One caller's records waiting for a commit."""

    __slots__ = ("done", "records")

    def __init__(self, records: Sequence[str]) -> None:
        self.records = records
        self.done = False


class GroupCommit:
    """Commit the records of concurrent callers of one process in shared transactions.

    A caller queues its records and waits for the process's write turn. Whoever gets the turn
    takes everything queued (its own records included) and hands it to ``write`` (one
    transaction); the callers whose records that committed return at once when their turn comes.
    If a shared transaction fails, its leader retries its own records alone and every other
    caller retries its own in its turn, so an error reaches exactly the callers whose records
    are not stored, in their own thread. With one caller at a time this is one transaction per
    call, as before.
    """

    def __init__(self, write: Callable[[Sequence[str]], None]) -> None:
        self._write = write
        self._queue: deque[_Ticket] = deque()
        self._turn = threading.Lock()
        _GROUPS.add(self)

    def submit(self, records: Sequence[str]) -> None:
        """Return once ``records`` are committed (in this order, contiguous in the chain)."""
        ticket = _Ticket(records)
        self._queue.append(ticket)
        with self._turn:
            if ticket.done:
                return
            batch = self._take(ticket)
            if len(batch) > 1:
                try:
                    self._write([r for t in batch for r in t.records])
                except Exception:
                    log.warning("audit.group_commit failed calls=%d; each retries", len(batch))
                else:
                    for t in batch:
                        t.done = True
                    return
            self._write(records)
            ticket.done = True

    def _take(self, ticket: _Ticket) -> list[_Ticket]:
        """Everything queued; ``ticket`` too when a failed group had taken it already."""
        batch: list[_Ticket] = []
        queue = self._queue
        while queue:
            try:
                batch.append(queue.popleft())
            except IndexError:  # emptied by another thread since the check
                break
        if ticket not in batch:
            batch.insert(0, ticket)
        return batch

    def _after_fork(self) -> None:
        """In a forked child: the parent's waiting callers do not exist here."""
        self._queue = deque()
        self._turn = threading.Lock()


_WRITERS: weakref.WeakSet[Writer] = weakref.WeakSet()
_GROUPS: weakref.WeakSet[GroupCommit] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for writer in list(_WRITERS):
        writer._after_fork()
    for group in list(_GROUPS):
        group._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def stored_time(value: datetime | str) -> datetime:
    """A DateTime column read raw: SQLite gives SQLAlchemy's text, naive, in UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
