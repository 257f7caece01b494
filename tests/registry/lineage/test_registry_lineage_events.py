"""Edges added from other rooms' events: the realistic chain, replay (at least once) changing
nothing, late events, the store's objects as dataset versions, hostile details refused whole,
and delivery through the real event log (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from lineage_helpers import (
    MODEL_SHA_1,
    counts,
    event,
    realistic_events,
    sagemaker_arn,
)

from bastion.db import Database
from bastion.errors import Invalid
from bastion.events import declare_event, subscribers
from bastion.registry.lineage import LineageClient, LineageType
from bastion.registry.lineage._handlers import KINDS, SUBSCRIBER, auto_name, handle
from bastion.registry.lineage._names import validate_name
from bastion.registry.lineage._tables import (
    lineage_associations,
    lineage_entities,
    lineage_properties,
)
from bastion.sdk import Bastion

TRAIN = b"amount,label\n1.0,0\n999.0,1\n"
OTHER = b"amount,label\n2.0,0\n"


def _snapshot(db: Database) -> list[list[tuple[object, ...]]]:
    with db.read() as conn:
        return [
            sorted(tuple(r) for r in conn.execute(sa.select(t)))
            for t in (lineage_entities, lineage_associations, lineage_properties)
        ]


@pytest.fixture
def stored(bastion: Bastion) -> dict[str, str]:
    """train.csv and other.csv in the store, by URI -> SHA-256."""
    bastion.store.create_bucket("fraud-data")
    bastion.store.put_object("fraud-data", "train.csv", TRAIN)
    bastion.store.put_object("fraud-data", "other.csv", OTHER)
    return {
        "s3://fraud-data/train.csv": hashlib.sha256(TRAIN).hexdigest(),
        "s3://fraud-data/other.csv": hashlib.sha256(OTHER).hexdigest(),
    }


def test_the_subscriber_is_registered() -> None:
    mine = [s for s in subscribers() if s.name == SUBSCRIBER]
    assert len(mine) == 1 and set(mine[0].kinds) == set(KINDS)


def test_the_realistic_chain_from_events(
    bastion: Bastion, lineage: LineageClient, stored: dict[str, str]
) -> None:
    db = bastion.runtime.db
    for e in realistic_events(bastion.account_id):
        handle(db, e)
    fraud = sagemaker_arn(bastion.account_id, "endpoint/fraud")
    shadow = sagemaker_arn(bastion.account_id, "endpoint/fraud-shadow")
    served = lineage.endpoints_for_dataset("s3://fraud-data/train.csv")
    assert {e.source_uri for e in served} == {fraud, shadow}
    assert all(e.type == "Endpoint" and e.created_by.startswith("event:") for e in served)
    assert [e.source_uri for e in lineage.endpoints_for_dataset("s3://fraud-data/other.csv")] == [
        fraud
    ]
    train = lineage.list_artifacts(source_uri="s3://fraud-data/train.csv").entities
    assert len(train) == 1 and train[0].type == "DataSet"
    assert train[0].source_types == (
        {"SourceIdType": "S3ETag", "Value": stored["s3://fraud-data/train.csv"]},
    )
    found = lineage.endpoint_provenance(fraud)
    assert [p.model.source_uri for p in found] == [
        "s3://models/fraud/2/model.skops",
        "s3://models/fraud/1/model.skops",
    ]
    newest = found[0]
    assert newest.model_package is not None
    assert newest.model_package.source_uri == sagemaker_arn(
        bastion.account_id, "model-package/fraud/2"
    )
    assert [p.type for p in newest.producers] == ["TrainingJob"]
    assert newest.producers[0].name is not None
    assert newest.producers[0].name.startswith("training-train-fraud-2-")
    assert [i.source_uri for i in newest.inputs] == ["s3://fraud-data/other.csv"]
    assert newest.deployment is not None and newest.deployment.properties["Variant"] == "AllTraffic"
    assert found[1].deployment is not None
    assert found[1].deployment.properties["EndpointConfig"] == "fraud-v1"
    assert found[1].model.source_types == (
        {"SourceIdType": "Custom", "Value": f"manifest-sha256:{MODEL_SHA_1}"},
    )
    approvals = lineage.list_actions(action_type="Approval").entities
    assert len(approvals) == 1
    assert approvals[0].properties["ApprovalStatus"] == "Approved"
    assert approvals[0].properties["ChangedBy"] == "alice"
    baseline = lineage.list_actions(action_type="Baseline").entities[0]
    around = lineage.query_lineage(baseline.arn, max_depth=1)
    assert {v.type for v in around.vertices} == {"Baseline", "DataSet"}
    assert len(around.of_type("Baseline")) == 3  # the action and its two outputs
    groups = lineage.list_contexts(context_type="ModelPackageGroup").entities
    assert len(groups) == 1
    assert groups[0].source_uri == sagemaker_arn(bastion.account_id, "model-package-group/fraud")


def test_replaying_events_changes_nothing(bastion: Bastion, stored: dict[str, str]) -> None:
    db = bastion.runtime.db
    events = realistic_events(bastion.account_id)
    for e in events:
        handle(db, e)
    before = _snapshot(db)
    assert counts(db)[0] > 10
    for e in [*events, *reversed(events), *events]:
        handle(db, e)
    assert _snapshot(db) == before


def test_events_in_another_order_give_the_same_graph(
    bastion: Bastion, stored: dict[str, str]
) -> None:
    db = bastion.runtime.db
    events = realistic_events(bastion.account_id)
    for e in reversed(events):
        handle(db, e)
    shape = counts(db)
    for e in events:
        handle(db, e)
    assert counts(db) == shape


def test_a_late_status_event_does_not_overwrite_a_newer_one(
    bastion: Bastion, lineage: LineageClient
) -> None:
    db = bastion.runtime.db
    account = bastion.account_id
    pkg = sagemaker_arn(account, "model-package/fraud/1")

    def status(value: str, seq: int) -> None:
        handle(
            db,
            event(
                "registry.ModelPackageStatusChanged",
                {"model_package_arn": pkg, "status": value, "reason": f"step {seq}"},
                seq=seq,
                account_id=account,
            ),
        )

    status("Approved", 5)
    status("Rejected", 3)
    status("Approved", 5)
    approval = lineage.list_actions(action_type="Approval").entities[0]
    assert approval.properties["ApprovalStatus"] == "Approved"
    assert approval.properties["EventSeq"] == "5"
    status("Rejected", 7)
    approval = lineage.list_actions(action_type="Approval").entities[0]
    assert approval.properties["ApprovalStatus"] == "Rejected"
    assert approval.properties["Reason"] == "step 7"


def test_stored_objects_become_versions_of_known_datasets_only(
    bastion: Bastion, lineage: LineageClient
) -> None:
    db = bastion.runtime.db
    store = bastion.store
    store.create_bucket("fraud-data")
    store.put_object("fraud-data", "train.csv", TRAIN)
    store.put_object("fraud-data", "notes.txt", b"not a dataset")
    store.put_object("fraud-data", "my notes/with spaces.txt", b"fine")
    store.put_object("fraud-data", "tab\u00a0and\u2003spaces", b"fine")
    bastion.runtime.events.deliver()
    assert counts(db) == (0, 0, 0)
    assert bastion.runtime.events.failures() == []
    handle(
        db,
        event(
            "registry.ModelPackageCreated",
            {
                "model_package_arn": sagemaker_arn(bastion.account_id, "model-package/fraud/1"),
                "group": "fraud",
                "version": 1,
                "artifact_uri": "s3://models/fraud/1/model.onnx",
                "training_data": ["s3://fraud-data/train.csv"],
            },
            seq=100,
            account_id=bastion.account_id,
        ),
    )
    assert len(lineage.list_artifacts(source_uri="s3://fraud-data/train.csv").entities) == 1
    store.put_object("fraud-data", "train.csv", TRAIN + b"3.0,0\n")
    store.put_object("fraud-data", "train.csv", TRAIN + b"3.0,0\n")
    store.put_object("fraud-data", "notes.txt", b"still not a dataset")
    bastion.runtime.events.deliver()
    versions = lineage.list_artifacts(source_uri="s3://fraud-data/train.csv").entities
    assert sorted(v.source_types[0]["Value"] for v in versions) == sorted(
        [hashlib.sha256(TRAIN).hexdigest(), hashlib.sha256(TRAIN + b"3.0,0\n").hexdigest()]
    )
    assert lineage.list_artifacts(source_uri="s3://fraud-data/notes.txt").entities == ()
    assert bastion.runtime.events.failures() == []


HOSTILE_DETAILS = [
    {"group": "fraud", "artifact_uri": "s3://m/1"},
    {"model_package_arn": "x", "group": "fraud", "artifact_uri": "s3://m/1"},
    {
        "model_package_arn": "arn:bastion:sagemaker:local:1:mp/1",
        "group": "g",
        "artifact_uri": "s3://m/a b",
    },
    {
        "model_package_arn": "arn:bastion:sagemaker:local:1:mp/1",
        "group": "g",
        "artifact_uri": "s3://m/1",
        "sha256": "ZZ",
    },
    {
        "model_package_arn": "arn:bastion:sagemaker:local:1:mp/1",
        "group": "g",
        "artifact_uri": "s3://m/1",
        "training_data": "s3://d/train.csv",
    },
    {
        "model_package_arn": "arn:bastion:sagemaker:local:1:mp/1",
        "group": "g",
        "artifact_uri": "s3://m/1",
        "training_data": ["s3://d/ok.csv", "s3://d/\x00bad"],
        "training_job": "job",
    },
    {
        "model_package_arn": "arn:bastion:sagemaker:local:1:mp/1",
        "group": "g",
        "artifact_uri": "s3://m/1",
        "training_data": [{"uri": "s3://d/x", "sha256": 7}],
    },
]


@pytest.mark.parametrize("detail", HOSTILE_DETAILS)
def test_a_hostile_detail_is_refused_whole(bastion: Bastion, detail: dict[str, object]) -> None:
    db = bastion.runtime.db
    with pytest.raises(Invalid) as caught:
        handle(
            db,
            event(
                "registry.ModelPackageCreated",
                detail,
                seq=9,
                account_id=bastion.account_id,
                subject="arn:bastion:sagemaker:local:1:mp/1",
            ),
        )
    assert caught.value.field is not None and caught.value.field.startswith("detail.")
    assert counts(db) == (0, 0, 0)


def test_delivery_through_the_event_log(bastion: Bastion, lineage: LineageClient) -> None:
    """Emitted in a write transaction, delivered after commit; a bad event is retried and
    recorded as failed with the field named, and never blocks the next one."""
    kind = declare_event("registry.ModelPackageCreated", "test stand-in").kind
    runtime = bastion.runtime
    package = sagemaker_arn(bastion.account_id, "model-package/fraud/1", "eu-west-1")
    good = {
        "model_package_arn": package,
        "group": "fraud",
        "version": 1,
        "artifact_uri": "s3://models/fraud/1/model.onnx",
        "training_data": [{"uri": "s3://fraud-data/train.csv", "sha256": "f" * 64}],
        "training_job": "train/fraud 1",
    }
    with runtime.db.write() as conn:
        runtime.events.emit(
            conn, kind=kind, subject="x", account_id=bastion.account_id, detail={"group": "g"}
        )
        runtime.events.emit(
            conn,
            kind=kind,
            subject=package,
            account_id=bastion.account_id,
            detail=good,
        )
    for _ in range(6):
        runtime.events.deliver()
    model = lineage.downstream(
        lineage.list_artifacts(artifact_type="DataSet").entities[0].arn, include_edges=False
    )
    assert {v.type for v in model.vertices} == {
        "TrainingJob",
        "Model",
        "ModelPackage",
        "ModelPackageGroup",
    }
    assert all(":eu-west-1:" in v.arn for v in model.vertices)
    job = model.of_type("TrainingJob")[0].entity
    assert job.name is not None and job.name.startswith("training-train-fraud-1-")
    failures = [f for f in runtime.events.failures() if f["subscriber"] == SUBSCRIBER]
    assert len(failures) == 1 and "detail.model_package_arn" in failures[0]["error"]
    assert failures[0]["status"] == "failed"


@pytest.mark.parametrize(
    "label", ["train-fraud-1", "a/b c", "", "---", "é" * 200, '"];click n0', "x" * 500]
)
def test_automatic_names_are_valid_and_stable(label: str) -> None:
    name = auto_name("training", label, "key")
    assert validate_name(name, field="name", operation="test") == name
    assert name == auto_name("training", label, "key") != auto_name("training", label, "other")
    assert LineageType.ACTION.value == "Action"
