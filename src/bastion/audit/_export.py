"""Export the trail as CloudTrail delivers it: gzipped JSON log files and digest files.

Log files: ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 hex>.json.gz`` holding ``{"Records": [...]}``,
one file per five minutes of eventTime (at most :data:`RECORDS_PER_FILE` records). The records
are the stored bytes, verbatim; the 16 characters are the start of the file's SHA-256, so
exporting again writes the same files.

Digest files: ``AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
<account>_CloudTrail-Digest_<region>_bastion_<region>_<YYYYMMDDTHHMMSSZ>.json.gz`` holding the
signed digest bytes, verbatim; the hex signature sits beside it in ``<same name>.sig`` (CloudTrail
keeps it in S3 object metadata, which not every fsspec store has), and the public key that
verifies them in ``bastion-public-key-<fingerprint>.pem`` in the region folder.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import fsspec

from bastion.audit._models import ExportResult
from bastion.errors import StorageFailure

RECORDS_PER_FILE = 5000
TRAIL_NAME = "bastion"


@dataclass(frozen=True, kw_only=True)
class ExportDigest:
    """A stored digest as export needs it."""

    body: str
    signature: bytes
    end_time: str


class Exporter:
    """Writes one export under ``dest_url`` through fsspec."""

    def __init__(
        self,
        dest_url: str,
        *,
        account_id: str,
        region: str,
        storage_options: Mapping[str, Any],
    ) -> None:
        self.dest_url = dest_url
        self.account_id = account_id
        self.region = region
        try:
            self.fs, root = fsspec.core.url_to_fs(dest_url, **dict(storage_options))
        except (ValueError, ImportError, OSError) as exc:
            raise StorageFailure(
                f"Cannot open export destination {redact_url(dest_url)}: {exc}"
            ) from exc
        self.root = str(root).rstrip("/")
        self.log_files: list[str] = []
        self.digest_files: list[str] = []
        self.records = 0

    def write_records(self, rows: Iterable[tuple[str, str]]) -> None:
        """Write ``(eventTime, record)`` rows (in seq order) as five-minute log files."""
        for stamp, records in _files(rows):
            content = ('{"Records":[' + ",".join(records) + "]}").encode()
            suffix = hashlib.sha256(content).hexdigest()[:16]
            day = f"{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}"
            name = f"{self.account_id}_CloudTrail_{self.region}_{stamp}_{suffix}.json.gz"
            rel = f"AWSLogs/{self.account_id}/CloudTrail/{self.region}/{day}/{name}"
            self._put(rel, gzip.compress(content, mtime=0))
            self.log_files.append(rel)
            self.records += len(records)

    def write_digests(
        self, digests: Iterable[ExportDigest], public_keys: Mapping[str, bytes]
    ) -> None:
        """Write each digest, its signature beside it, and the public keys."""
        folder = f"AWSLogs/{self.account_id}/CloudTrail-Digest/{self.region}"
        used: set[str] = set()
        for digest in digests:
            stamp = digest.end_time.replace("-", "").replace(":", "")
            day = f"{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}"
            base = (
                f"{self.account_id}_CloudTrail-Digest_{self.region}_{TRAIL_NAME}_"
                f"{self.region}_{stamp}"
            )
            number = json.loads(digest.body)["digestNumber"]
            name = base if base not in used else f"{base}_{number}"
            used.add(name)
            rel = f"{folder}/{day}/{name}.json.gz"
            self._put(rel, gzip.compress(digest.body.encode(), mtime=0))
            self._put(rel + ".sig", digest.signature.hex().encode())
            self.digest_files.append(rel)
        for fingerprint, pem in public_keys.items():
            self._put(f"{folder}/{TRAIL_NAME}-public-key-{fingerprint}.pem", pem)

    def result(self) -> ExportResult:
        return ExportResult(
            destination=redact_url(self.dest_url),
            records=self.records,
            log_files=tuple(self.log_files),
            digest_files=tuple(self.digest_files),
        )

    def _put(self, rel: str, data: bytes) -> None:
        path = f"{self.root}/{rel}"
        try:
            parent = path.rsplit("/", 1)[0]
            self.fs.makedirs(parent, exist_ok=True)
            self.fs.pipe_file(path, data)
        except OSError as exc:
            raise StorageFailure(
                f"Export to {redact_url(self.dest_url)} failed at {rel}: {exc}; files already "
                "written are complete, and exporting again rewrites the same files"
            ) from exc


def _files(rows: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """Group consecutive records by five-minute bucket of eventTime, capped per file."""
    stamp: str | None = None
    batch: list[str] = []
    for event_time, record in rows:
        minute = int(event_time[14:16]) // 5 * 5
        bucket = (
            f"{event_time[0:4]}{event_time[5:7]}{event_time[8:10]}T{event_time[11:13]}{minute:02d}Z"
        )
        if batch and (bucket != stamp or len(batch) >= RECORDS_PER_FILE):
            assert stamp is not None
            yield stamp, batch
            batch = []
        stamp = bucket
        batch.append(record)
    if batch and stamp is not None:
        yield stamp, batch


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part (safe to log, audit and print)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    return f"{scheme}://{authority}{slash}{path}"
