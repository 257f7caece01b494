"""Data-quality monitoring: Bastion's baseline and drift check beside the plain-NumPy floor.

A synthetic table (20 numeric and 5 categorical columns) is written twice as Parquet with
~122 880-row groups: ``baseline.parquet`` and ``current.parquet``, where four columns drifted on
purpose (a mean shift, a scale change, a Poisson rate change, tilted category shares). Each
measured step runs in its own process, once per repeat, and reports its wall time (reading the
file included) and peak RSS; the best repeat is shown. Then the verdict table: which columns
SageMaker's rule (L-infinity distance >= 0.1) flags, which the calibrated verdict flags, and what
SciPy's exact tests say on the raw data.

    .venv/bin/python benchmarks/bench_monitor.py                 # 1 M rows, 2 repeats
    .venv/bin/python benchmarks/bench_monitor.py --rows 10000000 --repeats 1
    .venv/bin/python benchmarks/bench_monitor.py --peers    # + whylogs, Evidently, alibi-detect
    .venv/bin/python benchmarks/bench_monitor.py --spark-only --repeats 2   # Spark beside DuckDB

``--peers`` builds one virtualenv per peer under /tmp (pins from the peer reference: whylogs
1.6.4 with numpy<2, pandas<2.3, pyarrow<19; evidently 0.7.23 with pandas<3; alibi-detect 0.13
with numpy<2, pyarrow<19) and runs each on the same files.

``--spark`` adds the Spark engine (``local[2]``, one process: the JVM start, the first profile
with the Python workers' start, then the best of the repeats on the warm session) and compares
its statistics and verdicts with DuckDB's; ``--spark-only`` runs just DuckDB and Spark, side by
side, and prints their rows without writing RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _util import MIB, machine, markdown_table, python, report, run_child, update_section

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
DRIFTED = ("n3", "n8", "n15", "s2")
ROW_GROUP = 122_880

PEERS: dict[str, list[str]] = {
    "whylogs": ["whylogs==1.6.4", "numpy<2", "pandas<2.3", "pyarrow<19"],
    "evidently": ["evidently==0.7.23", "pandas<3", "pyarrow"],
    "alibi": ["alibi-detect==0.13.0", "numpy<2", "pyarrow<19", "pandas<2.3"],
}


# -- data ------------------------------------------------------------------------------------


def make_table(rows: int, *, drifted: bool, seed: int) -> Any:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i in range(20):
        kind = i % 4
        if kind == 0:
            values = rng.normal(10.0 * i, 1.0 + i / 10, rows)
        elif kind == 1:
            values = rng.lognormal(1.0, 0.5, rows)
        elif kind == 2:
            values = rng.uniform(-5.0, 5.0, rows)
        else:
            values = rng.poisson(3.0, rows).astype(np.int64)
        columns[f"n{i}"] = values
    for j in range(5):
        k = 5 + 10 * j
        p = np.linspace(2.0, 1.0, k)
        columns[f"s{j}"] = rng.choice(
            np.array([f"cat{j}_{v}" for v in range(k)]), rows, p=p / p.sum()
        )
    if drifted:
        columns["n3"] = rng.poisson(3.3, rows).astype(np.int64)  # rate 3 -> 3.3
        columns["n8"] = rng.normal(80.0 + 0.1 * 1.8, 1.8, rows)  # mean +0.1 sd
        columns["n15"] = rng.poisson(3.0, rows) + (rng.random(rows) < 0.08)  # 8 % moved up one
        k = 25
        p = np.linspace(2.0, 1.0, k)
        p[:5] *= 1.12  # the first five categories gain share
        columns["s2"] = rng.choice(np.array([f"cat2_{v}" for v in range(k)]), rows, p=p / p.sum())
    # a few missing values everywhere, as real data has
    for name in ("n1", "n6", "s0"):
        mask = rng.random(rows) < 0.01
        columns[name] = pa.array(columns[name], mask=mask)
    return pa.table(columns)


def ensure_data(directory: Path, rows: int) -> tuple[Path, Path]:
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    base, current = directory / f"baseline-{rows}.parquet", directory / f"current-{rows}.parquet"
    for path, drifted, seed in ((base, False, 1), (current, True, 2)):
        if not path.exists():
            chunk = 1_000_000
            writer = None
            for start in range(0, rows, chunk):
                table = make_table(
                    min(chunk, rows - start), drifted=drifted, seed=seed * 1000 + start
                )
                if writer is None:
                    writer = pq.ParquetWriter(path.with_suffix(".tmp"), table.schema)
                writer.write_table(table, row_group_size=ROW_GROUP)
            assert writer is not None
            writer.close()
            path.with_suffix(".tmp").rename(path)
    return base, current


# -- measured steps (each in its own process) ------------------------------------------------


def step_bastion_baseline(base: Path, out: Path) -> dict[str, Any]:
    from bastion import monitor

    started, cpu = time.perf_counter(), time.process_time()
    result = monitor.baseline(base)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    monitor.write_statistics(result.statistics, out / "statistics.json")
    monitor.write_constraints(result.constraints, out / "constraints.json")
    return {"seconds": elapsed, "cpu": cpu}


def step_bastion_check(current: Path, out: Path) -> dict[str, Any]:
    from bastion import monitor

    loaded = monitor.read_baseline(out / "statistics.json", out / "constraints.json")
    started, cpu = time.perf_counter(), time.process_time()
    result = monitor.check(current, baseline=loaded)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    verdicts = {
        f.feature: {
            "distance": f.distance,
            "exceeds": f.exceeds,
            "drifted": f.drifted,
            "p_adjusted": f.p_adjusted,
            "effect": f.effect_size,
        }
        for f in result.drift.features
    }
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "verdicts": verdicts,
        "violations": len(result.violations),
    }


def _tree() -> list[int]:
    """This process and its descendants (the JVM, PySpark's daemon and workers), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [os.getpid()]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += parents.get(pid, [])
    return found


def _tree_cpu() -> float:
    """CPU seconds used so far by the live process tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in _tree():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _tree_peak_rss_mb() -> float:
    """The sum of the live tree's peak RSS (VmHWM): an upper bound of its peak together."""
    total = 0
    for pid in _tree():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0
        )
    return total / 1024


