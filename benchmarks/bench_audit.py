"""Audit trail: appends per second (one call each, from one and from 8 threads, and batched) and
verify's records per second.

    python benchmarks/bench_audit.py            # SQLite, and PostgreSQL when configured
    python benchmarks/bench_audit.py --write    # also rewrite RESULTS.md's "Audit trail" section

PostgreSQL comes from ``BASTION_TEST_POSTGRES_URL`` (a scratch schema is created and dropped);
without it only SQLite runs and a note says so. Events are shaped like the gate's (about 900
bytes of JSON each) and built before the clock starts; what is timed is the trail's own work:
canonical JSON, hashing, the locked transaction, the insert with its lookup indexes, and for
verify the streaming read and the chain check. With 8 threads appending one record per call at
once, the calls in flight share transactions (group commit); each call still returns only once
its record is committed. Beside each rate stands a bare ``INSERT`` +
``COMMIT`` of one small row on the same database, the floor a durable one-call append cannot
beat. Wall-clock and CPU-time rates are both shown: this machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _util import machine, markdown_table, update_section

from bastion.audit import AuditTrail
from bastion.clock import iso_z
from bastion.db import Database
from bastion.keys._root import RootSealer
from bastion.settings import Settings
from bastion.testing import FrozenClock

ACCOUNT = "111122223333"
TARGETS = {"single": 2_000, "threads": 2_000, "batched": 20_000, "verify": 200_000}
THREADS = 8


def gate_event(clock: FrozenClock, i: int) -> dict[str, Any]:
    """A record like the gate writes for a Decrypt by a service on a user's behalf."""
    key = f"arn:bastion:kms:local:{ACCOUNT}:key/{uuid.uuid4()}"
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEALICE",
            "arn": f"arn:bastion:iam::{ACCOUNT}:user/alice{i % 7}",
            "accountId": ACCOUNT,
            "userName": f"alice{i % 7}",
            "invokedBy": "s3.amazonaws.com",
        },
        "eventTime": iso_z(clock.now()),
        "eventSource": "kms.amazonaws.com",
        "eventName": ("Decrypt", "GenerateDataKey", "Encrypt", "DescribeKey")[i % 4],
        "awsRegion": "local",
        "sourceIPAddress": "s3.amazonaws.com",
        "userAgent": "s3.amazonaws.com",
        "requestParameters": {
            "keyId": key,
            "encryptionContext": {"aws:s3:arn": f"arn:bastion:s3:::fraud-data/part-{i}.parquet"},
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        },
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": True,
        "resources": [{"ARN": key, "accountId": ACCOUNT, "type": "AWS::KMS::Key"}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


@contextmanager
def database(kind: str, postgres: str | None) -> Iterator[tuple[str, Path]]:
    """A fresh database URL of ``kind`` and a scratch home; removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        if kind == "sqlite":
            yield f"sqlite:///{home / 'bastion.db'}", home
            return
        assert postgres is not None
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in postgres else "?"
        try:
            yield f"{postgres}{sep}options=-csearch_path%3D{schema}", home
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def rate(count: int, fn: Callable[[], object], rounds: int = 3) -> tuple[float, float]:
    """Median (wall, CPU) operations per second over ``rounds`` runs of ``fn``."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(count / (time.perf_counter() - wall))
        cpus.append(count / max(time.process_time() - cpu, 1e-9))
    return statistics.median(walls), statistics.median(cpus)


def in_threads(trail: AuditTrail, events: list[list[dict[str, Any]]], each: int) -> None:
    """Each thread appends its next ``each`` events, one call per event, all threads at once."""

    def run(mine: list[dict[str, Any]]) -> None:
        for _ in range(each):
            trail.append(mine.pop())

    workers = [threading.Thread(target=run, args=(mine,)) for mine in events]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def bare_commits(db: Database, count: int) -> float:
    """INSERT + COMMIT of one small row per transaction, on a raw connection (per second)."""
    pooled = db.engine.raw_connection()
    conn: Any = pooled.driver_connection
    cur = conn.cursor()
    p = "?" if db.is_sqlite else "%s"
    cur.execute("CREATE TABLE IF NOT EXISTS bench_commit (x INTEGER)")
    if not db.is_sqlite:
        conn.commit()
    start = time.perf_counter()
    for i in range(count):
        if db.is_sqlite:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(f"INSERT INTO bench_commit VALUES ({p})", (i,))
        if db.is_sqlite:
            cur.execute("COMMIT")
        else:
            conn.commit()
    elapsed = time.perf_counter() - start
    cur.close()
    pooled.close()
    return count / elapsed


def run(kind: str, postgres: str | None, *, single: int, batched: int) -> dict[str, Any]:
    with database(kind, postgres) as (url, home):
        db = Database(url)
        db.migrate()
        clock = FrozenClock("2026-01-01T00:00:00Z")
        settings = Settings(home=home, database_url=url)
        trail = AuditTrail(db=db, sealer=RootSealer(os.urandom(32)), clock=clock, settings=settings)
        trail.ensure_signing_key()

        singles = iter([gate_event(clock, i) for i in range(3 * single)])
        one_each = rate(single, lambda: [trail.append(next(singles)) for _ in range(single)])
        per_thread = [
            [gate_event(clock, i) for i in range(3 * single // THREADS)] for _ in range(THREADS)
        ]
        threaded = rate(
            single // THREADS * THREADS, lambda: in_threads(trail, per_thread, single // THREADS)
        )

        batches = iter(
            [[gate_event(clock, i + j) for j in range(1000)] for i in range(0, 3 * batched, 1000)]
        )
        in_batches = rate(
            batched, lambda: [trail.append_many(next(batches)) for _ in range(batched // 1000)]
        )
        trail.create_digest()
        records = 3 * (single + single // THREADS * THREADS + batched)
        report = trail.verify()
        assert report.ok and report.records_checked == records, report
        verify = rate(records, trail.verify)

        lookups = []
        for _ in range(20):
            start = time.perf_counter()
            trail.lookup(event_name="Decrypt", user="alice3", max_results=50)
            lookups.append((time.perf_counter() - start) * 1000)
        trail.query("SELECT 1")  # loads DuckDB and pyarrow (done once per process)
        start = time.perf_counter()
        trail.query("SELECT event_name, count(*) FROM events GROUP BY 1")
        query_s = time.perf_counter() - start
        floor = bare_commits(db, single)
        db.dispose()
    return {
        "kind": kind,
        "records": records,
        "single": one_each,
        "threads": threaded,
        "batched": in_batches,
        "verify": verify,
        "bare_commits": floor,
        "lookup_ms": statistics.median(lookups),
        "query_s": query_s,
    }


NOTES = """
What bounds each figure (measured while tuning):

- The machine is shared: wall-clock rates are about half of what this process's CPU time allows
  (the CPU column), and the PostgreSQL server competes for the same two cores.
- One call per record from one thread means one commit per record. On PostgreSQL that is a WAL
  flush per append (compare the bare INSERT + COMMIT line of the same run), and the trail's lock
  is held through the commit so that the chain stays one line. The append itself takes two round
  trips (lock + head in one pipeline, insert + commit in the other). On SQLite each process keeps
  one connection for the trail (no pool checkout per append) and a commit writes about ten 4 KiB
  WAL pages (the row and the seven lookup indexes).
- With 8 threads the calls in flight share one transaction (group commit): on PostgreSQL the
  WAL flush and the round trips are paid once per group, which is where it helps most; on
  SQLite the Python work of the calls (JSON, hashing) holds the GIL and bounds the gain.
- Batched appends on SQLite spend about 18 µs CPU per record in the standard library's C JSON
  encoder and about 35 µs maintaining the seven lookup indexes (the same insert with no index
  runs at about 90,000/s); a faster JSON encoder (orjson) or fewer lookup indexes are the levers.
- verify hashes a record in about 2 µs; the rest is reading rows (SQLite hands the text over as
  bytes; PostgreSQL pages of 20,000 in binary mode, one REPEATABLE READ snapshot).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single", type=int, default=1000, help="one-call appends per round")
    parser.add_argument("--batched", type=int, default=30_000, help="batched appends per round")
    parser.add_argument("--write", action="store_true", help="rewrite RESULTS.md's section")
    args = parser.parse_args()
    postgres = os.environ.get("BASTION_TEST_POSTGRES_URL")
    kinds = ["sqlite"] + (["postgresql"] if postgres else [])
    if not postgres:
        print("PostgreSQL skipped: set BASTION_TEST_POSTGRES_URL to include it")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    results = [run(k, postgres, single=args.single, batched=args.batched) for k in kinds]
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    rows = []
    for r in results:
        for name, label in (
            ("single", "append, one call per record"),
            ("threads", f"append, one call per record, {THREADS} threads"),
            ("batched", "append_many, 1000 per call"),
            ("verify", "verify"),
        ):
            wall, cpu = r[name]
            met = "met" if wall >= TARGETS[name] else f"missed ({wall / TARGETS[name]:.2f}x)"
            rows.append(
                [r["kind"], label, f"{wall:,.0f}", f"{cpu:,.0f}", f"{TARGETS[name]:,}", met]
            )
    table = markdown_table(
        ["database", "operation", "records/s (wall)", "records/s (CPU)", "target", "target met"],
        rows,
    )
    extra = "\n".join(
        f"- {r['kind']}: bare INSERT + COMMIT of one small row: {r['bare_commits']:,.0f}/s; "
        f"lookup (event name + user, newest 50) over {r['records']:,} records: "
        f"{r['lookup_ms']:.1f} ms; DuckDB query (count by event name, all records loaded): "
        f"{r['query_s']:.2f} s."
        for r in results
    )
    print(table)
    print(extra)
    if args.write:
        body = (
            f"Records shaped like the gate's (~900 bytes of JSON), built before timing; median of "
            f"3 rounds. One-call appends: {args.single} per round (from one thread, then from "
            f"{THREADS} at once); batched: {args.batched} per round in calls of 1000; verify "
            f"reads every record ({results[0]['records']:,}) and the digests. Machine: "
            f"{machine()}, shared with other jobs (load average, 1/5/15 min: {load} at the "
            f"start, {load_after} at the end). CPU rates count this process only (not the "
            "PostgreSQL server). Reproduce: `python benchmarks/bench_audit.py --write` "
            "(with `BASTION_TEST_POSTGRES_URL` for PostgreSQL).\n\n"
            f"{table}\n\n{extra}\n"
        )
        if not postgres:
            body += "- PostgreSQL not measured in this run (BASTION_TEST_POSTGRES_URL unset).\n"
        body += NOTES
        update_section("Audit trail", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
