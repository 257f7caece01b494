"""Gate overhead per call on SQLite: authorize (the policy authorizer) + audit append.

    python benchmarks/bench_gate.py            # print the figures
    python benchmarks/bench_gate.py --write    # also rewrite RESULTS.md's "Gate overhead" section

Every call is ``gate.call(principal, "kms:DescribeKey", <key ARN>, params, handler)`` with a
handler that does nothing, so what is timed is the gate itself: the action lookup, the
authorizer (compiled policies cached per principal; the key policy and tags from the keys room's
provider, cached per key), building the CloudTrail record, and the append to the hash-chained
trail, committed before the call returns. Four callers: the owner (account root; key policy + two
guardrail levels), a user with 20 attached policies x 10 statements with conditions, a role
session (role policy + session policy + boundary), and a denied user. Rows without the trail (an
in-memory trail) show how much of the total is the append. One thread calls at a time (no group
commit can help it); a last measurement runs the owner's calls from several threads at once,
where the trail commits the calls in flight together. The machine is shared: wall-clock and CPU
figures both show, and the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import machine, markdown_table, update_section

import bastion
from bastion.gate import Gate, RequestContext
from bastion.sdk import Bastion
from bastion.settings import Settings
from bastion.testing import MemoryTrail

CALLS = 3_000
WARMUP = 200
TARGET_P50_US = 150.0
THREADS = 4


def _policies(seed: int) -> list[str]:
    """20 policies x 10 statements, each with a condition; none allows kms:DescribeKey except
    the last statement of the last policy."""
    rng = random.Random(seed)
    services = ["s3", "sagemaker", "cloudtrail", "iam", "sts"]
    out = []
    for p in range(20):
        statements: list[dict[str, Any]] = []
        for s in range(10):
            service = rng.choice(services)
            statements.append(
                {
                    "Sid": f"P{p}S{s}",
                    "Effect": "Deny" if rng.random() < 0.1 else "Allow",
                    "Action": [f"{service}:Get*", f"{service}:List*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "local"}},
                }
            )
        out.append(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    last = json.loads(out[-1])
    last["Statement"][-1] = {
        "Sid": "Describe",
        "Effect": "Allow",
        "Action": "kms:DescribeKey",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    out[-1] = json.dumps(last)
    return out


def _setup(home: Path) -> tuple[Bastion, dict[str, Bastion], str]:
    settings = Settings(home=home)
    bastion.init(settings=settings)
    owner = bastion.connect(settings=settings)
    key = owner.keys.create_key(description="bench")
    account = owner.account_id
    guardrail = owner.access.create_guardrail(
        "NoDeletion",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}
                ],
            }
        ),
    )
    owner.access.attach_guardrail(guardrail.guardrail_id, account)
    owner.access.create_user("busy")
    for i, document in enumerate(_policies(7)):
        managed = owner.access.create_policy(f"P{i}", document)
        owner.access.attach_user_policy("busy", managed.arn)
    owner.access.create_user("nobody")
    allow_all = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
        }
    )
    boundary = owner.access.create_policy("Boundary", allow_all)
    owner.access.create_role(
        "ops",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:bastion:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        permissions_boundary=boundary.arn,
    )
    owner.access.put_role_policy("ops", "kms", allow_all)
    session = owner.access.assume_role(
        f"arn:bastion:iam::{account}:role/ops", "bench", policy=allow_all
    )
    callers = {
        "owner (root)": owner,
        "user, 20 policies x 10 statements": bastion.connect(
            settings=settings, token=owner.access.create_api_token(user_name="busy").token
        ),
        "role session (+ session policy, boundary)": bastion.connect(
            settings=settings, token=session.session_token
        ),
        "user with no policy (denied)": bastion.connect(
            settings=settings, token=owner.access.create_api_token(user_name="nobody").token
        ),
    }
    return owner, callers, key.arn


def _time(fn: Callable[[], object], calls: int) -> tuple[list[float], float]:
    for _ in range(WARMUP):
        fn()
    samples = []
    cpu = time.process_time()
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples, (time.process_time() - cpu) / calls


def _throughput(fn: Callable[[], object], calls: int, threads: int) -> float:
    """Calls per second with ``threads`` threads making ``calls`` calls between them."""
    for _ in range(WARMUP):
        fn()
    each = calls // threads
    start = threading.Barrier(threads + 1)

    def run() -> None:
        start.wait()
        for _ in range(each):
            fn()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return each * threads / (time.perf_counter() - began)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _call(client: Bastion, gate: Gate, key_arn: str) -> Callable[[], object]:
    principal = client.runtime.principal
    params = {"keyId": key_arn}

    def once() -> object:
        try:
            return gate.call(principal, "kms:DescribeKey", key_arn, params, lambda: None)
        except Exception as exc:  # the denied caller
            return exc

    return once


def _row(name: str, samples: list[float], cpu: float) -> list[object]:
    us = sorted(s * 1e6 for s in samples)
    pick = lambda q: us[min(len(us) - 1, int(q * len(us)))]  # noqa: E731
    return [
        name,
        f"{statistics.median(us):.0f}",
        f"{pick(0.9):.0f}",
        f"{pick(0.99):.0f}",
        f"{cpu * 1e6:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite RESULTS.md")
    parser.add_argument("--calls", type=int, default=CALLS)
    args = parser.parse_args()
    rows: list[list[object]] = []
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        owner, callers, key_arn = _setup(Path(tmp) / "home")
        memory = MemoryTrail()
        for name, client in callers.items():
            gate = client.runtime.gate
            keys = RequestContext().condition_keys(gate.region)
            decide = lambda g=gate, c=client, k=keys: g.authorizer.decide(  # noqa: E731
                c.runtime.principal, "kms:DescribeKey", key_arn, k
            )
            rows.append(_row(f"{name}: authorize only", *_time(decide, args.calls)))
            memory_gate = Gate(
                authorizer=gate.authorizer,
                trail=memory,
                clock=gate.clock,
                region=gate.region,
                resources=gate.resources,
            )
            rows.append(
                _row(
                    f"{name}: gate, in-memory trail",
                    *_time(_call(client, memory_gate, key_arn), args.calls),
                )
            )
            memory.events.clear()
            rows.append(
                _row(
                    f"{name}: **gate + SQLite trail**",
                    *_time(_call(client, gate, key_arn), args.calls),
                )
            )
        event = json.loads(owner.audit.lookup(max_results=1).events[0].record)
        trail = owner.runtime.trail

        def append() -> None:
            trail.append({**event, "eventID": str(random.getrandbits(128))})

        rows.append(
            _row(
                "audit append alone (SQLite, one committed transaction)", *_time(append, args.calls)
            )
        )
        owner_call = _call(owner, owner.runtime.gate, key_arn)
        serial = _throughput(owner_call, args.calls, 1)
        parallel = _throughput(owner_call, args.calls, THREADS)
        for client in callers.values():
            if client is not owner:
                client.close()
        owner.close()
    load_after = _load()
    table = markdown_table(
        ["calls (kms:DescribeKey, no-op handler)", "p50 µs", "p90 µs", "p99 µs", "CPU µs/call"],
        rows,
    )
    owner_total = float(rows[2][1])
    append_p50 = float(rows[-1][1])
    authorize = max(float(r[1]) for r in rows if "authorize only" in str(r[0]))
    verdict = "met" if owner_total < TARGET_P50_US else "not met"
    command = "python benchmarks/bench_gate.py --write" + (
        f" --calls {args.calls}" if args.calls != CALLS else ""
    )
    body = f"""