def step_spark(base: Path, current: Path, out: Path, repeats: int) -> dict[str, Any]:
    """Baseline and check on Spark ``local[2]`` in one session; statistics written for comparison.

    Reports the JVM start, the first baseline (Python workers start, JIT) and the best of
    ``repeats`` warm baselines and checks; CPU is the whole process tree's (driver, JVM, workers).
    """
    from bastion import monitor
    from bastion.monitor.engine import SparkEngine

    started = time.perf_counter()
    engine = SparkEngine("local[2]", config={"spark.driver.memory": "2g"})
    engine.session.sparkContext.setLogLevel("ERROR")
    start_seconds = time.perf_counter() - started

    def timed(call: Any) -> tuple[float, float, Any]:
        t, cpu = time.perf_counter(), _tree_cpu()
        value = call()
        return time.perf_counter() - t, _tree_cpu() - cpu, value

    cold, _, result = timed(lambda: monitor.baseline(base, engine=engine))
    baselines = [timed(lambda: monitor.baseline(base, engine=engine)) for _ in range(repeats)]
    seconds, cpu, result = min(baselines, key=lambda r: r[0])
    monitor.write_statistics(result.statistics, out / "spark-statistics.json")
    loaded = monitor.read_baseline(out / "statistics.json", out / "constraints.json")
    checks = [
        timed(lambda: monitor.check(current, baseline=loaded, engine=engine))
        for _ in range(repeats)
    ]
    check_seconds, check_cpu, checked = min(checks, key=lambda r: r[0])
    rss = _tree_peak_rss_mb()
    engine.close()
    return {
        "start_seconds": start_seconds,
        "cold_seconds": cold,
        "seconds": seconds,
        "cpu": cpu,
        "check_seconds": check_seconds,
        "check_cpu": check_cpu,
        "tree_rss_mb": rss,
        "verdicts": {f.feature: {"drifted": f.drifted} for f in checked.drift.features},
        "violations": len(checked.violations),
    }


def _bucket_counts(numbers: Any) -> Any:
    import numpy as np

    kll = numbers.distribution.kll if numbers.distribution is not None else None
    return np.array([b.count for b in (kll.buckets or [])] if kll is not None else [])


