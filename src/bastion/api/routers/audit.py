"""``/audit``: look up, verify, query and digest the trail (CloudTrail semantics).

Each route is one :class:`~bastion.audit.AuditClient` call through the gate, so looking at the
trail leaves its own record. Export writes files where the server runs and is left to the CLI.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from bastion.api._app import AuditDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.audit import TrailEvent

router = APIRouter(prefix="/audit", tags=["audit"], responses=error_responses(403, 409, 422))


class ResourceOut(ResponseModel):
    ResourceName: str
    ResourceType: str | None


class EventOut(ResponseModel):
    EventId: str
    EventName: str
    EventTime: Timestamp
    EventSource: str
    Username: str | None
    AccessKeyId: str | None
    ReadOnly: bool
    ErrorCode: str | None
    Resources: list[ResourceOut]
    CloudTrailEvent: str


class LookupResponse(ResponseModel):
    Events: list[EventOut]
    NextToken: str | None


class VerifyResponse(ResponseModel):
    Ok: bool
    RecordsChecked: int
    DigestsChecked: int
    LastSequence: int
    UnsignedRecords: int
    FirstBadEventId: str | None
    FirstBadSequence: int | None
    Problem: str | None


class QueryBody(RequestModel):
    QueryStatement: str
    StartTime: dt.datetime | None = None
    EndTime: dt.datetime | None = None
    MaxRows: int = 10_000


class QueryResponse(ResponseModel):
    Columns: list[str]
    Rows: list[list[Any]]
    RecordsLoaded: int
    Truncated: bool


class DigestResponse(ResponseModel):
    DigestNumber: int
    StartSequence: int
    EndSequence: int
    RecordCount: int
    EndTime: str
    LastRecordHash: str
    Signature: str
    Fingerprint: str


def _event(event: TrailEvent) -> EventOut:
    return EventOut(
        EventId=event.event_id,
        EventName=event.event_name,
        EventTime=event.event_time,
        EventSource=event.event_source,
        Username=event.username,
        AccessKeyId=event.access_key_id,
        ReadOnly=event.read_only,
        ErrorCode=event.error_code,
        Resources=[ResourceOut(ResourceName=r.arn, ResourceType=r.type) for r in event.resources],
        CloudTrailEvent=event.record,
    )


def _cell(value: Any) -> Any:
    """A DuckDB value as JSON: times as ISO 8601, bytes as base64, non-finite floats as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal | UUID | dt.timedelta):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    return str(value)


@router.get("/events", name="LookupEvents")
def lookup_events(
    audit: AuditDep,
    caller: CallerDep,
    event_name: Annotated[str | None, Query(alias="event-name", max_length=2048)] = None,
    user: Annotated[str | None, Query(max_length=2048)] = None,
    resource: Annotated[str | None, Query(max_length=2048)] = None,
    event_source: Annotated[str | None, Query(alias="event-source", max_length=2048)] = None,
    access_key: Annotated[str | None, Query(alias="access-key", max_length=2048)] = None,
    read_only: Annotated[bool | None, Query(alias="read-only")] = None,
    start_time: Annotated[dt.datetime | None, Query(alias="start-time")] = None,
    end_time: Annotated[dt.datetime | None, Query(alias="end-time")] = None,
    max_results: Annotated[int, Query(alias="max-results")] = 50,
    next_token: Annotated[str | None, Query(alias="next-token", max_length=64)] = None,
) -> LookupResponse:
    """Events matching every given filter, newest first; pass ``NextToken`` back for more.

    ``user`` is an ARN or a user name; times are ISO 8601 with a zone (inclusive).
    """
    result = audit.lookup(
        event_name=event_name,
        user=user,
        resource=resource,
        event_source=event_source,
        access_key=access_key,
        read_only=read_only,
        start=start_time,
        end=end_time,
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return LookupResponse(Events=[_event(e) for e in result.events], NextToken=result.next_token)


@router.post("/verify", name="ValidateLogs")
def verify(audit: AuditDep, caller: CallerDep) -> VerifyResponse:
    """Check the hash chain and the signed digests; names the first bad record."""
    report = audit.verify(context=caller.context)
    return VerifyResponse(
        Ok=report.ok,
        RecordsChecked=report.records_checked,
        DigestsChecked=report.digests_checked,
        LastSequence=report.last_seq,
        UnsignedRecords=report.unsigned_records,
        FirstBadEventId=report.first_bad_event_id,
        FirstBadSequence=report.first_bad_seq,
        Problem=report.problem,
    )


@router.post("/query", name="StartQuery")
def query(body: QueryBody, audit: AuditDep, caller: CallerDep) -> QueryResponse:
    """Run one read-only SQL SELECT (DuckDB) over the ``events`` view of the trail."""
    result = audit.query(
        body.QueryStatement,
        start=body.StartTime,
        end=body.EndTime,
        max_rows=body.MaxRows,
        context=caller.context,
    )
    return QueryResponse(
        Columns=list(result.columns),
        Rows=[[_cell(v) for v in row] for row in result.rows],
        RecordsLoaded=result.records_loaded,
        Truncated=result.truncated,
    )


@router.post("/digests", name="CreateDigest")
def create_digest(audit: AuditDep, caller: CallerDep) -> DigestResponse:
    """Sign a digest of the records since the previous one now."""
    digest = audit.create_digest(context=caller.context)
    return DigestResponse(
        DigestNumber=digest.number,
        StartSequence=digest.start_seq,
        EndSequence=digest.end_seq,
        RecordCount=digest.record_count,
        EndTime=digest.end_time,
        LastRecordHash=digest.last_record_hash,
        Signature=digest.signature_hex,
        Fingerprint=digest.fingerprint,
    )


__all__ = ["router"]
