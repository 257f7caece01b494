"""Conformance: every engine (DuckDB, Spark) gives the same profiles, baselines and checks.

Each case runs on both engines against the same hand-known expectations; the cross-engine tests
baseline and check one dataset on both and compare the results field by field: counts, types,
categorical buckets and distinct counts equal, moments equal to floating tolerance, quantiles
within the KLL bound, the same violations and drift verdicts.

Spark runs in local mode, one session for the whole test run (a JVM start takes seconds); it
needs Java 17+: without it the Spark cases skip, or fail when ``BASTION_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.errors import Invalid
from bastion.monitor import (
    Baseline,
    CheckType,
    InferredType,
    Profile,
    ProfileOptions,
    baseline,
    check,
    merge_profiles,
    profile,
    read_statistics,
    to_json,
)
from bastion.monitor.engine import Dataset, DuckDBEngine, Engine, SparkEngine

ENGINES = ["duckdb", "spark"]
SPARK_CONFIG = {
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "2",
    # small splits: a Parquet file with several row groups becomes several partitions, so the
    # driver merges partial profiles as it does on a cluster
    "spark.sql.files.maxPartitionBytes": "256k",
    "spark.sql.files.openCostInBytes": "16k",
    # short jobs: the JVM's quick compiler only, no whole-stage code generation
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.sql.codegen.wholeStage": "false",
}


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and Path(home, "bin", "java").exists())


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SparkEngine]:
    """One local Spark session (``local[2]``) for the whole run, stopped at the end."""
    if not _java_available():
        if os.environ.get("BASTION_REQUIRE_SERVICES") == "1":
            pytest.fail("Spark needs Java 17+ (BASTION_REQUIRE_SERVICES=1) but none is installed")
        pytest.skip("Spark needs Java 17+ (install a JDK or set JAVA_HOME)")
    engine = SparkEngine("local[2]", config=SPARK_CONFIG)
    engine.session.sparkContext.setLogLevel("ERROR")
    yield engine
    engine.close()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn."""
    if request.param == "duckdb":
        return DuckDBEngine(threads=2)
    spark: SparkEngine = request.getfixturevalue("spark_engine")
    return spark


# -- one engine at a time, against known answers ------------------------------------------------

ROWS = {
    "i": [1, 2, None, 4, 5, 6],
    "f": [1.5, 2.0, 3.25, None, -1.0, 0.0],
    "s": ["a", "b", "a", "c", None, "a"],
}
EXPECTED = {
    "rows": 6,
    "i": {
        "type": InferredType.INTEGRAL,
        "present": 5,
        "missing": 1,
        "count": 5,
        "sum": 18.0,
        "min": 1.0,
        "max": 6.0,
        "mean": 3.6,
    },
    "f": {
        "type": InferredType.FRACTIONAL,
        "present": 5,
        "missing": 1,
        "count": 5,
        "sum": 5.75,
        "min": -1.0,
        "max": 3.25,
        "mean": 1.15,
    },
    "s": {
        "type": InferredType.STRING,
        "present": 5,
        "missing": 1,
        "values": {"a": 3, "b": 1, "c": 1},
    },
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"i": pd.array(ROWS["i"], dtype="Int64"), "f": ROWS["f"], "s": ROWS["s"]})


