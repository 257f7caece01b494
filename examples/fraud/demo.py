"""The end-to-end fraud scenario on the embedded default. Exits non-zero on any failure.

Run it with ``make demo`` (or ``python examples/fraud/demo.py [--keep]``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import part3_registry
import part4_endpoints
import part5_monitoring
from _story import Story, console, expect, expect_error
from rich.panel import Panel

import bastion
from bastion.errors import AccessDenied, BastionError
from bastion.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "lending_club.csv.gz"


def part1_secure_core(story: Story, settings: Settings, data: Path) -> Any:
    """Keys, the encrypted store and the tamper-evident audit trail; returns the owner's client."""
    home = settings.home
    state: dict[str, Any] = {}
    csv_bytes = gzip.decompress(data.read_bytes())
    csv_sha = hashlib.sha256(csv_bytes).hexdigest()
    header = csv_bytes.split(b"\n", 1)[0]

    def init() -> str:
        result = bastion.init(settings=settings)
        again = bastion.init(settings=settings)
        expect(again.account_id == result.account_id, "re-running init changed the account")
        state["client"] = bastion.connect(settings=settings)
        mode = oct((home / "root.key").stat().st_mode & 0o777)
        return (
            f"account {result.account_id}, owner {result.owner_arn}\n"
            f"home {home} — root key file mode {mode}; init re-run kept the same account and keys"
        )

    story.step("bastion init (twice: safe to re-run)", init)
    client = state["client"]

    def create_key() -> str:
        meta = client.keys.create_key(
            description="fraud training data", tags={"project": "fraud", "data": "pci"}
        )
        client.keys.create_alias("alias/fraud-data", meta.key_id)
        state["key"] = meta
        return f"key {meta.arn} as alias/fraud-data, state {meta.key_state}"

    story.step("create master key alias/fraud-data", create_key)

    def put_dataset() -> str:
        client.store.create_bucket("fraud-data", default_key_id="alias/fraud-data")
        src = home.parent / "lending_club.csv"
        src.write_bytes(csv_bytes)
        head = client.store.put_object("fraud-data", "raw/lending_club.csv", src)
        src.unlink()
        loans = csv_bytes.count(b"\n") - 1
        expect(head.sha256 == csv_sha, "the recorded SHA-256 differs from the file's")
        return (
            f"put s3://fraud-data/raw/lending_club.csv: {len(csv_bytes):,} bytes "
            f"({loans:,} loans), sha256 {csv_sha[:16]}…, key {head.kms_key_arn}"
        )

    story.step("put the Lending Club dataset into an encrypted bucket", put_dataset)

    def at_rest() -> str:
        files = [p for p in (home / "store").rglob("*") if p.is_file()]
        expect(bool(files), "no object files found under the store folder")
        probes = [header, b"funded_amnt", b"Class"]
        hits = [(p, probe) for p in files for probe in probes if probe in p.read_bytes()]
        expect(not hits, f"plaintext found at rest: {hits[:1]}")
        size = sum(p.stat().st_size for p in files)
        return (
            f"{len(files)} file(s), {size:,} bytes at rest under {home / 'store'}; "
            f"searched for the CSV header and column names: 0 hits"
        )

    story.step("the bytes at rest hold no plaintext", at_rest)

    def rotate() -> str:
        client.keys.rotate_key_on_demand("alias/fraud-data")
        rotations = client.keys.list_key_rotations("alias/fraud-data")
        body = client.store.get_object("fraud-data", "raw/lending_club.csv")
        expect(hashlib.sha256(body).hexdigest() == csv_sha, "read-back differs after rotation")
        return (
            f"rotated on demand ({len(rotations)} rotation(s)); the object written under the old "
            f"key material reads back byte-identical"
        )

    story.step("rotate the key, read the dataset back", rotate)

    def deletion() -> str:
        meta = client.keys.schedule_key_deletion("alias/fraud-data", pending_window_in_days=7)
        err = expect_error(
            lambda: client.store.get_object("fraud-data", "raw/lending_club.csv"),
            BastionError,
        )
        client.keys.cancel_key_deletion("alias/fraud-data")
        client.keys.enable_key("alias/fraud-data")
        body = client.store.get_object("fraud-data", "raw/lending_club.csv")
        expect(hashlib.sha256(body).hexdigest() == csv_sha, "read-back differs after cancel")
        when = meta.deletion_date.strftime("%Y-%m-%d") if meta.deletion_date else "?"
        return (
            f"deletion set for {when}: reads refused while pending; cancelled, data reads again"
            f"\nwhile pending: {type(err).__name__}: {err.message}"
        )

    story.step("schedule key deletion (7 days), then cancel it", deletion)

    def audit() -> str:
        report = client.audit.verify()
        expect(report.ok, f"a fresh trail failed verification: {report.problem}")
        result = client.audit.query(
            "SELECT event_source, event_name, count(*) AS n FROM events "
            "GROUP BY ALL ORDER BY n DESC, event_name LIMIT 6"
        )
        lines = "\n".join(f"  {row[0]:<22} {row[1]:<28} {row[2]}" for row in result.rows)
        return (
            f"trail intact: {report.records_checked} records verified\nSQL over the trail:\n{lines}"
        )

    story.step("verify the audit trail and query it with SQL", audit)
    return client


