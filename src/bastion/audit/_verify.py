"""verify: walk the hash chain and the signed digests; name the first record that fails.

The records are streamed in ``seq`` order with a raw DBAPI cursor and hashed as stored (no JSON
parsing on that path). Each kind of tampering shows up as:

* an edited record or hash: the recomputed hash differs from the stored one at that record;
* a deleted record: a gap in ``seq`` (or, when the rows after it were renumbered, the next
  record no longer chains to its predecessor);
* an inserted record: it either fails to chain itself, or the record after it chains to the
  record *before* it — then the inserted one is named;
* two records swapped: the first of them no longer chains;
* a re-computed chain: the hash at the end of a signed digest's range differs from the one the
  digest signed;
* a truncated tail: a digest vouches for records that are gone;
* a deleted or replaced digest: a gap in the digest numbers, a broken previous-digest link, or
  a bad signature; a deleted *newest* digest shows when a later record is older than the
  digest interval allows (every append checks whether a digest is due).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bastion.audit._chain import GENESIS, event_id_of
from bastion.audit._digest import (
    digest_hash,
    fingerprint_of,
    open_key,
    public_raw,
    signature_valid,
)
from bastion.audit._models import DIGEST_KIND, VerifyReport
from bastion.audit._sql import placeholder, raw_connection
from bastion.audit._tables import field_sql
from bastion.clock import iso_z
from bastion.errors import InvalidCiphertext
from bastion.keys._root import RootSealer

log = logging.getLogger(__name__)

PAGE_SIZE = 20_000
#: tolerance for clock steps when checking that no digest is missing after the newest one
CLOCK_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class _Problem:
    seq: int
    text: str
    event_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class _Digest:
    number: int
    start: int
    end: int
    last_hash: str
    first_event_id: str | None
    last_event_id: str | None
    end_time: str
    interval: int


def verify_trail(
    conn: Connection, *, dialect: str, sealer: RootSealer, interval_seconds: int
) -> VerifyReport:
    """Check the whole trail inside the read transaction ``conn``."""
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    schema = _schema_problem(conn, dialect)
    if schema is not None:
        return VerifyReport(
            ok=False,
            records_checked=0,
            digests_checked=0,
            last_seq=0,
            unsigned_records=0,
            problem=schema,
        )
    keys, key_problem = _signing_keys(conn, sealer)
    digests, digest_problem = _digests(conn, keys)
    problems = [p for p in (key_problem, digest_problem) if p is not None]
    stop_at = min((p.seq for p in problems), default=None)
    checked, last_seq, record_problem = _walk(conn, dialect, digests, stop_at)
    if record_problem is not None:
        problems.append(record_problem)
    if not problems:
        tail = _tail_problem(conn, dialect, digests, last_seq, keys, interval_seconds)
        if tail is not None:
            problems.append(tail)
    last_end = digests[-1].end if digests else 0
    unsigned = max(last_seq - last_end, 0)
    if not problems:
        log.info("audit.verify ok records=%d digests=%d", checked, len(digests))
        return VerifyReport(
            ok=True,
            records_checked=checked,
            digests_checked=len(digests),
            last_seq=last_seq,
            unsigned_records=unsigned,
        )
    first = min(problems, key=lambda p: p.seq)
    event_id = first.event_id or _event_id_at(conn, first.seq)
    log.warning("audit.verify failed seq=%d event=%s", first.seq, event_id)
    return VerifyReport(
        ok=False,
        records_checked=checked,
        digests_checked=len(digests),
        last_seq=last_seq,
        unsigned_records=unsigned,
        first_bad_event_id=event_id,
        first_bad_seq=first.seq,
        problem=first.text,
    )


def _schema_problem(conn: Connection, dialect: str) -> str | None:
    """``doc`` must still be generated from ``record`` (else lookups could be redirected)."""
    if dialect == "postgresql":
        row = conn.exec_driver_sql(
            "SELECT is_generated, generation_expression FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'audit_events' "
            "AND column_name = 'doc'"
        ).first()
        good = row is not None and row[0] == "ALWAYS" and "record" in (row[1] or "")
    else:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'"
        ).scalar()
        good = isinstance(sql, str) and "GENERATED ALWAYS AS (record) VIRTUAL" in sql
    if good:
        return None
    return (
        "The audit_events table was altered: its 'doc' column is no longer generated from "
        "'record', so lookups cannot be trusted; restore the schema from migration 0004"
    )


def _signing_keys(conn: Connection, sealer: RootSealer) -> tuple[dict[str, bytes], _Problem | None]:
    """Public keys by id, each derived from its sealed private key and compared with the row."""
    keys: dict[str, bytes] = {}
    rows = conn.exec_driver_sql(
        "SELECT key_id, public_key, fingerprint, sealed_private_key FROM audit_signing_keys"
    ).all()
    for key_id, public, fingerprint, sealed in rows:
        try:
            derived = public_raw(open_key(sealer, key_id, bytes(sealed)))
        except (InvalidCiphertext, ValueError):
            return keys, _Problem(1, f"Signing key {key_id} cannot be opened with the root key")
        if derived != bytes(public) or fingerprint != fingerprint_of(derived):
            return keys, _Problem(1, f"Signing key {key_id} was replaced: its public key changed")
        keys[key_id] = derived
    return keys, None


def _digests(conn: Connection, keys: dict[str, bytes]) -> tuple[list[_Digest], _Problem | None]:
    """The digest chain, checked link by link; stops at the first bad digest."""
    out: list[_Digest] = []
    prev_body: str | None = None
    prev_sig: bytes | None = None
    rows = conn.exec_driver_sql(
        "SELECT digest_seq, key_id, body, signature FROM audit_digests ORDER BY digest_seq"
    ).all()
    for number, key_id, body, signature in rows:
        expected_start = out[-1].end + 1 if out else 1
        signature = bytes(signature)
        if number != len(out) + 1:
            missing = len(out) + 1
            return out, _Problem(
                expected_start, f"Digest #{missing} is missing: it was deleted from audit_digests"
            )
        public = keys.get(key_id)
        if public is None or not signature_valid(public, body, signature):
            return out, _Problem(
                expected_start,
                f"Digest #{number} has an invalid signature: it was altered or forged",
            )
        fields: dict[str, Any] = json.loads(body)
        link_ok = (
            fields.get("kind") == DIGEST_KIND
            and fields.get("digestNumber") == number
            and fields.get("digestPublicKeyFingerprint") == fingerprint_of(public)
            and fields.get("previousDigestHashValue")
            == (digest_hash(prev_body) if prev_body else None)
            and fields.get("previousDigestSignature") == (prev_sig.hex() if prev_sig else None)
            and fields.get("startSequence") == expected_start
        )
        if not link_ok:
            return out, _Problem(
                expected_start,
                f"Digest #{number} does not follow digest #{number - 1}: a digest was replaced",
            )
        out.append(
            _Digest(
                number=number,
                start=fields["startSequence"],
                end=fields["endSequence"],
                last_hash=fields["lastRecordHash"],
                first_event_id=fields["firstEventId"],
                last_event_id=fields["lastEventId"],
                end_time=fields["digestEndTime"],
                interval=fields["digestIntervalSeconds"],
            )
        )
        prev_body, prev_sig = body, signature
    return out, None


def _pages(conn: Connection, dialect: str) -> Iterator[list[tuple[int, bytes, Any]]]:
    """All records in seq order as ``(seq, record bytes, hash)``, a page at a time, through
    the raw DBAPI cursor (SQLite hands the text over as bytes, skipping a decode and encode)."""
    dbapi = raw_connection(conn)
    if dialect == "sqlite":
        with closing(dbapi.cursor()) as cur:
            cur.execute("SELECT seq, CAST(record AS BLOB), hash FROM audit_events ORDER BY seq")
            while page := cur.fetchmany(PAGE_SIZE):
                yield page
        return
    after = 0
    with closing(dbapi.cursor(binary=True)) as cur:
        while True:
            cur.execute(
                "SELECT seq, record, hash FROM audit_events WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, PAGE_SIZE),
            )
            rows = cur.fetchall()
            if not rows:
                return
            yield [(seq, record.encode(), stored) for seq, record, stored in rows]
            after = rows[-1][0]


def _walk(
    conn: Connection, dialect: str, digests: list[_Digest], stop_at: int | None
) -> tuple[int, int, _Problem | None]:
    """Hash every record; returns (records verified, last seq seen, first problem).

    The loop compares each seq with one number, the next *checkpoint*: the end of a digest's
    range (check the hash it signed) or the record before ``stop_at`` (a problem already found
    there, so nothing after it can come first).
    """
    ends: dict[int, list[_Digest]] = {}
    for d in digests:
        ends.setdefault(d.end, []).append(d)
    if any(d.last_hash != GENESIS.hex() for d in ends.get(0, [])):
        return 0, 0, _Problem(1, "A digest of the empty trail does not match it")
    stop = stop_at - 1 if stop_at is not None else None
    if stop == 0:
        return 0, 0, None
    checkpoints = iter(sorted({*ends, *([stop] if stop else [])} - {0}))
    checkpoint = next(checkpoints, 0)
    prev = GENESIS
    before_prev: bytes | None = None
    unmatched: _Problem | None = None  # a digest mismatch explained by a later record
    expected = 1
    sha256 = hashlib.sha256  # the hot loop: the chain step inlined, no JSON parsing
    for page in _pages(conn, dialect):
        for seq, record, stored in page:
            if seq != expected:
                return expected - 1, seq - 1, _gap(expected, seq, record)
            current = sha256(prev + record).digest()
            if current != stored:
                return expected - 1, seq, _mismatch(seq, record, stored, before_prev)
            if seq == checkpoint:
                for d in ends.get(seq, ()):
                    if current.hex() != d.last_hash:
                        unmatched = _unmatched(d)
                        if not _moved_later(conn, d, seq):
                            return seq - 1, seq, unmatched
                if seq == stop:
                    return seq, seq, None
                checkpoint = next(checkpoints, 0)
            before_prev, prev = prev, current
            expected += 1
    return expected - 1, expected - 1, unmatched


def _unmatched(d: _Digest) -> _Problem:
    return _Problem(
        d.start,
        f"Records seq {d.start}..{d.end} no longer match signed digest #{d.number}: a record "
        "in that range was altered and the chain re-computed",
        d.first_event_id,
    )


def _gap(expected: int, seq: int, record: bytes) -> _Problem:
    return _Problem(
        expected,
        f"Records seq {expected}..{seq - 1} are missing: deleted from audit_events (the next "
        f"record, seq {seq}, is named)",
        event_id_of(record.decode(errors="replace")),
    )


def _moved_later(conn: Connection, digest: _Digest, seq: int) -> bool:
    """Whether the record the digest ends with now sits further on (records were inserted
    before it): then walking on names the inserted record precisely."""
    found = conn.execute(
        sa.text("SELECT min(seq) FROM audit_events WHERE hash = :h"),
        {"h": bytes.fromhex(digest.last_hash)},
    ).scalar()
    return found is not None and int(found) > seq


def _mismatch(seq: int, record: bytes, stored: Any, before_prev: bytes | None) -> _Problem:
    """Explain a record whose hash does not match."""
    if before_prev is not None and hashlib.sha256(before_prev + record).digest() == stored:
        return _Problem(
            seq - 1,
            f"Record seq {seq - 1} was inserted: the record after it (seq {seq}) chains to "
            f"seq {seq - 2}",
        )
    return _Problem(
        seq,
        f"Record seq {seq} does not match its hash: it was edited or moved, or a record "
        "before it was deleted",
        event_id_of(record.decode(errors="replace")),
    )


def _tail_problem(
    conn: Connection,
    dialect: str,
    digests: list[_Digest],
    last_seq: int,
    keys: dict[str, bytes],
    interval_seconds: int,
) -> _Problem | None:
    """Digests vouching for records that are gone; records that should have been digested."""
    for d in digests:
        if d.end > last_seq:
            missing = last_seq + 1
            known = d.first_event_id if missing == d.start else d.last_event_id
            return _Problem(
                missing,
                f"Records seq {missing}..{d.end} are missing: signed digest #{d.number} vouches "
                "for them (the tail of the trail was truncated)",
                known,
            )
    if digests:
        since, interval = digests[-1].end_time, max(digests[-1].interval, interval_seconds)
        after = digests[-1].end
    elif keys:
        since, interval, after = _first_key_time(conn), interval_seconds, 0
    elif last_seq:
        return _Problem(
            1, "The trail has no digest signing key, so nothing is signed; run 'bastion init'"
        )
    else:
        return None
    deadline = datetime.fromisoformat(since.replace("Z", "+00:00")) + timedelta(seconds=interval)
    time_expr = field_sql(dialect, "event_time")
    param = placeholder(dialect)
    dbapi = raw_connection(conn)
    with closing(dbapi.cursor()) as cur:
        # ordered by time, so the eventTime index finds the (normally empty) late range
        # without parsing every record
        cur.execute(
            f"SELECT seq FROM audit_events WHERE {time_expr} >= {param} AND seq > {param} "
            f"ORDER BY {time_expr} LIMIT 1",
            (iso_z(deadline + CLOCK_GRACE), after),
        )
        row = cur.fetchone()
    if row is None:
        return None
    late = row[0]
    return _Problem(
        after + 1,
        f"Record seq {late} was appended more than {interval} s after the newest digest "
        f"(#{len(digests)}) but no digest covers it: a newer digest was deleted",
    )


def _first_key_time(conn: Connection) -> str:
    created = conn.exec_driver_sql("SELECT min(created_at) FROM audit_signing_keys").scalar()
    if isinstance(created, str):  # SQLite returns the stored text
        created = datetime.fromisoformat(created)
    assert isinstance(created, datetime)
    return iso_z(created if created.tzinfo else created.replace(tzinfo=UTC))


def _event_id_at(conn: Connection, seq: int) -> str | None:
    row = conn.execute(sa.text("SELECT record FROM audit_events WHERE seq = :seq"), {"seq": seq})
    found = row.first()
    return event_id_of(found[0]) if found is not None else None
