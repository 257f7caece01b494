"""The lineage graph's actions, named as SageMaker's IAM actions so its policies read the same.

Entities are the resource types ``artifact``, ``action`` and ``context`` (SageMaker's ARN
patterns). AddAssociation and DeleteAssociation are authorised on *both* ends (two records, as
CopyObject), so a caller cannot hang an edge on an entity it may not touch. QueryLineage is
authorised on its start entity, and on ``artifact/*`` (``context/*``) when a question names a
dataset (endpoint) by URI instead of by ARN. An entity's tags are its ``aws:ResourceTag/…``.
"""

from bastion.access import ResourceType, register_resource_types
from bastion.gate import Action, register_actions

ARTIFACT = "artifact"
ACTION = "action"
CONTEXT = "context"

CREATE_ARTIFACT = "sagemaker:CreateArtifact"
DESCRIBE_ARTIFACT = "sagemaker:DescribeArtifact"
LIST_ARTIFACTS = "sagemaker:ListArtifacts"
DELETE_ARTIFACT = "sagemaker:DeleteArtifact"
CREATE_ACTION = "sagemaker:CreateAction"
DESCRIBE_ACTION = "sagemaker:DescribeAction"
LIST_ACTIONS = "sagemaker:ListActions"
UPDATE_ACTION = "sagemaker:UpdateAction"
DELETE_ACTION = "sagemaker:DeleteAction"
CREATE_CONTEXT = "sagemaker:CreateContext"
DESCRIBE_CONTEXT = "sagemaker:DescribeContext"
LIST_CONTEXTS = "sagemaker:ListContexts"
DELETE_CONTEXT = "sagemaker:DeleteContext"
ADD_ASSOCIATION = "sagemaker:AddAssociation"
DELETE_ASSOCIATION = "sagemaker:DeleteAssociation"
LIST_ASSOCIATIONS = "sagemaker:ListAssociations"
QUERY_LINEAGE = "sagemaker:QueryLineage"

_TAGS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")
_RESOURCE_TAGS = ("aws:ResourceTag/${TagKey}",)

register_resource_types(
    [
        ResourceType(
            name=ARTIFACT,
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:artifact/${HashOfArtifactSource}",
            condition_keys=_RESOURCE_TAGS,
        ),
        ResourceType(
            name=ACTION,
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:action/${ActionName}",
            condition_keys=_RESOURCE_TAGS,
        ),
        ResourceType(
            name=CONTEXT,
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:context/${ContextName}",
            condition_keys=_RESOURCE_TAGS,
        ),
    ]
)

ACTIONS = (
    Action(
        name=CREATE_ARTIFACT,
        resource=ARTIFACT,
        doc="Record a lineage artifact (a dataset, model, image or baseline by URI)",
        condition_keys=_TAGS,
    ),
    Action(
        name=DESCRIBE_ARTIFACT,
        resource=ARTIFACT,
        doc="Read a lineage artifact",
        read_only=True,
    ),
    Action(
        name=LIST_ARTIFACTS,
        resource=ARTIFACT,
        doc="List lineage artifacts (authorised on artifact/*)",
        read_only=True,
    ),
    Action(
        name=DELETE_ARTIFACT,
        resource=ARTIFACT,
        doc="Delete a lineage artifact (and, when asked, its associations)",
    ),
    Action(
        name=CREATE_ACTION,
        resource=ACTION,
        doc="Record a lineage action (a training job, deployment, approval …)",
        condition_keys=_TAGS,
    ),
    Action(name=DESCRIBE_ACTION, resource=ACTION, doc="Read a lineage action", read_only=True),
    Action(
        name=LIST_ACTIONS,
        resource=ACTION,
        doc="List lineage actions (authorised on action/*)",
        read_only=True,
    ),
    Action(
        name=UPDATE_ACTION,
        resource=ACTION,
        doc="Change a lineage action's status, description or properties",
    ),
    Action(
        name=DELETE_ACTION,
        resource=ACTION,
        doc="Delete a lineage action (and, when asked, its associations)",
    ),
    Action(
        name=CREATE_CONTEXT,
        resource=CONTEXT,
        doc="Record a lineage context (an endpoint, a model package group …)",
        condition_keys=_TAGS,
    ),
    Action(name=DESCRIBE_CONTEXT, resource=CONTEXT, doc="Read a lineage context", read_only=True),
    Action(
        name=LIST_CONTEXTS,
        resource=CONTEXT,
        doc="List lineage contexts (authorised on context/*)",
        read_only=True,
    ),
    Action(
        name=DELETE_CONTEXT,
        resource=CONTEXT,
        doc="Delete a lineage context (and, when asked, its associations)",
    ),
    Action(
        name=ADD_ASSOCIATION,
        resource=ARTIFACT,
        doc="Add a typed edge between two lineage entities; authorised on both ends; refused "
        "when it would close a cycle",
        resource_arn="arn:${Partition}:sagemaker:${Region}:${Account}:${ResourceType}/${Id}",
    ),
    Action(
        name=DELETE_ASSOCIATION,
        resource=ARTIFACT,
        doc="Remove the edge between two lineage entities; authorised on both ends",
        resource_arn="arn:${Partition}:sagemaker:${Region}:${Account}:${ResourceType}/${Id}",
    ),
    Action(
        name=LIST_ASSOCIATIONS,
        resource=ARTIFACT,
        doc="List lineage associations (authorised on the source ARN given, else on artifact/*)",
        read_only=True,
        resource_arn="arn:${Partition}:sagemaker:${Region}:${Account}:${ResourceType}/${Id}",
    ),
    Action(
        name=QUERY_LINEAGE,
        resource=ARTIFACT,
        doc="Walk the lineage graph upstream and/or downstream of a start entity; authorised "
        "on the start entity",
        read_only=True,
        resource_arn="arn:${Partition}:sagemaker:${Region}:${Account}:${ResourceType}/${Id}",
    ),
)

register_actions(ACTIONS)