SEED_003_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadScoringData",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:bastion:s3:::fraud-data", "arn:bastion:s3:::fraud-data/*"],
        },
        {"Sid": "DecryptWithFraudKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": ""},
        {
            "Sid": "NeverDestroy",
            "Effect": "Deny",
            "Action": ["s3:DeleteObject", "s3:DeleteBucket", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
        },
    ],
}


def part2_access(story: Story, settings: Settings, owner: Any) -> None:
    """Seed 003's least-privilege role: what it may do, what it may not, and the trail of both."""
    state: dict[str, Any] = {}
    key_arn = owner.keys.describe_key("alias/fraud-data").arn
    account = owner.account_id

    def create_role() -> str:
        policy = json.loads(json.dumps(SEED_003_ROLE_POLICY))
        policy["Statement"][1]["Resource"] = key_arn
        owner.access.create_user("fraud-app")
        user_arn = f"arn:bastion:iam::{account}:user/fraud-app"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": user_arn},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = owner.access.create_role("fraud-endpoint", trust, description="seed 003")
        owner.access.put_role_policy("fraud-endpoint", "fraud-endpoint-access", policy)
        owner.access.put_user_policy(
            "fraud-app",
            "may-assume-fraud-endpoint",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role.arn}
                ],
            },
        )
        state["token"] = owner.access.create_api_token(
            user_name="fraud-app", description="demo", expires_in_days=1
        )
        state["role_arn"] = role.arn
        return (
            f"role {role.arn}: s3:GetObject on fraud-data + kms:Decrypt on the fraud key; "
            f"explicit Deny on deletes\nuser fraud-app may only assume it (API token issued once)"
        )

    story.step("create seed 003's fraud-endpoint role and an app user", create_role)

    def assume_and_use() -> str:
        with bastion.connect(settings=settings, token=state["token"].token) as app:
            creds = app.access.assume_role(state["role_arn"], "scoring-1", duration_seconds=900)
        with bastion.connect(settings=settings, token=creds.session_token) as role:
            who = role.access.get_caller_identity()
            body = role.store.get_object("fraud-data", "raw/lending_club.csv")
            denied = expect_error(
                lambda: role.store.delete_object("fraud-data", "raw/lending_club.csv"),
                AccessDenied,
            )
            implicit = expect_error(role.keys.list_keys, AccessDenied)
        expect(bool(body), "the role could not read the dataset")
        state["denied"] = denied
        return (
            f"as {who['Arn']} (expires {creds.expiration:%H:%M} UTC):\n"
            f"  allowed  s3:GetObject (+ kms:Decrypt via S3): {len(body):,} bytes\n"
            f"  denied   s3:DeleteObject: {denied.message}\n"
            f"  denied   kms:ListKeys (nothing allows it): {implicit.message}"
        )

    story.step("assume the role: read allowed, delete and key listing denied", assume_and_use)

    def simulate() -> str:
        sim = owner.access.simulate(
            state["role_arn"], "s3:DeleteObject", "arn:bastion:s3:::fraud-data/raw/lending_club.csv"
        )
        expect(sim.decision == "ExplicitDeny", f"simulator said {sim.decision}")
        deciding = ", ".join(f"{v.policy}/{v.sid}" for v in sim.deciding)
        return f"simulate s3:DeleteObject for the role: {sim.decision} by {deciding}"

    story.step("the policy simulator names the deciding statement", simulate)

    def trail() -> str:
        events = owner.audit.lookup(event_name="DeleteObject", max_results=5).events
        expect(bool(events), "the denied DeleteObject is not in the trail")
        record = events[0].cloudtrail_event()
        expect(record.get("errorCode") == "AccessDenied", "the denied call was not recorded so")
        reads = owner.audit.lookup(event_name="GetObject", user=record["userIdentity"]["arn"])
        return (
            f"trail: DeleteObject by {record['userIdentity']['arn']} -> {record['errorCode']}\n"
            f"  reason kept for auditors: {record.get('errorMessage')}\n"
            f"  the same session's GetObject calls recorded: {len(reads.events)}"
        )

    story.step("both the allowed and the denied calls are in the audit trail", trail)


