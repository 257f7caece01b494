"""Helpers for the lineage tests: events as other rooms emit them, a realistic graph, counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bastion.db import Database
from bastion.events import Event
from bastion.registry.lineage import AssociationType, LineageClient, LineageEntity
from bastion.registry.lineage._tables import (
    lineage_associations,
    lineage_entities,
    lineage_properties,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MODEL_SHA_1 = "1" * 64
MODEL_SHA_2 = "2" * 64


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def event(
    kind: str,
    detail: dict[str, Any],
    *,
    seq: int,
    account_id: str,
    subject: str = "",
    minutes: int = 0,
) -> Event:
    """An event as the log hands it to subscribers."""
    return Event(
        seq=seq,
        kind=kind,
        time=T0 + timedelta(minutes=minutes),
        account_id=account_id,
        subject=subject or str(detail.get("model_package_arn") or detail.get("endpoint_arn") or ""),
        detail=detail,
    )


def sagemaker_arn(account_id: str, resource: str, region: str = "local") -> str:
    return f"arn:bastion:sagemaker:{region}:{account_id}:{resource}"


def realistic_events(account_id: str) -> list[Event]:
    """dataset train.csv -> job 1 -> model 1 -> package fraud/1 -> endpoints fraud, fraud-shadow;
    dataset other.csv -> job 2 -> model 2 -> package fraud/2 -> endpoint fraud (redeployed later),
    plus an approval and a baseline on train.csv."""
    pkg1 = sagemaker_arn(account_id, "model-package/fraud/1")
    pkg2 = sagemaker_arn(account_id, "model-package/fraud/2")
    fraud = sagemaker_arn(account_id, "endpoint/fraud")
    shadow = sagemaker_arn(account_id, "endpoint/fraud-shadow")
    specs: list[tuple[str, dict[str, Any], str]] = [
        (
            "registry.ModelPackageCreated",
            {
                "model_package_arn": pkg1,
                "group": "fraud",
                "version": 1,
                "artifact_uri": "s3://models/fraud/1/model.skops",
                "sha256": MODEL_SHA_1,
                "training_data": ["s3://fraud-data/train.csv"],
                "training_job": "train-fraud-1",
            },
            "",
        ),
        (
            "registry.ModelPackageStatusChanged",
            {
                "model_package_arn": pkg1,
                "group": "fraud",
                "version": 1,
                "from_status": "PendingManualApproval",
                "to_status": "Approved",
                "by": "alice",
                "reason": "ok",
            },
            "",
        ),
        (
            "serving.EndpointDeployed",
            {
                "endpoint_arn": fraud,
                "endpoint": "fraud",
                "config": "fraud-v1",
                "variant": "AllTraffic",
                "model_package_arn": pkg1,
            },
            "",
        ),
        ("serving.EndpointDeployed", {"endpoint_arn": shadow, "model_package_arn": pkg1}, ""),
        (
            "registry.ModelPackageCreated",
            {
                "model_package_arn": pkg2,
                "group": "fraud",
                "version": 2,
                "artifact_uri": "s3://models/fraud/2/model.skops",
                "sha256": MODEL_SHA_2,
                "training_data": ["s3://fraud-data/other.csv"],
                "training_job": "train-fraud-2",
            },
            "",
        ),
        ("serving.EndpointDeployed", {"endpoint_arn": fraud, "model_package_arn": pkg2}, ""),
        (
            "monitor.BaselineCreated",
            {
                "job_name": "baseline-fraud",
                "job_arn": sagemaker_arn(account_id, "processing-job/baseline-fraud"),
                "dataset": "s3://fraud-data/train.csv",
                "statistics_uri": "s3://monitoring/fraud/statistics.json",
                "constraints_uri": "s3://monitoring/fraud/constraints.json",
                "item_count": 1000,
                "feature_count": 5,
            },
            sagemaker_arn(account_id, "processing-job/baseline-fraud"),
        ),
    ]
    return [
        event(kind, detail, seq=i + 1, account_id=account_id, subject=subject, minutes=i)
        for i, (kind, detail, subject) in enumerate(specs)
    ]


def counts(db: Database) -> tuple[int, int, int]:
    """(entities, associations, properties) stored."""
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (lineage_entities, lineage_associations, lineage_properties)
        )


def manual_chain(lineage: LineageClient) -> dict[str, LineageEntity]:
    """The realistic chain built through the API: two datasets, two jobs, two models, two
    packages, two deployments, one endpoint (redeployed) and a shadow endpoint."""
    account = lineage.runtime.account_id
    e: dict[str, LineageEntity] = {}
    e["train"] = lineage.create_artifact("DataSet", "s3://fraud-data/train.csv")
    e["other"] = lineage.create_artifact("DataSet", "s3://fraud-data/other.csv")
    e["job1"] = lineage.create_action(
        "train-1", "TrainingJob", "bastion://jobs/1", status="Completed"
    )
    e["job2"] = lineage.create_action("train-2", "TrainingJob", "bastion://jobs/2", status="Failed")
    e["model1"] = lineage.create_artifact("Model", "s3://models/fraud/1/model.onnx")
    e["model2"] = lineage.create_artifact("Model", "s3://models/fraud/2/model.onnx")
    e["pkg1"] = lineage.create_artifact("ModelPackage", sagemaker_arn(account, "model-package/f/1"))
    e["pkg2"] = lineage.create_artifact("ModelPackage", sagemaker_arn(account, "model-package/f/2"))
    e["dep1"] = lineage.create_action("deploy-1", "ModelDeployment", "bastion://deploy/1")
    e["dep2"] = lineage.create_action("deploy-2", "ModelDeployment", "bastion://deploy/2")
    e["dep3"] = lineage.create_action("deploy-3", "ModelDeployment", "bastion://deploy/3")
    e["fraud"] = lineage.create_context(
        "fraud", "Endpoint", sagemaker_arn(account, "endpoint/fraud")
    )
    e["shadow"] = lineage.create_context(
        "fraud-shadow", "Endpoint", sagemaker_arn(account, "endpoint/fraud-shadow")
    )
    c, p, a = (
        AssociationType.CONTRIBUTED_TO,
        AssociationType.PRODUCED,
        AssociationType.ASSOCIATED_WITH,
    )
    for src, dst, kind in [
        ("train", "job1", c),
        ("job1", "model1", p),
        ("model1", "pkg1", c),
        ("pkg1", "dep1", c),
        ("dep1", "fraud", a),
        ("pkg1", "dep3", c),
        ("dep3", "shadow", a),
        ("other", "job2", c),
        ("job2", "model2", p),
        ("model2", "pkg2", c),
        ("pkg2", "dep2", c),
        ("dep2", "fraud", a),
    ]:
        lineage.add_association(e[src].arn, e[dst].arn, kind)
    return e