def compare_statistics(duckdb_file: Path, spark_file: Path) -> str:
    """How far Spark's statistics.json is from DuckDB's: what differs, or the largest gaps."""
    from bastion import monitor

    a, b = monitor.read_statistics(duckdb_file), monitor.read_statistics(spark_file)
    if a.dataset != b.dataset or [f.name for f in a.features] != [f.name for f in b.features]:
        return "datasets differ"
    moments, kll = 0.0, 0.0
    for x, y in zip(a.features, b.features, strict=True):
        if x.inferred_type != y.inferred_type:
            return f"{x.name}: type {x.inferred_type} vs {y.inferred_type}"
        if x.string_statistics is not None and x.string_statistics != y.string_statistics:
            return f"{x.name}: string statistics differ"
        if x.numerical_statistics is not None and y.numerical_statistics is not None:
            p, q = x.numerical_statistics, y.numerical_statistics
            if p.common != q.common:
                return f"{x.name}: counts differ"
            for key in ("mean", "sum", "std_dev", "min", "max"):
                u, v = getattr(p, key), getattr(q, key)
                moments = max(moments, abs(u - v) / max(abs(u), abs(v), 1e-300))
            shares = [_bucket_counts(r) / max(p.common.num_present, 1) for r in (p, q)]
            if len(shares[0]) == len(shares[1]):
                kll = max(kll, float(abs(shares[0] - shares[1]).max(initial=0.0)))
    return (
        f"types, counts, categorical buckets and distinct counts equal; moments within "
        f"{moments:.1e} (relative); KLL bucket shares within {kll:.4f}"
    )


def step_numpy_floor(base: Path, out: Path) -> dict[str, Any]:
    """Exact statistics in plain NumPy on a PyArrow read: what a profile computes, done exactly.

    Per number column count, sum, mean, std-dev, min, max, a 10-bin histogram and exact deciles;
    per text column the value counts.
    """
    import numpy as np
    import pyarrow.parquet as pq

    started, cpu = time.perf_counter(), time.process_time()
    table = pq.read_table(base)
    read_seconds, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    stats: dict[str, Any] = {}
    for name in table.column_names:
        column = table.column(name)
        if column.null_count:
            column = column.drop_null()
        if name.startswith("n"):
            values = column.to_numpy().astype(np.float64)
            stats[name] = (
                len(values),
                values.sum(),
                values.mean(),
                values.std(),
                values.min(),
                values.max(),
                np.histogram(values, 10)[0],
                np.quantile(values, np.linspace(0, 1, 11)),
            )
        else:
            stats[name] = np.bincount(column.combine_chunks().dictionary_encode().indices)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "read_seconds": read_seconds,
        "read_cpu": read_cpu,
    }


def step_scipy_drift(base: Path, current: Path) -> dict[str, Any]:
    """SciPy's exact two-sample tests on the raw columns (KS for numbers, chi-square for text)."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from scipy import stats

    started, cpu = time.perf_counter(), time.process_time()
    a, b = pq.read_table(base), pq.read_table(current)
    pvalues: dict[str, float] = {}
    for name in a.column_names:
        if name.startswith("n"):
            pvalues[name] = float(
                stats.ks_2samp(
                    a.column(name).drop_null().to_numpy(), b.column(name).drop_null().to_numpy()
                ).pvalue
            )
        else:
            ca, cb = (
                pc.value_counts(a.column(name).drop_null()),
                pc.value_counts(b.column(name).drop_null()),
            )
            counts_a = dict(
                zip(ca.field("values").to_pylist(), ca.field("counts").to_pylist(), strict=True)
            )
            counts_b = dict(
                zip(cb.field("values").to_pylist(), cb.field("counts").to_pylist(), strict=True)
            )
            keys = sorted(set(counts_a) | set(counts_b))
            table = np.array(
                [[counts_a.get(k, 0) for k in keys], [counts_b.get(k, 0) for k in keys]]
            )
            pvalues[name] = float(stats.chi2_contingency(table, correction=False).pvalue)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    adjusted = stats.false_discovery_control(list(pvalues.values()), method="bh")
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "flagged": sorted(n for n, q in zip(pvalues, adjusted, strict=True) if q < 0.05),
    }


# -- peers (run inside their own virtualenvs) --------------------------------------------------


PEER_SCRIPTS = {
    "whylogs": """
import time, json, pandas as pd, whylogs as why
t, c0 = time.perf_counter(), time.process_time()
df = pd.read_parquet({base!r}); why.log(pandas=df).view()
seconds, cpu = time.perf_counter() - t, time.process_time() - c0
print(json.dumps({{"seconds": seconds, "cpu": cpu}}))
""",
    "evidently-summary": """
