"""Schedules and executions in the database (reached through the gate, via ``MonitorClient``,
and by the scheduler, the monitoring service's own worker).

The scheduler's state lives here, so it survives restarts and is shared by several scheduler
processes:

* ``plan`` turns every scheduled time in ``(planned_through, now]`` of each running schedule into
  a Pending execution — inserted or ignored against the (schedule, scheduled time) unique
  constraint, under the ``monitor.scheduler`` lock — and moves ``planned_through`` to the newest.
  After downtime the missed times are planned once each (at most ``max_catch_up`` of them).
* ``claim`` hands one Pending execution to one worker (compare-and-set on the status, ``SKIP
  LOCKED`` on PostgreSQL), with a lease the worker ``renew``s while it runs; ``finish`` records
  the outcome if the lease still holds.
* ``requeue_abandoned`` gives executions whose worker died (lease expired) back to the queue, or
  fails them with the reason after ``max_attempts``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from bastion.access import PARTITION
from bastion.clock import Clock, aware
from bastion.db import Database
from bastion.errors import Conflict, NotFound
from bastion.monitor._expressions import ScheduleExpression
from bastion.monitor._jobs import (
    DatasetFormat,
    ExecutionPage,
    ExecutionStatus,
    ExecutionSummary,
    MonitoringSchedule,
    ScheduleStatus,
)
from bastion.monitor._tables import monitor_executions, monitor_schedules
from bastion.settings import Settings
from bastion.types import AccountId

log = logging.getLogger(__name__)

SCHEDULER_LOCK = "monitor.scheduler"
DATA_QUALITY = "DataQuality"


def processing_job_arn(region: str, account_id: str, job_name: str) -> str:
    """The ARN of a processing job (an execution's, a baseline's, a check's)."""
    return f"arn:{PARTITION}:sagemaker:{region}:{account_id}:processing-job/{job_name}"


def schedule_arn(region: str, account_id: str, name: str) -> str:
    """The ARN of a monitoring schedule."""
    return f"arn:{PARTITION}:sagemaker:{region}:{account_id}:monitoring-schedule/{name}"


def execution_job_name(scheduled: datetime, execution_id: str) -> str:
    """SageMaker's pattern: ``model-monitoring-<yyyymmddHHMM>-<8 hex>``."""
    return f"model-monitoring-{scheduled.strftime('%Y%m%d%H%M')}-{execution_id[:8]}"


def output_folder(schedule: MonitoringSchedule, scheduled: datetime) -> str:
    """SageMaker's layout: ``<output>/[<endpoint>/]<schedule>/yyyy/mm/dd/hh`` (and ``/MM`` for
    times off the hour, so schedules more frequent than hourly never share a folder)."""
    parts = [schedule.output_uri.rstrip("/")]
    if schedule.endpoint_name:
        parts.append(schedule.endpoint_name)
    parts += [schedule.name, scheduled.strftime("%Y/%m/%d/%H")]
    if scheduled.minute or scheduled.second:
        parts.append(scheduled.strftime("%M"))
    return "/".join(parts)


def _insert(db: Database) -> Any:
    return sqlite.insert if db.is_sqlite else postgresql.insert


class MonitorService:
    """Schedules and their executions."""

    def __init__(
        self, *, db: Database, clock: Clock, settings: Settings, account_id: AccountId
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.account_id = account_id

    @property
    def region(self) -> str:
        return self.settings.region

    # ----------------------------------------------------------------------------- schedules

    def create_schedule(self, values: Mapping[str, Any]) -> MonitoringSchedule:
        """Insert a schedule (``values``: validated columns); Conflict if the name is taken."""
        now = self.clock.now()
        name = str(values["name"])
        with self.db.write() as conn:
            self.db.lock(conn, f"monitor.schedule/{name}")
            if self._schedule_row(conn, name) is not None:
                raise Conflict(
                    f"Monitoring schedule '{name}' already exists; choose another name or update it"
                )
            conn.execute(
                monitor_schedules.insert().values(
                    **values,
                    account_id=self.account_id,
                    arn=schedule_arn(self.region, self.account_id, name),
                    status=ScheduleStatus.SCHEDULED.value,
                    monitoring_type=DATA_QUALITY,
                    planned_through=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            row = self._schedule_row(conn, name)
        assert row is not None
        log.info(
            "monitor.schedule.create name=%s expression=%s", name, values["schedule_expression"]
        )
        return self._schedule(row, None)

    def describe_schedule(self, name: str) -> MonitoringSchedule:
        with self.db.read() as conn:
            row = self._schedule_row(conn, name)
            if row is None:
                raise _no_schedule(name)
            last = self._last_execution(conn, name)
        return self._schedule(row, last)

    def list_schedules(
        self,
        *,
        endpoint_name: str | None = None,
        status: ScheduleStatus | None = None,
        name_contains: str | None = None,
    ) -> list[MonitoringSchedule]:
        s = monitor_schedules.c
        query = sa.select(monitor_schedules).where(s.account_id == self.account_id)
        if endpoint_name is not None:
            query = query.where(s.endpoint_name == endpoint_name)
        if status is not None:
            query = query.where(s.status == status.value)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(s.created_at.desc(), s.name)).all()
            found = [
                self._schedule(r, self._last_execution(conn, r.name))
                for r in rows
                if name_contains is None or name_contains.lower() in r.name.lower()
            ]
        return found

    def update_schedule(self, name: str, values: Mapping[str, Any]) -> MonitoringSchedule:
        with self.db.write() as conn:
            self.db.lock(conn, f"monitor.schedule/{name}")
            if self._schedule_row(conn, name) is None:
                raise _no_schedule(name)
            conn.execute(
                monitor_schedules.update()
                .where(monitor_schedules.c.name == name)
                .values(**values, updated_at=self.clock.now())
            )
        log.info("monitor.schedule.update name=%s fields=%s", name, sorted(values))
        return self.describe_schedule(name)

    def delete_schedule(self, name: str) -> None:
        """Delete the schedule and its execution records (outputs stay in the store)."""
        with self.db.write() as conn:
            self.db.lock(conn, f"monitor.schedule/{name}")
            if self._schedule_row(conn, name) is None:
                raise _no_schedule(name)
            conn.execute(
                monitor_executions.delete().where(monitor_executions.c.schedule_name == name)
            )
            conn.execute(monitor_schedules.delete().where(monitor_schedules.c.name == name))
        log.info("monitor.schedule.delete name=%s", name)

    def start_schedule(self, name: str) -> MonitoringSchedule:
        """Scheduled again, from now on: times while it was stopped are not caught up."""
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, SCHEDULER_LOCK)
            row = self._schedule_row(conn, name)
            if row is None:
                raise _no_schedule(name)
            if row.status != ScheduleStatus.SCHEDULED.value:
                conn.execute(
                    monitor_schedules.update()
                    .where(monitor_schedules.c.name == name)
                    .values(
                        status=ScheduleStatus.SCHEDULED.value, planned_through=now, updated_at=now
                    )
                )
        log.info("monitor.schedule.start name=%s", name)
        return self.describe_schedule(name)

    def stop_schedule(self, name: str) -> MonitoringSchedule:
        """Stopped: no new executions; its Pending ones become Stopped."""
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, SCHEDULER_LOCK)
            if self._schedule_row(conn, name) is None:
                raise _no_schedule(name)
            conn.execute(
                monitor_schedules.update()
                .where(monitor_schedules.c.name == name)
                .values(status=ScheduleStatus.STOPPED.value, updated_at=now)
            )
            e = monitor_executions.c
            conn.execute(
                monitor_executions.update()
                .where(e.schedule_name == name, e.status == ExecutionStatus.PENDING.value)
                .values(status=ExecutionStatus.STOPPED.value, updated_at=now, ended_at=now)
            )
        log.info("monitor.schedule.stop name=%s", name)
        return self.describe_schedule(name)

    # ----------------------------------------------------------------------------- scheduler

    def plan(self, *, max_catch_up: int) -> int:
        """Create the Pending executions of every scheduled time up to now; returns how many."""
        now = self.clock.now()
        created = 0
        with self.db.write() as conn:
            self.db.lock(conn, SCHEDULER_LOCK)
            s = monitor_schedules.c
            rows = conn.execute(
                sa.select(s.name, s.schedule_expression, s.planned_through).where(
                    s.account_id == self.account_id, s.status == ScheduleStatus.SCHEDULED.value
                )
            ).all()
            for row in rows:
                created += self._plan_one(conn, row, now, max_catch_up)
        if created:
            log.info("monitor.scheduler.plan executions=%d", created)
        return created

    def _plan_one(self, conn: Connection, row: Any, now: datetime, cap: int) -> int:
        expression = ScheduleExpression.parse(row.schedule_expression)
        planned = aware(row.planned_through)
        due: list[datetime] = []
        moment = expression.previous(now + timedelta(microseconds=1))
        while moment > planned and len(due) < cap:
            due.append(moment)
            moment = expression.previous(moment)
        if not due:
            return 0
        if moment > planned:
            log.warning(
                "monitor.scheduler.catch_up_capped schedule=%s oldest_run=%s max_catch_up=%d",
                row.name,
                due[-1].isoformat(),
                cap,
            )
        stamp = self.clock.now()
        schedule_row = self._schedule_row(conn, row.name)
        assert schedule_row is not None
        schedule = self._schedule(schedule_row, None)
        values = []
        for scheduled in reversed(due):
            execution_id = uuid.uuid4().hex
            start, end = expression.window(scheduled)
            values.append(
                {
                    "id": execution_id,
                    "schedule_name": row.name,
                    "scheduled_time": scheduled,
                    "window_start": start,
                    "window_end": end,
                    "status": ExecutionStatus.PENDING.value,
                    "processing_job_name": execution_job_name(scheduled, execution_id),
                    "output_prefix": output_folder(schedule, scheduled),
                    "attempts": 0,
                    "files_read": 0,
                    "skipped_records": 0,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        inserted = conn.execute(
            _insert(self.db)(monitor_executions).on_conflict_do_nothing(), values
        )
        conn.execute(
            monitor_schedules.update()
            .where(monitor_schedules.c.name == row.name)
            .values(planned_through=due[0])
        )
        return max(int(inserted.rowcount or 0), 0)

    def requeue_abandoned(self, *, max_attempts: int) -> int:
        """InProgress executions whose lease expired: Pending again, or Failed after
        ``max_attempts`` runs."""
        now = self.clock.now()
        e = monitor_executions.c
        with self.db.write() as conn:
            rows = conn.execute(
                sa.select(e.id, e.attempts, e.lease_owner, e.lease_expires).where(
                    e.status == ExecutionStatus.IN_PROGRESS.value, e.lease_expires < now
                )
            ).all()
            for row in rows:
                if row.attempts >= max_attempts:
                    values: dict[str, Any] = {
                        "status": ExecutionStatus.FAILED.value,
                        "failure_reason": (
                            f"The worker running this execution stopped ({row.lease_owner}, "
                            f"lease expired at {aware(row.lease_expires).isoformat()}) "
                            f"{row.attempts} time(s); retry it once the cause is fixed"
                        ),
                        "ended_at": now,
                    }
                else:
                    values = {"status": ExecutionStatus.PENDING.value}
                conn.execute(
                    monitor_executions.update()
                    .where(e.id == row.id, e.status == ExecutionStatus.IN_PROGRESS.value)
                    .values(**values, lease_owner=None, lease_expires=None, updated_at=now)
                )
        if rows:
            log.warning("monitor.scheduler.abandoned executions=%d", len(rows))
        return len(rows)

    def claim(self, worker: str, *, lease: timedelta) -> ExecutionSummary | None:
        """Hand the oldest Pending execution to ``worker`` (None when there is none)."""
        now = self.clock.now()
        e = monitor_executions.c
        with self.db.write() as conn:
            candidate = conn.execute(
                sa.select(e.id)
                .where(e.status == ExecutionStatus.PENDING.value)
                .order_by(e.scheduled_time, e.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if candidate is None:
                return None
            if not self._take(conn, candidate, worker, now, lease, ExecutionStatus.PENDING):
                return None
        return self.describe_execution(candidate)

    def take(
        self, execution_id: str, worker: str, *, lease: timedelta, retry: bool
    ) -> ExecutionSummary:
        """Run one execution now: a Pending one, or (``retry``) a Failed or Stopped one."""
        now = self.clock.now()
        current = self.describe_execution(execution_id)
        allowed = (
            (ExecutionStatus.FAILED, ExecutionStatus.STOPPED)
            if retry
            else (ExecutionStatus.PENDING,)
        )
        if current.status not in allowed:
            raise Conflict(
                f"Execution '{execution_id}' is {current.status.value}; only "
                f"{' or '.join(s.value for s in allowed)} executions can be "
                f"{'retried' if retry else 'run'}"
            )
        with self.db.write() as conn:
            if not self._take(conn, execution_id, worker, now, lease, current.status):
                raise Conflict(
                    f"Execution '{execution_id}' changed while being taken; look at it again"
                )
        return self.describe_execution(execution_id)

    def _take(
        self,
        conn: Connection,
        execution_id: str,
        worker: str,
        now: datetime,
        lease: timedelta,
        status: ExecutionStatus,
    ) -> bool:
        e = monitor_executions.c
        result = conn.execute(
            monitor_executions.update()
            .where(e.id == execution_id, e.status == status.value)
            .values(
                status=ExecutionStatus.IN_PROGRESS.value,
                lease_owner=worker,
                lease_expires=now + lease,
                started_at=now,
                ended_at=None,
                failure_reason=None,
                attempts=e.attempts + 1,
                updated_at=now,
            )
        )
        return result.rowcount == 1

    def renew(self, execution_id: str, worker: str, *, lease: timedelta) -> bool:
        """Extend ``worker``'s lease on a running execution; False once it is no longer its."""
        now = self.clock.now()
        e = monitor_executions.c
        with self.db.write() as conn:
            result = conn.execute(
                monitor_executions.update()
                .where(
                    e.id == execution_id,
                    e.lease_owner == worker,
                    e.status == ExecutionStatus.IN_PROGRESS.value,
                )
                .values(lease_expires=now + lease, updated_at=now)
            )
        return result.rowcount == 1

    def finish(
        self,
        execution_id: str,
        worker: str,
        *,
        status: ExecutionStatus,
        failure_reason: str | None = None,
        item_count: int | None = None,
        violation_count: int | None = None,
        files_read: int = 0,
        skipped_records: int = 0,
        summary: Mapping[str, Any] | None = None,
    ) -> bool:
        """Record the outcome; False when the lease was lost (another worker took over)."""
        now = self.clock.now()
        e = monitor_executions.c
        with self.db.write() as conn:
            result = conn.execute(
                monitor_executions.update()
                .where(
                    e.id == execution_id,
                    e.lease_owner == worker,
                    e.status == ExecutionStatus.IN_PROGRESS.value,
                )
                .values(
                    status=status.value,
                    failure_reason=failure_reason,
                    item_count=item_count,
                    violation_count=violation_count,
                    files_read=files_read,
                    skipped_records=skipped_records,
                    summary=dict(summary) if summary is not None else None,
                    lease_owner=None,
                    lease_expires=None,
                    ended_at=now,
                    updated_at=now,
                )
            )
        done = result.rowcount == 1
        if not done:
            log.warning("monitor.execution.lease_lost id=%s worker=%s", execution_id, worker)
        return done

    # ----------------------------------------------------------------------------- executions

    def describe_execution(self, execution_id: str) -> ExecutionSummary:
        with self.db.read() as conn:
            row = conn.execute(
                _execution_query().where(monitor_executions.c.id == execution_id)
            ).first()
        if row is None:
            raise NotFound(
                f"Monitoring execution '{execution_id}' not found; list them with "
                "list_monitoring_executions"
            )
        return self._execution(row)

    def list_executions(
        self,
        *,
        schedule_name: str | None = None,
        endpoint_name: str | None = None,
        status: ExecutionStatus | None = None,
        scheduled_after: datetime | None = None,
        scheduled_before: datetime | None = None,
        max_results: int = 100,
        offset: int = 0,
    ) -> ExecutionPage:
        e, s = monitor_executions.c, monitor_schedules.c
        query = _execution_query()
        if schedule_name is not None:
            query = query.where(e.schedule_name == schedule_name)
        if endpoint_name is not None:
            query = query.where(s.endpoint_name == endpoint_name)
        if status is not None:
            query = query.where(e.status == status.value)
        if scheduled_after is not None:
            query = query.where(e.scheduled_time >= scheduled_after)
        if scheduled_before is not None:
            query = query.where(e.scheduled_time < scheduled_before)
        query = query.order_by(e.scheduled_time.desc(), e.id).offset(offset).limit(max_results + 1)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        more = len(rows) > max_results
        return ExecutionPage(
            executions=tuple(self._execution(r) for r in rows[:max_results]),
            next_token=str(offset + max_results) if more else None,
        )

    # ----------------------------------------------------------------------------- rows

    def _schedule_row(self, conn: Connection, name: str) -> Row[Any] | None:
        s = monitor_schedules.c
        return conn.execute(
            sa.select(monitor_schedules).where(s.name == name, s.account_id == self.account_id)
        ).first()

    def _last_execution(self, conn: Connection, name: str) -> ExecutionSummary | None:
        e = monitor_executions.c
        row = conn.execute(
            _execution_query()
            .where(e.schedule_name == name)
            .order_by(e.scheduled_time.desc())
            .limit(1)
        ).first()
        return self._execution(row) if row is not None else None

    def _schedule(self, row: Row[Any], last: ExecutionSummary | None) -> MonitoringSchedule:
        options = dict(row.options or {})
        return MonitoringSchedule(
            name=row.name,
            arn=row.arn,
            status=ScheduleStatus(row.status),
            schedule_expression=row.schedule_expression,
            monitoring_type=row.monitoring_type,
            endpoint_name=row.endpoint_name,
            dataset_uri=row.dataset_uri,
            dataset_format=DatasetFormat.model_validate(row.dataset_format),
            statistics_uri=row.statistics_uri,
            constraints_uri=row.constraints_uri,
            output_uri=row.output_uri,
            kms_key_id=row.kms_key_id,
            publish_metrics=bool(options.get("publish_metrics", True)),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            planned_through=aware(row.planned_through),
            tags=dict(row.tags or {}),
            last_execution=last,
        )

    def _execution(self, row: Row[Any]) -> ExecutionSummary:
        return ExecutionSummary(
            execution_id=row.id,
            schedule_name=row.schedule_name,
            scheduled_time=aware(row.scheduled_time),
            window_start=aware(row.window_start),
            window_end=aware(row.window_end),
            status=ExecutionStatus(row.status),
            failure_reason=row.failure_reason,
            processing_job_name=row.processing_job_name,
            processing_job_arn=processing_job_arn(
                self.region, self.account_id, row.processing_job_name
            ),
            output_uri=row.output_prefix,
            endpoint_name=row.endpoint_name,
            monitoring_type=row.monitoring_type,
            attempts=row.attempts,
            item_count=row.item_count,
            violation_count=row.violation_count,
            files_read=row.files_read,
            skipped_records=row.skipped_records,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            started_at=aware(row.started_at) if row.started_at is not None else None,
            ended_at=aware(row.ended_at) if row.ended_at is not None else None,
            summary=dict(row.summary or {}),
        )


def _execution_query() -> sa.Select[Any]:
    e, s = monitor_executions.c, monitor_schedules.c
    return sa.select(monitor_executions, s.endpoint_name, s.monitoring_type).join_from(
        monitor_executions, monitor_schedules, e.schedule_name == s.name
    )


def _no_schedule(name: str) -> NotFound:
    return NotFound(
        f"Monitoring schedule '{name}' not found; list them with list_monitoring_schedules"
    )
