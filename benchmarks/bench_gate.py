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
where the trail commits the calls in flight together. The machine is shared (and its host's
caches with other machines): rows are measured in rounds taken in turn, the whole measurement
runs several times on fresh homes, the run with the median owner p50 is shown with every run's
owner p50 and load average beside it.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _util import machine, markdown_table, update_section

import bastion
from bastion.gate import Gate, RequestContext
from bastion.sdk import Bastion
from bastion.settings import Settings
from bastion.testing import MemoryTrail

CALLS = 3_000
ROUNDS = 5
RUNS = 5
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


@dataclass(kw_only=True)
class _Case:
    """One table row: a call to time, its samples and its CPU time over all rounds."""

    name: str
    fn: Callable[[], object]
    samples: list[float] = field(default_factory=list)
    round_p50s: list[float] = field(default_factory=list)
    cpu: float = 0.0

    def run(self, calls: int) -> None:
        fn, samples = self.fn, []
        cpu = time.process_time()
        for _ in range(calls):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        self.cpu += time.process_time() - cpu
        self.samples += samples
        self.round_p50s.append(statistics.median(samples))


def _measure(cases: list[_Case], calls: int, rounds: int) -> None:
    """Warm every case up, then run the rounds in turn over all cases, so that a burst of load
    from other jobs on the machine falls on every row alike."""
    for case in cases:
        for _ in range(WARMUP):
            case.fn()
    for _ in range(rounds):
        for case in cases:
            case.run(calls // rounds)


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


def _row(case: _Case) -> list[object]:
    us = sorted(s * 1e6 for s in case.samples)
    pick = lambda q: us[min(len(us) - 1, int(q * len(us)))]  # noqa: E731
    return [
        case.name,
        f"{statistics.median(us):.0f}",
        f"{min(case.round_p50s) * 1e6:.0f}",
        f"{pick(0.9):.0f}",
        f"{pick(0.99):.0f}",
        f"{case.cpu / len(us) * 1e6:.0f}",
    ]


@dataclass(kw_only=True)
class _Run:
    """One whole measurement on a fresh home."""

    cases: list[_Case]
    serial: float
    parallel: float
    load_before: str
    load_after: str


def _run(calls: int, rounds: int) -> _Run:
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        owner, callers, key_arn = _setup(Path(tmp) / "home")
        memory = MemoryTrail()
        cases: list[_Case] = []
        for name, client in callers.items():
            gate = client.runtime.gate
            keys = RequestContext().condition_keys(gate.region)
            decide = lambda g=gate, c=client, k=keys: g.authorizer.decide(  # noqa: E731
                c.runtime.principal, "kms:DescribeKey", key_arn, k
            )
            memory_gate = Gate(
                authorizer=gate.authorizer,
                trail=memory,
                clock=gate.clock,
                region=gate.region,
                resources=gate.resources,
            )
            cases += [
                _Case(name=f"{name}: authorize only", fn=decide),
                _Case(
                    name=f"{name}: gate, in-memory trail", fn=_call(client, memory_gate, key_arn)
                ),
                _Case(name=f"{name}: **gate + SQLite trail**", fn=_call(client, gate, key_arn)),
            ]
        event = json.loads(owner.audit.lookup(max_results=1).events[0].record)
        trail = owner.runtime.trail

        def append() -> None:
            trail.append({**event, "eventID": str(random.getrandbits(128))})

        cases.append(_Case(name="audit append alone (SQLite, one transaction)", fn=append))
        _measure(cases, calls, rounds)
        memory.events.clear()
        owner_call = _call(owner, owner.runtime.gate, key_arn)
        serial = _throughput(owner_call, calls, 1)
        parallel = _throughput(owner_call, calls, THREADS)
        for client in callers.values():
            if client is not owner:
                client.close()
        owner.close()
    return _Run(
        cases=cases,
        serial=serial,
        parallel=parallel,
        load_before=load_before,
        load_after=_load(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite RESULTS.md")
    parser.add_argument("--calls", type=int, default=CALLS, help="calls per row, all rounds")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds over all rows")
    parser.add_argument(
        "--runs", type=int, default=RUNS, help="whole runs (a fresh home each); the median is shown"
    )
    args = parser.parse_args()
    runs = [_run(args.calls, args.rounds) for _ in range(args.runs)]
    owner_p50s = [statistics.median(run.cases[2].samples) * 1e6 for run in runs]
    median_run = sorted(range(len(runs)), key=lambda i: owner_p50s[i])[len(runs) // 2]
    run = runs[median_run]
    cases, serial, parallel = run.cases, run.serial, run.parallel
    load_before, load_after = run.load_before, run.load_after
    every_run = ", ".join(
        f"{p50:.0f} µs (load {r.load_before.split(',')[0]})"
        for p50, r in zip(owner_p50s, runs, strict=True)
    )
    rows = [_row(case) for case in cases]
    table = markdown_table(
        [
            "calls (kms:DescribeKey, no-op handler)",
            "p50 µs",
            "best round p50 µs",
            "p90 µs",
            "p99 µs",
            "CPU µs/call",
        ],
        rows,
    )
    owner_total = float(str(rows[2][1]))
    owner_best = float(str(rows[2][2]))
    append_p50 = float(str(rows[-1][1]))
    authorize = max(float(str(r[1])) for r in rows if "authorize only" in str(r[0]))
    command = "python benchmarks/bench_gate.py --write"
    command += f" --calls {args.calls}" if args.calls != CALLS else ""
    command += f" --rounds {args.rounds}" if args.rounds != ROUNDS else ""
    command += f" --runs {args.runs}" if args.runs != RUNS else ""
    verdict = "met" if owner_total < TARGET_P50_US else "not met"
    body = f"""
Gate overhead per call on SQLite (WAL, synchronous=NORMAL; see docs/audit.md, "Durability"):
authorize + build the CloudTrail record + hash-chained append, committed before the call returns.
One thread; {args.calls} calls per row after {WARMUP} warm-up calls, in {args.rounds} rounds taken
in turn over all rows, so that a burst of load from other jobs falls on every row alike ("best
round p50": the lowest p50 of a row's rounds). The whole measurement ran {args.runs} times, each
on a fresh home; the table is the run with the median owner p50. Machine: {machine()}; shared
with other jobs: load average (1, 5, 15 min) {load_before} at the start of that run,
{load_after} at its end. Reproduce: `{command}`.

{table}

- Target p50 < {TARGET_P50_US:.0f} µs for authorize + audit append: **{verdict}** (owner
  {owner_total:.0f} µs over all its calls, {owner_best:.0f} µs in its best round). Owner p50 of
  each run, in order: {every_run}.
- Authorization costs at most {authorize:.0f} µs p50 (compiled policies cached per principal,
  key policy and tags cached per key). The append alone is {append_p50:.0f} µs p50: canonical
  JSON (~10 µs), then one `BEGIN IMMEDIATE` transaction on the trail's own connection (head
  read, SHA-256, the insert with its lookup indexes, the WAL commit: about ten 4 KiB pages in
  twenty `pwrite` calls, no fsync). The user and denied rows cost more than the owner's because
  their records carry `userName` and `accessKeyId`, two more (partial) index entries, and the
  denied record a long error message.
- The parts cost more together than apart: after a commit has pushed ~40 KiB through the kernel,
  the next call's Python code runs on cold caches (measured: canonical JSON 23 µs inside the gate
  against 10 µs alone). The L3 cache is shared with other virtual machines on the host, so the
  same code measures differently from one run to the next even when this machine is idle.
- Owner calls from {THREADS} threads at once: {parallel:,.0f} calls/s in all, against
  {serial:,.0f} calls/s from one thread; calls in flight share a commit (group commit), each
  returning only once its own record is committed.
- What changed to get here (320 µs p50 before): the trail keeps one SQLite connection per
  process instead of a pool checkout per append, and its transaction runs without SQLAlchemy or
  generator context managers; the gate formats eventTime once per second, draws both request ids
  from one `os.urandom` call and redacts common leaves without `isinstance` chains (the record
  costs ~8 µs, was ~27). Durability is unchanged: nothing is acknowledged before its commit.
"""
    sys.stdout.write(body)
    if args.write:
        update_section("Gate overhead", body)


if __name__ == "__main__":
    main()