import time, json, pandas as pd
from evidently import Report
from evidently.presets import DataSummaryPreset
t, c0 = time.perf_counter(), time.process_time()
df = pd.read_parquet({base!r})
Report([DataSummaryPreset()]).run(current_data=df, reference_data=None)
seconds, cpu = time.perf_counter() - t, time.process_time() - c0
print(json.dumps({{"seconds": seconds, "cpu": cpu}}))
""",
    "evidently-drift": """
import time, json, pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
t, c0 = time.perf_counter(), time.process_time()
a = pd.read_parquet({base!r}); b = pd.read_parquet({current!r})
snapshot = Report([DataDriftPreset()]).run(current_data=b, reference_data=a)
seconds, cpu = time.perf_counter() - t, time.process_time() - c0
values, flagged = {{}}, []
for metric in snapshot.dict()["metrics"]:
    config = metric.get("config", {{}})
    if config.get("type") == "evidently:metric_v2:ValueDrift":
        value, threshold = float(metric["value"]), float(config["threshold"])
        values[config["column"]] = value
        p_value = "p_value" in config.get("method", "")
        if (value < threshold) if p_value else (value >= threshold):
            flagged.append(config["column"])
flagged.sort()
print(json.dumps({{"seconds": seconds, "cpu": cpu, "flagged": flagged, "values": values}}))
""",
    "alibi": """
