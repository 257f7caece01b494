"""Gate overhead per call on SQLite: authorize (the policy authorizer) + audit append.

    python benchmarks/bench_gate.py            # print the figures
    python benchmarks/bench_gate.py --write    # also rewrite RESULTS.md's "Gate overhead" section

Every call is ``gate.call(principal, "kms:DescribeKey", <key ARN>, params, handler)`` with a
handler that does nothing, so what is timed is the gate itself: the action lookup, the
authorizer (compiled policies cached per principal; the key policy and tags from the keys room's
provider, cached per key), building the CloudTrail record, and the durable append to the
hash-chained trail. Four callers: the owner (account root; key policy + two guardrail levels),
a user with 20 attached policies x 10 statements with conditions, a role session (role policy +
session policy + boundary), and a denied user. Rows without the trail (an in-memory trail) show
how much of the total is the append. The machine is shared: wall-clock and CPU figures both show.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
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
            _row("audit append alone (SQLite, one durable transaction)", *_time(append, args.calls))
        )
        for client in callers.values():
            if client is not owner:
                client.close()
        owner.close()
    table = markdown_table(
        ["calls (kms:DescribeKey, no-op handler)", "p50 µs", "p90 µs", "p99 µs", "CPU µs/call"],
        rows,
    )
    owner_total = float(rows[2][1])
    append_p50 = float(rows[-1][1])
    authorize = max(float(r[1]) for r in rows if "authorize only" in str(r[0]))
    verdict = "met" if owner_total < TARGET_P50_US else "not met"
    body = f"""
Gate overhead per call on SQLite (WAL, synchronous=NORMAL): authorize + build the CloudTrail
record + durable hash-chained append. {args.calls} calls per row after {WARMUP} warm-up calls, one
process. Machine: {machine()}; shared with other jobs, so wall-clock percentiles are noisy.
Reproduce: `python benchmarks/bench_gate.py --write`.

{table}

- Target p50 < {TARGET_P50_US:.0f} µs for authorize + audit append: **{verdict}** (owner
  {owner_total:.0f} µs). Authorization itself costs at most {authorize:.0f} µs p50 (compiled
  policies cached per principal, key policy and tags cached per key); the synchronous audit append
  alone is {append_p50:.0f} µs p50 — one `BEGIN IMMEDIATE` write transaction with the head read,
  the hash and the insert with its lookup indexes, committed before the call returns.
- The gap is the durable per-call append, not the decision. Proposal for the lead: **group
  commit** in the trail (appends from concurrent calls queue and commit together; each call
  still waits for its own record to be durable, so the audit guarantee is unchanged), which
  amortises the transaction over the calls in flight; or an opt-in asynchronous mode that
  acknowledges before the commit (weaker: a crash could lose the last records).
"""
    sys.stdout.write(body)
    if args.write:
        update_section("Gate overhead", body)


if __name__ == "__main__":
    main()
