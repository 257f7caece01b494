"""The Spark engine: Spark reads, types and partitions; the kernel profiles each partition.

Spark reads CSV, Parquet and JSON-lines files (globs, several files, gzip) and infers the types
of text formats over the whole file, then one ``select`` projects every column to the kernel's
four storage types, exactly as the DuckDB engine does (integers to bigint, floating and wide
numbers to double, booleans, everything else to its text). ``DataFrame.mapInArrow`` runs the
kernel (``profile_partition``) on each partition's Arrow batches on the executors; each partition
returns its partial profile (``Profile.to_dict()`` as JSON: moments, DataSketches KLL levels,
value counts, HyperLogLog registers) and the driver merges them, so counts, sums, minima and
maxima equal DuckDB's and quantiles stay within KLL's bound.

Tables in memory (pandas, Arrow) are typed on the driver by the DuckDB engine's projection, so
both engines see the same four storage types, and are then distributed for profiling.

Spark does not refuse text that is not UTF-8 (it replaces bad bytes with U+FFFD); when a CSV
partition shows U+FFFD the files are checked byte by byte and refused as the DuckDB engine does.
"""

from __future__ import annotations

import codecs
import csv
import functools
import glob
import gzip
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from bastion.errors import Invalid
from bastion.monitor._models import Profile, ProfileOptions, merge_profiles
from bastion.monitor.engine._duckdb import _memory_relation, _projection
from bastion.monitor.engine._kernel import (
    MERGE_FAN_IN,
    finish_profile,
    profile_partition,
    run_profile,
)
from bastion.monitor.engine._port import ColumnKind, Dataset

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType

log = logging.getLogger(__name__)

LOCAL_MASTER = re.compile(r"^local(\[(\*|[1-9][0-9]*)(,\s*[1-9][0-9]*)?\])?$")
"""Spark's local masters: ``local``, ``local[N]``, ``local[*]``, ``local[N,F]``."""
CLUSTER_MASTER = re.compile(r"^(spark://[^\s/]+(:[0-9]+)?(,[^\s/,]+(:[0-9]+)?)*|yarn|k8s://\S+)$")
"""Cluster masters: ``spark://host:port`` (standalone, several hosts for HA), ``yarn``, ``k8s://``."""

DEFAULT_CONFIG: dict[str, str] = {
    # timestamps read as text render the same on every machine
    "spark.sql.session.timeZone": "UTC",
    # Python workers fork from a daemon that has imported the kernel already
    "spark.python.daemon.module": "bastion.monitor.engine._spark_daemon",
}
LOCAL_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
_PARTIAL_SCHEMA = "profile binary, replaced long"
_REPLACEMENT = "\ufffd"
_SNIFF_BYTES = 1 << 16


def is_spark_master(url: str) -> bool:
    """True when ``url`` names a Spark master this engine accepts."""
    return bool(LOCAL_MASTER.match(url) or CLUSTER_MASTER.match(url))