import time, json, numpy as np, pandas as pd
from alibi_detect.cd import KSDrift
t, c0 = time.perf_counter(), time.process_time()
a = pd.read_parquet({base!r}); b = pd.read_parquet({current!r})
numeric = [c for c in a.columns if c.startswith("n")]
x_ref = a[numeric].fillna(0).to_numpy(np.float32); x = b[numeric].fillna(0).to_numpy(np.float32)
result = KSDrift(x_ref, p_val=0.05, correction="fdr").predict(x, drift_type="feature")
seconds, cpu = time.perf_counter() - t, time.process_time() - c0
flagged = sorted(c for c, d in zip(numeric, result["data"]["is_drift"]) if d)
print(json.dumps({{"seconds": seconds, "cpu": cpu, "flagged": flagged}}))
""",
}


def peer_python(peer: str) -> Path:
    venv = Path("/tmp") / f"bastion-peer-{peer}"
    python = venv / "bin" / "python"
    if not python.exists():
        uv = ROOT / ".venv" / "bin" / "uv"
        subprocess.run([str(uv), "venv", "--python", "3.11", str(venv)], check=True)
        subprocess.run(
            [str(uv), "pip", "install", "--python", str(python), *PEERS[peer]], check=True
        )
    return python


def run_peer(name: str, base: Path, current: Path) -> dict[str, Any]:
    peer = name.split("-")[0]
    script = PEER_SCRIPTS[name].format(base=str(base), current=str(current))
    try:
        child = run_child([str(peer_python(peer)), "-c", script])
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        return {"error": str(exc)[:160]}
    return {**child.data, "rss_mb": child.peak_rss_bytes / MIB}


# -- driver -----------------------------------------------------------------------------------


def run_step(step: str, base: Path, current: Path, out: Path, repeats: int = 1) -> dict[str, Any]:
    child = run_child(
        [
            python(),
            str(HERE),
            "--step",
            step,
            "--base",
            str(base),
            "--current",
            str(current),
            "--out",
            str(out),
            "--repeats",
            str(repeats),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return {**child.data, "rss_mb": child.peak_rss_bytes / MIB}


def best(step: str, repeats: int, base: Path, current: Path, out: Path) -> dict[str, Any]:
    runs = [run_step(step, base, current, out) for _ in range(repeats)]
    return min(runs, key=lambda r: r["seconds"])


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/bastion-bench-monitor"))
    parser.add_argument("--peers", action="store_true", help="also run the peer tools")
    parser.add_argument("--write", action="store_true", help="rewrite RESULTS.md's section")
    parser.add_argument("--spark", action="store_true", help="also run the Spark engine")
    parser.add_argument(
        "--spark-only", action="store_true", help="only DuckDB and Spark, side by side (no write)"
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--current", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        steps = {
            "bastion-baseline": lambda: step_bastion_baseline(args.base, args.out),
            "bastion-check": lambda: step_bastion_check(args.current, args.out),
            "numpy-floor": lambda: step_numpy_floor(args.base, args.out),
            "scipy-drift": lambda: step_scipy_drift(args.base, args.current),
            "spark": lambda: step_spark(args.base, args.current, args.out, args.repeats),
        }
        report(**steps[args.step]())
        return 0

    base, current = ensure_data(args.data_dir, args.rows)
    for path in (base, current):  # every step starts from a warm page cache
        with path.open("rb") as data:
            while data.read(1 << 24):
                pass
    out = args.data_dir / f"baseline-{args.rows}"
    out.mkdir(exist_ok=True)
    load_before = _load()
    if args.spark_only:
        return spark_side_by_side(args, base, current, out, load_before)
    floor = best("numpy-floor", args.repeats, base, current, out)
    baseline = best("bastion-baseline", args.repeats, base, current, out)
    checked = best("bastion-check", args.repeats, base, current, out)
    scipy = best("scipy-drift", 1, base, current, out)
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("profile", "plain NumPy exact statistics (the floor)", floor),
        ("profile", "**Bastion baseline** (statistics.json + constraints.json)", baseline),
        ("drift", "**Bastion check** (profile + every check + drift statistics)", checked),
        ("drift", "SciPy `ks_2samp` + `chi2_contingency` on the raw columns", scipy),
    ]
    if args.peers:
        for name, task, label in (
            ("whylogs", "profile", "whylogs 1.6.4 `why.log(pandas=df)`"),
            ("evidently-summary", "profile", "Evidently 0.7.23 `DataSummaryPreset`"),
            ("evidently-drift", "drift", "Evidently 0.7.23 `DataDriftPreset`"),
            ("alibi", "drift", "alibi-detect 0.13 `KSDrift` (numeric columns)"),
        ):
            rows.append((task, label, run_peer(name, base, current)))

    spark_lines = ""
    if args.spark:
        spark_rows, spark_lines = spark_results(args, base, current, out, baseline, checked)
        rows += spark_rows

    table = []
    for task, label, result in rows:
        if "error" in result:
            table.append((task, label, f"failed: {result['error']}", "", "", ""))
            continue
        ours = baseline if task == "profile" else checked
        table.append(
            (
                task,
                label,
                f"{result['seconds']:.2f}",
                f"{result['cpu']:.2f}",
                f"{result['rss_mb']:.0f}",
                f"{result['seconds'] / ours['seconds']:.1f}x",
            )
        )
    verdicts = []
    for name, v in checked["verdicts"].items():
        verdicts.append(
            (
                name,
                "yes" if name in DRIFTED else "",
                f"{v['distance']:.4f}",
                "drift" if v["distance"] >= 0.1 else "",
                f"{v['p_adjusted']:.2g}",
                f"{v['effect']:.4f}",
                "**drift**" if v["drifted"] else "",
                "drift" if name in scipy["flagged"] else "",
            )
        )
    flagged = sorted(n for n, v in checked["verdicts"].items() if v["drifted"])
    linf = sorted(n for n, v in checked["verdicts"].items() if v["distance"] >= 0.1)
    others = [
        f"- {label}: {result['flagged']}"
        for task, label, result in rows
        if task == "drift" and "flagged" in result and not label.startswith(("**", "SciPy"))
    ]
    command = "python benchmarks/bench_monitor.py" + (" --peers" if args.peers else "")
    command += " --spark" if args.spark else ""
    body = f"""
{args.rows:,} rows x 25 columns (20 numeric, 5 categorical; 1 % missing in three columns),
Parquet with {ROW_GROUP:,}-row groups; the current file has four columns drifted on purpose
({", ".join(DRIFTED)}). Each step runs in its own process on a warm page cache; time includes
reading the file (not interpreter start-up); peak RSS is the child's. Best of {
        args.repeats
    }. Machine: {machine()},
shared with other jobs (load average {load_before} before the run). Reproduce:
`{command} --rows {args.rows} --repeats {args.repeats} --write`.

{markdown_table(["task", "tool", "wall (s)", "CPU (s)", "peak RSS (MB)", "wall vs Bastion"], table)}

- Bastion baseline / NumPy floor: **{baseline["seconds"] / floor["seconds"]:.2f}x** wall,
  {baseline["cpu"] / floor["cpu"]:.2f}x CPU (target <= 2x); baseline {baseline["seconds"]:.2f} s
  wall, {baseline["cpu"]:.2f} CPU-seconds on 2 cores (target <= 1.5 s at 1 M rows). Of the
  floor, reading the file into memory took {floor["read_seconds"]:.2f} s wall /
  {floor["read_cpu"]:.2f} CPU-s (this VM pays dearly for touching fresh memory; Bastion streams
  the file in bounded batches), the statistics {floor["seconds"] - floor["read_seconds"]:.2f} s /
  {floor["cpu"] - floor["read_cpu"]:.2f} CPU-s.
