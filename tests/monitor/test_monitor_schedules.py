"""Monitoring schedules: create, describe, list, update, delete, start, stop; their validation and
their audit; a user without permission sees nothing."""

from __future__ import annotations

from typing import Any

import pytest
from monitor_helpers import BASELINE, BUCKET, CAPTURE, OUTPUT

from bastion.errors import AccessDenied, Conflict, Invalid, NotFound
from bastion.monitor import ScheduleStatus
from bastion.sdk import Bastion
from bastion.store import StoreClient

HOURLY = "cron(0 * ? * * *)"


def _create(client: Bastion, name: str = "fraud-hourly", **changes: Any) -> Any:
    spec: dict[str, Any] = {
        "schedule_expression": HOURLY,
        "output_uri": OUTPUT,
        "baseline_uri": BASELINE,
        "endpoint_name": "fraud",
        "capture_uri": CAPTURE,
    }
    spec.update(changes)
    return client.monitor.create_monitoring_schedule(name, **spec)


def test_lifecycle(stored: Bastion) -> None:
    made = _create(stored, tags={"team": "risk"})
    assert made.status is ScheduleStatus.SCHEDULED
    assert made.arn.endswith(":monitoring-schedule/fraud-hourly")
    assert made.statistics_uri == f"{BASELINE}/statistics.json"
    assert made.dataset_format.format == "capture"
    assert made.dataset_format.sagemaker() == {
        "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}
    }
    assert made.tags == {"team": "risk"} and made.last_execution is None
    _create(
        stored,
        "nightly",
        endpoint_name=None,
        capture_uri=None,
        dataset_uri=f"s3://{BUCKET}/train/",
        schedule_expression="rate(1 day)",
    )
    assert sorted(s.name for s in stored.monitor.list_monitoring_schedules()) == [
        "fraud-hourly",
        "nightly",
    ]
    assert [s.name for s in stored.monitor.list_monitoring_schedules(endpoint_name="fraud")] == [
        "fraud-hourly"
    ]
    assert [s.name for s in stored.monitor.list_monitoring_schedules(name_contains="NIGHT")] == [
        "nightly"
    ]
    updated = stored.monitor.update_monitoring_schedule(
        "fraud-hourly", schedule_expression="rate(2 hours)", publish_metrics=False
    )
    assert updated.schedule_expression == "rate(2 hours)" and not updated.publish_metrics
    stopped = stored.monitor.stop_monitoring_schedule("fraud-hourly")
    assert stopped.status is ScheduleStatus.STOPPED
    assert [s.name for s in stored.monitor.list_monitoring_schedules(status="Stopped")] == [
        "fraud-hourly"
    ]
    assert (
        stored.monitor.start_monitoring_schedule("fraud-hourly").status is ScheduleStatus.SCHEDULED
    )
    stored.monitor.delete_monitoring_schedule("fraud-hourly")
    with pytest.raises(NotFound, match="fraud-hourly"):
        stored.monitor.describe_monitoring_schedule("fraud-hourly")
    names = [e.event_name for e in stored.audit.lookup(event_source="sagemaker").events]
    for action in (
        "CreateMonitoringSchedule",
        "UpdateMonitoringSchedule",
        "StopMonitoringSchedule",
        "StartMonitoringSchedule",
        "DeleteMonitoringSchedule",
        "CreateProcessingJob",
    ):
        assert action in names


def test_names_are_unique(stored: Bastion) -> None:
    _create(stored)
    with pytest.raises(Conflict, match="already exists"):
        _create(stored)


