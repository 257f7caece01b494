"""The scheduler: one execution per scheduled time, catch-up after downtime without duplicates,
restarts, stop/start, abandoned and failed executions, two scheduler processes at once."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from monitor_helpers import BASELINE, BUCKET, OUTPUT, csv_bytes, drifted
from monitor_workers import scheduler_worker

import bastion
from bastion.metrics import Metric
from bastion.monitor import BATCH_NAMESPACE, ExecutionStatus
from bastion.sdk import Bastion
from bastion.settings import Settings
from bastion.testing import FrozenClock

START = datetime(2026, 1, 1, tzinfo=UTC)
HOURLY = "cron(0 * ? * * *)"
DATASET = f"s3://{BUCKET}/current/"


def _schedule(client: Bastion, name: str = "batch-hourly", **extra: object) -> None:
    client.monitor.create_monitoring_schedule(
        name,
        schedule_expression=str(extra.pop("expression", HOURLY)),
        output_uri=OUTPUT,
        baseline_uri=BASELINE,
        dataset_uri=DATASET,
        **extra,  # type: ignore[arg-type]
    )


def _times(client: Bastion, name: str = "batch-hourly") -> list[str]:
    page = client.monitor.list_monitoring_executions(schedule_name=name)
    return sorted(e.scheduled_time.strftime("%H:%M") for e in page.executions)


def test_each_scheduled_time_runs_once(stored: Bastion, clock: FrozenClock) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted()))
    _schedule(stored)
    clock.advance(hours=3, minutes=5)
    done = stored.monitor.scheduler().tick()
    assert [e.scheduled_time.strftime("%H:%M") for e in done] == ["01:00", "02:00", "03:00"]
    assert {e.status for e in done} == {ExecutionStatus.COMPLETED_WITH_VIOLATIONS}
    assert stored.monitor.scheduler().tick() == []
    last = done[-1]
    assert (last.window_start, last.window_end) == (
        START + timedelta(hours=2),
        START + timedelta(hours=3),
    )
    assert last.output_uri == f"{OUTPUT}/batch-hourly/2026/01/01/03"
    assert last.item_count == 2000 and last.violation_count and last.attempts == 1
    keys = {o.key for o in stored.store.list_objects(BUCKET, prefix="monitoring/").objects}
    for name in ("statistics.json", "constraint_violations.json", "drift.json", "report.html"):
        assert f"monitoring/batch-hourly/2026/01/01/03/{name}" in keys
    stats = stored.metrics.get_metric_statistics(
        BATCH_NAMESPACE,
        "feature_baseline_drift_amount",
        dimensions={"MonitoringSchedule": "batch-hourly"},
        start=START,
        end=clock.now(),
        period=3600,
        statistics=["SampleCount", "Maximum"],
    )
    assert [p.sample_count for p in stats.datapoints] == [1.0, 1.0, 1.0]
    assert all(p.maximum is not None and p.maximum > 0.1 for p in stats.datapoints)
    described = stored.monitor.describe_monitoring_schedule("batch-hourly")
    assert described.last_execution is not None
    assert described.last_execution.execution_id == last.execution_id


def test_a_restarted_scheduler_runs_exactly_the_missed_times(
    stored: Bastion, clock: FrozenClock, settings: Settings
) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(300)))
    _schedule(stored)
    clock.advance(hours=1, minutes=1)
    assert len(stored.monitor.scheduler().tick()) == 1
    stored.close()  # the scheduler process stops; time goes on without it
    clock.advance(hours=5)
    later = bastion.connect(settings=settings, clock=clock)
    try:
        done = later.monitor.scheduler().tick()
        assert [e.scheduled_time.strftime("%H:%M") for e in done] == [
            "02:00",
            "03:00",
            "04:00",
            "05:00",
            "06:00",
        ]
        assert later.monitor.scheduler().tick() == []
        assert _times(later) == ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00"]
        executions = later.monitor.list_monitoring_executions().executions
        assert all(e.attempts == 1 for e in executions)
    finally:
        later.close()


def test_catch_up_is_capped_by_the_setting(stored: Bastion, clock: FrozenClock) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(200)))
    _schedule(stored, expression="rate(1 hour)")
    capped = Settings(
        home=stored.runtime.settings.home,
        database_url=stored.runtime.settings.database_url,
        monitor={"max_catch_up": 2},  # type: ignore[arg-type]
    )
    client = bastion.connect(settings=capped, clock=clock)
    try:
        clock.advance(hours=10)
        done = client.monitor.scheduler().tick()
        assert [e.scheduled_time.strftime("%H:%M") for e in done] == ["09:00", "10:00"]
        clock.advance(hours=1)
        assert [e.scheduled_time.strftime("%H:%M") for e in client.monitor.scheduler().tick()] == [
            "11:00"
        ]
    finally:
        client.close()


def test_stopped_time_is_not_caught_up(stored: Bastion, clock: FrozenClock) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(200)))
    _schedule(stored)
    clock.advance(hours=2, minutes=30)
    stored.monitor.scheduler().service.plan(max_catch_up=10)
    stopped = stored.monitor.stop_monitoring_schedule("batch-hourly")
    assert stopped.status.value == "Stopped"
    statuses = {e.status for e in stored.monitor.list_monitoring_executions().executions}
    assert statuses == {ExecutionStatus.STOPPED}
    clock.advance(hours=3)
    assert stored.monitor.scheduler().tick() == []
    stored.monitor.start_monitoring_schedule("batch-hourly")
    clock.advance(hours=1)
    done = stored.monitor.scheduler().tick()
    assert [e.scheduled_time.strftime("%H:%M") for e in done] == ["06:00"]


def test_a_failed_execution_says_why_and_can_be_retried(
    stored: Bastion, clock: FrozenClock
) -> None:
    _schedule(stored)
    clock.advance(hours=1)
    (failed,) = stored.monitor.scheduler().tick()
    assert failed.status is ExecutionStatus.FAILED
    assert failed.failure_reason is not None and "s3://fraud-data/current" in failed.failure_reason
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(300)))
    retried = stored.monitor.retry_monitoring_execution(failed.execution_id)
    assert retried.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert retried.failure_reason is None and retried.attempts == 2
    with pytest.raises(bastion.BastionError, match="only Failed or Stopped"):
        stored.monitor.retry_monitoring_execution(failed.execution_id)


def test_an_abandoned_execution_runs_again(stored: Bastion, clock: FrozenClock) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(200)))
    _schedule(stored)
    clock.advance(hours=1)
    scheduler = stored.monitor.scheduler(worker="crashed-worker")
    scheduler.service.plan(max_catch_up=10)
    taken = scheduler.service.claim("crashed-worker", lease=timedelta(minutes=5))
    assert taken is not None and taken.status is ExecutionStatus.IN_PROGRESS
    assert stored.monitor.scheduler().tick() == []  # its lease still holds
    clock.advance(minutes=4)
    assert scheduler.service.renew(taken.execution_id, "crashed-worker", lease=timedelta(minutes=5))
    assert not scheduler.service.renew(taken.execution_id, "another", lease=timedelta(minutes=5))
    clock.advance(minutes=4)
    assert stored.monitor.scheduler().tick() == []  # renewed: still its
    clock.advance(minutes=10)
    (done,) = stored.monitor.scheduler().tick()
    assert done.execution_id == taken.execution_id
    assert done.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS and done.attempts == 2
    assert not scheduler.service.finish(
        taken.execution_id, "crashed-worker", status=ExecutionStatus.FAILED
    )


def test_two_scheduler_processes_never_run_a_time_twice(
    stored: Bastion, clock: FrozenClock, settings: Settings
) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(200)))
    _schedule(stored, expression="rate(30 minutes)")
    stored.close()
    now = (START + timedelta(hours=3, minutes=5)).isoformat()
    ctx = multiprocessing.get_context("forkserver")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    url = settings.resolved_database_url
    workers = [
        ctx.Process(target=scheduler_worker, args=(str(settings.home), url, now, barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    ran = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    everything = sorted(t for batch in ran for t in batch)
    assert len(everything) == 6 and len(set(everything)) == 6
    check = bastion.connect(settings=settings, clock=FrozenClock(now))
    try:
        executions = check.monitor.list_monitoring_executions().executions
        assert len(executions) == 6 and all(e.attempts == 1 for e in executions)
        metric = Metric.of(
            BATCH_NAMESPACE, "feature_non_null_amount", {"MonitoringSchedule": "batch-hourly"}
        )
        stats = check.metrics.get_metric_statistics(
            metric.namespace,
            metric.metric_name,
            dimensions=metric.dimensions,
            start=START,
            end=START + timedelta(hours=4),
            period=1800,
            statistics=["SampleCount"],
        )
        assert [p.sample_count for p in stats.datapoints] == [1.0] * 6
    finally:
        check.close()
