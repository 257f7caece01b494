"""The registry's actions, named as SageMaker's so model-registry policies read the same here.

``sagemaker:UpdateModelPackage`` carries ``sagemaker:ModelApprovalStatus`` (the status being
set), so a policy can let reviewers approve without letting them do anything else. Loading a
version (``bastion:LoadModelPackage``) is audited with the verification result; recording that an
unsafe (pickle-family) artifact may be loaded needs ``bastion:TrustUnsafeModelFormat`` on that
artifact's content hash.
"""

from bastion.access import ResourceType, register_resource_types
from bastion.gate import Action, register_actions

CREATE_GROUP = "sagemaker:CreateModelPackageGroup"
DESCRIBE_GROUP = "sagemaker:DescribeModelPackageGroup"
LIST_GROUPS = "sagemaker:ListModelPackageGroups"
DELETE_GROUP = "sagemaker:DeleteModelPackageGroup"
CREATE_PACKAGE = "sagemaker:CreateModelPackage"
DESCRIBE_PACKAGE = "sagemaker:DescribeModelPackage"
LIST_PACKAGES = "sagemaker:ListModelPackages"
UPDATE_PACKAGE = "sagemaker:UpdateModelPackage"
DELETE_PACKAGE = "sagemaker:DeleteModelPackage"
LOAD_PACKAGE = "bastion:LoadModelPackage"
TRUST_UNSAFE = "bastion:TrustUnsafeModelFormat"
LIST_TRUST = "bastion:ListTrustDecisions"

APPROVAL_KEY = "sagemaker:ModelApprovalStatus"
_TAGGED = ("aws:ResourceTag/${TagKey}", "sagemaker:ResourceTag/${TagKey}")
_ON_CREATE = ("aws:RequestTag/${TagKey}", "aws:TagKeys")

register_resource_types(
    [
        ResourceType(
            name="model-package-group",
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:model-package-group/"
            "${ModelPackageGroupName}",
            condition_keys=_TAGGED,
        ),
        ResourceType(
            name="model-package",
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:model-package/"
            "${ModelPackageGroupName}/${Version}",
            condition_keys=_TAGGED,
        ),
        ResourceType(
            name="model-artifact",
            arn="arn:${Partition}:bastion:${Region}:${Account}:model-artifact/${Sha256}",
        ),
    ]
)

register_actions(
    [
        Action(
            name=CREATE_GROUP,
            resource="model-package-group",
            doc="Create a model package group (a line of model versions)",
            condition_keys=_ON_CREATE,
        ),
        Action(
            name=DESCRIBE_GROUP,
            resource="model-package-group",
            doc="Describe a model package group",
            read_only=True,
        ),
        Action(
            name=LIST_GROUPS,
            resource="model-package-group",
            doc="List model package groups",
            read_only=True,
            resource_arn="*",
        ),
        Action(
            name=DELETE_GROUP,
            resource="model-package-group",
            doc="Delete a model package group that holds no versions",
        ),
        Action(
            name=CREATE_PACKAGE,
            resource="model-package-group",
            doc="Register a new model version in a group (artifact stored encrypted and signed)",
            condition_keys=(*_ON_CREATE, APPROVAL_KEY),
        ),
        Action(
            name=DESCRIBE_PACKAGE,
            resource="model-package",
            doc="Describe one model version (signature, metrics, approval, lineage inputs)",
            read_only=True,
        ),
        Action(
            name=LIST_PACKAGES,
            resource="model-package-group",
            doc="List the versions of a model package group",
            read_only=True,
        ),
        Action(
            name=UPDATE_PACKAGE,
            resource="model-package",
            doc="Change a version's approval status (Approved / Rejected / PendingManualApproval)",
            condition_keys=(APPROVAL_KEY,),
        ),
        Action(
            name=DELETE_PACKAGE,
            resource="model-package",
            doc="Delete a model version that is not Approved",
        ),
        Action(
            name=LOAD_PACKAGE,
            resource="model-package",
            doc="Load a model version after verifying its signed manifest and every file's hash",
            read_only=True,
        ),
        Action(
            name=TRUST_UNSAFE,
            resource="model-artifact",
            doc="Record a decision that one pickle-family artifact (by SHA-256) may be loaded",
        ),
        Action(
            name=LIST_TRUST,
            resource="model-artifact",
            doc="List recorded trust decisions for unsafe model formats",
            read_only=True,
            resource_arn="*",
        ),
    ]
)
