"""SQL over the trail: the flat ``events`` view; only one read-only SELECT, nothing else."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from audit_helpers import fill, make_event

from bastion.audit import AuditTrail
from bastion.audit._query import COLUMNS, EXPECTED_SQL, check_read_only
from bastion.errors import Invalid
from bastion.testing import FrozenClock


def test_events_view_has_flat_typed_columns(trail: AuditTrail, clock: FrozenClock) -> None:
    event = make_event(clock, error_code="AccessDenied", access_key="AKIAALICE")
    trail.append(event)
    result = trail.query("SELECT * FROM events")
    assert result.columns == tuple(name for name, _ in COLUMNS)
    assert result.records_loaded == 1 and not result.truncated
    row = dict(zip(result.columns, result.rows[0], strict=True))
    assert row["seq"] == 1
    assert row["event_time"] == datetime(2026, 1, 1)
    assert row["event_name"] == "Decrypt" and row["event_source"] == "kms.amazonaws.com"
    assert row["user_arn"] == event["userIdentity"]["arn"] and row["user_type"] == "IAMUser"
    assert row["account_id"] == "111122223333" and row["access_key_id"] == "AKIAALICE"
    assert row["source_ip"] == "127.0.0.1" and row["user_agent"] == "bastion-sdk/0.1"
    assert row["error_code"] == "AccessDenied" and row["error_message"] == "refused"
    assert row["read_only"] is True and row["event_category"] == "Management"
    assert json.loads(row["resources"]) == event["resources"]
    assert json.loads(row["request_parameters"]) == event["requestParameters"]
    assert json.loads(row["response_elements"]) is None
    assert row["event_id"] == event["eventID"]
    assert json.loads(row["record"]) == event


def test_aggregates_and_json_functions(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 3)
    fill(trail, clock, 2, name="PutObject", source="s3.amazonaws.com", read_only=False)
    result = trail.query(
        "WITH c AS (SELECT event_name, count(*) AS n FROM events GROUP BY 1) "
        "SELECT event_name, n FROM c ORDER BY n DESC"
    )
    assert result.columns == ("event_name", "n")
    assert result.rows == (("Decrypt", 3), ("PutObject", 2))
    (row,) = trail.query(
        "SELECT resources->>'$[0].ARN' FROM events WHERE NOT read_only LIMIT 1"
    ).rows
    assert row[0].startswith("arn:bastion:kms:")


def test_time_range_limits_what_is_loaded(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 5)
    start = datetime.fromisoformat("2026-01-01T00:00:01+00:00")
    end = datetime.fromisoformat("2026-01-01T00:00:03+00:00")
    result = trail.query("SELECT min(seq), max(seq) FROM events", start=start, end=end)
    assert result.records_loaded == 3 and result.rows == ((2, 4),)


def test_max_rows_truncates(trail: AuditTrail, clock: FrozenClock) -> None:
    fill(trail, clock, 4)
    result = trail.query("SELECT seq FROM events ORDER BY seq", max_rows=2)
    assert result.rows == ((1,), (2,)) and result.truncated


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM events",
        "INSERT INTO events VALUES (1)",
        "UPDATE events SET seq = 1",
        "DROP VIEW events",
        "CREATE TABLE x AS SELECT 1",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP VIEW events",
        "ATTACH 'x.db'",
        "COPY events TO 'out.csv'",
        "INSTALL sqlite",
        "LOAD sqlite",
        "PRAGMA version",
        "SET enable_external_access = true",
        "EXPLAIN SELECT 1",
        "CALL pragma_version()",
        "",
        "   ",
    ],
)
def test_anything_but_one_select_is_refused(sql: str) -> None:
    with pytest.raises(Invalid) as info:
        check_read_only(sql)
    assert info.value.field == "sql"
    assert EXPECTED_SQL in info.value.message
    assert "StartQuery" in info.value.message


def test_the_trail_refuses_before_loading_anything(trail: AuditTrail) -> None:
    with pytest.raises(Invalid, match="INSERT"):
        trail.query("INSERT INTO events VALUES (1)")


def test_files_cannot_be_read(trail: AuditTrail, clock: FrozenClock, tmp_path: Path) -> None:
    secret = tmp_path / "root.key"
    secret.write_text("do not read")
    for sql in (
        f"SELECT * FROM read_text('{secret}')",
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM '{secret}'",
        f"SELECT * FROM glob('{tmp_path}/*')",
    ):
        with pytest.raises(Invalid) as info:
            trail.query(sql)
        assert "do not read" not in info.value.message


def test_bad_sql_is_a_clear_error(trail: AuditTrail) -> None:
    with pytest.raises(Invalid, match="no_such_column"):
        trail.query("SELECT no_such_column FROM events")
    with pytest.raises(Invalid, match="syntax error"):
        trail.query("SELEC 1")


def test_runaway_query_is_stopped(trail: AuditTrail) -> None:
    with pytest.raises(Invalid, match="still running"):
        trail.query("SELECT count(*) FROM range(1000000000000) a", timeout_seconds=0.2)
