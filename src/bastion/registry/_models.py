"""Values the registry hands out: groups, versions (model packages), approvals, trust decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.registry._signature import ModelSignature
from bastion.types import Arn


class ApprovalStatus(StrEnum):
    """SageMaker's ModelApprovalStatus."""

    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


@dataclass(frozen=True, kw_only=True)
class ModelPackageGroup:
    """A named line of model versions (SageMaker ModelPackageGroup)."""

    name: str
    arn: Arn
    description: str
    tags: dict[str, str]
    created_at: datetime
    created_by: str
    versions: int = 0


@dataclass(frozen=True, kw_only=True)
class ArtifactFile:
    """One file of a version's artifact, as signed."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True, kw_only=True)
class ModelPackage:
    """One immutable version of a model group (SageMaker ModelPackage)."""

    group: str
    version: int
    arn: Arn
    flavor: str
    framework_version: str
    artifact_uri: str
    files: tuple[ArtifactFile, ...]
    signature: ModelSignature
    metrics: dict[str, float]
    description: str
    tags: dict[str, str]
    training_data: tuple[str, ...]
    training_job: str | None
    approval_status: ApprovalStatus
    approval_by: str | None
    approval_at: datetime | None
    approval_reason: str | None
    signing_key_arn: str
    manifest_sha256: str
    created_at: datetime
    created_by: str
    customer_metadata: dict[str, str] = field(default_factory=dict)

    @property
    def artifact_sha256(self) -> str:
        """The digest that names this version's content (its signed manifest's SHA-256)."""
        return self.manifest_sha256

    def describe(self) -> dict[str, Any]:
        """DescribeModelPackage's shape (JSON-ready)."""
        return {
            "ModelPackageGroupName": self.group,
            "ModelPackageVersion": self.version,
            "ModelPackageArn": self.arn,
            "ModelPackageDescription": self.description,
            "ModelApprovalStatus": self.approval_status.value,
            "ModelPackageStatus": "Completed",
            "Flavor": self.flavor,
            "FrameworkVersion": self.framework_version,
            "ArtifactUri": self.artifact_uri,
            "Files": [{"Path": f.path, "Sha256": f.sha256, "Size": f.size} for f in self.files],
            "Signature": self.signature.to_dict(),
            "ModelMetrics": dict(self.metrics),
            "TrainingData": list(self.training_data),
            "TrainingJob": self.training_job,
            "ApprovedBy": self.approval_by,
            "ApprovalTime": self.approval_at.isoformat() if self.approval_at else None,
            "ApprovalDescription": self.approval_reason,
            "SigningKeyArn": self.signing_key_arn,
            "ManifestSha256": self.manifest_sha256,
            "CustomerMetadataProperties": dict(self.customer_metadata),
            "Tags": dict(self.tags),
            "CreationTime": self.created_at.isoformat(),
            "CreatedBy": self.created_by,
        }


@dataclass(frozen=True, kw_only=True)
class ApprovalRecord:
    """One change of a version's approval status (the history behind the current status)."""

    group: str
    version: int
    from_status: ApprovalStatus | None
    to_status: ApprovalStatus
    by: str
    at: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class TrustDecision:
    """A principal's recorded decision to load one unsafe (pickle-family) artifact."""

    sha256: str
    artifact_format: str
    decided_by: str
    decided_at: datetime
    reason: str
