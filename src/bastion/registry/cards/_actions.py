"""The model card actions, named as SageMaker's IAM actions so SageMaker policies read the same.

CreateModelCard and UpdateModelCard also supply ``bastion:ModelCardStatus``: the status the call
asks for. A policy can then keep authors from approving their own cards::

    {"Effect": "Deny", "Action": "sagemaker:UpdateModelCard", "Resource": "*",
     "Condition": {"StringEquals": {"bastion:ModelCardStatus": "Approved"}}}

Reading a card whose content is sealed under a KMS key also needs ``kms:Decrypt`` on that key
(and writing one ``kms:GenerateDataKey``), asked for via ``sagemaker.amazonaws.com``.
"""

from bastion.access import ResourceType, register_resource_types
from bastion.gate import Action, register_actions

CREATE_MODEL_CARD = "sagemaker:CreateModelCard"
DESCRIBE_MODEL_CARD = "sagemaker:DescribeModelCard"
UPDATE_MODEL_CARD = "sagemaker:UpdateModelCard"
DELETE_MODEL_CARD = "sagemaker:DeleteModelCard"
LIST_MODEL_CARDS = "sagemaker:ListModelCards"
LIST_MODEL_CARD_VERSIONS = "sagemaker:ListModelCardVersions"
EXPORT_MODEL_CARD = "sagemaker:CreateModelCardExportJob"

MODEL_CARD = "model-card"
STATUS_KEY = "bastion:ModelCardStatus"

register_resource_types(
    [
        ResourceType(
            name=MODEL_CARD,
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:model-card/${ModelCardName}",
        )
    ]
)

ACTIONS = (
    Action(
        name=CREATE_MODEL_CARD,
        resource=MODEL_CARD,
        doc="Create a model card (version 1, Draft or PendingReview), optionally drafted from a "
        "model package and sealed under a KMS key",
        condition_keys=(STATUS_KEY,),
    ),
    Action(
        name=DESCRIBE_MODEL_CARD,
        resource=MODEL_CARD,
        doc="Read a model card's content and status, the latest version or a given one",
        read_only=True,
    ),
    Action(
        name=UPDATE_MODEL_CARD,
        resource=MODEL_CARD,
        doc="Change a model card's content (a new Draft version) or its review status (a new "
        "version with that status)",
        condition_keys=(STATUS_KEY,),
    ),
    Action(
        name=DELETE_MODEL_CARD,
        resource=MODEL_CARD,
        doc="Delete a model card and all its versions",
    ),
    Action(
        name=LIST_MODEL_CARDS,
        resource=MODEL_CARD,
        doc="List model cards (latest version and status of each)",
        read_only=True,
    ),
    Action(
        name=LIST_MODEL_CARD_VERSIONS,
        resource=MODEL_CARD,
        doc="List a model card's versions: status, what changed, who and when",
        read_only=True,
    ),
    Action(
        name=EXPORT_MODEL_CARD,
        resource=MODEL_CARD,
        doc="Export a model card version as Markdown or self-contained HTML (rendered at once; "
        "no job is kept)",
        read_only=True,
    ),
)

register_actions(ACTIONS)