Gate overhead per call on SQLite (WAL, synchronous=NORMAL; see docs/audit.md, "Durability"):
authorize + build the CloudTrail record + hash-chained append, committed before the call returns.
{args.calls} calls per row after {WARMUP} warm-up calls, one thread. Machine: {machine()}; shared
with other jobs, so wall-clock percentiles are noisy: load average (1, 5, 15 min) {load_before}
at the start, {load_after} at the end. Reproduce: `{command}`.

{table}

- Target p50 < {TARGET_P50_US:.0f} µs for authorize + audit append: **{verdict}** (owner
  {owner_total:.0f} µs). Authorization costs at most {authorize:.0f} µs p50 (compiled policies
  cached per principal, key policy and tags cached per key); the append alone is
  {append_p50:.0f} µs p50: canonical JSON (~10 µs), then one `BEGIN IMMEDIATE` transaction on
  the trail's own connection (head read, SHA-256, the insert with its seven lookup indexes, the
  WAL commit: about ten 4 KiB pages, twenty `pwrite` calls).
- Owner calls from {THREADS} threads at once: {parallel:,.0f} calls/s in all, against
  {serial:,.0f} calls/s from one thread; calls in flight share a commit (group commit), each
  returning only once its own record is committed.
- What changed to get here (was 320 µs p50): the trail keeps one SQLite connection per process
  instead of a pool checkout per append (~20 µs), the gate formats eventTime once per second,
  draws both request ids from one `os.urandom` call and redacts common leaves without `isinstance`
  chains (the record now costs ~10 µs, was ~27), and the append path lost its per-call
  SQLAlchemy work. Durability is unchanged: nothing is acknowledged before its commit.
"""
    sys.stdout.write(body)
    if args.write:
        update_section("Gate overhead", body)


if __name__ == "__main__":
    main()