def final_tamper(story: Story, settings: Settings, client: Any) -> None:
    """Edit one audit row behind Bastion's back; verify must name it."""
    home = settings.home

    def tamper() -> str:
        client.close()
        db_path = home / "bastion.db"
        with sqlite3.connect(db_path) as raw:
            seq, event_id, record = raw.execute(
                "SELECT seq, json_extract(record, '$.eventID'), record FROM audit_events "
                "WHERE json_extract(record, '$.eventName') = 'Decrypt' ORDER BY seq LIMIT 1"
            ).fetchone()
            forged = record.replace('"sourceIPAddress":"', '"sourceIPAddress":"10.6.6.6, ', 1)
            expect(forged != record, "could not find the field to forge in the record")
            raw.execute("UPDATE audit_events SET record = ? WHERE seq = ?", (forged, seq))
        with bastion.connect(settings=settings) as again:
            report = again.audit.verify()
        expect(not report.ok, "verify did not notice the edited row")
        expect(
            report.first_bad_event_id == event_id,
            f"verify named {report.first_bad_event_id}, not the edited {event_id}",
        )
        return (
            f"edited one Decrypt record with plain sqlite3 (event {event_id});\n"
            f"verify: [red]TAMPERED[/red] — first bad event {report.first_bad_event_id}: "
            f"{report.problem}"
        )

    story.step("tamper one audit row with sqlite3; verify names it", tamper)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the demo home afterwards")
    args = parser.parse_args()
    data = Path(os.environ.get("BASTION_DEMO_DATA", DEFAULT_DATA))
    if not data.exists():
        console.print(f"[red]dataset not found:[/red] {data} (set BASTION_DEMO_DATA)")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bastion-demo-"))
    home = workdir / "home"
    console.print(Panel.fit(f"Bastion demo — fraud scenario\nhome: {home}\ndata: {data}"))
    story = Story()
    try:
        settings = Settings(home=home)
        owner = part1_secure_core(story, settings, data)
        part2_access(story, settings, owner)
        registry_state = part3_registry.run(story, settings, owner, workdir)
        part4_endpoints.run(story, settings, owner, registry_state)
        story.step(
            "monitor data quality: baseline, a drifted hour, violations, drift metric, report",
            lambda: part5_monitoring.run(owner, data, console),
        )
        final_tamper(story, settings, owner)
    finally:
        if args.keep:
            console.print(f"home kept at {home}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    story.summary()
    console.print("[bold green]demo finished: every step showed what it should[/bold green]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
