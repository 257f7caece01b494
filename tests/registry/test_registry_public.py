"""The registry's and serving's public surfaces are pinned."""

from __future__ import annotations

import bastion.registry
import bastion.serving


def test_registry_public_surface() -> None:
    assert sorted(bastion.registry.__all__) == sorted(
        [
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
    )


def test_serving_public_surface() -> None:
    assert sorted(bastion.serving.__all__) == sorted(
        [
            "ENDPOINT_DELETED",
            "ENDPOINT_DEPLOYED",
            "DataCaptureConfig",
            "Endpoint",
            "EndpointConfig",
            "EndpointStatus",
            "EndpointsClient",
            "HostedModel",
            "InvocationMeter",
            "Invocation",
            "ModelHosts",
            "ProductionVariant",
            "ServerlessConfig",
            "ServingRuntime",
            "registry_loader",
            "service_publisher",
        ]
    )
