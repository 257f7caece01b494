"""``/endpoints``: SageMaker Runtime's InvokeEndpoint, and the endpoint control plane.

``POST /endpoints/{name}/invocations`` speaks SageMaker Runtime's REST shape, so
``boto3.client("sagemaker-runtime", endpoint_url=…).invoke_endpoint(...)`` works with a Bastion
access key (SigV4) — or a bearer token: headers ``Content-Type``, ``Accept``,
``X-Amzn-SageMaker-Custom-Attributes``, ``X-Amzn-SageMaker-Target-Variant``,
``X-Amzn-SageMaker-Inference-Id``; the response names the variant in
``X-Amzn-Invoked-Production-Variant``. Errors carry ``x-amzn-ErrorType`` (ValidationError,
ModelError, ThrottlingException …) so botocore raises the right ClientError code.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bastion.api._app import RuntimeDep, api_state
from bastion.api._auth import CallerDep
from bastion.api._errors import error_response, error_responses
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.errors import BastionError, PayloadTooLarge, Throttled
from bastion.keys import KeysClient
from bastion.registry import RegistryClient
from bastion.serving import (
    DataCaptureConfig,
    Endpoint,
    EndpointConfig,
    EndpointsClient,
    ProductionVariant,
    ServerlessConfig,
)
from bastion.store import StoreClient

MAX_INVOKE_BYTES = 6 * 1024 * 1024
"""SageMaker's InvokeEndpoint payload limit."""

router = APIRouter(
    prefix="/endpoints", tags=["endpoints"], responses=error_responses(403, 404, 409)
)
configs = APIRouter(
    prefix="/endpoint-configs", tags=["endpoints"], responses=error_responses(403, 404, 409)
)


def endpoints_client(request: Request, runtime: RuntimeDep) -> EndpointsClient:
    """Endpoints as the caller; models are hosted once per server process."""
    keys = KeysClient(runtime)
    registry = RegistryClient(runtime, keys=keys, store=StoreClient(runtime, keys=keys))
    state = api_state(request)
    return EndpointsClient(
        runtime, registry=registry, hosts=state.hosts, meter=state.meter, capture=state.capture
    )


EndpointsDep = Annotated[EndpointsClient, Depends(endpoints_client)]


# ------------------------------------------------------------------------------------ models


class ServerlessIn(RequestModel):
    MemorySizeInMB: int = 2048
    MaxConcurrency: int = 20
    IdleSeconds: int = 300


class VariantIn(RequestModel):
    VariantName: str
    ModelPackageGroupName: str
    ModelPackageVersion: int
    InitialVariantWeight: float = 1.0
    InitialInstanceCount: int = 1
    MaxConcurrency: int = 64
    ServerlessConfig: ServerlessIn | None = None


class CaptureIn(RequestModel):
    EnableCapture: bool = True
    InitialSamplingPercentage: int = 100
    DestinationS3Uri: str
    KmsKeyId: str | None = None
    CaptureInput: bool = True
    CaptureOutput: bool = True
    RedactFields: list[str] = []
    OnFailure: str = "backpressure"


class CreateConfigBody(RequestModel):
    EndpointConfigName: str
    ProductionVariants: list[VariantIn]
    DataCaptureConfig: CaptureIn | None = None
    Tags: dict[str, str] | None = None


class CreateEndpointBody(RequestModel):
    EndpointName: str
    EndpointConfigName: str
    Tags: dict[str, str] | None = None


class UpdateEndpointBody(RequestModel):
    EndpointConfigName: str


class WeightsBody(RequestModel):
    DesiredWeights: dict[str, float]


class EndpointOut(ResponseModel):
    EndpointName: str
    EndpointArn: str
    EndpointConfigName: str
    PreviousEndpointConfigName: str | None
    EndpointStatus: str
    FailureReason: str | None
    VariantWeights: dict[str, float]
    CreationTime: Timestamp
    LastModifiedTime: Timestamp


class EndpointList(ResponseModel):
    Endpoints: list[EndpointOut]


class ConfigOut(ResponseModel):
    EndpointConfigName: str
    EndpointConfigArn: str
    ProductionVariants: list[dict[str, Any]]
    DataCaptureConfig: dict[str, Any] | None
    CreationTime: Timestamp


