"""Signed digests: made at append time and on demand; removing or forging one is found."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from audit_helpers import fill, make_event, run_sql
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bastion.audit import AuditTrail
from bastion.audit._chain import chain
from bastion.audit._digest import digest_hash, signature_valid
from bastion.db import Database
from bastion.errors import NotFound
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock


def _digests(trail: AuditTrail) -> list[tuple[dict[str, object], str, bytes]]:
    with trail.db.read() as conn:
        rows = conn.execute(
            sa.text("SELECT body, signature FROM audit_digests ORDER BY digest_seq")
        ).all()
    return [(json.loads(b), b, bytes(s)) for b, s in rows]


def test_signing_key_is_created_once_and_sealed(trail: AuditTrail, sealer: RootSealer) -> None:
    again = trail.ensure_signing_key()
    assert not again.created and len(again.fingerprint) == 32
    with trail.db.read() as conn:
        row = conn.execute(sa.text("SELECT key_id, sealed_private_key FROM audit_signing_keys"))
        ((key_id, sealed),) = row.all()
    raw = sealer.open(bytes(sealed), aad=f"bastion/audit-signing-key/{key_id}".encode())
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
    assert public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex() == again.public_key_hex
    assert raw not in bytes(sealed)


def test_a_digest_is_signed_when_the_interval_has_passed(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    fill(trail, clock, 3)
    assert _digests(trail) == []
    clock.advance(seconds=3600)
    fill(trail, clock, 2)
    ((body, text, signature),) = _digests(trail)
    assert (body["startSequence"], body["endSequence"], body["recordCount"]) == (1, 4, 4)
    assert body["previousDigestSignature"] is None and body["previousDigestHashValue"] is None
    assert body["digestSignatureAlgorithm"] == "Ed25519"
    public = bytes.fromhex(trail.ensure_signing_key().public_key_hex)
    assert signature_valid(public, text, signature)
    report = trail.verify()
    assert report.ok and report.digests_checked == 1 and report.unsigned_records == 1


def test_digests_chain_to_each_other(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 3)
    first = trail.create_digest()
    fill(trail, clock, 2)
    second = trail.create_digest()
    empty = trail.create_digest()
    (b1, t1, s1), (b2, _, s2), (b3, _, _) = _digests(trail)
    assert (first.start_seq, first.end_seq, first.record_count) == (1, 3, 3)
    assert b1["firstEventId"] == events[0]["eventID"] and b1["lastEventId"] == events[2]["eventID"]
    assert (second.start_seq, second.end_seq) == (4, 5)
    assert b2["previousDigestHashValue"] == digest_hash(t1)
    assert b2["previousDigestSignature"] == s1.hex()
    assert (empty.record_count, b3["startSequence"], b3["endSequence"]) == (0, 6, 5)
    assert b3["previousDigestSignature"] == s2.hex()
    assert trail.verify().ok


def test_digest_of_an_empty_trail(trail: AuditTrail) -> None:
    info = trail.create_digest()
    assert (info.start_seq, info.end_seq, info.record_count) == (1, 0, 0)
    assert trail.verify().ok


def test_create_digest_needs_a_signing_key(
    database: Database, sealer: RootSealer, clock: FrozenClock, settings: Settings
) -> None:
    bare = AuditTrail(db=database, sealer=sealer, clock=clock, settings=settings)
    with pytest.raises(NotFound, match="bastion init"):
        bare.create_digest()
    bare.append(make_event(clock))
    report = bare.verify()
    assert not report.ok and "no digest signing key" in (report.problem or "")


def test_recomputed_chain_is_caught_by_the_digest(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 6)
    trail.create_digest()
    with trail.db.read() as conn:
        rows = conn.execute(sa.text("SELECT seq, record FROM audit_events ORDER BY seq")).all()
    prev = bytes(32)
    for seq, record in rows:
        if seq == 3:
            record = record.replace('"Decrypt"', '"Encrypt"')
        prev = chain(prev, record)
        run_sql(
            trail,
            "UPDATE audit_events SET record = :r, hash = :h WHERE seq = :s",
            r=record,
            h=prev,
            s=seq,
        )
    report = trail.verify()
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_event_id) == (1, events[0]["eventID"])
    assert "no longer match signed digest #1" in (report.problem or "")


def test_truncated_tail_covered_by_a_digest_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 7)
    trail.create_digest()
    run_sql(trail, "DELETE FROM audit_events WHERE seq > 4")
    report = trail.verify()
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.first_bad_event_id == events[6]["eventID"]  # the newest one the digest names
    assert "truncated" in (report.problem or "")


def test_truncating_the_unsigned_tail_needs_a_digest_to_show(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    """Records after the newest digest are protected by the chain only (documented limit)."""
    fill(trail, clock, 5)
    trail.create_digest()
    fill(trail, clock, 3)
    run_sql(trail, "DELETE FROM audit_events WHERE seq > 6")
    report = trail.verify()
    assert report.ok and report.unsigned_records == 1


def test_deleted_middle_digest_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 2)
    trail.create_digest()
    events += fill(trail, clock, 2)
    trail.create_digest()
    fill(trail, clock, 2)
    trail.create_digest()
    run_sql(trail, "DELETE FROM audit_digests WHERE digest_seq = 2")
    report = trail.verify()
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_event_id) == (3, events[2]["eventID"])
    assert "Digest #2 is missing" in (report.problem or "")


def test_deleted_newest_digest_shows_when_later_records_are_too_late(
    trail: AuditTrail, clock: FrozenClock
) -> None:
    events = fill(trail, clock, 2)
    clock.advance(hours=2)
    events += fill(trail, clock, 2)  # the first of these made digest #1 (seq 1..3)
    clock.advance(hours=2)
    events += fill(trail, clock, 1)  # digest #2 (seq 4..5)
    assert [b["endSequence"] for b, _, _ in _digests(trail)] == [3, 5]
    run_sql(trail, "DELETE FROM audit_digests WHERE digest_seq = 2")
    report = trail.verify()
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_event_id) == (4, events[3]["eventID"])
    assert "a newer digest was deleted" in (report.problem or "")


def test_corrupted_signature_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    events = fill(trail, clock, 3)
    trail.create_digest()
    fill(trail, clock, 3)
    trail.create_digest()
    run_sql(trail, "UPDATE audit_digests SET signature = :s WHERE digest_seq = 2", s=bytes(64))
    report = trail.verify()
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_event_id) == (4, trail.events[3]["eventID"])
    assert "invalid signature" in (report.problem or "")
    assert events[0]["eventID"] != report.first_bad_event_id


def test_edited_digest_body_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 3)
    trail.create_digest()
    run_sql(
        trail,
        "UPDATE audit_digests SET body = replace(body, :old, :new)",
        old='"recordCount":3',
        new='"recordCount":2',
    )
    report = trail.verify()
    assert not report.ok and "invalid signature" in (report.problem or "")


def test_digest_forged_with_another_key_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 3)
    trail.create_digest()
    attacker = Ed25519PrivateKey.generate()
    public = attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ((_, text, _),) = _digests(trail)
    run_sql(trail, "UPDATE audit_signing_keys SET public_key = :p", p=public)
    run_sql(trail, "UPDATE audit_digests SET signature = :s", s=attacker.sign(text.encode()))
    report = trail.verify()
    assert not report.ok and "Signing key" in (report.problem or "")
    assert report.first_bad_seq == 1


def test_sealed_key_from_another_root_is_refused(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 1)
    run_sql(trail, "UPDATE audit_signing_keys SET sealed_private_key = :k", k=b"\x01" + bytes(60))
    report = trail.verify()
    assert not report.ok and "cannot be opened with the root key" in (report.problem or "")


def test_renumbered_digest_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 2)
    trail.create_digest()
    fill(trail, clock, 2)
    trail.create_digest()
    run_sql(trail, "DELETE FROM audit_digests WHERE digest_seq = 1")
    run_sql(trail, "UPDATE audit_digests SET digest_seq = 1")
    report = trail.verify()
    assert not report.ok and report.first_bad_seq == 1


def test_altered_schema_is_found(trail: AuditTrail, clock: FrozenClock) -> None:
    """Making ``doc`` an ordinary column would let someone redirect lookups: verify refuses."""
    fill(trail, clock, 2)
    run_sql(
        trail,
        "CREATE TABLE audit_copy AS SELECT seq, record, hash, record AS doc FROM audit_events",
    )
    run_sql(trail, "DROP TABLE audit_events")
    run_sql(trail, "ALTER TABLE audit_copy RENAME TO audit_events")
    report = trail.verify()
    assert not report.ok and "'doc' column is no longer generated" in (report.problem or "")
