"""The analytics-engine port: one operation, ``profile``, that any engine implements.

An engine turns a dataset into a mergeable ``Profile``. The DuckDB engine reads files and
in-memory tables with DuckDB and runs the per-batch kernel (``_kernel.profile_batch``) on the Arrow
batches it streams; a Spark engine runs the same kernel inside ``mapInArrow`` on the executors and
merges the partial profiles on the driver. Everything after profiling (statistics files,
constraints, checks, drift) works on profiles and is engine-independent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from os import PathLike
from pathlib import PurePath
from typing import Any, Literal, Protocol, runtime_checkable

from bastion.errors import Invalid
from bastion.monitor._models import Profile, ProfileOptions

DataFormat = Literal["csv", "parquet", "jsonl"]

_SUFFIXES: dict[str, DataFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


class ColumnKind(StrEnum):
    """How the kernel reads a column: the storage type after the engine's projection."""

    INTEGRAL = "integral"  # int64
    FRACTIONAL = "fractional"  # float64
    BOOLEAN = "boolean"  # bool
    TEXT = "text"  # string


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """Files on disk: one or more paths (globs allowed) in one format."""

    paths: tuple[str, ...]
    format: DataFormat
    header: bool = True
    delimiter: str | None = None

    @classmethod
    def of(
        cls,
        path: str | PathLike[str] | list[str | PathLike[str]],
        *,
        format: DataFormat | None = None,
        header: bool = True,
        delimiter: str | None = None,
    ) -> Dataset:
        """A dataset from a path or paths; the format comes from the suffix unless given."""
        paths = tuple(str(p) for p in (path if isinstance(path, list) else [path]))
        if not paths:
            raise Invalid("path", got=[], expected="at least one path")
        if format is None:
            suffix = PurePath(paths[0].removesuffix(".gz")).suffix.lower()
            if suffix not in _SUFFIXES:
                raise Invalid(
                    "format",
                    got=suffix or paths[0],
                    expected="one of csv, parquet, jsonl (or a path ending in .csv, .parquet, "
                    ".jsonl)",
                )
            format = _SUFFIXES[suffix]
        if format not in ("csv", "parquet", "jsonl"):
            raise Invalid("format", got=format, expected="one of csv, parquet, jsonl")
        return cls(paths=paths, format=format, header=header, delimiter=delimiter)


@runtime_checkable
class Engine(Protocol):
    """Computes profiles. ``data`` is a ``Dataset``, a path, or an in-memory table."""

    @property
    def name(self) -> str:
        """A short name (``duckdb``, ``spark``)."""
        ...

    def profile(self, data: Any, *, options: ProfileOptions) -> Profile:
        """One pass over ``data``: a mergeable profile of every column."""
        ...
