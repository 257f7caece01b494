"""The Spark engine's parts that need no JVM: URLs, masters, the partition function, helpers.

The engine itself runs in ``test_monitor_engine_conformance.py`` (one Spark session per run).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bastion.errors import Invalid
from bastion.monitor import Profile, ProfileOptions
from bastion.monitor.engine import (
    ColumnKind,
    Dataset,
    DuckDBEngine,
    Engine,
    SparkEngine,
    engine_from_url,
    profile_batch,
)
from bastion.monitor.engine._spark import (
    _describe,
    _first_bad_utf8,
    _partition_profiles,
    _sniff_delimiter,
    is_spark_master,
)
from bastion.settings import Settings


@pytest.mark.parametrize("url", ["duckdb", "DuckDB", "duckdb://", " duckdb "])
def test_duckdb_urls(url: str) -> None:
    engine = engine_from_url(url, threads=3, memory_limit=None)
    assert isinstance(engine, DuckDBEngine) and engine.threads == 3


@pytest.mark.parametrize(
    "url",
    [
        "local",
        "local[2]",
        "local[*]",
        "local[4,2]",
        "spark://10.0.0.5:7077",
        "spark://a:7077,b:7077",
        "yarn",
        "k8s://https://k8s.example:6443",
    ],
)
def test_spark_urls_start_nothing(url: str) -> None:
    engine = engine_from_url(url, config={"spark.executor.memory": "2g"})
    assert isinstance(engine, SparkEngine) and isinstance(engine, Engine)
    assert engine.name == "spark" and engine.master == url
    assert engine.config == {"spark.executor.memory": "2g"}
    assert engine._session is None  # the session (a JVM) starts on first use only


@pytest.mark.parametrize(
    "url", ["", "postgres://x", "spark://", "local[0]", "local[x]", "spark:// host", "sparkle"]
)
def test_unknown_urls_are_refused(url: str) -> None:
    with pytest.raises(Invalid) as caught:
        engine_from_url(url)
    assert caught.value.field == "engine"
    assert "spark://host:port" in str(caught.value)


def test_options_the_engine_does_not_take_are_refused() -> None:
    with pytest.raises(Invalid) as caught:
        engine_from_url("local[2]", threads=4)
    assert caught.value.field == "options" and "config" in str(caught.value)
    with pytest.raises(Invalid):
        engine_from_url("duckdb", config={})
    assert isinstance(engine_from_url("local[2]", threads=None), SparkEngine)  # None: default


def test_every_engine_the_settings_accept_has_an_engine() -> None:
    for url in ("duckdb", "local", "local[*]", "local[8]", "spark://h:7077"):
        assert engine_from_url(Settings(monitor={"engine": url}).monitor.engine).name in (
            "duckdb",
            "spark",
        )
    with pytest.raises(ValidationError):
        Settings(monitor={"engine": "mysql://x"})


def test_a_spark_engine_needs_a_master_or_a_session() -> None:
    with pytest.raises(Invalid) as caught:
        SparkEngine("duckdb")
    assert caught.value.field == "master"
    assert not is_spark_master("local[-1]")
    engine = SparkEngine("local[2]")
    engine.close()  # nothing started, nothing to stop
    assert engine._session is None


def test_the_partition_function_sends_a_stored_profile() -> None:
    batch = pa.record_batch(
        {
            "a.b": pa.array([3, 1, None], pa.int64()),
            "t": pa.array(["x", "\ufffd", "y"], pa.large_string()),
        }
    )
    kinds = [ColumnKind.INTEGRAL, ColumnKind.TEXT]
    positional = batch.rename_columns(["_0", "_1"])
    out = list(
        _partition_profiles(
            iter([positional, positional.slice(0, 0)]),
            names=["a.b", "t"],
            kinds=kinds,
            options=ProfileOptions(),
            count_replacements=True,
        )
    )
    assert len(out) == 1 and out[0].num_rows == 1
    row = out[0].to_pylist()[0]
    assert row["replaced"] == 1
    sent = Profile.from_dict(json.loads(row["profile"]))
    direct = profile_batch(batch, kinds, ProfileOptions())
    assert sent.to_dict() == direct.to_dict()
    empty = _partition_profiles(
        iter([]), names=["x"], kinds=kinds[:1], options=ProfileOptions(), count_replacements=False
    )
    assert list(empty) == []  # an empty partition sends nothing


@given(st.binary(max_size=64))
def test_utf8_check_agrees_with_python(body: bytes) -> None:
    path = Path("/dev/shm" if Path("/dev/shm").is_dir() else "/tmp") / "bastion-utf8-check.bin"
    path.write_bytes(body)
    try:
        expected = None
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            expected = exc.start
        assert _first_bad_utf8(str(path)) == expected
    finally:
        path.unlink()


def test_utf8_check_reads_gzip_and_long_files(tmp_path: Path) -> None:
    body = ("a" + "é" * (1 << 20)).encode() + b"\xff"  # sequences cross the 1 MiB reads
    with gzip.open(tmp_path / "x.csv.gz", "wb") as out:
        out.write(body)
    assert _first_bad_utf8(str(tmp_path / "x.csv.gz")) == len(body) - 1
    (tmp_path / "cut.csv").write_bytes(b"ok\xc3")  # a sequence cut at the end
    assert _first_bad_utf8(str(tmp_path / "cut.csv")) == 2


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("a.csv", "a;b\n1;2\n", ";"),
        ("a.csv", "a|b\n1|2\n", "|"),
        ("a.csv", "a,b\n1,2\n", ","),
        ("a.tsv", "a,b\n1,2\n", "\t"),  # the suffix decides
        ("a.csv", "single\n1\n", ","),  # nothing to sniff
    ],
)
def test_delimiters_are_sniffed_like_duckdb(
    tmp_path: Path, name: str, body: str, expected: str
) -> None:
    (tmp_path / name).write_text(body)
    assert _sniff_delimiter(Dataset.of(tmp_path / name)) == expected


def test_remote_paths_are_not_sniffed() -> None:
    assert _sniff_delimiter(Dataset.of("hdfs://nn/data/a.csv")) == ","


def test_errors_are_described_by_their_own_message() -> None:
    class JavaError(Exception):
        java_exception = "org.apache.spark.SparkException: [PATH_NOT_FOUND] no such path"

    assert _describe(JavaError("An error occurred while calling o55.json.")) == (
        "org.apache.spark.SparkException: [PATH_NOT_FOUND] no such path"
    )
    assert _describe(ValueError("\n  first line\nsecond")) == "first line"