BAD: list[tuple[dict[str, Any], str]] = [
    ({"schedule_expression": "every hour"}, "schedule_expression"),
    ({"schedule_expression": "cron(0 * ? * * 2027)"}, "schedule_expression"),
    ({"schedule_expression": "rate(0 hours)"}, "schedule_expression"),
    ({"schedule_expression": "cron(0 * L * ? *)"}, "schedule_expression"),
    ({"schedule_expression": None}, "schedule_expression"),
    ({"output_uri": "/tmp/out"}, "output_uri"),
    ({"output_uri": "s3://"}, "output_uri"),
    ({"baseline_uri": None}, "baseline_uri"),
    ({"baseline_uri": "file:///etc"}, "baseline_uri"),
    ({"baseline_uri": None, "statistics_uri": f"{BASELINE}/statistics.json"}, "constraints_uri"),
    ({"endpoint_name": None, "capture_uri": None}, "endpoint_name"),
    ({"endpoint_name": "bad_name"}, "endpoint_name"),
    ({"capture_uri": None}, "capture_uri"),
    ({"dataset_uri": f"s3://{BUCKET}/x"}, "dataset_uri"),
    ({"dataset_format": {"format": "csv"}}, "dataset_format"),
    ({"dataset_format": {"format": "xml"}}, "dataset_format.format"),
    ({"dataset_format": {"capture_index_names": ["body"]}}, "dataset_format.capture_index_names.0"),
    ({"dataset_format": {"unknown": 1}}, "dataset_format.unknown"),
    ({"tags": {"k" * 129: "v"}}, "tags"),
    ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags"),
    ({"kms_key_id": ""}, "kms_key_id"),
]


def test_bad_input_names_the_field(stored: Bastion) -> None:
    for changes, field in BAD:
        with pytest.raises(Invalid) as caught:
            _create(stored, **changes)
        assert caught.value.field == field, changes
    for name in ("", "-x", "x-", "a_b", "x" * 64, "a\x00b"):
        with pytest.raises(Invalid, match="'name'"):
            _create(stored, name)
    assert stored.monitor.list_monitoring_schedules() == []


def test_the_baseline_must_be_readable(stored: Bastion) -> None:
    with pytest.raises(NotFound):
        _create(stored, baseline_uri=f"s3://{BUCKET}/nowhere")
    stored.store.put_object(BUCKET, "broken/statistics.json", b'{"version": 0, "features": 5}')
    stored.store.put_object(BUCKET, "broken/constraints.json", b"{}")
    with pytest.raises(Invalid, match=r"\$\.dataset"):
        _create(stored, baseline_uri=f"s3://{BUCKET}/broken")
    assert stored.monitor.list_monitoring_schedules() == []


def test_updates_keep_the_input_kind(stored: Bastion) -> None:
    _create(stored)
    with pytest.raises(Invalid, match="dataset_format"):
        stored.monitor.update_monitoring_schedule("fraud-hourly", dataset_format={"format": "csv"})
    with pytest.raises(Invalid, match="at least one field"):
        stored.monitor.update_monitoring_schedule("fraud-hourly")
    with pytest.raises(NotFound):
        stored.monitor.update_monitoring_schedule("missing", schedule_expression=HOURLY)


def test_executions_of_unknown_ids(stored: Bastion) -> None:
    with pytest.raises(Invalid, match="execution_id"):
        stored.monitor.describe_monitoring_execution("../../etc")
    with pytest.raises(NotFound):
        stored.monitor.describe_monitoring_execution("0" * 32)
    with pytest.raises(Invalid, match="max_results"):
        stored.monitor.list_monitoring_executions(max_results=0)
    with pytest.raises(Invalid, match="next_token"):
        stored.monitor.list_monitoring_executions(next_token="x")
    with pytest.raises(Invalid, match="status"):
        stored.monitor.list_monitoring_executions(status="Done")


def test_permissions_are_per_schedule(stored: Bastion, user_session: Any) -> None:
    _create(stored)
    _create(stored, "other")
    reader = user_session(
        "reader",
        {
            "Effect": "Allow",
            "Action": [
                "sagemaker:DescribeMonitoringSchedule",
                "sagemaker:ListMonitoringExecutions",
            ],
            "Resource": "arn:bastion:sagemaker:*:*:monitoring-schedule/fraud-*",
        },
    )
    assert reader.monitor.describe_monitoring_schedule("fraud-hourly").name == "fraud-hourly"
    assert reader.monitor.list_monitoring_executions(schedule_name="fraud-hourly").executions == ()
    with pytest.raises(AccessDenied):
        reader.monitor.describe_monitoring_schedule("other")
    with pytest.raises(AccessDenied):
        reader.monitor.list_monitoring_schedules()
    with pytest.raises(AccessDenied):
        reader.monitor.delete_monitoring_schedule("fraud-hourly")
    assert isinstance(reader.store, StoreClient)
