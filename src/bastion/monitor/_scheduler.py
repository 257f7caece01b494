"""The monitoring service's worker: plans scheduled executions and runs them.

``tick`` does one round: executions whose worker died go back to the queue, every running
schedule's due times become Pending executions (missed ones too, after downtime), and Pending
executions are claimed and run one at a time until none is left. ``run`` repeats it every
``settings.monitor.scheduler_poll_seconds`` until told to stop. All state is in the database, so
a restarted scheduler resumes where the last one stopped, and several schedulers can share the
work: each scheduled time runs once.

Each run is recorded in the audit trail as a processing job (``sagemaker:CreateProcessingJob``)
started by the monitoring service on the scheduler principal's behalf; its reads, writes and
metrics are that principal's calls too.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from bastion.access import Principal
from bastion.errors import AccessDenied, NotFound
from bastion.gate import Gate, RequestContext
from bastion.monitor import _actions as actions
from bastion.monitor._jobs import ExecutionStatus, ExecutionSummary
from bastion.monitor._runner import Runner
from bastion.monitor._service import MonitorService
from bastion.settings import Settings
from bastion.types import AccountId

log = logging.getLogger(__name__)

SERVICE = "sagemaker.amazonaws.com"
SERVICE_CONTEXT = RequestContext(invoked_by=SERVICE, user_agent="bastion-monitor-scheduler")
"""Reads and writes of scheduled executions are made by the monitoring service."""


def worker_name() -> str:
    """``host:pid:random`` — who holds an execution's lease."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    """Plans and runs executions (use one per process; several processes may share a home)."""

    def __init__(
        self,
        *,
        service: MonitorService,
        runner: Runner,
        gate: Gate,
        principal: Principal,
        settings: Settings,
        account_id: AccountId,
        worker: str | None = None,
    ) -> None:
        self.service = service
        self.runner = runner
        self.gate = gate
        self.principal = principal
        self.settings = settings
        self.account_id = account_id
        self.worker = worker or worker_name()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.monitor.execution_timeout_seconds)

    def tick(self) -> list[ExecutionSummary]:
        """One round: requeue abandoned executions, plan due ones, run every Pending one."""
        section = self.settings.monitor
        self.service.requeue_abandoned(max_attempts=section.max_attempts)
        self.service.plan(max_catch_up=section.max_catch_up)
        done: list[ExecutionSummary] = []
        while True:
            execution = self.service.claim(self.worker, lease=self.lease)
            if execution is None:
                return done
            done.append(self._run(execution))

    def run_now(self, execution_id: str, *, retry: bool = False) -> ExecutionSummary:
        """Run one execution in this process now (a Pending one, or with ``retry`` a Failed or
        Stopped one)."""
        execution = self.service.take(execution_id, self.worker, lease=self.lease, retry=retry)
        return self._run(execution)

    def run(self, stop: threading.Event) -> None:
        """Tick every ``scheduler_poll_seconds`` until ``stop`` is set."""
        poll = self.settings.monitor.scheduler_poll_seconds
        log.info("monitor.scheduler.start worker=%s poll=%s", self.worker, poll)
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the loop must outlive one bad round (database restart …)
                log.exception("monitor.scheduler.tick_failed worker=%s", self.worker)
            stop.wait(poll)
        log.info("monitor.scheduler.stop worker=%s", self.worker)

    def _run(self, execution: ExecutionSummary) -> ExecutionSummary:
        try:
            schedule = self.service.describe_schedule(execution.schedule_name)
        except NotFound:
            log.info("monitor.execution.orphan id=%s", execution.execution_id)
            return execution
        params = {
            "processingJobName": execution.processing_job_name,
            "monitoringScheduleName": execution.schedule_name,
            "scheduledTime": execution.scheduled_time.isoformat(),
        }
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat,
            args=(execution.execution_id, stop),
            name=f"monitor-lease-{execution.execution_id[:8]}",
            daemon=True,
        )
        beat.start()
        try:
            return self.gate.call(
                self.principal,
                actions.CREATE_JOB,
                execution.processing_job_arn,
                params,
                lambda: self.runner.execute(execution, schedule, self.service, self.worker),
                context=SERVICE_CONTEXT,
                respond=lambda e: {"status": e.status.value},
            )
        except AccessDenied as exc:
            self.service.finish(
                execution.execution_id,
                self.worker,
                status=ExecutionStatus.FAILED,
                failure_reason=exc.message,
            )
            return self.service.describe_execution(execution.execution_id)
        finally:
            stop.set()
            beat.join()

    def _heartbeat(self, execution_id: str, stop: threading.Event) -> None:
        """Renew the lease every third of it while the execution runs, so a long run is never
        taken for an abandoned one."""
        while not stop.wait(self.lease.total_seconds() / 3):
            try:
                if not self.service.renew(execution_id, self.worker, lease=self.lease):
                    return
            except Exception:  # a database hiccup: the next beat tries again
                log.exception("monitor.execution.renew_failed id=%s", execution_id)
