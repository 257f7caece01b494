"""Shared helpers for the benchmarks: one measurement per child process, medians, tables.

Each measurement runs in its own Python process (:func:`run_child`) so that its peak RSS belongs
to it alone; the child reports its own timing as one JSON line on stdout (:func:`report`), which
keeps interpreter start-up and imports out of the figures. :func:`update_section` rewrites one
``## `` section of ``benchmarks/RESULTS.md`` and leaves the other sections as they are.
"""

from __future__ import annotations

import json
import os
import platform
import re
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MIB = 1 << 20


@dataclass(frozen=True, kw_only=True)
class ChildRun:
    """What one child process reported, with its wall time and peak resident memory."""

    data: dict[str, Any]
    wall_s: float
    peak_rss_bytes: int


def run_child(argv: Sequence[str], *, env: dict[str, str] | None = None) -> ChildRun:
    """Run ``argv``, parse the last JSON line of its stdout, and measure the child's peak RSS.

    Peak RSS comes from ``wait4``'s ``ru_maxrss`` of that child alone (what ``/usr/bin/time -v``
    prints as "Maximum resident set size").
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(argv)} printed no JSON result")
    return ChildRun(data=json.loads(lines[-1]), wall_s=wall, peak_rss_bytes=usage.ru_maxrss * 1024)


def report(**values: Any) -> None:
    """Print the child's result as one JSON line (read back by :func:`run_child`)."""
    print(json.dumps(values), flush=True)


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """``with timed() as t: ...`` then ``t["seconds"]`` holds the elapsed wall time."""
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def mb_per_s(nbytes: int, seconds: float) -> float:
    """Throughput in MB/s (10**6 bytes per second), the unit ``openssl speed`` uses."""
    return nbytes / seconds / 1e6


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line describing the machine and the versions, for the results file."""
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    return (
        f"{cpus} vCPU, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {ssl.OPENSSL_VERSION}"
    )


def update_section(heading: str, body: str, path: Path = RESULTS) -> None:
    """Replace the ``## heading`` section of the results file (or append it) with ``body``."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def python() -> str:
    """The interpreter running the benchmark, for child processes."""
    return sys.executable