class ConfigList(ResponseModel):
    EndpointConfigs: list[ConfigOut]


def _endpoint(e: Endpoint) -> EndpointOut:
    return EndpointOut(
        EndpointName=e.name,
        EndpointArn=e.arn,
        EndpointConfigName=e.config_name,
        PreviousEndpointConfigName=e.previous_config_name,
        EndpointStatus=e.status.value,
        FailureReason=e.failure_reason,
        VariantWeights=e.weights,
        CreationTime=e.created_at,
        LastModifiedTime=e.modified_at,
    )


def _config(c: EndpointConfig) -> ConfigOut:
    return ConfigOut(
        EndpointConfigName=c.name,
        EndpointConfigArn=c.arn,
        ProductionVariants=[v.to_dict() for v in c.variants],
        DataCaptureConfig=c.data_capture.to_dict() if c.data_capture else None,
        CreationTime=c.created_at,
    )


def _variant(v: VariantIn) -> ProductionVariant:
    serverless = v.ServerlessConfig
    return ProductionVariant(
        variant_name=v.VariantName,
        model_group=v.ModelPackageGroupName,
        model_version=v.ModelPackageVersion,
        initial_weight=v.InitialVariantWeight,
        instance_count=v.InitialInstanceCount,
        max_concurrency=v.MaxConcurrency,
        serverless=None
        if serverless is None
        else ServerlessConfig(
            memory_size_mb=serverless.MemorySizeInMB,
            max_concurrency=serverless.MaxConcurrency,
            idle_seconds=serverless.IdleSeconds,
        ),
    )


def _capture(c: CaptureIn | None) -> DataCaptureConfig | None:
    if c is None:
        return None
    return DataCaptureConfig(
        enable_capture=c.EnableCapture,
        initial_sampling_percentage=c.InitialSamplingPercentage,
        destination_s3_uri=c.DestinationS3Uri,
        kms_key_id=c.KmsKeyId,
        capture_input=c.CaptureInput,
        capture_output=c.CaptureOutput,
        redact_fields=tuple(c.RedactFields),
        on_failure=c.OnFailure,
    )


# ------------------------------------------------------------------------------------ configs


@configs.post("", name="CreateEndpointConfig", status_code=201)
def create_config(body: CreateConfigBody, endpoints: EndpointsDep, caller: CallerDep) -> ConfigOut:
    """Create an endpoint config (variants + data capture)."""
    return _config(
        endpoints.create_endpoint_config(
            body.EndpointConfigName,
            variants=[_variant(v) for v in body.ProductionVariants],
            data_capture=_capture(body.DataCaptureConfig),
            tags=body.Tags,
            context=caller.context,
        )
    )


@configs.get("", name="ListEndpointConfigs")
def list_configs(endpoints: EndpointsDep, caller: CallerDep) -> ConfigList:
    """Every endpoint config."""
    return ConfigList(
        EndpointConfigs=[
            _config(c) for c in endpoints.list_endpoint_configs(context=caller.context)
        ]
    )


@configs.get("/{name}", name="DescribeEndpointConfig")
def describe_config(name: str, endpoints: EndpointsDep, caller: CallerDep) -> ConfigOut:
    """One endpoint config."""
    return _config(endpoints.describe_endpoint_config(name, context=caller.context))


@configs.delete("/{name}", name="DeleteEndpointConfig", status_code=204)
def delete_config(name: str, endpoints: EndpointsDep, caller: CallerDep) -> None:
    """Delete a config no endpoint uses."""
    endpoints.delete_endpoint_config(name, context=caller.context)


# ------------------------------------------------------------------------------------ endpoints


@router.post("", name="CreateEndpoint", status_code=201)
def create_endpoint(
    body: CreateEndpointBody, endpoints: EndpointsDep, caller: CallerDep
) -> EndpointOut:
    """Deploy an endpoint from a config (Approved versions only, unless allowed)."""
    return _endpoint(
        endpoints.create_endpoint(
            body.EndpointName,
            config_name=body.EndpointConfigName,
            tags=body.Tags,
            context=caller.context,
        )
    )