def _inputs(tmp_path: Path) -> dict[str, Any]:
    frame = _frame()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    frame.to_csv(tmp_path / "d.csv", index=False)
    with gzip.open(tmp_path / "d.csv.gz", "wt") as out:
        frame.to_csv(out, index=False)
    frame.to_csv(tmp_path / "d.tsv", index=False, sep="\t")
    pq.write_table(table, tmp_path / "d.parquet")
    with (tmp_path / "d.jsonl").open("w") as out:
        for row in frame.to_dict(orient="records"):
            out.write(json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()}) + "\n")
    (tmp_path / "parts").mkdir()
    frame.iloc[:3].to_csv(tmp_path / "parts" / "a.csv", index=False)
    frame.iloc[3:].to_csv(tmp_path / "parts" / "b.csv", index=False)
    return {
        "csv": tmp_path / "d.csv",
        "csv.gz": str(tmp_path / "d.csv.gz"),
        "tsv": str(tmp_path / "d.tsv"),
        "glob": str(tmp_path / "parts" / "*.csv"),
        "parquet": str(tmp_path / "d.parquet"),
        "jsonl": Dataset.of(tmp_path / "d.jsonl"),
        "pandas": frame,
        "arrow": table,
        "reader": table.to_reader(max_chunksize=2),
        "record_batch": table.to_batches()[0],
    }


def _summary(result: Profile) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": result.item_count}
    for column in result.columns:
        entry: dict[str, Any] = {
            "type": column.inferred_type,
            "present": column.types.present,
            "missing": column.types.missing,
        }
        if column.numeric is not None:
            n = column.numeric
            entry.update(count=n.count, sum=float(n.sum), min=n.min, max=n.max, mean=n.mean)
        if column.categorical is not None and column.inferred_type is InferredType.STRING:
            entry["values"] = _counts(column)
        out[column.name] = entry
    return out


def _counts(column: Any) -> dict[str, int]:
    summary = column.categorical
    return dict(zip(summary.values, summary.counts.tolist(), strict=True))


def test_every_input_gives_the_same_profile(engine: Engine, tmp_path: Path) -> None:
    for name, data in _inputs(tmp_path).items():
        assert _summary(profile(data, engine=engine)) == EXPECTED, name


def test_text_follows_deequs_patterns(engine: Engine, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "ints": ["1", "+ 2", "-3", None],
            "fracs": ["1.5", "2", "1e5", "-0.25E-3"],
            "mixed": ["1", "2", "x", "3"],
            "bools": ["true", "false", "true", None],
            "bool_num": ["true", "1", "2", "3"],
            "nulls": [None, None, None, None],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "t.parquet")
    for data in (frame, tmp_path / "t.parquet"):
        result = profile(data, engine=engine)
        assert {c.name: c.inferred_type for c in result.columns} == {
            "ints": InferredType.INTEGRAL,
            "fracs": InferredType.FRACTIONAL,
            "mixed": InferredType.STRING,
            "bools": InferredType.STRING,
            "bool_num": InferredType.STRING,
            "nulls": InferredType.UNKNOWN,
        }
        assert result.column("ints").numeric.sum == 0.0
        fracs = result.column("fracs").types
        assert (fracs.fractional, fracs.integral) == (3, 1)
        mixed = result.column("mixed")
        assert (mixed.types.integral, mixed.types.string) == (3, 1)


