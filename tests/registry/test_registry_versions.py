"""Groups and versions end to end: register (encrypted, signed), approve, load verified, refuse
tampering and pickles, authorize approvals by status, audit and emit every change."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from bastion.errors import AccessDenied, Conflict, Invalid, NotFound, Tampered
from bastion.registry import (
    MODEL_PACKAGE_CREATED,
    MODEL_PACKAGE_STATUS_CHANGED,
    ApprovalStatus,
)
from bastion.sdk import Bastion

GROUP = "fraud-detector"


@pytest.fixture
def registered(bastion: Bastion, sk_model: Pipeline, features: pd.DataFrame):  # type: ignore[no-untyped-def]
    bastion.registry.create_model_package_group(
        GROUP, description="card fraud", tags={"team": "risk"}
    )
    return bastion.registry.register_model(
        GROUP,
        model=sk_model,
        training_data=features,
        training_data_uris=["s3://fraud-data/train.csv"],
        metrics={"auc": 0.71},
        tags={"stage": "dev"},
    )


def test_register_stores_encrypted_signed_version(bastion: Bastion, registered, features) -> None:  # type: ignore[no-untyped-def]
    v = registered
    assert (v.group, v.version, v.approval_status) == (GROUP, 1, ApprovalStatus.PENDING)
    assert v.flavor and v.files and all(len(f.sha256) == 64 for f in v.files)
    assert v.signature.feature_names == list(features.columns)
    assert v.signature.outputs, "outputs inferred from the model's predictions"
    assert v.metrics == {"auc": 0.71} and v.training_data == ("s3://fraud-data/train.csv",)
    assert v.artifact_uri.startswith("s3://bastion-models/fraud-detector/")
    assert v.signing_key_arn.startswith("arn:bastion:kms:")
    key = bastion.keys.describe_key(v.signing_key_arn)
    assert key.key_usage == "SIGN_VERIFY"
    # every file is in the store, encrypted at rest: the plaintext bytes appear nowhere on disk
    bucket, _, prefix = v.artifact_uri.removeprefix("s3://").partition("/")
    stored = bastion.store.list_objects(bucket, prefix=prefix).objects
    assert sorted(o.key[len(prefix) :] for o in stored) == sorted(f.path for f in v.files)
    plain = bastion.store.get_object(bucket, stored[0].key)
    at_rest = b"".join(
        p.read_bytes() for p in (bastion.runtime.settings.home / "store").rglob("*") if p.is_file()
    )
    assert plain[:64] not in at_rest
    events = bastion.runtime.events.history(kinds=(MODEL_PACKAGE_CREATED,))
    assert [e.detail["version"] for e in events] == [1]
    assert events[0].detail["training_data"] == ["s3://fraud-data/train.csv"]


def test_versions_number_in_order_and_list(
    bastion: Bastion, registered, sk_model, features
) -> None:  # type: ignore[no-untyped-def]
    second = bastion.registry.register_model(GROUP, model=sk_model, training_data=features)
    assert second.version == 2
    assert [p.version for p in bastion.registry.list_model_packages(GROUP)] == [1, 2]
    assert bastion.registry.describe_model_package_group(GROUP).versions == 2
    with pytest.raises(NotFound, match="no Approved version"):
        bastion.registry.latest_approved(GROUP)


def test_approve_load_and_history(bastion: Bastion, registered, features) -> None:  # type: ignore[no-untyped-def]
    approved = bastion.registry.approve(GROUP, 1, reason="passed review")
    assert approved.approval_status is ApprovalStatus.APPROVED
    assert approved.approval_by == bastion.runtime.principal.arn
    model = bastion.registry.load_model(GROUP)
    expected = registered  # same version
    assert expected.version == 1
    predictions = np.asarray(model.predict(features.head(20)))
    assert predictions.shape[0] == 20
    history = bastion.registry.approval_history(GROUP, 1)
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, ApprovalStatus.PENDING),
        (ApprovalStatus.PENDING, ApprovalStatus.APPROVED),
    ]
    assert history[1].reason == "passed review"
    changed = bastion.runtime.events.history(kinds=(MODEL_PACKAGE_STATUS_CHANGED,))
    assert [(e.detail["from_status"], e.detail["to_status"]) for e in changed] == [
        ("PendingManualApproval", "Approved")
    ]
    again = bastion.registry.approve(GROUP, 1, reason="again")
    assert again.approval_reason == "passed review", "re-approving changes nothing"
    names = [e.event_name for e in bastion.audit.lookup(max_results=200).events]
    assert {"CreateModelPackage", "UpdateModelPackage", "LoadModelPackage", "Sign"} <= set(names)


def test_a_tampered_file_is_refused_naming_it(bastion: Bastion, registered) -> None:  # type: ignore[no-untyped-def]
    bucket, _, prefix = registered.artifact_uri.removeprefix("s3://").partition("/")
    victim = registered.files[0].path
    original = bastion.store.get_object(bucket, prefix + victim)
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    bastion.store.put_object(bucket, prefix + victim, bytes(changed))
    with pytest.raises(Tampered) as caught:
        bastion.registry.load_model(GROUP, 1)
    assert victim in caught.value.message
    [record] = bastion.audit.lookup(event_name="LoadModelPackage", max_results=1).events
    assert record.cloudtrail_event()["errorCode"] == caught.value.aws_code


def test_an_extra_file_is_refused_naming_it(bastion: Bastion, registered) -> None:  # type: ignore[no-untyped-def]
    bucket, _, prefix = registered.artifact_uri.removeprefix("s3://").partition("/")
    bastion.store.put_object(bucket, prefix + "sneaky.py", b"import os")
    with pytest.raises(Tampered, match=r"sneaky\.py"):
        bastion.registry.load_model(GROUP, 1)


def test_pickles_are_refused_until_trusted(
    bastion: Bastion, sk_model, features, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bastion.registry.create_model_package_group(GROUP)
    artifact = tmp_path / "model.onnx"  # the name lies: the content decides
    artifact.write_bytes(pickle.dumps(sk_model))
    with pytest.raises(Invalid) as caught:
        bastion.registry.register_model(GROUP, path=artifact, training_data=features)
    assert "pickle" in caught.value.message.lower() and "model.onnx" in caught.value.message
    import hashlib

    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    decision = bastion.registry.trust_unsafe_artifact(
        digest, artifact_format="pickle", reason="legacy model reviewed by security"
    )
    assert decision.decided_by == bastion.runtime.principal.arn
    version = bastion.registry.register_model(GROUP, path=artifact, training_data=features)
    assert version.version == 1
    assert [d.sha256 for d in bastion.registry.list_trust_decisions()] == [digest]


def test_trusting_needs_its_own_permission(bastion: Bastion, user_session) -> None:  # type: ignore[no-untyped-def]
    dev = user_session("dev", {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"})
    with pytest.raises(AccessDenied):
        dev.registry.trust_unsafe_artifact("a" * 64, artifact_format="pickle", reason="please")
    [record] = bastion.audit.lookup(event_name="TrustUnsafeModelFormat", max_results=1).events
    assert record.cloudtrail_event()["errorCode"] == "AccessDenied"


def test_approval_is_authorized_by_the_status_being_set(
    bastion: Bastion, registered, user_session
) -> None:  # type: ignore[no-untyped-def]
    reviewer = user_session(
        "reviewer",
        {
            "Effect": "Allow",
            "Action": "sagemaker:UpdateModelPackage",
            "Resource": "*",
            "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "Rejected"}},
        },
    )
    with pytest.raises(AccessDenied):
        reviewer.registry.approve(GROUP, 1, reason="looks fine")
    rejected = reviewer.registry.reject(GROUP, 1, reason="bias review failed")
    assert rejected.approval_status is ApprovalStatus.REJECTED
    assert rejected.approval_by.endswith(":user/reviewer")


def test_tag_conditions_reach_model_packages(bastion: Bastion, registered, user_session) -> None:  # type: ignore[no-untyped-def]
    reader = user_session(
        "reader",
        {
            "Effect": "Allow",
            "Action": "sagemaker:DescribeModelPackage",
            "Resource": "*",
            "Condition": {"StringEquals": {"sagemaker:ResourceTag/stage": "prod"}},
        },
    )
    with pytest.raises(AccessDenied):
        reader.registry.describe_model_package(GROUP, 1)


def test_delete_rules(bastion: Bastion, registered) -> None:  # type: ignore[no-untyped-def]
    bastion.registry.approve(GROUP, 1, reason="ok")
    with pytest.raises(Conflict, match="reject it before"):
        bastion.registry.delete_model_package(GROUP, 1)
    with pytest.raises(Conflict, match="delete them first"):
        bastion.registry.delete_model_package_group(GROUP)
    bastion.registry.reject(GROUP, 1, reason="retired")
    bastion.registry.delete_model_package(GROUP, 1)
    bucket, _, prefix = registered.artifact_uri.removeprefix("s3://").partition("/")
    assert bastion.store.list_objects(bucket, prefix=prefix).objects == ()
    bastion.registry.delete_model_package_group(GROUP)
    with pytest.raises(NotFound):
        bastion.registry.describe_model_package_group(GROUP)


def test_register_from_the_store_with_an_explicit_signature(bastion: Bastion, registered) -> None:  # type: ignore[no-untyped-def]
    bucket, _, prefix = registered.artifact_uri.removeprefix("s3://").partition("/")
    for f in registered.files:
        bastion.store.copy_object(bucket, prefix + f.path, bucket, f"uploads/m1/{f.path}")
    copy = bastion.registry.register_model(
        GROUP, path=f"s3://{bucket}/uploads/m1/", signature=registered.signature.to_dict()
    )
    assert copy.version == 2 and copy.signature == registered.signature
    assert [f.sha256 for f in copy.files] == [f.sha256 for f in registered.files]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group": "bad name!"}, "ModelPackageGroupName"),
        ({"group": "-lead"}, "ModelPackageGroupName"),
        ({"metrics": {"auc": float("nan")}}, "ModelMetrics.auc"),
        ({"metrics": {"auc": "high"}}, "ModelMetrics.auc"),
        ({"approval_status": "Maybe"}, "ModelApprovalStatus"),
        ({"training_data_uris": ["../etc/passwd"]}, "training_data_uris"),
        ({"tags": {"k\x00": "v"}}, "Tags"),
        ({"model": None}, "model"),
    ],
)
def test_hostile_registration_input(bastion: Bastion, sk_model, features, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    args = {"group": GROUP, "model": sk_model, "training_data": features, **kwargs}
    with pytest.raises(Invalid) as caught:
        bastion.registry.register_model(args.pop("group"), **args)
    assert caught.value.field is not None and caught.value.field.startswith(field)


def test_concurrent_registrations_get_distinct_versions(
    bastion: Bastion, sk_model, features
) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    import bastion as bastion_pkg

    bastion.registry.create_model_package_group(GROUP)
    runtime = bastion.runtime

    def register(_: int) -> int:
        with bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock) as other:
            return other.registry.register_model(
                GROUP, model=sk_model, training_data=features
            ).version

    with ThreadPoolExecutor(max_workers=3) as pool:
        versions = sorted(pool.map(register, range(3)))
    assert versions == [1, 2, 3]
    assert [p.version for p in bastion.registry.list_model_packages(GROUP)] == [1, 2, 3]