@router.get("", name="ListEndpoints")
def list_endpoints(endpoints: EndpointsDep, caller: CallerDep) -> EndpointList:
    """Every endpoint."""
    return EndpointList(
        Endpoints=[_endpoint(e) for e in endpoints.list_endpoints(context=caller.context)]
    )


@router.get("/{name}", name="DescribeEndpoint")
def describe_endpoint(name: str, endpoints: EndpointsDep, caller: CallerDep) -> EndpointOut:
    """Status, current and previous config, weights."""
    return _endpoint(endpoints.describe_endpoint(name, context=caller.context))


@router.put("/{name}", name="UpdateEndpoint")
def update_endpoint(
    name: str, body: UpdateEndpointBody, endpoints: EndpointsDep, caller: CallerDep
) -> EndpointOut:
    """Switch to a new config; the current one becomes the rollback target."""
    return _endpoint(
        endpoints.update_endpoint(name, config_name=body.EndpointConfigName, context=caller.context)
    )


@router.post("/{name}/rollback", name="RollbackEndpoint")
def rollback_endpoint(name: str, endpoints: EndpointsDep, caller: CallerDep) -> EndpointOut:
    """Go back to the previous config."""
    return _endpoint(endpoints.rollback_endpoint(name, context=caller.context))


@router.put("/{name}/weights", name="UpdateEndpointWeightsAndCapacities")
def update_weights(
    name: str, body: WeightsBody, endpoints: EndpointsDep, caller: CallerDep
) -> EndpointOut:
    """Change variants' traffic weights."""
    return _endpoint(
        endpoints.update_endpoint_weights(name, body.DesiredWeights, context=caller.context)
    )


@router.delete("/{name}", name="DeleteEndpoint", status_code=204)
def delete_endpoint(name: str, endpoints: EndpointsDep, caller: CallerDep) -> None:
    """Delete an endpoint."""
    endpoints.delete_endpoint(name, context=caller.context)


# ------------------------------------------------------------------------------------ invoke


def _error(exc: BastionError, *, aws_client: bool) -> JSONResponse:
    """The one JSON error shape; an AWS SDK caller (SigV4) gets SageMaker Runtime's instead:
    the code in ``x-amzn-ErrorType`` and the text in ``message``, as botocore reads them."""
    headers: dict[str, str] = {}
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if not aws_client:
        return error_response(exc, headers=headers)
    headers["x-amzn-ErrorType"] = exc.aws_code
    return JSONResponse({"message": exc.message}, status_code=exc.status, headers=headers)


@router.post(
    "/{name}/invocations",
    name="InvokeEndpoint",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **error_responses(403, 404, 409, 424, 429),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def invoke_endpoint(
    name: str,
    request: Request,
    endpoints: EndpointsDep,
    caller: CallerDep,
    accept: Annotated[str | None, Header()] = None,
    custom_attributes: Annotated[
        str | None, Header(alias="X-Amzn-SageMaker-Custom-Attributes")
    ] = None,
    target_variant: Annotated[str | None, Header(alias="X-Amzn-SageMaker-Target-Variant")] = None,
    inference_id: Annotated[str | None, Header(alias="X-Amzn-SageMaker-Inference-Id")] = None,
) -> Response:
    """Score the body on the endpoint (SageMaker Runtime's InvokeEndpoint)."""
    body = await request.body()
    try:
        if len(body) > MAX_INVOKE_BYTES:
            raise PayloadTooLarge(
                f"The request body is {len(body)} bytes; InvokeEndpoint takes at most "
                f"{MAX_INVOKE_BYTES} (6 MB). Send fewer rows per request."
            )
        result = await run_in_threadpool(
            endpoints.invoke_endpoint,
            name,
            body,
            content_type=request.headers.get("content-type"),
            accept=accept,
            target_variant=target_variant,
            inference_id=inference_id,
            custom_attributes=custom_attributes,
            context=caller.context,
        )
    except BastionError as exc:
        signed = request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256")
        return _error(exc, aws_client=signed)
    headers = {
        "X-Amzn-Invoked-Production-Variant": result.variant,
        "X-Amzn-SageMaker-Inference-Id": result.inference_id,
    }
    if result.custom_attributes:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = result.custom_attributes
    return Response(result.body, media_type=result.content_type, headers=headers)