def test_csv_dialects(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("1,a\n2,b\n")
    assert profile(Dataset.of(tmp_path / "h.csv", header=False), engine=engine).names == (
        "_c0",
        "_c1",
    )
    (tmp_path / "semi.csv").write_text("a;b\n1;x\n2;y\n")
    semi = profile(tmp_path / "semi.csv", engine=engine)
    assert semi.names == ("a", "b") and semi.column("a").numeric.sum == 3
    (tmp_path / "q.csv").write_text('name,n\n"say ""hi"", twice",1\n"plain",2\n')
    quoted = profile(tmp_path / "q.csv", engine=engine)
    assert _counts(quoted.column("name")) == {'say "hi", twice': 1, "plain": 1}


def test_a_type_broken_by_late_rows(engine: Engine, tmp_path: Path) -> None:
    lines = ["a,b"] + [f"{i},{i}" for i in range(30_000)] + ["oops,1"]
    (tmp_path / "late.csv").write_text("\n".join(lines) + "\n")
    result = profile(tmp_path / "late.csv", engine=engine)
    column = result.column("a")
    assert column.inferred_type is InferredType.STRING
    assert (column.types.integral, column.types.string) == (30_000, 1)
    assert result.column("b").inferred_type is InferredType.INTEGRAL


def _odd_types() -> pa.Table:
    return pa.table(
        {
            "when": pa.array([np.datetime64("2024-01-01T00:00:00", "us"), None]),
            "price": pa.array([1, 2], type=pa.decimal128(10, 2)),
            "count": pa.array([1, 2], type=pa.decimal128(10, 0)),
            "wide": pa.array([1, 2], type=pa.decimal128(30, 0)),
            "tags": pa.array([[1, 2], [3]]),
            "flag": pa.array([True, None]),
            "small": pa.array([1, 2], type=pa.uint8()),
            "single": pa.array([0.5, 1.5], type=pa.float32()),
        }
    )


def test_other_types_are_text_and_decimals_numbers(engine: Engine, tmp_path: Path) -> None:
    pq.write_table(_odd_types(), tmp_path / "odd.parquet")
    for data in (_odd_types(), tmp_path / "odd.parquet"):
        result = profile(data, engine=engine)
        assert {c.name: c.inferred_type for c in result.columns} == {
            "when": InferredType.STRING,
            "price": InferredType.FRACTIONAL,
            "count": InferredType.INTEGRAL,
            "wide": InferredType.FRACTIONAL,
            "tags": InferredType.STRING,
            "flag": InferredType.STRING,
            "small": InferredType.INTEGRAL,
            "single": InferredType.FRACTIONAL,
        }
        assert result.column("flag").categorical.values == ("true",)
        assert result.column("when").categorical.values == ("2024-01-01 00:00:00",)
        assert result.column("tags").categorical.values == ("[1, 2]", "[3]")
        assert result.column("price").numeric.sum == 3.0


def test_text_columns_option(engine: Engine, tmp_path: Path) -> None:
    frame = pd.DataFrame({"zip": [2139, 10001, 2139]})
    frame.to_parquet(tmp_path / "zip.parquet")
    options = ProfileOptions(text_columns=frozenset({"zip"}))
    for data in (frame, tmp_path / "zip.parquet"):
        column = profile(data, engine=engine, options=options).column("zip")
        assert column.categorical.values == ("2139", "10001")
        assert column.inferred_type is InferredType.INTEGRAL


def test_integer_sums_are_exact_beyond_int64(engine: Engine, tmp_path: Path) -> None:
    big = 2**62
    frame = pd.DataFrame({"x": [big, big, big, -5]})
    frame.to_parquet(tmp_path / "big.parquet")
    for data in (frame, tmp_path / "big.parquet"):
        assert profile(data, engine=engine).column("x").numeric.sum == 3 * big - 5


def test_empty_datasets_profile_but_do_not_baseline(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("a,b\n")
    empty = profile(tmp_path / "empty.csv", engine=engine)
    assert empty.item_count == 0
    assert [c.inferred_type for c in empty.columns] == [InferredType.UNKNOWN] * 2
    with pytest.raises(Invalid) as caught:
        baseline(tmp_path / "empty.csv", engine=engine)
    assert caught.value.field == "data"
    (tmp_path / "nothing.csv").write_bytes(b"")
    with pytest.raises(Invalid):
        baseline(tmp_path / "nothing.csv", engine=engine)
    table = pa.table({"x": pa.array([], type=pa.int64())})
    assert profile(table, engine=engine).item_count == 0


def test_all_null_columns(engine: Engine) -> None:
    base = baseline(pd.DataFrame({"x": [1.0, 2.0, 3.0], "gone": [None, None, None]}), engine=engine)
    assert base.statistics.feature("gone").inferred_type is InferredType.UNKNOWN
    assert base.constraints.feature("gone").completeness == 0.0
    result = check(
        pd.DataFrame({"x": [None, None], "gone": [None, None]}), baseline=base, engine=engine
    )
    kinds = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    assert kinds == {("x", CheckType.COMPLETENESS)}
    assert result.drift.feature("x") is None


def test_mixed_types_in_one_column(engine: Engine, tmp_path: Path) -> None:
    column = profile(pd.DataFrame({"m": [1, "a", 2.5, None, b"z"]}), engine=engine).column("m")
    assert column.inferred_type is InferredType.STRING
    assert (column.types.integral, column.types.fractional, column.types.string) == (1, 1, 2)
    lines = [{"v": 1}, {"v": "two"}, {"v": 3.5}, {"v": None}, {"v": {"nested": True}}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    column = profile(tmp_path / "m.jsonl", engine=engine).column("v")
    assert column.inferred_type is InferredType.STRING
    assert (column.types.integral, column.types.fractional, column.types.string) == (1, 1, 2)
    assert column.types.missing == 1


@pytest.mark.parametrize(
    ("name", "body"),
    [("latin1.csv", "name\ncaf\xe9\n".encode("latin-1")), ("bad.jsonl", b'{"a": "caf\xe9"}\n')],
)
def test_non_utf8_files_are_refused_with_the_fix(
    engine: Engine, tmp_path: Path, name: str, body: bytes
) -> None:
    (tmp_path / name).write_bytes(body)
    with pytest.raises(Invalid) as caught:
        profile(tmp_path / name, engine=engine)
    assert caught.value.field == "data"
    assert name in str(caught.value) and "iconv" in str(caught.value)


def test_a_replacement_character_that_is_really_there_is_kept(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "u.csv").write_text("name\n\ufffd\nok\n", encoding="utf-8")
    assert _counts(profile(tmp_path / "u.csv", engine=engine).column("name")) == {
        "ok": 1,
        "\ufffd": 1,
    }


def test_bytes_in_memory_are_profiled_as_text(engine: Engine) -> None:
    column = profile(pd.DataFrame({"b": [b"\xff\xfe", b"ok", None]}), engine=engine).column("b")
    assert column.inferred_type is InferredType.STRING
    assert column.categorical.total == 2


def test_ten_thousand_distinct_categories(engine: Engine, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"cat": [f"k{v}" for v in rng.integers(0, 10_000, 100_000)]})
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False),
        tmp_path / "c.parquet",
        row_group_size=20_000,
    )
    base = baseline(tmp_path / "c.parquet", engine=engine)
    feature = base.statistics.feature("cat").string_statistics
    assert len(feature.distribution.categorical.buckets) == 1000
    assert feature.distinct_count == pytest.approx(10_000, rel=0.05)
    assert base.constraints.feature("cat").string_constraints is None
    later = pd.DataFrame({"cat": [f"k{v}" for v in rng.integers(0, 10_000, 100_000)]})
    drift = check(later, baseline=base, engine=engine).drift.feature("cat")
    assert drift is not None and not drift.drifted and drift.distance < 0.01


