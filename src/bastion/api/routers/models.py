"""``/models``: the model registry (SageMaker ModelPackageGroup / ModelPackage semantics).

A version is registered from model files already in the encrypted store (``ModelDataUrl``,
``s3://bucket/prefix/``, uploaded through ``/s3`` or boto3) with an explicit ``Signature``;
the SDK and CLI can also register a model object or a local folder and infer the signature.
Each route is one :class:`~bastion.registry.RegistryClient` call through the gate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bastion.api._app import RuntimeDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses, hidden_as_not_found
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.keys import KeysClient
from bastion.registry import (
    ApprovalRecord,
    ApprovalStatus,
    ModelPackage,
    ModelPackageGroup,
    RegistryClient,
    TrustDecision,
)
from bastion.store import StoreClient

router = APIRouter(prefix="/models", tags=["models"], responses=error_responses(403, 404, 409))


def registry_client(runtime: RuntimeDep) -> RegistryClient:
    """The registry as the caller (its key and store calls are made as the caller too)."""
    keys = KeysClient(runtime)
    return RegistryClient(runtime, keys=keys, store=StoreClient(runtime, keys=keys))


RegistryDep = Annotated[RegistryClient, Depends(registry_client)]


# ------------------------------------------------------------------------------------ models


class CreateGroupBody(RequestModel):
    ModelPackageGroupName: str
    ModelPackageGroupDescription: str = ""
    Tags: dict[str, str] | None = None


class GroupOut(ResponseModel):
    ModelPackageGroupName: str
    ModelPackageGroupArn: str
    ModelPackageGroupDescription: str
    Versions: int
    Tags: dict[str, str]
    CreatedBy: str
    CreationTime: Timestamp


class GroupList(ResponseModel):
    ModelPackageGroupSummaryList: list[GroupOut]


class RegisterBody(RequestModel):
    ModelDataUrl: str
    Signature: dict[str, Any]
    ModelMetrics: dict[str, float] | None = None
    ModelPackageDescription: str = ""
    TrainingData: list[str] = []
    TrainingJob: str | None = None
    ModelApprovalStatus: ApprovalStatus = ApprovalStatus.PENDING
    CustomerMetadataProperties: dict[str, str] | None = None
    Tags: dict[str, str] | None = None


class UpdateBody(RequestModel):
    ModelApprovalStatus: ApprovalStatus
    ApprovalDescription: str


class TrustBody(RequestModel):
    Sha256: str
    ArtifactFormat: str
    Reason: str


class PackageList(ResponseModel):
    ModelPackageSummaryList: list[dict[str, Any]]


class HistoryOut(ResponseModel):
    FromStatus: ApprovalStatus | None
    ToStatus: ApprovalStatus
    By: str
    At: Timestamp
    Reason: str


class HistoryList(ResponseModel):
    ApprovalHistory: list[HistoryOut]


class TrustOut(ResponseModel):
    Sha256: str
    ArtifactFormat: str
    DecidedBy: str
    DecidedAt: Timestamp
    Reason: str


class TrustList(ResponseModel):
    TrustDecisions: list[TrustOut]


def _group(group: ModelPackageGroup) -> GroupOut:
    return GroupOut(
        ModelPackageGroupName=group.name,
        ModelPackageGroupArn=group.arn,
        ModelPackageGroupDescription=group.description,
        Versions=group.versions,
        Tags=dict(group.tags),
        CreatedBy=group.created_by,
        CreationTime=group.created_at,
    )


def _history(record: ApprovalRecord) -> HistoryOut:
    return HistoryOut(
        FromStatus=record.from_status,
        ToStatus=record.to_status,
        By=record.by,
        At=record.at,
        Reason=record.reason,
    )


def _trust(decision: TrustDecision) -> TrustOut:
    return TrustOut(
        Sha256=decision.sha256,
        ArtifactFormat=decision.artifact_format,
        DecidedBy=decision.decided_by,
        DecidedAt=decision.decided_at,
        Reason=decision.reason,
    )


def _package(package: ModelPackage) -> dict[str, Any]:
    return package.describe()


def group_not_found(group: str) -> str:
    """The 404 text for a group the caller may not see: the same as for a missing one."""
    return f"Model package group '{group}' not found"


# ------------------------------------------------------------------------------------ groups


@router.post("/groups", name="CreateModelPackageGroup", status_code=201)
def create_group(body: CreateGroupBody, registry: RegistryDep, caller: CallerDep) -> GroupOut:
    """Create a model package group."""
    return _group(
        registry.create_model_package_group(
            body.ModelPackageGroupName,
            description=body.ModelPackageGroupDescription,
            tags=body.Tags,
            context=caller.context,
        )
    )


@router.get("/groups", name="ListModelPackageGroups")
def list_groups(registry: RegistryDep, caller: CallerDep) -> GroupList:
    """Every model package group."""
    found = registry.list_model_package_groups(context=caller.context)
    return GroupList(ModelPackageGroupSummaryList=[_group(g) for g in found])


@router.get("/groups/{group}", name="DescribeModelPackageGroup")
def describe_group(group: str, registry: RegistryDep, caller: CallerDep) -> GroupOut:
    """One group and how many versions it holds."""
    with hidden_as_not_found("sagemaker:DescribeModelPackageGroup", group_not_found(group)):
        return _group(registry.describe_model_package_group(group, context=caller.context))


@router.delete("/groups/{group}", name="DeleteModelPackageGroup", status_code=204)
def delete_group(group: str, registry: RegistryDep, caller: CallerDep) -> None:
    """Delete a group that holds no versions."""
    registry.delete_model_package_group(group, context=caller.context)


# ------------------------------------------------------------------------------------ versions


@router.post("/groups/{group}/versions", name="CreateModelPackage", status_code=201)
def register(
    group: str, body: RegisterBody, registry: RegistryDep, caller: CallerDep
) -> dict[str, Any]:
    """Register a version from model files in the store (signed, verified, safe formats only)."""
    return _package(
        registry.register_model(
            group,
            path=body.ModelDataUrl,
            signature=body.Signature,
            metrics=body.ModelMetrics,
            description=body.ModelPackageDescription,
            training_data_uris=body.TrainingData,
            training_job=body.TrainingJob,
            approval_status=body.ModelApprovalStatus,
            customer_metadata=body.CustomerMetadataProperties,
            tags=body.Tags,
            context=caller.context,
        )
    )


@router.get("/groups/{group}/versions", name="ListModelPackages")
def list_versions(
    group: str,
    registry: RegistryDep,
    caller: CallerDep,
    status: Annotated[ApprovalStatus | None, Query(alias="ModelApprovalStatus")] = None,
) -> PackageList:
    """A group's versions, oldest first."""
    found = registry.list_model_packages(group, approval_status=status, context=caller.context)
    return PackageList(ModelPackageSummaryList=[_package(p) for p in found])


