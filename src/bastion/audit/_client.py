"""The SDK face of the audit trail: every operation goes through the gate.

The gate records these calls in the trail too (a lookup or a verify leaves its own record after
it ran), as CloudTrail records LookupEvents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bastion.access import PARTITION, Principal
from bastion.audit import _actions  # noqa: F401  (declares the cloudtrail:* actions)
from bastion.audit._export import redact_url
from bastion.audit._models import (
    DigestInfo,
    ExportResult,
    LookupResult,
    QueryResult,
    VerifyReport,
)
from bastion.audit._trail import AuditTrail
from bastion.clock import iso_z
from bastion.gate import Gate, RequestContext
from bastion.settings import Settings
from bastion.types import AccountId

T = TypeVar("T")
TRAIL_NAME = "bastion"


class AuditRuntime(Protocol):
    """What the audit client needs from :class:`bastion._runtime.Runtime`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def trail(self) -> AuditTrail: ...

    @property
    def principal(self) -> Principal: ...


class AuditClient:
    """Look up, verify, query, export and digest the trail, as one principal."""

    def __init__(self, runtime: AuditRuntime) -> None:
        self.runtime = runtime

    @property
    def trail_arn(self) -> str:
        """The ARN of the installation's one trail (the resource of every audit action)."""
        r = self.runtime
        return f"arn:{PARTITION}:cloudtrail:{r.settings.region}:{r.account_id}:trail/{TRAIL_NAME}"

    def _call(
        self,
        action: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        *,
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        return self.runtime.gate.call(
            self.runtime.principal,
            action,
            self.trail_arn,
            params,
            handler,
            context=context,
            respond=respond,
        )

    def lookup(
        self,
        *,
        event_name: str | None = None,
        user: str | None = None,
        resource: str | None = None,
        event_source: str | None = None,
        access_key: str | None = None,
        read_only: bool | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        max_results: int = 50,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> LookupResult:
        """Events matching every given filter, newest first (see :meth:`AuditTrail.lookup`)."""
        attributes = [
            {"attributeKey": key, "attributeValue": value}
            for key, value in (
                ("EventName", event_name),
                ("Username" if not str(user).startswith("arn:") else "UserArn", user),
                ("ResourceName", resource),
                ("EventSource", event_source),
                ("AccessKeyId", access_key),
                ("ReadOnly", None if read_only is None else str(read_only).lower()),
            )
            if value is not None
        ]
        params: dict[str, Any] = {"lookupAttributes": attributes, "maxResults": max_results}
        params.update(_times(start, end))
        if next_token is not None:
            params["nextToken"] = next_token
        return self._call(
            "cloudtrail:LookupEvents",
            params,
            lambda: self.runtime.trail.lookup(
                event_name=event_name,
                user=user,
                resource=resource,
                event_source=event_source,
                access_key=access_key,
                read_only=read_only,
                start=start,
                end=end,
                max_results=max_results,
                next_token=next_token,
            ),
            context=context,
        )

    def verify(self, *, context: RequestContext | None = None) -> VerifyReport:
        """Check the chain and the digests (see :meth:`AuditTrail.verify`)."""
        return self._call(
            "cloudtrail:ValidateLogs",
            {},
            self.runtime.trail.verify,
            context=context,
            respond=lambda r: {
                "ok": r.ok,
                "recordsChecked": r.records_checked,
                "digestsChecked": r.digests_checked,
                "firstBadEventId": r.first_bad_event_id,
            },
        )

    def query(
        self,
        sql: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        max_rows: int = 10_000,
        context: RequestContext | None = None,
    ) -> QueryResult:
        """Run one read-only DuckDB SELECT over the ``events`` view (see AuditTrail.query)."""
        params: dict[str, Any] = {"queryStatement": sql, **_times(start, end)}
        return self._call(
            "cloudtrail:StartQuery",
            params,
            lambda: self.runtime.trail.query(sql, start=start, end=end, max_rows=max_rows),
            context=context,
        )

    def export(
        self,
        destination: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        storage_options: Mapping[str, Any] | None = None,
        context: RequestContext | None = None,
    ) -> ExportResult:
        """Write CloudTrail log and digest files under ``destination`` (a folder or URL)."""
        params: dict[str, Any] = {"destination": redact_url(str(destination)), **_times(start, end)}
        return self._call(
            "cloudtrail:ExportEvents",
            params,
            lambda: self.runtime.trail.export(
                destination,
                account_id=self.runtime.account_id,
                storage_options=storage_options,
                start=start,
                end=end,
            ),
            context=context,
            respond=lambda r: {
                "records": r.records,
                "logFiles": len(r.log_files),
                "digestFiles": len(r.digest_files),
            },
        )

    def create_digest(self, *, context: RequestContext | None = None) -> DigestInfo:
        """Sign a digest of the records since the previous digest now."""
        return self._call(
            "cloudtrail:CreateDigest",
            {},
            self.runtime.trail.create_digest,
            context=context,
            respond=lambda d: {
                "digestNumber": d.number,
                "startSequence": d.start_seq,
                "endSequence": d.end_seq,
            },
        )


def _times(start: datetime | None, end: datetime | None) -> dict[str, str]:
    times = {}
    if isinstance(start, datetime):
        times["startTime"] = iso_z(start)
    if isinstance(end, datetime):
        times["endTime"] = iso_z(end)
    return times