def test_nan_and_infinities_count_as_missing(engine: Engine, tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan, np.inf, -np.inf, 3.0], "all_inf": [np.inf] * 5})
    frame.to_parquet(tmp_path / "inf.parquet")
    for data in (frame, tmp_path / "inf.parquet"):
        result = profile(data, engine=engine)
        x = result.column("x")
        assert (x.types.present, x.types.missing, x.types.non_finite) == (2, 3, 2)
        assert (x.numeric.min, x.numeric.max, x.numeric.sum) == (1.0, 3.0, 4.0)
        assert result.column("all_inf").inferred_type is InferredType.UNKNOWN
    stats = baseline(tmp_path / "inf.parquet", engine=engine).statistics
    body = to_json(stats)
    assert read_statistics(body) == stats
    numbers = json.loads(body)["features"][0]["numerical_statistics"]
    assert all(math.isfinite(numbers[k]) for k in ("mean", "sum", "std_dev", "min", "max"))


def test_columns_only_on_one_side(engine: Engine) -> None:
    base = baseline(pd.DataFrame({"old": [1, 2], "both": [1, 2]}), engine=engine)
    result = check(pd.DataFrame({"new": [1, 2], "both": [1, 2]}), baseline=base, engine=engine)
    assert {f.feature for f in result.drift.features} == {"both"}
    kinds = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    assert kinds == {("old", CheckType.MISSING_COLUMN), ("new", CheckType.EXTRA_COLUMN)}


