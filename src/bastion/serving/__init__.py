"""Endpoints: configs with production variants, deploy / update / roll back, InvokeEndpoint.

Only Approved registry versions deploy (unless the caller may override, audited); the invoke path
authorizes ``sagemaker:InvokeEndpoint``, validates the body against the version's signature and
scores it on a model loaded once per process after the registry verified it.
"""

from bastion.serving import _actions  # noqa: F401  (registers serving's actions)
from bastion.serving._client import EndpointsClient, ServingRuntime
from bastion.serving._events import ENDPOINT_DELETED, ENDPOINT_DEPLOYED
from bastion.serving._hosts import HostedModel, ModelHosts, registry_loader
from bastion.serving._meter import InvocationMeter, service_publisher
from bastion.serving._models import (
    DataCaptureConfig,
    Endpoint,
    EndpointConfig,
    EndpointStatus,
    Invocation,
    ProductionVariant,
    ServerlessConfig,
)

__all__ = [
    "ENDPOINT_DELETED",
    "ENDPOINT_DEPLOYED",
    "DataCaptureConfig",
    "Endpoint",
    "EndpointConfig",
    "EndpointStatus",
    "EndpointsClient",
    "HostedModel",
    "Invocation",
    "InvocationMeter",
    "ModelHosts",
    "ProductionVariant",
    "ServerlessConfig",
    "ServingRuntime",
    "registry_loader",
    "service_publisher",
]
