"""Serving's actions, named as SageMaker's (control plane) and SageMaker Runtime's (invoke).

``sagemaker:InvokeEndpoint`` is a CloudTrail *data* event. Deploying a version that is not
Approved needs ``bastion:DeployUnapprovedModel`` on the model package as well (audited), and
``RollbackEndpoint`` is authorized as ``sagemaker:UpdateEndpoint`` (it is an update to the
previous config).
"""

from bastion.access import ResourceType, register_resource_types
from bastion.gate import Action, register_actions
from bastion.types import EventCategory

CREATE_CONFIG = "sagemaker:CreateEndpointConfig"
DESCRIBE_CONFIG = "sagemaker:DescribeEndpointConfig"
LIST_CONFIGS = "sagemaker:ListEndpointConfigs"
DELETE_CONFIG = "sagemaker:DeleteEndpointConfig"
CREATE_ENDPOINT = "sagemaker:CreateEndpoint"
DESCRIBE_ENDPOINT = "sagemaker:DescribeEndpoint"
LIST_ENDPOINTS = "sagemaker:ListEndpoints"
UPDATE_ENDPOINT = "sagemaker:UpdateEndpoint"
UPDATE_WEIGHTS = "sagemaker:UpdateEndpointWeightsAndCapacities"
DELETE_ENDPOINT = "sagemaker:DeleteEndpoint"
INVOKE_ENDPOINT = "sagemaker:InvokeEndpoint"
DEPLOY_UNAPPROVED = "bastion:DeployUnapprovedModel"

_TAGGED = ("aws:ResourceTag/${TagKey}", "sagemaker:ResourceTag/${TagKey}")
_ON_CREATE = ("aws:RequestTag/${TagKey}", "aws:TagKeys")

register_resource_types(
    [
        ResourceType(
            name="endpoint-config",
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:endpoint-config/"
            "${EndpointConfigName}",
            condition_keys=_TAGGED,
        ),
        ResourceType(
            name="endpoint",
            arn="arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}",
            condition_keys=_TAGGED,
        ),
    ]
)

register_actions(
    [
        Action(
            name=CREATE_CONFIG,
            resource="endpoint-config",
            doc="Create an endpoint config: production variants and data capture",
            condition_keys=(*_ON_CREATE, "sagemaker:VolumeKmsKey"),
        ),
        Action(
            name=DESCRIBE_CONFIG,
            resource="endpoint-config",
            doc="Describe an endpoint config",
            read_only=True,
        ),
        Action(
            name=LIST_CONFIGS,
            resource="endpoint-config",
            doc="List endpoint configs",
            read_only=True,
            resource_arn="*",
        ),
        Action(
            name=DELETE_CONFIG,
            resource="endpoint-config",
            doc="Delete an endpoint config no endpoint uses",
        ),
        Action(
            name=CREATE_ENDPOINT,
            resource="endpoint",
            doc="Deploy an endpoint from a config (Approved versions only, unless allowed)",
            condition_keys=_ON_CREATE,
        ),
        Action(
            name=DESCRIBE_ENDPOINT,
            resource="endpoint",
            doc="Describe an endpoint: status, current and previous config, weights",
            read_only=True,
        ),
        Action(
            name=LIST_ENDPOINTS,
            resource="endpoint",
            doc="List endpoints",
            read_only=True,
            resource_arn="*",
        ),
        Action(
            name=UPDATE_ENDPOINT,
            resource="endpoint",
            doc="Switch an endpoint to a new config (zero downtime), or roll back to the previous",
        ),
        Action(
            name=UPDATE_WEIGHTS,
            resource="endpoint",
            doc="Change variants' traffic weights without a new config",
        ),
        Action(name=DELETE_ENDPOINT, resource="endpoint", doc="Delete an endpoint"),
        Action(
            name=INVOKE_ENDPOINT,
            resource="endpoint",
            doc="Send one request to an endpoint and get the model's response",
            read_only=True,
            category=EventCategory.DATA,
        ),
        Action(
            name=DEPLOY_UNAPPROVED,
            resource="model-package",
            doc="Deploy a model version that is not Approved (an audited override)",
        ),
    ]
)
