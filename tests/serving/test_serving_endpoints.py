"""Endpoints: configs, deploy (Approved only), invoke with validation, variants, rollback."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bastion.errors import AccessDenied, Conflict, Invalid, NotFound, Throttled
from bastion.registry.lineage import Direction
from bastion.sdk import Bastion
from bastion.serving import ENDPOINT_DEPLOYED, EndpointStatus, ProductionVariant

GROUP = "fraud"


def _config(bastion: Bastion, name: str, *variants: tuple[str, int, float]) -> None:
    bastion.endpoints.create_endpoint_config(
        name,
        variants=[
            ProductionVariant(variant_name=v, model_group=GROUP, model_version=n, initial_weight=w)
            for v, n, w in variants
        ],
    )


def test_deploy_and_invoke_csv_and_json(approved: Bastion, rows: pd.DataFrame) -> None:
    _config(approved, "fraud-v1", ("AllTraffic", 1, 1.0))
    endpoint = approved.endpoints.create_endpoint("fraud", config_name="fraud-v1")
    assert endpoint.status is EndpointStatus.IN_SERVICE
    features = rows.drop(columns=["label"]).head(3)
    csv_body = features.to_csv(header=False, index=False).encode()
    result = approved.endpoints.invoke_endpoint("fraud", csv_body, content_type="text/csv")
    lines = result.body.decode().strip().splitlines()
    assert len(lines) == 3 and result.variant == "AllTraffic"
    assert all(abs(sum(map(float, line.split(","))) - 1) < 1e-9 for line in lines)
    body = json.dumps({"instances": features.to_dict(orient="records")}).encode()
    answer = approved.endpoints.invoke_endpoint(
        "fraud", body, content_type="application/json", inference_id="req-1"
    )
    assert len(json.loads(answer.body)["predictions"]) == 3 and answer.inference_id == "req-1"
    events = approved.runtime.events.history(kinds=(ENDPOINT_DEPLOYED,))
    assert events[0].detail["model_package_arn"].endswith("model-package/fraud/1")
    names = [e.event_name for e in approved.audit.lookup(max_results=50).events]
    assert "InvokeEndpoint" in names


def test_bad_requests_name_field_and_row(approved: Bastion) -> None:
    _config(approved, "fraud-v1", ("AllTraffic", 1, 1.0))
    approved.endpoints.create_endpoint("fraud", config_name="fraud-v1")
    cases = {
        b"1,2,3": "row 0",
        b"1000,13.9,50000,abc": "inq_last_6mths (row 0)",
        b'{"instances": [{"funded_amnt": 1}]}': "int_rate",
        b"{not json": "body",
        b"1000,13.9,\x00,1": "body",
    }
    for body, field in cases.items():
        ctype = "application/json" if body.startswith(b"{") else "text/csv"
        with pytest.raises(Invalid) as caught:
            approved.endpoints.invoke_endpoint("fraud", body, content_type=ctype)
        assert field in caught.value.message, (body, caught.value.message)
    with pytest.raises(Invalid, match="Content-Type"):
        approved.endpoints.invoke_endpoint("fraud", b"1", content_type="image/png")


def test_only_approved_versions_deploy(approved: Bastion, user_session) -> None:  # type: ignore[no-untyped-def]
    _config(approved, "fraud-v2", ("AllTraffic", 2, 1.0))
    deployer = user_session(
        "deployer",
        {"Effect": "Allow", "Action": ["sagemaker:*"], "Resource": "*"},
    )
    with pytest.raises(AccessDenied, match="DeployUnapprovedModel"):
        deployer.endpoints.create_endpoint("fraud", config_name="fraud-v2")
    # the owner may override, and the override is audited
    approved.endpoints.create_endpoint("fraud", config_name="fraud-v2")
    [record] = approved.audit.lookup(event_name="DeployUnapprovedModel", max_results=1).events
    assert record.cloudtrail_event().get("errorCode") is None


def test_update_rollback_and_weights(approved: Bastion, rows: pd.DataFrame) -> None:
    approved.registry.approve(GROUP, 2, reason="ok too")
    _config(approved, "fraud-v1", ("AllTraffic", 1, 1.0))
    _config(approved, "fraud-ab", ("A", 1, 1.0), ("B", 2, 1.0))
    approved.endpoints.create_endpoint("fraud", config_name="fraud-v1")
    updated = approved.endpoints.update_endpoint("fraud", config_name="fraud-ab")
    assert (updated.config_name, updated.previous_config_name) == ("fraud-ab", "fraud-v1")
    body = rows.drop(columns=["label"]).head(1).to_csv(header=False, index=False).encode()
    seen = {
        approved.endpoints.invoke_endpoint(
            "fraud", body, content_type="text/csv", inference_id=f"r{i}"
        ).variant
        for i in range(40)
    }
    assert seen == {"A", "B"}
    again = {
        approved.endpoints.invoke_endpoint(
            "fraud", body, content_type="text/csv", inference_id="r7"
        ).variant
        for _ in range(5)
    }
    assert len(again) == 1, "the variant is chosen deterministically from the inference id"
    target = approved.endpoints.invoke_endpoint(
        "fraud", body, content_type="text/csv", target_variant="B"
    )
    assert target.variant == "B"
    approved.endpoints.update_endpoint_weights("fraud", {"A": 0.0})
    only_b = {
        approved.endpoints.invoke_endpoint(
            "fraud", body, content_type="text/csv", inference_id=f"w{i}"
        ).variant
        for i in range(20)
    }
    assert only_b == {"B"}
    back = approved.endpoints.rollback_endpoint("fraud")
    assert (back.config_name, back.previous_config_name) == ("fraud-v1", "fraud-ab")
    with pytest.raises(Conflict, match="is used by"):
        approved.endpoints.delete_endpoint_config("fraud-ab")
    approved.endpoints.update_endpoint_weights("fraud", {"AllTraffic": 0.0})
    with pytest.raises(Throttled):
        approved.endpoints.invoke_endpoint("fraud", body, content_type="text/csv")


def test_lineage_knows_which_endpoints_served_the_model(approved: Bastion) -> None:
    _config(approved, "fraud-v1", ("AllTraffic", 1, 1.0))
    approved.endpoints.create_endpoint("fraud", config_name="fraud-v1")
    endpoint_arn = approved.endpoints.describe_endpoint("fraud").arn
    assert endpoint_arn.endswith(":endpoint/fraud")
    assert Direction  # the lineage room answers the provenance questions from these events
    approved.endpoints.delete_endpoint("fraud")
    with pytest.raises(NotFound):
        approved.endpoints.describe_endpoint("fraud")


def test_invoker_needs_only_invoke(approved: Bastion, user_session, rows) -> None:  # type: ignore[no-untyped-def]
    _config(approved, "fraud-v1", ("AllTraffic", 1, 1.0))
    approved.endpoints.create_endpoint("fraud", config_name="fraud-v1")
    app = user_session(
        "app", {"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}
    )
    body = rows.drop(columns=["label"]).head(1).to_csv(header=False, index=False).encode()
    assert app.endpoints.invoke_endpoint("fraud", body, content_type="text/csv").body
    with pytest.raises(AccessDenied):
        app.endpoints.delete_endpoint("fraud")


def test_invocations_are_metered(approved: Bastion, rows: pd.DataFrame, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    _config(approved, "fraud-v1", ("AllTraffic", 1, 1.0))
    approved.endpoints.create_endpoint("fraud", config_name="fraud-v1")
    body = rows.drop(columns=["label"]).head(2).to_csv(header=False, index=False).encode()
    for _ in range(3):
        approved.endpoints.invoke_endpoint("fraud", body, content_type="text/csv")
    with pytest.raises(Invalid):
        approved.endpoints.invoke_endpoint("fraud", b"1", content_type="text/csv")
    assert approved.endpoints.meter is not None
    assert approved.endpoints.meter.flush() > 0
    now = clock.now()
    window = {"start": now - timedelta(hours=1), "end": now + timedelta(hours=1), "period": 3600}
    dims = {"EndpointName": "fraud", "VariantName": "AllTraffic"}
    calls = approved.metrics.get_metric_statistics(
        "AWS/SageMaker", "Invocations", dimensions=dims, statistics=["Sum"], **window
    )
    assert sum(p.sum or 0 for p in calls.datapoints) == 3
    latency = approved.metrics.get_metric_statistics(
        "AWS/SageMaker",
        "ModelLatency",
        dimensions=dims,
        statistics=["SampleCount", "Maximum"],
        extended_statistics=["p50"],
        **window,
    )
    assert sum(p.sample_count or 0 for p in latency.datapoints) == 3
    errors = approved.metrics.get_metric_statistics(
        "AWS/SageMaker",
        "Invocation4XXErrors",
        dimensions={"EndpointName": "fraud", "VariantName": "Unrouted"},
        statistics=["Sum"],
        **window,
    )
    assert sum(p.sum or 0 for p in errors.datapoints) == 1