def _partition_profiles(
    batches: Iterator[pa.RecordBatch],
    *,
    names: Sequence[str],
    kinds: Sequence[ColumnKind],
    options: ProfileOptions,
    count_replacements: bool,
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``'s function (runs on the executors): one row per non-empty partition."""
    from pyspark import TaskContext

    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    replaced = 0

    def renamed() -> Iterator[pa.RecordBatch]:
        nonlocal replaced
        for batch in batches:
            batch = batch.rename_columns(list(names))
            if count_replacements:
                replaced += sum(
                    int(pc.sum(pc.match_substring(column, _REPLACEMENT)).as_py() or 0)
                    for column, kind in zip(batch.columns, kinds, strict=True)
                    if kind is ColumnKind.TEXT
                )
            yield batch

    partial = profile_partition(renamed(), kinds, options, first_index=partition << 32)
    if partial is not None:
        body = json.dumps(partial.to_dict(), separators=(",", ":")).encode()
        yield pa.record_batch(
            {"profile": pa.array([body], pa.binary()), "replaced": pa.array([replaced], pa.int64())}
        )


def _spark_kind(dtype: DataType, as_text: bool) -> tuple[ColumnKind, str | None]:
    """The kernel's kind of a Spark type, and the type to cast to (None: as it is)."""
    from pyspark.sql import types as t

    if as_text:
        return ColumnKind.TEXT, None if isinstance(dtype, t.StringType) else "string"
    if isinstance(dtype, t.LongType):
        return ColumnKind.INTEGRAL, None
    if isinstance(dtype, t.ByteType | t.ShortType | t.IntegerType):
        return ColumnKind.INTEGRAL, "bigint"
    if isinstance(dtype, t.DoubleType):
        return ColumnKind.FRACTIONAL, None
    if isinstance(dtype, t.FloatType):
        return ColumnKind.FRACTIONAL, "double"
    if isinstance(dtype, t.DecimalType):
        if dtype.scale == 0 and dtype.precision <= 18:
            return ColumnKind.INTEGRAL, "bigint"
        return ColumnKind.FRACTIONAL, "double"
    if isinstance(dtype, t.BooleanType):
        return ColumnKind.BOOLEAN, None
    if isinstance(dtype, t.StringType):  # also VARCHAR(n), CHAR(n) and collated strings
        return ColumnKind.TEXT, None
    return ColumnKind.TEXT, "string"


def _project(
    frame: DataFrame, text_columns: frozenset[str]
) -> tuple[DataFrame, list[str], list[ColumnKind]]:
    """Every column cast to one of the four storage types, renamed ``_0``, ``_1``, ...

    Positional names keep Spark from reading dots or backticks in a column's name as paths.
    """
    from pyspark.sql import functions as sf

    names = list(frame.columns)
    kinds: list[ColumnKind] = []
    columns = []
    positional = [f"_{index}" for index in range(len(names))]
    for alias, field in zip(positional, frame.schema.fields, strict=True):
        kind, cast = _spark_kind(field.dataType, field.name in text_columns)
        column = sf.col(alias)
        if cast is not None:
            column = column.cast(cast).alias(alias)
        kinds.append(kind)
        columns.append(column)
    return frame.toDF(*positional).select(*columns), names, kinds


def _is_local_path(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _local_files(paths: Sequence[str]) -> list[str]:
    files: list[str] = []
    for path in paths:
        path = path.removeprefix("file://")
        files += sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    return [f for f in files if os.path.isfile(f)]


def _open(path: str) -> Any:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _sniff_delimiter(dataset: Dataset) -> str:
    """DuckDB sniffs a CSV's delimiter; Spark does not: sniff the first local file's start."""
    if dataset.paths[0].removesuffix(".gz").lower().endswith(".tsv"):
        return "\t"
    files = _local_files(dataset.paths[:1]) if _is_local_path(dataset.paths[0]) else []
    if not files:
        return ","
    with _open(files[0]) as handle:
        sample = handle.read(_SNIFF_BYTES).decode("utf-8", "replace")
    lines = sample.splitlines()
    if len(lines) > 1 and len(sample) == _SNIFF_BYTES:
        sample = "\n".join(lines[:-1])  # a line cut in the middle would mislead the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _first_bad_utf8(path: str) -> int | None:
    """The offset of the first byte that is not UTF-8 in a local file, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    read = 0
    with _open(path) as handle:
        while True:
            chunk = handle.read(1 << 20)
            start = read - len(decoder.getstate()[0])  # bytes held back from the last chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return start + exc.start
            if not chunk:
                return None
            read += len(chunk)


def _not_utf8(paths: Sequence[str], reason: str) -> Invalid:
    return Invalid(
        "data",
        got=f"{', '.join(paths)}: {reason}",
        expected="UTF-8 text (convert the file first, e.g. iconv -t UTF-8)",
    )


def _describe(exc: BaseException) -> str:
    """The first informative line of a Spark error (a JVM error's own message, not py4j's)."""
    java = getattr(exc, "java_exception", None)
    text = str(java) if java is not None else str(exc)
    for line in text.strip().splitlines():
        line = line.strip().removeprefix(": ")
        if line and not line.startswith("An error occurred while calling"):
            return line[:200]
    return type(exc).__name__


def _read_errors() -> tuple[type[BaseException], ...]:
    """Errors Spark raises for data it cannot read (not those of the kernel's Python code)."""
    from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
    from pyspark.errors.exceptions.captured import CapturedException

    return (CapturedException, Py4JJavaError)


class SparkEngine:
    """Profiles data on Apache Spark: ``master`` is ``local[N]``, ``local[*]`` or a cluster's URL.

    The session is created on first use (a JVM start: seconds) and reused; ``close()`` stops it
    if this engine created it. ``session`` uses an existing session instead (as does a process
    that already runs a SparkContext); ``config`` adds Spark settings (``spark.driver.memory``,
    ...) to a session this engine creates. Executors need ``bastion`` installed and the files at
    the same paths (a shared file system).
    """

    name = "spark"

    def __init__(
        self,
        master: str = "local[*]",
        *,
        session: SparkSession | None = None,
        config: Mapping[str, str] | None = None,
        app_name: str = "bastion-monitor",
    ) -> None:
        if session is None and not is_spark_master(master):
            raise Invalid(
                "master",
                got=master,
                expected="a Spark master: local[N], local[*], spark://host:port, yarn or k8s://…",
            )
        self.master = master
        self.config = dict(config or {})
        self.app_name = app_name
        self._session = session
        self._owned = False
        self._scratch: str | None = None

    @property
    def session(self) -> SparkSession:
        """The Spark session (created on first use)."""
        if self._session is None:
            self._session = self._start()
        return self._session

    def _start(self) -> SparkSession:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession

        local = bool(LOCAL_MASTER.match(self.master))
        config = dict(DEFAULT_CONFIG)
        if local:
            # Python workers run the driver's interpreter (with bastion and pyarrow), unless the
            # caller chose one; Spark reads only the environment for it.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            scratch = tempfile.mkdtemp(prefix="bastion-spark-")
            weakref.finalize(self, shutil.rmtree, scratch, ignore_errors=True)
            self._scratch = scratch
            config.update(LOCAL_CONFIG)
            config["spark.local.dir"] = scratch
            config["spark.sql.warehouse.dir"] = str(Path(scratch) / "warehouse")
            config["spark.driver.extraJavaOptions"] = f"-Dderby.system.home={scratch}"
        java = self.config.get("spark.driver.extraJavaOptions")
        config.update(self.config)
        if local and java is not None and "derby.system.home" not in java:
            config["spark.driver.extraJavaOptions"] = f"-Dderby.system.home={scratch} {java}"
        # a process has one SparkContext: if one runs already, the engine uses it, never stops it
        self._owned = SparkContext._active_spark_context is None
        builder = SparkSession.builder.master(self.master).appName(self.app_name)
        for key, value in config.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        log.info("monitor.spark.start master=%s owned=%s", self.master, self._owned)
        return session

    def close(self) -> None:
        """Stop the session if this engine started it (a later ``profile`` starts a new one)."""
        if self._session is not None and self._owned:
            self._session.stop()
            log.info("monitor.spark.stop master=%s", self.master)
            self._session = None
            self._owned = False
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def profile(self, data: Any, *, options: ProfileOptions) -> Profile:
        """One pass over ``data`` (a ``Dataset``, a path, or a table in memory)."""
        if isinstance(data, str | os.PathLike):
            data = Dataset.of(data)
        errors = _read_errors()
        try:
            if isinstance(data, Dataset):
                frame = self._read(data)
                projected, names, kinds = _project(frame, options.text_columns)
            else:
                projected, names, kinds = self._from_memory(data, options)
            if not names:
                raise Invalid("data", got="a dataset without columns", expected="columns")
            check_text = isinstance(data, Dataset) and data.format == "csv"
            partials, replaced = self._partials(projected, names, kinds, options, check_text)
        except errors as exc:
            from pyspark.errors import PythonException

            if isinstance(exc, PythonException):  # the kernel failed: a bug, not bad data
                raise
            raise _refusal(data, exc) from None
        if check_text and (replaced or any(_REPLACEMENT in n for n in names)):
            self._check_utf8(data)
        profile = finish_profile([run_profile(names, options), *partials], options)
        log.info("monitor.profile engine=spark rows=%d columns=%d", profile.item_count, len(names))
        return profile

    def _read(self, dataset: Dataset) -> DataFrame:
        reader = self.session.read.option("mode", "FAILFAST")
        paths = list(dataset.paths)
        for path in paths:
            if (
                _is_local_path(path)
                and not any(ch in path for ch in "*?[")
                and not Path(path.removeprefix("file://")).exists()
            ):
                raise Invalid("data", got=path, expected="an existing file (no such file)")
        if dataset.format == "parquet":
            return reader.option("mergeSchema", "true").parquet(*paths)
        if dataset.format == "jsonl":
            return reader.json(paths)
        return (
            reader.option("header", dataset.header)
            .option("inferSchema", "true")
            .option("sep", dataset.delimiter or _sniff_delimiter(dataset))
            .option("escape", '"')  # RFC 4180 (and DuckDB): a quote inside quotes is doubled
            .csv(paths)
        )

    def _from_memory(
        self, data: Any, options: ProfileOptions
    ) -> tuple[DataFrame, list[str], list[ColumnKind]]:
        """A table in memory, typed by the DuckDB engine's projection, as a Spark DataFrame."""
        con = duckdb.connect(config={"threads": 1})
        try:
            relation = _memory_relation(con, data)
            names, kinds, expressions = _projection(relation, options.text_columns)
            if not names:
                raise Invalid("data", got="a dataset without columns", expected="columns")
            table = relation.select(", ".join(expressions)).to_arrow_table()
        finally:
            con.close()
        storage = {
            ColumnKind.INTEGRAL: pa.int64(),
            ColumnKind.FRACTIONAL: pa.float64(),
            ColumnKind.BOOLEAN: pa.bool_(),
            ColumnKind.TEXT: pa.large_string(),
        }
        schema = pa.schema([pa.field(f"_{i}", storage[k]) for i, k in enumerate(kinds)])
        table = table.rename_columns(list(schema.names)).cast(schema)
        return self.session.createDataFrame(table), names, kinds

    def _partials(
        self,
        frame: DataFrame,
        names: list[str],
        kinds: list[ColumnKind],
        options: ProfileOptions,
        check_text: bool,
    ) -> tuple[list[Profile], int]:
        function = functools.partial(
            _partition_profiles,
            names=names,
            kinds=kinds,
            options=options,
            count_replacements=check_text,
        )
        conf = self.session.conf
        key = "spark.sql.execution.arrow.maxRecordsPerBatch"
        previous = conf.get(key)
        conf.set(key, str(options.batch_rows))
        try:
            rows = frame.mapInArrow(function, _PARTIAL_SCHEMA).collect()
        finally:
            if previous is None:
                conf.unset(key)
            else:
                conf.set(key, previous)
        partials: list[Profile] = []
        replaced = 0
        for row in rows:
            partials.append(Profile.from_dict(json.loads(row["profile"])))
            replaced += int(row["replaced"])
            if len(partials) >= MERGE_FAN_IN:
                partials = [merge_profiles(partials)]
        return partials, replaced

    def _check_utf8(self, dataset: Dataset) -> None:
        """Refuse files that are not UTF-8 (Spark read them with U+FFFD for the bad bytes)."""
        local = [p for p in dataset.paths if _is_local_path(p)]
        for path in _local_files(local):
            offset = _first_bad_utf8(path)
            if offset is not None:
                raise _not_utf8([path], f"invalid UTF-8 at byte {offset}")
        remote = [p for p in dataset.paths if not _is_local_path(p)]
        if remote:
            raise _not_utf8(remote, "text with U+FFFD (bytes that are not UTF-8)")


def _refusal(data: Any, exc: BaseException) -> Invalid:
    """The ``Invalid`` for data Spark could not read."""
    reason = _describe(exc)
    if not isinstance(data, Dataset):
        return Invalid("data", got=reason, expected="readable data")
    if "PATH_NOT_FOUND" in str(exc):
        return Invalid("data", got=", ".join(data.paths), expected="existing files")
    if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
        return _not_utf8(data.paths, reason)
    return Invalid("data", got=f"{', '.join(data.paths)}: {reason}", expected="readable data")
