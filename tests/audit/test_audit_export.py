"""Export: CloudTrail's folder layout and file names, records verbatim, signed digests."""

from __future__ import annotations

import gzip
import itertools
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import fsspec
import pytest
from audit_helpers import fill
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bastion.audit import AuditTrail
from bastion.audit._digest import digest_hash
from bastion.audit._export import RECORDS_PER_FILE, redact_url
from bastion.errors import StorageFailure
from bastion.testing import FrozenClock

ACCOUNT = "111122223333"
LOG = re.compile(
    rf"AWSLogs/{ACCOUNT}/CloudTrail/local/(\d{{4}})/(\d\d)/(\d\d)/"
    rf"{ACCOUNT}_CloudTrail_local_(\d{{8}}T\d{{4}}Z)_[0-9a-f]{{16}}\.json\.gz"
)
DIGEST = re.compile(
    rf"AWSLogs/{ACCOUNT}/CloudTrail-Digest/local/\d{{4}}/\d\d/\d\d/"
    rf"{ACCOUNT}_CloudTrail-Digest_local_bastion_local_\d{{8}}T\d{{6}}Z(_\d+)?\.json\.gz"
)


def _read(fs: fsspec.AbstractFileSystem, root: str, rel: str) -> bytes:
    return gzip.decompress(fs.cat_file(f"{root}/{rel}"))


def _trail_with_digests(trail: AuditTrail, clock: FrozenClock) -> list[dict[str, object]]:
    events = fill(trail, clock, 3)
    trail.create_digest()
    clock.advance(minutes=7)
    events += fill(trail, clock, 2)
    trail.create_digest()
    clock.advance(days=1)
    events += fill(trail, clock, 1)
    return events


def _check_export(
    trail: AuditTrail, events: list[dict[str, object]], fs: fsspec.AbstractFileSystem, root: str
) -> None:
    result = trail.export(f"{root}" if "://" not in root else root, account_id=ACCOUNT)
    assert result.records == len(events)
    stamps = []
    exported: list[dict[str, object]] = []
    for rel in result.log_files:
        match = LOG.fullmatch(rel)
        assert match, rel
        year, month, day, stamp = match.groups()
        assert stamp.startswith(f"{year}{month}{day}T")
        content = json.loads(_read(fs, root.split("://")[-1], rel))
        assert set(content) == {"Records"}
        exported += content["Records"]
        stamps.append(stamp)
    assert exported == events
    assert stamps == ["20260101T0000Z", "20260101T0005Z", "20260102T0005Z"]

    bodies = []
    for rel in result.digest_files:
        assert DIGEST.fullmatch(rel), rel
        bodies.append(_read(fs, root.split("://")[-1], rel).decode())
    assert len(bodies) == 3  # two on demand, one at the append a day later
    (pem,) = fs.glob(f"{root.split('://')[-1]}/AWSLogs/{ACCOUNT}/CloudTrail-Digest/local/*.pem")
    public = load_pem_public_key(fs.cat_file(pem))
    assert isinstance(public, Ed25519PublicKey)
    for rel, body in zip(result.digest_files, bodies, strict=True):
        signature = bytes.fromhex(fs.cat_file(f"{root.split('://')[-1]}/{rel}.sig").decode())
        public.verify(signature, body.encode())
    for before, after in itertools.pairwise(bodies):
        assert json.loads(after)["previousDigestHashValue"] == digest_hash(before)


def test_export_to_a_folder(trail: AuditTrail, clock: FrozenClock, tmp_path: Path) -> None:
    events = _trail_with_digests(trail, clock)
    fs = fsspec.filesystem("file")
    _check_export(trail, events, fs, str(tmp_path / "out"))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    trail.export(str(tmp_path / "out"), account_id=ACCOUNT)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert before == after  # exporting again rewrites the same files


@pytest.mark.s3
def test_export_to_s3(
    trail: AuditTrail, clock: FrozenClock, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"trail-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    trail.settings.store.storage_options["endpoint_url"] = s3_endpoint
    events = _trail_with_digests(trail, clock)
    fs = fsspec.filesystem("s3", endpoint_url=s3_endpoint)
    _check_export(trail, events, fs, f"s3://{bucket}/logs")


def test_big_five_minutes_are_split(trail: AuditTrail, clock: FrozenClock, tmp_path: Path) -> None:
    from audit_helpers import make_event

    trail.append_many(make_event(clock) for _ in range(RECORDS_PER_FILE + 3))
    result = trail.export(str(tmp_path), account_id=ACCOUNT, start=clock.now(), end=clock.now())
    assert result.records == RECORDS_PER_FILE + 3 and len(result.log_files) == 2


def test_time_range(trail: AuditTrail, clock: FrozenClock, tmp_path: Path) -> None:
    _trail_with_digests(trail, clock)
    newest = clock.now() - timedelta(seconds=1)  # fill() moved the clock past the last event
    result = trail.export(str(tmp_path), account_id=ACCOUNT, start=newest)
    assert result.records == 1 and len(result.digest_files) == 3


def test_unwritable_destination_is_a_storage_failure(
    trail: AuditTrail, clock: FrozenClock, tmp_path: Path
) -> None:
    fill(trail, clock, 1)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageFailure, match="exporting again rewrites the same files"):
        trail.export(str(blocker / "out"), account_id=ACCOUNT)


def test_credentials_in_urls_are_not_shown() -> None:
    assert redact_url("s3://AKIA:secret@bucket/prefix") == "s3://bucket/prefix"
    assert redact_url("/plain/path") == "/plain/path"