def test_column_names_spark_would_read_as_paths(engine: Engine, tmp_path: Path) -> None:
    frame = pd.DataFrame({"a.b": [1, 2], "c`d": ["x", "y"], "e f": [0.5, None]})
    frame.to_parquet(tmp_path / "names.parquet")
    for data in (frame, tmp_path / "names.parquet"):
        result = profile(data, engine=engine)
        assert result.names == ("a.b", "c`d", "e f")
        assert result.column("a.b").numeric.sum == 3


@pytest.mark.parametrize(
    ("data", "field"), [("nowhere/data.parquet", "data"), ("data.xlsx", "format")]
)
def test_unusable_inputs_are_refused(engine: Engine, data: str, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        profile(data, engine=engine)
    assert caught.value.field == field


def test_malformed_json_lines_are_refused(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "broken.jsonl").write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(Invalid) as caught:
        profile(tmp_path / "broken.jsonl", engine=engine)
    assert caught.value.field == "data" and "broken.jsonl" in str(caught.value)


# -- both engines on the same data, compared ----------------------------------------------------

N = 60_000


def _mixed(rows: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ints = pd.array(rng.integers(0, 1000, rows), dtype="Int64")
    ints[rng.random(rows) < 0.05] = pd.NA
    amount = rng.lognormal(3.0 + shift, 1.0, rows)
    amount[rng.random(rows) < 0.01] = np.nan
    amount[:3] = [np.inf, -np.inf, np.nan]
    return pd.DataFrame(
        {
            "ints": ints,
            "amount": amount,
            "score": rng.normal(0, 1, rows),
            "state": rng.choice(["CA", "NY", "TX", "WA"], rows, p=[0.4, 0.3, 0.2, 0.1]),
            "zip": rng.choice([f"{z:05d}" for z in range(50)], rows),  # numbers as text
            # ~3000 values, more than max_categories: top 1000 kept, distinct count by HLL
            "merchant": [f"m{v}" for v in rng.zipf(1.2, rows) % 3000],
            "flag": rng.random(rows) < 0.3,
            "sparse": [None] * (rows - 1) + ["only"],
            "empty": pd.array([None] * rows, dtype="Float64"),
        }
    )


def _parquet(frame: pd.DataFrame, path: Path) -> str:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=8_000)
    return str(path)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("conformance")
    return {
        "train": _parquet(_mixed(N, 1), folder / "train.parquet"),
        "same": _parquet(_mixed(N, 2), folder / "same.parquet"),
        "drifted": _parquet(_mixed(N, 3, shift=0.5), folder / "drifted.parquet"),
    }


@pytest.fixture(scope="module")
def baselines(datasets: dict[str, str], spark_engine: SparkEngine) -> dict[str, Baseline]:
    return {
        "duckdb": baseline(datasets["train"], engine=DuckDBEngine(threads=2)),
        "spark": baseline(datasets["train"], engine=spark_engine),
    }


def test_spark_read_the_data_in_several_partitions(
    datasets: dict[str, str], spark_engine: SparkEngine
) -> None:
    frame = spark_engine.session.read.parquet(datasets["train"])
    assert frame.rdd.getNumPartitions() > 1


def _exact(frame: pd.DataFrame, name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.sort(values[np.isfinite(values)])


def _assert_quantiles_within_bound(exact: Any, sketch: Any, fractions: Any) -> None:
    """Each quantile's true rank range (ties span several ranks) is within the KLL bound."""
    quantiles = sketch.quantiles(fractions)
    below = np.searchsorted(exact, quantiles, side="left") / len(exact)
    at_or_below = np.searchsorted(exact, quantiles, side="right") / len(exact)
    bound = sketch.rank_error + 1 / len(exact)
    assert np.all(below <= fractions + bound) and np.all(at_or_below >= fractions - bound)


def test_same_baseline_on_both_engines(baselines: dict[str, Baseline]) -> None:
    duck, spark = baselines["duckdb"].statistics, baselines["spark"].statistics
    assert duck.dataset.item_count == spark.dataset.item_count == N
    assert [f.name for f in duck.features] == [f.name for f in spark.features]
    frame = _mixed(N, 1)
    types = {}
    for a, b in zip(duck.features, spark.features, strict=True):
        types[a.name] = a.inferred_type
        assert a.inferred_type == b.inferred_type, a.name
        if a.numerical_statistics is not None:
            x, y = a.numerical_statistics, b.numerical_statistics
            assert x.common == y.common, a.name
            for key in ("mean", "sum", "std_dev", "min", "max"):
                assert getattr(y, key) == pytest.approx(getattr(x, key), rel=1e-9), (a.name, key)
            # both sketches answer quantiles within KLL's bound of the exact ones
            exact = _exact(frame, a.name)
            fractions = np.linspace(0.01, 0.99, 99)
            for stats in (baselines["duckdb"], baselines["spark"]):
                column = stats.profile.column(a.name)
                kll = column.numeric.sketch
                assert kll.n == len(exact)
                _assert_quantiles_within_bound(exact, kll, fractions)
            counts_a = [bucket.count for bucket in x.distribution.kll.buckets]
            counts_b = [bucket.count for bucket in y.distribution.kll.buckets]
            assert sum(counts_a) == sum(counts_b) == x.common.num_present
        if a.string_statistics is not None:
            assert a.string_statistics == b.string_statistics, a.name
    assert types == {
        "ints": InferredType.INTEGRAL,
        "amount": InferredType.FRACTIONAL,
        "score": InferredType.FRACTIONAL,
        "state": InferredType.STRING,
        "zip": InferredType.INTEGRAL,
        "merchant": InferredType.STRING,
        "flag": InferredType.STRING,
        "sparse": InferredType.STRING,
        "empty": InferredType.UNKNOWN,
    }
    assert baselines["duckdb"].constraints == baselines["spark"].constraints
    merchant = spark.feature("merchant").string_statistics
    assert len(merchant.distribution.categorical.buckets) == 1000
    assert merchant.distinct_count > 1000


def _violations(result: Any) -> set[tuple[str, str, str]]:
    return {
        (
            v.feature_name,
            v.constraint_check_type,
            "" if v.constraint_check_type is CheckType.BASELINE_DRIFT else v.description,
        )
        for v in result.violations
    }


@pytest.mark.parametrize("current", ["same", "drifted"])
def test_same_check_on_both_engines(
    current: str,
    datasets: dict[str, str],
    baselines: dict[str, Baseline],
    spark_engine: SparkEngine,
) -> None:
    engines: dict[str, Engine] = {"duckdb": DuckDBEngine(threads=2), "spark": spark_engine}
    results = {
        (base, run): check(datasets[current], baseline=baselines[base], engine=engines[run])
        for base in engines
        for run in engines
    }
    reference = results["duckdb", "duckdb"]
    for key, result in results.items():
        # the same violations; descriptions equal but for the drift distance (sketches differ)
        assert _violations(result) == _violations(reference), key
        assert result.status == reference.status, key
        for a, b in zip(reference.drift.features, result.drift.features, strict=True):
            assert (a.feature, a.kind, a.drifted, a.exceeds) == (
                b.feature,
                b.kind,
                b.drifted,
                b.exceeds,
            )
            bound = 0.01 if a.kind == "numerical" else 1e-12
            assert b.distance == pytest.approx(a.distance, abs=bound), (key, a.feature)
        values = {p.name: p.value for p in reference.datapoints if p.value is not None}
        for point in result.datapoints:
            if point.value is not None and "drift" not in point.name:
                assert point.value == pytest.approx(values[point.name]), point.name
    drifted = {f.feature for f in reference.drift.features if f.drifted}
    assert drifted == (set() if current == "same" else {"amount"})
    kinds = {(v.feature_name, v.constraint_check_type) for v in reference.violations}
    assert ("amount", CheckType.BASELINE_DRIFT) in kinds or current == "same"


def test_profiles_from_both_engines_merge(
    datasets: dict[str, str], spark_engine: SparkEngine
) -> None:
    duck = profile(datasets["train"], engine=DuckDBEngine(threads=2))
    spark = profile(datasets["same"], engine=spark_engine)
    whole = merge_profiles([duck, spark])
    both = pd.concat([_mixed(N, 1), _mixed(N, 2)])
    assert whole.item_count == 2 * N
    column = whole.column("score").numeric
    assert column.sketch.n == column.count == 2 * N
    assert column.sum == pytest.approx(float(both["score"].sum()), rel=1e-9)
    _assert_quantiles_within_bound(
        np.sort(both["score"].to_numpy()), column.sketch, np.linspace(0.05, 0.95, 19)
    )
    assert _counts(whole.column("state")) == both["state"].value_counts().to_dict()
    # a stored partial profile (the form Spark's partitions send) reads back identically
    assert _summary(Profile.from_dict(json.loads(json.dumps(spark.to_dict())))) == _summary(spark)


_floats = st.one_of(
    st.none(), st.floats(-1e12, 1e12), st.sampled_from([math.nan, math.inf, -math.inf])
)
_texts = st.one_of(st.none(), st.sampled_from(["a", "b", "", " ", "1", "+ 2", "2.5", "true", "é"]))


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(-(2**62), 2**62)), _floats, _texts),
        min_size=1,
        max_size=40,
    )
)
def test_random_tables_profile_alike(
    spark_engine: SparkEngine, tmp_path: Path, rows: list[tuple[Any, Any, Any]]
) -> None:
    ints, floats, texts = zip(*rows, strict=True)
    table = pa.table(
        {
            "i": pa.array(ints, pa.int64()),
            "f": pa.array(floats, pa.float64()),
            "t": pa.array(texts, pa.string()),
        }
    )
    path = tmp_path / "random.parquet"
    pq.write_table(table, path, row_group_size=16)
    duck = _summary(profile(path, engine=DuckDBEngine(threads=1)))
    assert _approx(_summary(profile(path, engine=spark_engine))) == _approx(duck)


def _approx(summary: dict[str, Any]) -> dict[str, Any]:
    """Floating moments to 12 significant digits (summation order differs by engine)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            value = {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in value.items()}
        out[key] = value
    return out


def test_spark_leaves_no_warehouse_behind(spark_engine: SparkEngine, tmp_path: Path) -> None:
    profile(_frame(), engine=spark_engine)
    for name in ("spark-warehouse", "metastore_db", "derby.log"):
        assert not Path(name).exists(), name
    assert spark_engine.session.conf.get("spark.sql.warehouse.dir", "").find("bastion-spark-") >= 0


def test_engines_over_a_running_session_never_stop_it(spark_engine: SparkEngine) -> None:
    borrowed = SparkEngine(session=spark_engine.session)
    assert profile(_frame(), engine=borrowed).item_count == 6
    borrowed.close()
    second = SparkEngine("local[1]")  # the process's SparkContext runs already: reused
    assert second.session.sparkContext is spark_engine.session.sparkContext
    second.close()
    assert profile(_frame(), engine=spark_engine).item_count == 6
