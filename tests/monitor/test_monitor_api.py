"""``/sagemaker`` over HTTP: baselines, checks, schedules, executions and their reports; only
store URIs name data (a server never reads its own files for a caller)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from monitor_helpers import BASELINE, BUCKET, OUTPUT, csv_bytes, drifted

from bastion.api import create_app
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

PEER = ("127.0.0.1", 50123)


@pytest.fixture
def http(stored: Bastion) -> Iterator[TestClient]:
    app = create_app(stored.runtime.settings, runtime=stored.runtime)
    token = stored.access.create_api_token(description="monitor api tests").token
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def _error(body: dict[str, object], status: int) -> None:
    assert set(body) == {"ok", "status", "code", "error", "field"} and body["status"] == status


def test_jobs_schedules_and_executions(
    http: TestClient, stored: Bastion, clock: FrozenClock
) -> None:
    stored.store.put_object(BUCKET, "current/part-0.csv", csv_bytes(drifted(400)))
    made = http.post(
        "/sagemaker/processing-jobs/baseline",
        json={"DatasetUri": f"s3://{BUCKET}/train/", "OutputUri": f"s3://{BUCKET}/baseline2"},
    )
    assert made.status_code == 200, made.text
    assert made.json()["ItemCount"] == 2000
    checked = http.post(
        "/sagemaker/processing-jobs/check",
        json={"DatasetUri": f"s3://{BUCKET}/current/", "BaselineUri": f"s3://{BUCKET}/baseline2"},
    )
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["Status"] == "CompletedWithViolations" and body["Violations"]
    assert body["Drift"]["kind"] == "bastion.monitor/drift@1"

    created = http.post(
        "/sagemaker/monitoring-schedules",
        json={
            "MonitoringScheduleName": "batch-hourly",
            "ScheduleExpression": "cron(0 * ? * * *)",
            "DatasetUri": f"s3://{BUCKET}/current/",
            "BaselineUri": BASELINE,
            "OutputUri": OUTPUT,
            "Tags": [{"Key": "team", "Value": "risk"}],
        },
    )
    assert created.status_code == 200, created.text
    assert created.json()["DatasetFormat"] == {}
    assert http.get("/sagemaker/monitoring-schedules").json()["MonitoringScheduleSummaries"]
    clock.advance(hours=1)
    (done,) = stored.monitor.scheduler().tick()
    listed = http.get(
        "/sagemaker/monitoring-executions", params={"MonitoringScheduleName": "batch-hourly"}
    ).json()
    (summary,) = listed["MonitoringExecutionSummaries"]
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert summary["ScheduledTime"] == "2026-01-01T01:00:00Z"
    one = http.get(f"/sagemaker/monitoring-executions/{done.execution_id}")
    assert one.json()["ProcessingJobArn"] == done.processing_job_arn
    report = http.get(f"/sagemaker/monitoring-executions/{done.execution_id}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    described = http.get("/sagemaker/monitoring-schedules/batch-hourly").json()
    assert described["LastMonitoringExecutionSummary"]["MonitoringExecutionId"] == done.execution_id
    patched = http.patch(
        "/sagemaker/monitoring-schedules/batch-hourly", json={"ScheduleExpression": "rate(1 day)"}
    )
    assert patched.json()["ScheduleExpression"] == "rate(1 day)"
    assert (
        http.post("/sagemaker/monitoring-schedules/batch-hourly/stop").json()[
            "MonitoringScheduleStatus"
        ]
        == "Stopped"
    )
    retry = http.post(f"/sagemaker/monitoring-executions/{done.execution_id}/retry")
    assert retry.status_code == 409
    _error(retry.json(), 409)
    assert http.delete("/sagemaker/monitoring-schedules/batch-hourly").status_code == 204
    assert http.get("/sagemaker/monitoring-schedules/batch-hourly").status_code == 404


def test_no_local_paths_and_one_error_shape(http: TestClient) -> None:
    local = http.post("/sagemaker/processing-jobs/baseline", json={"DatasetUri": "/etc/passwd"})
    assert local.status_code == 400
    _error(local.json(), 400)
    bad = http.post(
        "/sagemaker/monitoring-schedules",
        json={
            "MonitoringScheduleName": "x",
            "ScheduleExpression": "sometimes",
            "DatasetUri": f"s3://{BUCKET}/current/",
            "BaselineUri": BASELINE,
            "OutputUri": OUTPUT,
        },
    )
    assert bad.status_code == 400 and bad.json()["field"] == "schedule_expression"
    assert http.get("/sagemaker/monitoring-executions/" + "0" * 32).status_code == 404
    assert http.get("/sagemaker/monitoring-executions/xyz").status_code == 400
    assert (
        http.get("/sagemaker/monitoring-executions", params={"NextToken": "x"}).status_code == 400
    )
