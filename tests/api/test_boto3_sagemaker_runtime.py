"""boto3's sagemaker-runtime client works unchanged against a Bastion endpoint (SigV4), errors
arrive with SageMaker's codes, and every call is audited and metered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from api_helpers import policy
from boto3_helpers import (
    KeyPair,
    Server,
    access_key,
    client,
    isolate_from_aws_config,
    serving,
    to_present,
)
from botocore.exceptions import ClientError
from sklearn.linear_model import LogisticRegression

from bastion.sdk import Bastion
from bastion.serving import ProductionVariant
from bastion.testing import FrozenClock

FEATURES = ["amount", "rate"]
TRAIN = pd.DataFrame(
    {"amount": [1000.0, 5000, 20000, 800, 12000, 3000], "rate": [7.0, 11, 19, 6, 15, 9]}
)
LABELS = [0, 0, 1, 0, 1, 0]


@pytest.fixture
def deployed(bastion: Bastion) -> Bastion:
    model = LogisticRegression().fit(TRAIN, LABELS)
    bastion.registry.create_model_package_group("risk")
    bastion.registry.register_model("risk", model=model, training_data=TRAIN)
    bastion.registry.approve("risk", 1, reason="ok")
    bastion.endpoints.create_endpoint_config(
        "risk-v1",
        variants=[
            ProductionVariant(variant_name="AllTraffic", model_group="risk", model_version=1)
        ],
    )
    bastion.endpoints.create_endpoint("risk", config_name="risk-v1")
    return bastion


@pytest.fixture
def server(
    deployed: Bastion, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[Server]:
    isolate_from_aws_config(monkeypatch, tmp_path)
    to_present(clock)
    with serving(deployed) as srv:
        yield srv


@pytest.fixture
def app_key(deployed: Bastion) -> KeyPair:
    return access_key(
        deployed,
        "scorer",
        policy({"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}),
    )


def test_invoke_with_boto3(
    deployed: Bastion, server: Server, app_key: KeyPair, clock: FrozenClock
) -> None:
    runtime = client("sagemaker-runtime", server, app_key)
    answer = runtime.invoke_endpoint(
        EndpointName="risk",
        Body=b"15000,17\n900,6\n",
        ContentType="text/csv",
        Accept="text/csv",
        InferenceId="abc-1",
        CustomAttributes="trace=1",
    )
    lines = answer["Body"].read().decode().split()
    assert len(lines) == 2 and answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["CustomAttributes"] == "trace=1"
    as_json = runtime.invoke_endpoint(
        EndpointName="risk",
        Body=json.dumps({"instances": [[15000, 17]]}),
        ContentType="application/json",
    )
    assert len(json.loads(as_json["Body"].read())["predictions"]) == 1
    records = [
        e.cloudtrail_event()
        for e in deployed.audit.lookup(event_name="InvokeEndpoint", max_results=10).events
    ]
    mine = [r for r in records if (r.get("requestParameters") or {}).get("inferenceId") == "abc-1"]
    assert len(mine) == 1 and mine[0]["eventCategory"] == "Data"
    assert mine[0]["userIdentity"]["arn"].endswith(":user/scorer")


def test_errors_carry_sagemaker_codes(server: Server, app_key: KeyPair, deployed: Bastion) -> None:
    runtime = client("sagemaker-runtime", server, app_key)
    with pytest.raises(ClientError) as bad:
        runtime.invoke_endpoint(EndpointName="risk", Body=b"1,2,3", ContentType="text/csv")
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    assert bad.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "row 0" in bad.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        runtime.invoke_endpoint(EndpointName="nope", Body=b"1,2", ContentType="text/csv")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] in (403, 404)
    big = b"1,2\n" * (7 * 1024 * 1024 // 4)
    with pytest.raises(ClientError) as large:
        runtime.invoke_endpoint(EndpointName="risk", Body=big, ContentType="text/csv")
    assert large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
