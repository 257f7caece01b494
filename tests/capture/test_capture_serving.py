"""Capture through serving: every successful invocation of an endpoint with a DataCaptureConfig
is one record (request and response), redacted by the signature's names, on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from capture_helpers import CAPTURE_KEY, DESTINATION, Switch, inference_ids, stored_records
from fastapi.testclient import TestClient
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from bastion.api import create_app
from bastion.capture import REDACTED, CaptureWriter
from bastion.errors import Invalid, StorageFailure
from bastion.sdk import Bastion
from bastion.serving import DataCaptureConfig, EndpointsClient, ProductionVariant

FEATURES = ["amount", "zip", "age"]


@pytest.fixture
def deployed(bastion: Bastion, capture_bucket: str, capture_key: str) -> Callable[..., None]:
    """``deployed(endpoint, **capture)``: an Approved model behind ``endpoint``, captured."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(0, 100, (300, 3)), columns=FEATURES)
    labels = (frame["amount"] > 50).astype(int)
    bastion.registry.create_model_package_group("fraud")
    bastion.registry.register_model(
        "fraud", model=LogisticRegression().fit(frame, labels), training_data=frame
    )
    bastion.registry.approve("fraud", 1, reason="ok")

    def deploy(endpoint: str, **capture: object) -> None:
        bastion.endpoints.create_endpoint_config(
            f"{endpoint}-config",
            variants=[
                ProductionVariant(variant_name="AllTraffic", model_group="fraud", model_version=1)
            ],
            data_capture=DataCaptureConfig(destination_s3_uri=DESTINATION, **capture),  # type: ignore[arg-type]
        )
        bastion.endpoints.create_endpoint(endpoint, config_name=f"{endpoint}-config")

    return deploy


def test_each_invocation_is_one_redacted_record(
    bastion: Bastion, deployed: Callable[..., None]
) -> None:
    deployed("fraud", redact_fields=("zip",), kms_key_id=CAPTURE_KEY)
    csv_body = b"60,94110,31\n20,10001,45\n"
    csv = bastion.endpoints.invoke_endpoint(
        "fraud", csv_body, content_type="text/csv", inference_id="csv-1"
    )
    json_body = json.dumps({"instances": [{"amount": 70, "zip": 94110, "age": 30}]}).encode()
    answer = bastion.endpoints.invoke_endpoint(
        "fraud", json_body, content_type="application/json", inference_id="json-1"
    )
    with pytest.raises(Invalid):  # refused before scoring: no response, no record
        bastion.endpoints.invoke_endpoint(
            "fraud", b"1,2\n", content_type="text/csv", inference_id="bad-1"
        )
    assert bastion.endpoints.capture is not None
    bastion.endpoints.capture.ship()
    records = {r["eventMetadata"]["inferenceId"]: r for r in stored_records(bastion)}
    assert set(records) == {"csv-1", "json-1"}
    first = records["csv-1"]["captureData"]
    assert first["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": f"60,{REDACTED},31\n20,{REDACTED},45\n",
        "encoding": "CSV",
    }
    assert first["endpointOutput"]["data"] == csv.body.decode()
    second = records["json-1"]["captureData"]
    assert json.loads(second["endpointInput"]["data"])["instances"][0]["zip"] == REDACTED
    assert second["endpointOutput"]["data"] == answer.body.decode()
    assert "94110" not in json.dumps(list(records.values()))


def test_sampling_and_capture_options_come_from_the_config(
    bastion: Bastion, deployed: Callable[..., None]
) -> None:
    deployed("fraud", initial_sampling_percentage=50, capture_output=False)
    for i in range(40):
        bastion.endpoints.invoke_endpoint(
            "fraud", b"60,1,31\n", content_type="text/csv", inference_id=f"r-{i}"
        )
    assert bastion.endpoints.capture is not None
    bastion.endpoints.capture.ship()
    records = stored_records(bastion)
    assert 5 < len(records) < 35
    assert all(list(r["captureData"]) == ["endpointInput"] for r in records)
    # the same ids again: the same ones are captured
    for i in range(40):
        bastion.endpoints.invoke_endpoint(
            "fraud", b"60,1,31\n", content_type="text/csv", inference_id=f"r-{i}"
        )
    bastion.endpoints.capture.ship()
    assert set(inference_ids(stored_records(bastion)).values()) == {2}


def test_backpressure_fails_the_invocation_and_drop_serves_it(
    bastion: Bastion,
    deployed: Callable[..., None],
    make_writer: Callable[..., tuple[CaptureWriter, Switch]],
) -> None:
    deployed("strict")
    deployed("lenient", on_failure="drop")
    writer, sink = make_writer(max_wal_bytes=1 << 16, backpressure_seconds=0.1)
    sink.down = True
    endpoints = EndpointsClient(
        bastion.runtime, registry=bastion.registry, hosts=bastion.endpoints.hosts, capture=writer
    )
    body = b"60,1,31\n" * 500
    with pytest.raises(StorageFailure):
        for _ in range(100):
            endpoints.invoke_endpoint("strict", body, content_type="text/csv")
    served = endpoints.invoke_endpoint("lenient", body, content_type="text/csv")
    assert served.body and writer.dropped == {("lenient", "AllTraffic"): 1}


def test_invocations_over_http_are_captured_and_shipped_at_shutdown(
    bastion: Bastion, deployed: Callable[..., None]
) -> None:
    deployed("fraud")
    token = bastion.access.create_api_token(description="capture").token
    app = create_app(bastion.runtime.settings, runtime=bastion.runtime)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, client=("127.0.0.1", 50000), headers=headers) as http:
        answer = http.post(
            "/endpoints/fraud/invocations",
            content=b"60,1,31\n",
            headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": "http-1"},
        )
        assert answer.status_code == 200, answer.text
    # the server's shutdown shipped what its log held
    (record,) = stored_records(bastion)
    assert record["eventMetadata"]["inferenceId"] == "http-1"
    assert record["captureData"]["endpointOutput"]["data"] == answer.text