- Drift verdicts, drifted on purpose {sorted(DRIFTED)}: calibrated verdict {flagged};
  SageMaker's L-inf >= 0.1 rule {linf}; SciPy + Benjamini-Hochberg {scipy["flagged"]}.
{chr(10).join(others)}
{spark_lines}

{
        markdown_table(
            [
                "column",
                "drifted on purpose",
                "SageMaker distance",
                "L-inf >= 0.1",
                "BH-adjusted p",
                "effect",
                "calibrated verdict",
                "SciPy + BH",
            ],
            verdicts,
        )
    }
"""
    print(body)
    if args.write:
        update_section("Data-quality monitoring", body)
    return 0 if flagged == sorted(DRIFTED) else 1


def spark_results(
    args: argparse.Namespace,
    base: Path,
    current: Path,
    out: Path,
    duckdb_baseline: dict[str, Any],
    duckdb_check: dict[str, Any],
) -> tuple[list[tuple[str, str, dict[str, Any]]], str]:
    """Run the Spark step; its table rows and a line comparing its results with DuckDB's."""
    spark = run_step("spark", base, current, out, args.repeats)
    rows = [
        (
            "profile",
            "Bastion baseline on **Spark** `local[2]` (warm session)",
            {"seconds": spark["seconds"], "cpu": spark["cpu"], "rss_mb": spark["tree_rss_mb"]},
        ),
        (
            "drift",
            "Bastion check on **Spark** `local[2]` (warm session)",
            {
                "seconds": spark["check_seconds"],
                "cpu": spark["check_cpu"],
                "rss_mb": spark["tree_rss_mb"],
            },
        ),
    ]
    same_verdicts = {n: v["drifted"] for n, v in spark["verdicts"].items()} == {
        n: v["drifted"] for n, v in duckdb_check["verdicts"].items()
    }
    line = (
        f"- Spark `local[2]`: JVM start {spark['start_seconds']:.1f} s, first baseline (Python "
        f"workers start) {spark['cold_seconds']:.1f} s, then {spark['seconds']:.2f} s "
        f"({spark['seconds'] / duckdb_baseline['seconds']:.1f}x DuckDB's "
        f"{duckdb_baseline['seconds']:.2f} s); check {spark['check_seconds']:.2f} s vs "
        f"{duckdb_check['seconds']:.2f} s. CPU and RSS for Spark are the whole process tree's "
        f"(driver, JVM, Python workers; RSS summed peaks). Results against DuckDB's: "
        f"{compare_statistics(out / 'statistics.json', out / 'spark-statistics.json')}; "
        f"drift verdicts {'equal' if same_verdicts else 'DIFFER'}, "
        f"{spark['violations']} vs {duckdb_check['violations']} violations."
    )
    return rows, line


def spark_side_by_side(
    args: argparse.Namespace, base: Path, current: Path, out: Path, load_before: str
) -> int:
    """DuckDB and Spark only, one after the other: rows to add to RESULTS.md by hand."""
    duckdb_baseline = best("bastion-baseline", args.repeats, base, current, out)
    duckdb_check = best("bastion-check", args.repeats, base, current, out)
    rows, line = spark_results(args, base, current, out, duckdb_baseline, duckdb_check)
    rows = [
        ("profile", "**Bastion baseline** (DuckDB)", duckdb_baseline),
        ("drift", "**Bastion check** (DuckDB)", duckdb_check),
        *rows,
    ]
    reference = {"profile": duckdb_baseline, "drift": duckdb_check}
    table = [
        (
            task,
            label,
            f"{r['seconds']:.2f}",
            f"{r['cpu']:.2f}",
            f"{r['rss_mb']:.0f}",
            f"{r['seconds'] / reference[task]['seconds']:.1f}x",
        )
        for task, label, r in rows
    ]
    print(
        f"{args.rows:,} rows, best of {args.repeats}, load average {load_before} before, "
        f"{_load()} after. `python benchmarks/bench_monitor.py --spark-only --rows {args.rows} "
        f"--repeats {args.repeats}`\n"
    )
    print(
        markdown_table(["task", "tool", "wall (s)", "CPU (s)", "peak RSS (MB)", "vs DuckDB"], table)
    )
    print()
    print(line)
    same = {n: v["drifted"] for n, v in duckdb_check["verdicts"].items()}
    return (
        0
        if "DIFFER" not in line and sorted(n for n, d in same.items() if d) == sorted(DRIFTED)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
