"""Engines by URL: ``duckdb`` (in-process, the default) or a Spark master."""

from __future__ import annotations

import inspect
from typing import Any

from bastion.errors import Invalid
from bastion.monitor.engine._duckdb import DuckDBEngine
from bastion.monitor.engine._port import Engine
from bastion.monitor.engine._spark import SparkEngine, is_spark_master

_EXPECTED_URL = "duckdb, or a Spark master: local[N], local[*], spark://host:port, yarn, k8s://…"


def _options(
    engine: type[DuckDBEngine] | type[SparkEngine], options: dict[str, Any]
) -> dict[str, Any]:
    accepted = [
        name
        for name, parameter in inspect.signature(engine).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise Invalid(
            "options",
            got=unknown,
            expected=f"options of the {engine.name} engine: {', '.join(accepted)}",
        )
    return options


def engine_from_url(url: str, **options: Any) -> Engine:
    """The engine ``url`` names: ``duckdb``, or a Spark master (``local[2]``, ``spark://h:7077``).

    ``options`` go to the engine's constructor (DuckDB: ``threads``, ``memory_limit``; Spark:
    ``config``, ``session``, ``app_name``); options set to None are left at their defaults.
    """
    given = {k: v for k, v in options.items() if v is not None}
    name = url.strip()
    if name.lower() in ("duckdb", "duckdb:", "duckdb://"):
        return DuckDBEngine(**_options(DuckDBEngine, given))
    if is_spark_master(name):
        return SparkEngine(name, **_options(SparkEngine, given))
    raise Invalid("engine", got=url, expected=_EXPECTED_URL)
