"""Property: after any sequence of appends and digests, any single tampering is found and the
first bad record is the one expected."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from audit_helpers import make_event, run_sql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.audit import AuditTrail
from bastion.audit._chain import canonical_record, chain
from bastion.testing import FrozenClock

CHAIN_TAMPERS = ["edit_record", "edit_hash", "delete", "insert", "swap"]
DIGEST_TAMPERS = ["truncate", "delete_digest", "corrupt_signature"]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    batches = draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))
    n = sum(batches)
    mid_digest = draw(st.one_of(st.none(), st.integers(1, n)))
    final_digest = draw(st.booleans())
    kinds = list(CHAIN_TAMPERS)
    if final_digest:
        kinds += ["truncate", "corrupt_signature"]
        if mid_digest is not None:
            kinds.append("delete_digest")
    kind = draw(st.sampled_from(kinds))
    if kind in ("delete", "swap") and n < 2:
        kind = "edit_record"
    if kind == "delete" and not final_digest:
        position = draw(st.integers(1, n - 1))  # the unsigned last record is out of reach
    elif kind == "truncate":
        position = draw(st.integers(0, n - 1))  # records after it go
    else:
        position = draw(st.integers(1, n))
    other = draw(st.integers(1, n))
    return {
        "batches": batches,
        "mid_digest": mid_digest,
        "final_digest": final_digest,
        "kind": kind,
        "position": position,
        "other": other,
    }


def _reset(trail: AuditTrail) -> None:
    run_sql(trail, "DELETE FROM audit_digests")
    run_sql(trail, "DELETE FROM audit_events")


def _hash_at(trail: AuditTrail, seq: int) -> bytes:
    with trail.db.read() as conn:
        value = conn.execute(
            sa.text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": seq}
        ).scalar()
    return bytes(value) if value is not None else bytes(32)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_any_single_tampering_is_found(
    trail: AuditTrail, clock: FrozenClock, scenario: dict[str, Any]
) -> None:
    _reset(trail)
    events: list[dict[str, Any]] = []
    digests: list[tuple[int, int]] = []  # (start, end) of each digest
    for size in scenario["batches"]:
        batch = [make_event(clock) for _ in range(size)]
        if size == 1:
            trail.append(batch[0])
        else:
            trail.append_many(batch)
        events += batch
        clock.advance(seconds=1)
        if (
            scenario["mid_digest"] is not None
            and not digests
            and len(events) >= scenario["mid_digest"]
        ):
            info = trail.create_digest()
            digests.append((info.start_seq, info.end_seq))
    if scenario["final_digest"]:
        info = trail.create_digest()
        digests.append((info.start_seq, info.end_seq))
    assert trail.verify().ok
    ids = {i + 1: e["eventID"] for i, e in enumerate(events)}
    n = len(events)
    kind, p, q = scenario["kind"], scenario["position"], scenario["other"]

    expected_seq: int | None
    expected_id: str | None
    if kind == "edit_record":
        run_sql(
            trail,
            "UPDATE audit_events SET record = replace(record, :a, :b) WHERE seq = :s",
            a='"eventName":"Decrypt"',
            b='"eventName":"Forged"',
            s=p,
        )
        expected_seq, expected_id = p, ids[p]
    elif kind == "edit_hash":
        run_sql(trail, "UPDATE audit_events SET hash = :h WHERE seq = :s", h=b"\x01" * 32, s=p)
        expected_seq, expected_id = p, ids[p]
    elif kind == "delete":
        run_sql(trail, "DELETE FROM audit_events WHERE seq = :s", s=p)
        expected_seq, expected_id = p, ids.get(p + 1, ids[p] if p == n else None)
        if p == n:  # the digest vouches for it: a truncation
            expected_id = None
    elif kind == "insert":
        forged = make_event(clock, name="Forged")
        record = canonical_record(forged)
        valid = chain(_hash_at(trail, p - 1) if p > 1 else bytes(32), record)
        run_sql(trail, "UPDATE audit_events SET seq = -seq - 1 WHERE seq >= :s", s=p)
        run_sql(trail, "UPDATE audit_events SET seq = -seq WHERE seq < 0")
        run_sql(
            trail,
            "INSERT INTO audit_events (seq, record, hash) VALUES (:s, :r, :h)",
            s=p,
            r=record,
            h=valid,
        )
        expected_seq, expected_id = p, forged["eventID"]
    elif kind == "swap":
        a, b = sorted((p, q if q != p else (p % n) + 1))
        run_sql(trail, "UPDATE audit_events SET seq = -1 WHERE seq = :a", a=a)
        run_sql(trail, "UPDATE audit_events SET seq = :a WHERE seq = :b", a=a, b=b)
        run_sql(trail, "UPDATE audit_events SET seq = :b WHERE seq = -1", b=b)
        expected_seq, expected_id = a, ids[b]
    elif kind == "truncate":
        run_sql(trail, "DELETE FROM audit_events WHERE seq > :s", s=p)
        expected_seq, expected_id = p + 1, None
    elif kind == "delete_digest":
        run_sql(trail, "DELETE FROM audit_digests WHERE digest_seq = 1")
        expected_seq, expected_id = 1, None
    else:  # corrupt_signature
        number = 1 + (p % len(digests))
        run_sql(
            trail,
            "UPDATE audit_digests SET signature = :s WHERE digest_seq = :n",
            s=bytes(64),
            n=number,
        )
        expected_seq, expected_id = digests[number - 1][0], None

    report = trail.verify()
    assert not report.ok, (scenario, report)
    assert report.first_bad_seq == expected_seq, (scenario, report)
    if expected_id is not None:
        assert report.first_bad_event_id == expected_id, (scenario, report)
    else:
        assert report.first_bad_event_id is None or report.first_bad_event_id in ids.values()
