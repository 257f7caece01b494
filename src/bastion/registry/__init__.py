"""Model registry: model groups and versions, approval, safe flavors, lineage and model cards.

Versions are immutable, stored encrypted, signed (a manifest of their files' SHA-256 signed by a
key of the key service) and loaded only in safe formats after verification; approval changes are
audited and emitted as events that serving and alarms listen to.
"""

from bastion.registry import _actions  # noqa: F401  (registers the registry's actions)
from bastion.registry._client import RegistryClient, RegistryRuntime
from bastion.registry._events import (
    MODEL_PACKAGE_CREATED,
    MODEL_PACKAGE_DELETED,
    MODEL_PACKAGE_STATUS_CHANGED,
    UNSAFE_FORMAT_TRUSTED,
)
from bastion.registry._models import (
    ApprovalRecord,
    ApprovalStatus,
    ArtifactFile,
    ModelPackage,
    ModelPackageGroup,
    TrustDecision,
)
from bastion.registry._signature import (
    FeatureSpec,
    FeatureType,
    ModelSignature,
    SignatureProblem,
    infer_signature,
)

__all__ = [
    "MODEL_PACKAGE_CREATED",
    "MODEL_PACKAGE_DELETED",
    "MODEL_PACKAGE_STATUS_CHANGED",
    "UNSAFE_FORMAT_TRUSTED",
    "ApprovalRecord",
    "ApprovalStatus",
    "ArtifactFile",
    "FeatureSpec",
    "FeatureType",
    "ModelPackage",
    "ModelPackageGroup",
    "ModelSignature",
    "RegistryClient",
    "RegistryRuntime",
    "SignatureProblem",
    "TrustDecision",
    "infer_signature",
]
