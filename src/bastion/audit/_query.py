"""SQL over the trail with DuckDB: the records become an ``events`` view with flat columns.

DuckDB cannot download its sqlite/postgres scanners here, so the records (filtered by time in the
metadata database first) are loaded into an Arrow table and the view is built over it; the
columns are extracted from the stored JSON by DuckDB itself. Only one read-only query is run:
anything but a single SELECT (or WITH … SELECT) is refused, file access and extension loading are
disabled and the configuration is locked, so a query can read the trail and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from bastion.audit._models import QueryResult
from bastion.errors import Invalid

OPERATION = "StartQuery"
EXPECTED_SQL = "one read-only SELECT (or WITH … SELECT) statement over the 'events' view"

#: the columns of the ``events`` view, as DuckDB expressions over the parsed record ``r``
COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "seq"),
    ("event_time", "strptime(r->>'$.eventTime', '%Y-%m-%dT%H:%M:%SZ')"),
    ("event_id", "r->>'$.eventID'"),
    ("event_name", "r->>'$.eventName'"),
    ("event_source", "r->>'$.eventSource'"),
    ("event_type", "r->>'$.eventType'"),
    ("event_category", "r->>'$.eventCategory'"),
    ("read_only", "CAST(r->'$.readOnly' AS BOOLEAN)"),
    ("user_arn", "r->>'$.userIdentity.arn'"),
    ("user_type", "r->>'$.userIdentity.type'"),
    ("user_name", "r->>'$.userIdentity.userName'"),
    ("account_id", "r->>'$.userIdentity.accountId'"),
    ("access_key_id", "r->>'$.userIdentity.accessKeyId'"),
    ("aws_region", "r->>'$.awsRegion'"),
    ("source_ip", "r->>'$.sourceIPAddress'"),
    ("user_agent", "r->>'$.userAgent'"),
    ("error_code", "r->>'$.errorCode'"),
    ("error_message", "r->>'$.errorMessage'"),
    ("request_id", "r->>'$.requestID'"),
    ("resources", "r->'$.resources'"),
    ("request_parameters", "r->'$.requestParameters'"),
    ("response_elements", "r->'$.responseElements'"),
    ("record", "r"),
)

_VIEW = (
    "CREATE VIEW events AS SELECT "
    + ", ".join(f"{expr} AS {name}" for name, expr in COLUMNS)
    + " FROM (SELECT seq, CAST(record AS JSON) AS r FROM trail_records)"
)

_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


def check_read_only(sql: str) -> None:
    """Refuse anything but one SELECT / WITH statement, with a clear error."""
    if not isinstance(sql, str) or not sql.strip():
        raise Invalid("sql", got=sql, expected=EXPECTED_SQL, operation=OPERATION)
    import duckdb  # here, not at module level: only queries pay for loading DuckDB

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise Invalid(
            "sql", got=_first_line(exc), expected=EXPECTED_SQL, operation=OPERATION
        ) from exc
    kinds = [str(s.type).rsplit(".", 1)[-1] for s in statements]
    if kinds != ["SELECT"]:
        shown = ", ".join(kinds) or "no statement"
        raise Invalid("sql", got=shown, expected=EXPECTED_SQL, operation=OPERATION)


def run_query(
    sql: str,
    seqs: Sequence[int],
    records: Sequence[str],
    *,
    max_rows: int,
    timeout_seconds: float,
) -> QueryResult:
    """Run ``sql`` against the given records; at most ``max_rows`` rows come back."""
    check_read_only(sql)
    import duckdb
    import pyarrow as pa

    table = pa.table({"seq": pa.array(seqs, pa.int64()), "record": pa.array(records, pa.string())})
    con = duckdb.connect(":memory:", config=_CONFIG)
    timer = threading.Timer(timeout_seconds, con.interrupt)
    try:
        con.register("trail_records", table)
        con.execute(_VIEW)
        timer.start()
        cursor = con.execute(sql)
        columns = tuple(d[0] for d in cursor.description or ())
        rows: list[tuple[Any, ...]] = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException as exc:
        raise Invalid(
            "sql",
            got=f"a query still running after {timeout_seconds:g} s",
            expected="a query that finishes in time (narrow it with start/end)",
            operation=OPERATION,
        ) from exc
    except duckdb.Error as exc:
        raise Invalid(
            "sql", got=_first_line(exc), expected=EXPECTED_SQL, operation=OPERATION
        ) from exc
    finally:
        timer.cancel()
        con.close()
    return QueryResult(
        columns=columns,
        rows=tuple(tuple(r) for r in rows[:max_rows]),
        records_loaded=len(records),
        truncated=len(rows) > max_rows,
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
