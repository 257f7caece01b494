"""The DuckDB engine: every input format gives the same profile; Deequ's type inference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bastion.errors import Invalid
from bastion.monitor import InferredType, Profile, ProfileOptions, profile
from bastion.monitor.engine import ColumnKind, Dataset, DuckDBEngine, Engine, profile_batch

ROWS = {
    "i": [1, 2, None, 4, 5, 6],
    "f": [1.5, 2.0, 3.25, None, -1.0, 0.0],
    "s": ["a", "b", "a", "c", None, "a"],
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i": pd.array(ROWS["i"], dtype="Int64"),
            "f": ROWS["f"],
            "s": ROWS["s"],
        }
    )


def _write_all(tmp_path: Path) -> dict[str, object]:
    frame = _frame()
    frame.to_csv(tmp_path / "d.csv", index=False)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "d.parquet")
    with (tmp_path / "d.jsonl").open("w") as out:
        for row in frame.to_dict(orient="records"):
            out.write(json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()}) + "\n")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return {
        "csv": tmp_path / "d.csv",
        "parquet": str(tmp_path / "d.parquet"),
        "jsonl": Dataset.of(tmp_path / "d.jsonl"),
        "pandas": frame,
        "arrow": table,
        "batches": table.to_reader(max_chunksize=2),
        "record_batch": table.to_batches()[0],
    }


def _summary(result: Profile) -> dict[str, object]:
    out: dict[str, object] = {"rows": result.item_count}
    for column in result.columns:
        entry: dict[str, object] = {
            "type": column.inferred_type,
            "present": column.types.present,
            "missing": column.types.missing,
        }
        if column.numeric is not None:
            n = column.numeric
            entry.update(count=n.count, sum=float(n.sum), min=n.min, max=n.max, mean=n.mean)
        if column.categorical is not None and column.inferred_type is InferredType.STRING:
            entry["values"] = dict(
                zip(column.categorical.values, column.categorical.counts.tolist(), strict=True)
            )
        out[column.name] = entry
    return out


def test_every_input_gives_the_same_profile(tmp_path: Path) -> None:
    inputs = _write_all(tmp_path)
    expected = {
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
    for name, data in inputs.items():
        assert _summary(profile(data)) == expected, name


def test_engine_is_the_port() -> None:
    engine = DuckDBEngine(threads=1)
    assert isinstance(engine, Engine) and engine.name == "duckdb"


def test_text_follows_deequs_patterns() -> None:
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
    result = profile(frame)
    types = {c.name: c.inferred_type for c in result.columns}
    assert types == {
        "ints": InferredType.INTEGRAL,
        "fracs": InferredType.FRACTIONAL,
        "mixed": InferredType.STRING,
        "bools": InferredType.STRING,
        "bool_num": InferredType.STRING,
        "nulls": InferredType.UNKNOWN,
    }
    ints = result.column("ints")
    assert ints.numeric.sum == 0.0 and ints.numeric.min == -3.0
    fracs = result.column("fracs").types
    assert (fracs.fractional, fracs.integral) == (3, 1)
    mixed = result.column("mixed")
    assert (mixed.types.integral, mixed.types.string) == (3, 1)
    assert sorted(mixed.categorical.values) == ["1", "2", "3", "x"]


def test_headerless_csv_columns_are_named_like_spark(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("1,a\n2,b\n")
    result = profile(Dataset.of(tmp_path / "h.csv", header=False))
    assert result.names == ("_c0", "_c1")


def test_late_rows_that_break_the_sniffed_type_are_read_again(tmp_path: Path) -> None:
    lines = ["a,b"] + [f"{i},{i}" for i in range(30_000)] + ["oops,1"]
    (tmp_path / "late.csv").write_text("\n".join(lines) + "\n")
    result = profile(tmp_path / "late.csv")
    column = result.column("a")
    assert column.inferred_type is InferredType.STRING
    assert (column.types.integral, column.types.string) == (30_000, 1)
    assert result.column("b").inferred_type is InferredType.INTEGRAL


def test_other_types_are_read_as_text_and_decimals_as_numbers() -> None:
    table = pa.table(
        {
            "when": pa.array([np.datetime64("2024-01-01T00:00:00", "s"), None]),
            "price": pa.array([1, 2], type=pa.decimal128(10, 2)),
            "count": pa.array([1, 2], type=pa.decimal128(10, 0)),
            "tags": pa.array([[1, 2], [3]]),
            "flag": pa.array([True, None]),
            "small": pa.array([1, 2], type=pa.uint8()),
        }
    )
    result = profile(table)
    types = {c.name: c.inferred_type for c in result.columns}
    assert types == {
        "when": InferredType.STRING,
        "price": InferredType.FRACTIONAL,
        "count": InferredType.INTEGRAL,
        "tags": InferredType.STRING,
        "flag": InferredType.STRING,
        "small": InferredType.INTEGRAL,
    }
    assert result.column("flag").categorical.values == ("true",)


def test_text_columns_option_profiles_numbers_as_text() -> None:
    result = profile(
        pd.DataFrame({"zip": [2139, 10001, 2139]}),
        options=ProfileOptions(text_columns=frozenset({"zip"})),
    )
    column = result.column("zip")
    assert column.categorical.values == ("2139", "10001")
    assert column.inferred_type is InferredType.INTEGRAL


def test_batches_and_threads_do_not_change_the_result() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"x": rng.integers(0, 50, 20_000), "c": rng.choice(["p", "q", "r"], 20_000)}
    )
    one = profile(frame, engine=DuckDBEngine(threads=1), options=ProfileOptions(batch_rows=1024))
    two = profile(frame, engine=DuckDBEngine(threads=2), options=ProfileOptions(batch_rows=5000))
    for name in ("x", "c"):
        a, b = one.column(name), two.column(name)
        assert a.types == b.types
    assert one.column("x").numeric.sum == two.column("x").numeric.sum == int(frame["x"].sum())
    counts_one = one.column("c").categorical
    counts_two = two.column("c").categorical
    assert dict(zip(counts_one.values, counts_one.counts, strict=True)) == dict(
        zip(counts_two.values, counts_two.counts, strict=True)
    )


def test_kernel_runs_on_a_bare_arrow_batch() -> None:
    batch = pa.record_batch({"x": pa.array([3, 1, 2], type=pa.int64())})
    result = profile_batch(batch, [ColumnKind.INTEGRAL], ProfileOptions())
    assert result.column("x").numeric.sum == 6


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (object(), "data"),
        ("nowhere/data.parquet", "data"),
        ("data.xlsx", "format"),
    ],
)
def test_unusable_inputs_are_refused(data: object, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        profile(data)
    assert caught.value.field == field


def test_dataset_needs_a_path_and_a_known_format() -> None:
    with pytest.raises(Invalid):
        Dataset.of([])
    with pytest.raises(Invalid):
        Dataset.of("x.csv", format="xml")  # type: ignore[arg-type]
    assert Dataset.of(["a.csv", "b.csv"]).paths == ("a.csv", "b.csv")
    assert Dataset.of("part.json.gz").format == "jsonl"


def test_integer_sums_are_exact_beyond_int64() -> None:
    big = 2**62
    result = profile(pd.DataFrame({"x": [big, big, big, -5]}))
    assert result.column("x").numeric.sum == 3 * big - 5