@router.get("/groups/{group}/versions/{version}", name="DescribeModelPackage")
def describe_version(
    group: str, version: int, registry: RegistryDep, caller: CallerDep
) -> dict[str, Any]:
    """One version: files and hashes, signature, metrics, approval."""
    return _package(registry.describe_model_package(group, version, context=caller.context))


@router.patch("/groups/{group}/versions/{version}", name="UpdateModelPackage")
def update_version(
    group: str, version: int, body: UpdateBody, registry: RegistryDep, caller: CallerDep
) -> dict[str, Any]:
    """Change the approval status (policies see ``sagemaker:ModelApprovalStatus``)."""
    return _package(
        registry.update_model_package(
            group,
            version,
            approval_status=body.ModelApprovalStatus,
            reason=body.ApprovalDescription,
            context=caller.context,
        )
    )


@router.get("/groups/{group}/versions/{version}/history", name="ListApprovalHistory")
def history(group: str, version: int, registry: RegistryDep, caller: CallerDep) -> HistoryList:
    """Every approval status the version had."""
    records = registry.approval_history(group, version, context=caller.context)
    return HistoryList(ApprovalHistory=[_history(r) for r in records])


@router.delete("/groups/{group}/versions/{version}", name="DeleteModelPackage", status_code=204)
def delete_version(group: str, version: int, registry: RegistryDep, caller: CallerDep) -> None:
    """Delete a version that is not Approved."""
    registry.delete_model_package(group, version, context=caller.context)


@router.post("/groups/{group}/versions/{version}/verify", name="LoadModelPackage")
def verify_version(
    group: str, version: int, registry: RegistryDep, caller: CallerDep
) -> dict[str, Any]:
    """Download, verify the signed manifest and every hash, and load the version (a dry run
    of what serving does)."""
    model = registry.load_model(group, version, context=caller.context)
    return {
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "Flavor": model.flavor,
        "Verified": True,
    }


# ------------------------------------------------------------------------------------ trust


@router.post("/trust", name="TrustUnsafeModelFormat", status_code=201)
def trust(body: TrustBody, registry: RegistryDep, caller: CallerDep) -> TrustOut:
    """Record that one pickle-family artifact (by SHA-256) may be loaded."""
    return _trust(
        registry.trust_unsafe_artifact(
            body.Sha256,
            artifact_format=body.ArtifactFormat,
            reason=body.Reason,
            context=caller.context,
        )
    )


@router.get("/trust", name="ListTrustDecisions")
def list_trust(registry: RegistryDep, caller: CallerDep) -> TrustList:
    """Every recorded trust decision."""
    return TrustList(
        TrustDecisions=[_trust(d) for d in registry.list_trust_decisions(context=caller.context)]
    )
