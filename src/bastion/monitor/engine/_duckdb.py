"""The DuckDB engine (the default): DuckDB reads, types and projects; the kernel profiles.

DuckDB scans CSV, Parquet and JSON-lines files (several files and globs at once, in parallel) and
pandas or Arrow tables in memory, sniffs the types of text formats, and projects every column to
one of four storage types (int64, float64, bool, text: other types are cast to text, as Spark
shows them to Deequ). The projected relation streams out as Arrow batches into the kernel.

A CSV or JSON file whose late rows contradict the types DuckDB sniffed from its first rows is
read again with the whole file sniffed; a file that is not UTF-8 is refused with the fix.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from bastion.errors import Invalid
from bastion.monitor._models import Profile, ProfileOptions
from bastion.monitor.engine._kernel import profile_stream
from bastion.monitor.engine._port import ColumnKind, Dataset

log = logging.getLogger(__name__)

_INTEGRAL = {"tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger"}
_FRACTIONAL = {"float", "double", "ubigint", "hugeint", "uhugeint"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _projection(
    relation: duckdb.DuckDBPyRelation, text_columns: frozenset[str]
) -> tuple[list[str], list[ColumnKind], list[str]]:
    names: list[str] = list(relation.columns)
    kinds: list[ColumnKind] = []
    expressions: list[str] = []
    for name, dtype in zip(names, relation.types, strict=True):
        column = _quote(name)
        type_id = dtype.id
        if name in text_columns:
            kind, expression = ColumnKind.TEXT, f"CAST({column} AS VARCHAR)"
        elif type_id in _INTEGRAL:
            kind, expression = ColumnKind.INTEGRAL, f"CAST({column} AS BIGINT)"
        elif type_id in _FRACTIONAL:
            kind, expression = ColumnKind.FRACTIONAL, f"CAST({column} AS DOUBLE)"
        elif type_id == "decimal":
            parameters = {str(k): v for k, v in dtype.children}
            scale, width = int(str(parameters["scale"])), int(str(parameters["precision"]))
            if scale == 0 and width <= 18:
                kind, expression = ColumnKind.INTEGRAL, f"CAST({column} AS BIGINT)"
            else:
                kind, expression = ColumnKind.FRACTIONAL, f"CAST({column} AS DOUBLE)"
        elif type_id == "boolean":
            kind, expression = ColumnKind.BOOLEAN, column
        elif type_id == "varchar":
            kind, expression = ColumnKind.TEXT, column
        else:
            kind, expression = ColumnKind.TEXT, f"CAST({column} AS VARCHAR)"
        kinds.append(kind)
        expressions.append(f"{expression} AS {column}")
    return names, kinds, expressions


def _file_relation(
    con: duckdb.DuckDBPyConnection, dataset: Dataset, *, full_sniff: bool
) -> duckdb.DuckDBPyRelation:
    paths = list(dataset.paths)
    for path in paths:
        if not any(ch in path for ch in "*?[") and "://" not in path and not Path(path).exists():
            raise Invalid("data", got=path, expected="an existing file (no such file)")
    if dataset.format == "parquet":
        return con.read_parquet(paths, union_by_name=True)
    if dataset.format == "jsonl":
        options: dict[str, Any] = {"format": "newline_delimited"}
        if full_sniff:
            options["sample_size"] = -1
        return con.read_json(paths, **options)  # type: ignore[arg-type]
    csv: dict[str, Any] = {"header": dataset.header}
    if dataset.delimiter is not None:
        csv["delimiter"] = dataset.delimiter
    if full_sniff:
        csv["sample_size"] = -1
    relation = con.read_csv(paths, **csv)  # type: ignore[arg-type]
    if not dataset.header:
        # SageMaker's container (Spark) names headerless columns _c0, _c1, ...
        renamed = [f"{_quote(c)} AS {_quote(f'_c{i}')}" for i, c in enumerate(relation.columns)]
        relation = relation.select(", ".join(renamed))
    return relation


_MIXED = {"mixed", "mixed-integer", "mixed-integer-float"}


def _as_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def _memory_relation(con: duckdb.DuckDBPyConnection, data: Any) -> duckdb.DuckDBPyRelation:
    if isinstance(data, pd.DataFrame):
        frame = data.copy(deep=False)
        frame.columns = [str(c) for c in frame.columns]
        for name in frame.columns:
            # Python objects of several types in one column: their text, as Spark would show them
            if (
                pd.api.types.is_object_dtype(frame[name].dtype)
                and pd.api.types.infer_dtype(frame[name], skipna=True) in _MIXED
            ):
                frame[name] = frame[name].map(_as_text).astype(object)
        return con.from_df(frame)
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table | pa.RecordBatchReader):
        return con.from_arrow(data)
    if hasattr(data, "__arrow_c_stream__"):
        return con.from_arrow(pa.table(data))
    raise Invalid(
        "data",
        got=type(data).__name__,
        expected="a path, a Dataset, a pandas DataFrame, or an Arrow table or record batch reader",
    )


def _describe(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200]


class DuckDBEngine:
    """Profiles data in-process with DuckDB (``threads``: DuckDB's and the kernel's threads)."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.memory_limit = memory_limit

    def profile(self, data: Any, *, options: ProfileOptions) -> Profile:
        """One pass over ``data`` (a ``Dataset``, a path, or a table in memory)."""
        if isinstance(data, str | os.PathLike):
            data = Dataset.of(data)
        try:
            return self._profile(data, options, full_sniff=False)
        except (duckdb.ConversionException, duckdb.InvalidInputException, OSError) as exc:
            if not (isinstance(data, Dataset) and data.format in ("csv", "jsonl")):
                raise Invalid("data", got=_describe(exc), expected="readable data") from None
            if "unicode" in str(exc).lower() or "utf-8" in str(exc).lower():
                raise Invalid(
                    "data",
                    got=f"{', '.join(data.paths)}: {_describe(exc)}",
                    expected="UTF-8 text (convert the file first, e.g. iconv -t UTF-8)",
                ) from None
            log.info("monitor.profile resniff paths=%s reason=%s", data.paths, _describe(exc))
        try:
            return self._profile(data, options, full_sniff=True)
        except (duckdb.Error, OSError) as exc:
            raise Invalid(
                "data", got=f"{', '.join(data.paths)}: {_describe(exc)}", expected="readable data"
            ) from None

    def _profile(self, data: Any, options: ProfileOptions, *, full_sniff: bool) -> Profile:
        config: dict[str, Any] = {"threads": self.threads}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        con = duckdb.connect(config=config)
        try:
            try:
                if isinstance(data, Dataset):
                    relation = _file_relation(con, data, full_sniff=full_sniff)
                else:
                    relation = _memory_relation(con, data)
            except duckdb.IOException as exc:
                raise Invalid("data", got=_describe(exc), expected="a readable file") from None
            names, kinds, expressions = _projection(relation, options.text_columns)
            if not names:
                raise Invalid("data", got="a dataset without columns", expected="columns")
            projected = relation.select(", ".join(expressions))
            reader = projected.to_arrow_reader(options.batch_rows)
            profile = profile_stream(reader, names, kinds, options, workers=self.threads)
        finally:
            con.close()
        log.info("monitor.profile engine=duckdb rows=%d columns=%d", profile.item_count, len(names))
        return profile
