"""Reading monitor inputs from the store and writing outputs back, through the store's client.

Every object is read as a stream that decrypts as it goes (``StoreClient.open_object``) and is
handed to DuckDB as a file object, so CSV and JSON lines are sniffed exactly as local files are;
Parquet, which needs to seek, is read into memory one object at a time. Each object becomes one
mergeable profile; the profiles of a prefix merge without reading anything twice.

Capture files follow SageMaker's layout, ``{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/*.jsonl``:
the hours of an analysis window are found with a few listings (variants by jumping over each
other, then each variant's keys from the window's first hour), and the records of the window are
those whose ``inferenceTime`` falls in it. A line that is not a capture record (bad JSON, not an
object, no payload for the wanted index) is skipped and counted, never fatal.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from bastion.clock import iso_z
from bastion.errors import Invalid
from bastion.gate import RequestContext
from bastion.monitor._jobs import DatasetFormat
from bastion.monitor._models import Profile, ProfileOptions, merge_profiles
from bastion.monitor.engine import Engine
from bastion.store import ObjectSummary, StoreClient

log = logging.getLogger(__name__)

URI_RULE = "an s3://bucket/prefix URI of the Bastion store"
LIST_PAGE = 1000
_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_PAYLOAD = "STRUCT(observedContentType VARCHAR, mode VARCHAR, data VARCHAR, encoding VARCHAR)"
_CAPTURE_COLUMNS = {
    "captureData": f"STRUCT(endpointInput {_PAYLOAD}, endpointOutput {_PAYLOAD})",
    "eventMetadata": "STRUCT(eventId VARCHAR, inferenceId VARCHAR, inferenceTime VARCHAR)",
}
_LAST = "\U0010ffff"
"""Sorts after every other character: a listing cursor that jumps past a whole folder."""


@dataclass(frozen=True)
class StoreUri:
    """``s3://bucket/key`` in the Bastion store (``key`` without a leading slash)."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, text: object, *, field: str) -> StoreUri:
        """Parse ``s3://bucket[/key]``; the store validates the names when they are used."""
        if not isinstance(text, str) or not text.startswith("s3://") or not text.isprintable():
            raise Invalid(field, got=text, expected=URI_RULE)
        bucket, _, key = text[len("s3://") :].partition("/")
        if not bucket or len(text) > 1024:
            raise Invalid(field, got=text, expected=URI_RULE)
        return cls(bucket=bucket, key=key.strip("/"))

    def child(self, *parts: str) -> StoreUri:
        """The URI with ``parts`` appended as folders."""
        key = "/".join(p.strip("/") for p in (self.key, *parts) if p.strip("/"))
        return StoreUri(bucket=self.bucket, key=key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.key else f"s3://{self.bucket}"


def is_store_uri(value: object) -> bool:
    """True for ``s3://…`` text."""
    return isinstance(value, str) and value.startswith("s3://")


@dataclass
class ReadStats:
    """What a read saw: objects read and records skipped (capture lines, payload rows)."""

    files_read: int = 0
    skipped_records: int = 0


class StoreIO:
    """Reads and writes monitor files through one principal's store client."""

    def __init__(self, store: StoreClient, *, context: RequestContext | None = None) -> None:
        self.store = store
        self.context = context

    # ----------------------------------------------------------------------------- objects

    def get(self, uri: StoreUri) -> bytes:
        """The whole decrypted object."""
        return self.store.get_object(uri.bucket, uri.key, context=self.context)

    def put(self, uri: StoreUri, body: bytes, *, kms_key_id: str | None, content: str) -> None:
        """Write ``body`` encrypted (under ``kms_key_id`` or the bucket's default key)."""
        self.store.put_object(
            uri.bucket,
            uri.key,
            body,
            kms_key_id=kms_key_id,
            metadata={"content-type": content},
            context=self.context,
        )

    def open(self, uri: StoreUri) -> BinaryIO:
        """A stream that decrypts as it is read."""
        return self.store.open_object(uri.bucket, uri.key, context=self.context)

    def listing(
        self, bucket: str, prefix: str, *, start_after: str | None = None
    ) -> Iterator[ObjectSummary]:
        """Every object under ``prefix`` (after ``start_after``), in key order, page by page."""
        token: str | None = None
        while True:
            page = self.store.list_objects(
                bucket,
                prefix=prefix,
                max_keys=LIST_PAGE,
                continuation_token=token,
                start_after=start_after if token is None else None,
                context=self.context,
            )
            yield from page.objects
            if not page.is_truncated or page.next_continuation_token is None:
                return
            token = page.next_continuation_token

    def objects(self, uri: StoreUri) -> list[ObjectSummary]:
        """The object ``uri`` names, or the objects under it as a folder (hidden names skipped:
        ``_SUCCESS``, ``.crc`` …)."""
        folder = uri.key + "/" if uri.key else ""
        found = [
            o
            for o in self.listing(uri.bucket, uri.key)
            if (o.key == uri.key or o.key.startswith(folder))
            and not PurePosixPath(o.key).name.startswith(("_", "."))
        ]
        if not found:
            raise Invalid(
                "data", got=str(uri), expected="an object or a prefix with objects in the store"
            )
        return found

    # ----------------------------------------------------------------------------- datasets

    def profile_dataset(
        self,
        uri: StoreUri,
        fmt: DatasetFormat,
        *,
        engine: Engine,
        options: ProfileOptions,
        stats: ReadStats,
    ) -> Profile:
        """One profile of every object under ``uri`` (each read once, profiles merged)."""
        profiles = []
        for summary in self.objects(uri):
            kind = fmt.format or _format_of(summary.key)
            if kind == "capture":
                raise Invalid(
                    "dataset_format", got="capture", expected="csv, jsonl or parquet for a dataset"
                )
            if kind is None:
                log.info("monitor.read skip key=%s reason=unknown-suffix", summary.key)
                continue
            target = StoreUri(bucket=uri.bucket, key=summary.key)
            with self.open(target) as stream:
                profiles.append(
                    _profile_stream(stream, summary.key, kind, fmt, engine=engine, options=options)
                )
            stats.files_read += 1
        if not profiles:
            raise Invalid(
                "data",
                got=str(uri),
                expected="objects ending in .csv, .parquet or .jsonl, or a dataset format",
            )
        return merge_profiles(profiles).finished()

    # ----------------------------------------------------------------------------- capture

    def capture_keys(
        self, uri: StoreUri, endpoint: str, start: datetime, end: datetime
    ) -> list[StoreUri]:
        """The capture files of ``endpoint`` whose hour folders meet ``[start, end)``."""
        base = uri.child(endpoint).key + "/"
        first_hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        last = _hour_path(end - timedelta(microseconds=1))
        keys: list[StoreUri] = []
        for variant in self._variants(uri.bucket, base):
            folder = f"{base}{variant}/"
            after = folder + _hour_path(first_hour)
            for summary in self.listing(uri.bucket, folder, start_after=after):
                hour = summary.key[len(folder) : len(folder) + 13]
                if hour > last:
                    break
                if summary.key.endswith((".jsonl", ".jsonl.gz")):
                    keys.append(StoreUri(bucket=uri.bucket, key=summary.key))
        return keys

    def _variants(self, bucket: str, base: str) -> list[str]:
        variants: list[str] = []
        cursor: str | None = None
        while True:
            page = self.store.list_objects(
                bucket, prefix=base, max_keys=1, start_after=cursor, context=self.context
            )
            if not page.objects:
                return variants
            variant = page.objects[0].key[len(base) :].split("/", 1)[0]
            variants.append(variant)
            cursor = f"{base}{variant}/{_LAST}"

    def capture_table(
        self,
        keys: Sequence[StoreUri],
        fmt: DatasetFormat,
        *,
        start: datetime | None,
        end: datetime | None,
        stats: ReadStats,
    ) -> pa.Table:
        """The rows of the capture records in ``[start, end)``, one column per feature."""
        names = fmt.capture_index_names
        parts: list[pa.Table] = []
        for key in keys:
            with self.open(key) as stream:
                records = _capture_records(stream, key.key, names)
            stats.files_read += 1
            records = _in_window(records, start, end)
            valid = records.column(names[0]).is_valid()
            for name in names[1:]:
                valid = pc.and_(valid, records.column(name).is_valid())
            kept = records.filter(valid)
            stats.skipped_records += records.num_rows - kept.num_rows
            parts.append(kept)
        tables = []
        for name in names:
            if not parts:
                tables.append(pa.table({}))
                continue
            table, skipped = _payload_rows(pa.concat_tables(parts).column(name))
            stats.skipped_records += skipped
            tables.append(table)
        table = _side_by_side(tables, names)
        return _named(table, fmt.feature_names)


def _hour_path(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y/%m/%d/%H")


def _format_of(key: str) -> str | None:
    name = key.removesuffix(".gz")
    return _FORMATS.get(PurePosixPath(name).suffix.lower())


def _profile_stream(
    stream: BinaryIO,
    key: str,
    kind: str,
    fmt: DatasetFormat,
    *,
    engine: Engine,
    options: ProfileOptions,
) -> Profile:
    con = duckdb.connect()
    try:
        relation = _relation(con, stream, key, kind, fmt)
        columns = list(relation.columns)
        if kind == "csv" and not fmt.header:
            renamed = ", ".join(f'"{c}" AS "_c{i}"' for i, c in enumerate(columns))
            relation = relation.select(renamed)
        reader = relation.to_arrow_reader(options.batch_rows)
        return engine.profile(reader, options=options)
    except (duckdb.Error, UnicodeDecodeError) as exc:
        message = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise Invalid("data", got=f"{key}: {message}", expected="readable data") from None
    finally:
        con.close()


def _relation(
    con: duckdb.DuckDBPyConnection, stream: BinaryIO, key: str, kind: str, fmt: DatasetFormat
) -> duckdb.DuckDBPyRelation:
    gzip = key.endswith(".gz")
    if kind == "parquet":
        return con.read_parquet(io.BytesIO(stream.read()))
    if kind == "jsonl":
        return con.read_json(
            stream,
            format="newline_delimited",
            compression="gzip" if gzip else "auto_detect",
        )
    options: dict[str, Any] = {"header": fmt.header}
    if fmt.delimiter is not None:
        options["delimiter"] = fmt.delimiter
    if gzip:
        options["compression"] = "gzip"
    return con.read_csv(stream, **options)


def _capture_records(stream: BinaryIO, key: str, names: Sequence[str]) -> pa.Table:
    """``inferenceTime`` and the wanted payload structs of every line (null where corrupted)."""
    con = duckdb.connect()
    try:
        relation = con.read_json(
            stream,
            format="newline_delimited",
            ignore_errors=True,
            columns=_CAPTURE_COLUMNS,
            compression="gzip" if key.endswith(".gz") else "auto_detect",
        )
        payloads = ", ".join(
            f"CASE WHEN captureData.{n}.data IS NULL THEN NULL ELSE captureData.{n} END AS {n}"
            for n in names
        )
        table: pa.Table = relation.select(
            f"eventMetadata.inferenceTime AS inference_time, {payloads}"
        ).to_arrow_table()
        return table
    except duckdb.Error as exc:
        # A file DuckDB cannot read at all (e.g. not text): every line of it is skipped.
        log.info("monitor.capture unreadable key=%s reason=%s", key, str(exc)[:200])
        return pa.table(
            {"inference_time": pa.array([], pa.string()), **{n: pa.array([]) for n in names}}
        )
    finally:
        con.close()


def _in_window(records: pa.Table, start: datetime | None, end: datetime | None) -> pa.Table:
    """Records whose ``inferenceTime`` is in ``[start, end)`` (records without one are kept)."""
    if start is None or end is None or records.num_rows == 0:
        return records
    times = records.column("inference_time")
    inside = pc.and_(pc.greater_equal(times, iso_z(start)), pc.less(times, iso_z(end)))
    keep = pc.or_(pc.is_null(times), inside)
    return records.filter(pc.fill_null(keep, True))


def _payload_rows(column: pa.ChunkedArray) -> tuple[pa.Table, int]:
    """The feature rows of the payloads (CSV text, JSON text, or base64 of either).

    CSV payloads, the common case, are joined and parsed by DuckDB in one go; JSON and base64
    payloads are decoded one by one.
    """
    encoding = pc.utf8_upper(pc.fill_null(pc.struct_field(column, "encoding"), ""))
    is_csv = pc.equal(encoding, "CSV")
    data = pc.struct_field(column, "data")
    csv_data = data.filter(is_csv)
    ends = pc.ends_with(csv_data, "\n")
    csv_lines = pc.if_else(ends, csv_data, pc.binary_join_element_wise(csv_data, "\n", ""))
    text_parts: list[str] = csv_lines.to_pylist()
    json_rows: list[dict[str, Any]] = []
    skipped = 0
    for payload in column.filter(pc.invert(is_csv)).to_pylist():
        data_text = payload.get("data") or ""
        kind = (payload.get("encoding") or "").upper()
        content = (payload.get("observedContentType") or "").lower()
        if kind == "BASE64":
            try:
                data_text = base64.b64decode(data_text, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                skipped += 1
                continue
            kind = "JSON" if "json" in content else "CSV" if "csv" in content else ""
        if kind == "CSV":
            text_parts.append(data_text if data_text.endswith("\n") else data_text + "\n")
            continue
        rows = _json_rows(data_text) if kind == "JSON" else None
        if rows is None:
            skipped += 1
        else:
            json_rows.extend(rows)
    tables: list[pa.Table] = []
    if text_parts:
        table, bad = _csv_rows("".join(text_parts))
        skipped += bad
        tables.append(table)
    if json_rows:
        tables.append(pa.Table.from_pylist(json_rows))
    if len(tables) == 2:
        raise Invalid(
            "data",
            got="capture records with both CSV and JSON payloads",
            expected="one payload encoding per schedule",
        )
    return (tables[0] if tables else pa.table({})), skipped


def _csv_rows(text: str) -> tuple[pa.Table, int]:
    body = text.encode("utf-8")
    lines = sum(1 for line in body.split(b"\n") if line.strip())
    con = duckdb.connect()
    try:
        table: pa.Table = con.read_csv(
            io.BytesIO(body), header=False, delimiter=",", quotechar='"', ignore_errors=True
        ).to_arrow_table()
    except duckdb.Error:
        return pa.table({}), lines
    finally:
        con.close()
    table = table.rename_columns([f"_c{i}" for i in range(table.num_columns)])
    return table, lines - table.num_rows


def _json_rows(text: str) -> list[dict[str, Any]] | None:
    """Rows of a JSON payload: an object, a list of objects or of scalars (one row), a list of
    lists, or an object whose one member is such a list (``{"instances": [...]}``)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, dict) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, list) and inner and isinstance(inner[0], dict | list):
            value = inner
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and value:
        if all(isinstance(v, dict) for v in value):
            return list(value)
        if all(isinstance(v, list) for v in value):
            return [{f"_c{i}": x for i, x in enumerate(row)} for row in value]
        if not any(isinstance(v, dict | list) for v in value):
            return [{f"_c{i}": x for i, x in enumerate(value)}]
    return None


def _side_by_side(tables: list[pa.Table], names: Sequence[str]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    first, second = tables
    if first.num_rows != second.num_rows:
        raise Invalid(
            "capture_index_names",
            got=f"{first.num_rows} {names[0]} rows and {second.num_rows} {names[1]} rows",
            expected="as many output rows as input rows to analyse both together",
        )
    columns = {f"{c}": first.column(c) for c in first.column_names}
    offset = first.num_columns
    for i, c in enumerate(second.column_names):
        name = f"_c{offset + i}" if c.startswith("_c") else c
        columns[name if name not in columns else f"{names[1]}.{c}"] = second.column(c)
    return pa.table(columns)


def _named(table: pa.Table, feature_names: Sequence[str] | None) -> pa.Table:
    if feature_names is None or table.num_columns == 0:
        return table
    if len(feature_names) != table.num_columns:
        raise Invalid(
            "feature_names",
            got=f"{len(feature_names)} names",
            expected=f"one name per captured column ({table.num_columns})",
        )
    return table.rename_columns(list(feature_names))


def store_json(value: Any) -> bytes:
    """Pretty JSON as SageMaker writes its files."""
    return (json.dumps(value, indent=2, allow_nan=False) + "\n").encode()
