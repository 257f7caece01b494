"""``/cloudwatch`` over HTTP: put, statistics, GetMetricData, ListMetrics; errors in one shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bastion.api import create_app
from bastion.sdk import Bastion

PEER = ("127.0.0.1", 50123)


@pytest.fixture
def http(bastion: Bastion) -> Iterator[TestClient]:
    app = create_app(bastion.runtime.settings, runtime=bastion.runtime)
    token = bastion.access.create_api_token(description="metrics api tests").token
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def _error(body: dict[str, object], status: int, field: str | None) -> None:
    assert set(body) == {"ok", "status", "code", "error", "field"}
    assert (body["status"], body["field"]) == (status, field)


def test_put_and_read_back(http: TestClient) -> None:
    dims = [{"Name": "Endpoint", "Value": "fraud"}]
    r = http.post(
        "/cloudwatch/metric-data",
        json={
            "Namespace": "AWS/SageMaker",
            "MetricData": [
                {
                    "MetricName": "ModelLatency",
                    "Dimensions": dims,
                    "Value": v,
                    "Unit": "Microseconds",
                    "Timestamp": "2026-01-01T00:00:10Z",
                }
                for v in (100, 200, 300, 400)
            ]
            + [
                {
                    "MetricName": "Invocations",
                    "Dimensions": dims,
                    "Values": [1],
                    "Counts": [4],
                    "Timestamp": "2026-01-01T00:00:10Z",
                }
            ],
        },
    )
    assert r.status_code == 200 and r.json() == {"DatapointCount": 5}
    stats = http.post(
        "/cloudwatch/metric-statistics",
        json={
            "Namespace": "AWS/SageMaker",
            "MetricName": "ModelLatency",
            "Dimensions": dims,
            "StartTime": "2026-01-01T00:00:00Z",
            "EndTime": "2026-01-01T01:00:00Z",
            "Period": 60,
            "Statistics": ["Average", "Maximum"],
            "ExtendedStatistics": ["p99"],
        },
    )
    assert stats.status_code == 200, stats.text
    (point,) = stats.json()["Datapoints"]
    assert point["Timestamp"] == "2026-01-01T00:00:00Z"
    assert (point["Average"], point["Maximum"], point["Unit"]) == (250.0, 400.0, "Microseconds")
    assert point["ExtendedStatistics"] == {"p99": 400.0}
    data = http.post(
        "/cloudwatch/metric-data/query",
        json={
            "StartTime": "2026-01-01T00:00:00Z",
            "EndTime": "2026-01-01T01:00:00Z",
            "MetricDataQueries": [
                {
                    "Id": "calls",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SageMaker",
                            "MetricName": "Invocations",
                            "Dimensions": dims,
                        },
                        "Period": 300,
                        "Stat": "Sum",
                    },
                }
            ],
        },
    )
    assert data.status_code == 200, data.text
    (result,) = data.json()["MetricDataResults"]
    assert result["Values"] == [4.0] and result["Label"] == "Invocations"
    listed = http.get(
        "/cloudwatch/metrics", params={"Namespace": "AWS/SageMaker", "Dimension": "Endpoint"}
    )
    assert sorted(m["MetricName"] for m in listed.json()["Metrics"]) == [
        "Invocations",
        "ModelLatency",
    ]


def test_errors_have_the_one_shape(http: TestClient) -> None:
    bad = http.post(
        "/cloudwatch/metric-data",
        json={
            "Namespace": "x",
            "MetricData": [{"MetricName": "m", "Value": 1, "Unit": "Furlongs"}],
        },
    )
    assert bad.status_code == 400
    _error(bad.json(), 400, "Unit")
    huge = http.post(
        "/cloudwatch/metric-statistics",
        json={
            "Namespace": "x",
            "MetricName": "m",
            "StartTime": "2026-01-01T00:00:00Z",
            "EndTime": "2026-01-02T00:00:00Z",
            "Period": 2**40,
            "Statistics": ["Sum"],
        },
    )
    assert huge.status_code == 400
    _error(huge.json(), 400, "Period")
    extra = http.post("/cloudwatch/metric-data", json={"Namespace": "x", "MetricData": [], "X": 1})
    assert extra.status_code == 400
    token = http.get("/cloudwatch/metrics", params={"NextToken": "abc"})
    assert token.status_code == 400
    _error(token.json(), 400, "NextToken")
