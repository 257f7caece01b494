"""Events serving emits."""

from bastion.events import declare_event

ENDPOINT_DEPLOYED = declare_event(
    "serving.EndpointDeployed",
    "A variant of an endpoint now serves a model version (create, update, rollback): "
    "endpoint_arn, endpoint, config, variant, model_package_arn",
).kind
ENDPOINT_DELETED = declare_event(
    "serving.EndpointDeleted", "An endpoint was deleted: endpoint_arn, endpoint"
).kind
