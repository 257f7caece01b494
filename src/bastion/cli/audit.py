"""`bastion audit …`: look up, verify, query, export and digest the trail (one SDK call each)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import Any

import typer

from bastion.audit import LookupResult, TrailEvent, VerifyReport
from bastion.cli._common import JsonOption, console, emit, session, to_jsonable
from bastion.errors import Invalid

app = typer.Typer(
    help="The audit trail: lookup, verify (tamper check), SQL query, export, digest.",
    no_args_is_help=True,
)

LOOKUP_COLUMNS = ["time", "event", "source", "user", "resource", "error", "event_id"]
StartOption = typer.Option(
    None, "--start", help="Only events at or after this UTC time (2026-01-31T12:00:00Z or a date)."
)
EndOption = typer.Option(
    None, "--end", help="Only events at or before this UTC time (2026-01-31T12:00:00Z or a date)."
)


def parse_time(text: str | None, *, field: str) -> datetime | None:
    """An ISO-8601 time or date; without a zone it is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise Invalid(
                field, got=text, expected="an ISO-8601 time such as 2026-01-31T12:00:00Z"
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@app.command()
def lookup(
    event_name: str | None = typer.Option(None, "--event-name", help="e.g. Decrypt, PutObject."),
    user: str | None = typer.Option(None, "--user", help="A user name or a principal ARN."),
    resource: str | None = typer.Option(None, "--resource", help="A resource ARN."),
    source: str | None = typer.Option(None, "--source", help="Event source, e.g. kms or s3."),
    access_key: str | None = typer.Option(None, "--access-key", help="An access key id."),
    read_only: bool | None = typer.Option(
        None, "--read-only/--writes", help="Only reads, or only writes."
    ),
    start: str | None = StartOption,
    end: str | None = EndOption,
    max_results: int = typer.Option(50, "--max", help="At most this many events (1-1000)."),
    next_token: str | None = typer.Option(None, "--next-token", help="Continue a lookup."),
    as_json: bool = JsonOption,
) -> None:
    """Find audit events, newest first (like CloudTrail LookupEvents).

    Example: bastion audit lookup --event-name Decrypt --user alice --start 2026-01-01 --max 20
    """
    with session() as client:
        result = client.audit.lookup(
            event_name=event_name,
            user=user,
            resource=resource,
            event_source=source,
            access_key=access_key,
            read_only=read_only,
            start=parse_time(start, field="start"),
            end=parse_time(end, field="end"),
            max_results=max_results,
            next_token=next_token,
        )
    if as_json:
        _write_json(_lookup_json(result))
        return
    emit([_row(e) for e in result.events], as_json=False, columns=LOOKUP_COLUMNS, title="events")
    if result.next_token:
        console.print(f"more events: --next-token {result.next_token}", highlight=False)


@app.command()
def verify(as_json: bool = JsonOption) -> None:
    """Check the hash chain and the signed digests; exit code 1 names the first bad record.

    Example: bastion audit verify
    """
    with session() as client:
        report = client.audit.verify()
    if as_json:
        emit(report, as_json=True)
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def query(
    sql: str = typer.Argument(..., help="One SELECT over the 'events' view."),
    start: str | None = StartOption,
    end: str | None = EndOption,
    max_rows: int = typer.Option(10_000, "--max-rows", help="At most this many rows."),
    as_json: bool = JsonOption,
) -> None:
    """Run a read-only DuckDB SQL query over the trail's 'events' view.

    Columns: seq, event_time, event_id, event_name, event_source, event_type, event_category,
    read_only, user_arn, user_type, user_name, account_id, access_key_id, aws_region,
    source_ip, user_agent, error_code, error_message, request_id, resources,
    request_parameters, response_elements (JSON), record (the whole record, JSON).

    Example: bastion audit query "SELECT user_arn, count(*) AS n FROM events
    WHERE event_name = 'Decrypt' GROUP BY 1 ORDER BY n DESC"
    """
    with session() as client:
        result = client.audit.query(
            sql,
            start=parse_time(start, field="start"),
            end=parse_time(end, field="end"),
            max_rows=max_rows,
        )
    rows = [{c: _plain(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows]
    if as_json:
        _write_json({"columns": list(result.columns), "rows": rows, "truncated": result.truncated})
        return
    emit(rows, as_json=False, columns=list(result.columns), title="query")
    if result.truncated:
        console.print(f"only the first {max_rows} rows are shown (--max-rows)", highlight=False)


@app.command()
def export(
    destination: str = typer.Argument(..., help="A folder or an fsspec URL (s3://bucket/prefix)."),
    start: str | None = StartOption,
    end: str | None = EndOption,
    as_json: bool = JsonOption,
) -> None:
    """Write the trail as CloudTrail log files (AWSLogs/…/CloudTrail/…) and digest files.

    Example: bastion audit export ./trail-export --start 2026-01-01
    """
    with session() as client:
        result = client.audit.export(
            destination, start=parse_time(start, field="start"), end=parse_time(end, field="end")
        )
    if as_json:
        emit(result, as_json=True)
        return
    emit(
        {
            "destination": result.destination,
            "records": result.records,
            "log_files": len(result.log_files),
            "digest_files": len(result.digest_files),
        },
        as_json=False,
        title="export",
    )


@app.command()
def digest(as_json: bool = JsonOption) -> None:
    """Sign a digest of the records since the previous digest now (also done hourly).

    Example: bastion audit digest
    """
    with session() as client:
        info = client.audit.create_digest()
    emit(info, as_json=as_json, title="digest")


def _print_report(report: VerifyReport) -> None:
    if report.ok:
        console.print(
            f"[green]intact[/green]: {report.records_checked} records, "
            f"{report.digests_checked} signed digests; {report.unsigned_records} records after "
            "the newest digest",
            highlight=False,
        )
        return
    console.print(
        f"[red]TAMPERED[/red]: first bad eventID {report.first_bad_event_id} "
        f"(seq {report.first_bad_seq})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(report.problem or "", highlight=False, soft_wrap=True)


def _row(event: TrailEvent) -> dict[str, Any]:
    return {
        "time": event.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "event": event.event_name,
        "source": event.event_source.removesuffix(".amazonaws.com"),
        "user": event.username or event.user_arn,
        "resource": ", ".join(r.arn for r in event.resources),
        "error": event.error_code,
        "event_id": event.event_id,
    }


def _lookup_json(result: LookupResult) -> dict[str, Any]:
    """CloudTrail's LookupEvents response shape."""
    events = [
        {
            "EventId": e.event_id,
            "EventName": e.event_name,
            "ReadOnly": str(e.read_only).lower(),
            "AccessKeyId": e.access_key_id,
            "EventTime": e.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "EventSource": e.event_source,
            "Username": e.username,
            "Resources": [{"ResourceType": r.type, "ResourceName": r.arn} for r in e.resources],
            "CloudTrailEvent": e.record,
        }
        for e in result.events
    ]
    return {"Events": events, "NextToken": result.next_token}


def _plain(value: Any) -> Any:
    """A query value as JSON allows (DuckDB gives datetimes, decimals, lists …)."""
    value = to_jsonable(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def _write_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
