"""Endpoints as callers see them: every method is one action through the gate.

Control plane (SageMaker semantics): endpoint configs list production variants (a registry
version each, a weight, capacity) and a data-capture config; endpoints deploy a config, switch
to a new one with the previous kept, roll back in one call, and change weights in place. Only
Approved versions deploy, unless the caller may also ``bastion:DeployUnapprovedModel``.

Data plane (SageMaker Runtime semantics): :meth:`EndpointsClient.invoke_endpoint` authorizes
``sagemaker:InvokeEndpoint``, parses and validates the body against the version's signature
(400 naming field and row), picks the variant (``Target-Variant`` or by weight, deterministically
from the inference id), scores, and renders the response; a model exception is a 424 ModelError.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from bastion.access import Principal, ResourceInfo, request_tag_keys
from bastion.capture import CaptureWriter
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import BastionError, Conflict, Invalid, ModelError, Throttled
from bastion.events import EventLog
from bastion.gate import Gate, RequestContext
from bastion.registry import ApprovalStatus, RegistryClient
from bastion.serving import _actions as actions
from bastion.serving._hosts import ModelHosts
from bastion.serving._meter import InvocationMeter
from bastion.serving._models import (
    DataCaptureConfig,
    Endpoint,
    EndpointConfig,
    Invocation,
    ProductionVariant,
)
from bastion.serving._names import validate_name
from bastion.serving._payload import ACCEPTS, CONTENT_TYPES, JSON, media_type, parse, render
from bastion.serving._service import ServingService
from bastion.settings import Settings
from bastion.types import AccountId

T = TypeVar("T")
MAX_VARIANTS = 10
MAX_INFERENCE_ID = 64
UNROUTED = "Unrouted"
"""The VariantName of a failed request that never reached a variant."""


class ServingRuntime(Protocol):
    """What serving needs from the runtime."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def region(self) -> str: ...


class _Limits:
    """In-flight requests per (endpoint, variant), for MaxConcurrency."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def enter(self, key: tuple[str, str], limit: int) -> None:
        with self._lock:
            now = self._counts.get(key, 0)
            if now >= limit:
                raise Throttled(
                    f"Variant '{key[1]}' of endpoint '{key[0]}' is at its MaxConcurrency "
                    f"({limit}); retry shortly",
                    retry_after=1.0,
                )
            self._counts[key] = now + 1

    def leave(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._counts[key] = max(0, self._counts.get(key, 1) - 1)


class EndpointsClient:
    """Endpoint configs, endpoints (deploy, update, roll back, weights) and invocations.

    >>> ep = bastion.connect(home=".bastion").endpoints  # doctest: +SKIP
    >>> ep.create_endpoint_config("fraud-v1", variants=[ProductionVariant(
    ...     variant_name="AllTraffic", model_group="fraud", model_version=1)])  # doctest: +SKIP
    >>> ep.create_endpoint("fraud", config_name="fraud-v1")  # doctest: +SKIP
    >>> ep.invoke_endpoint("fraud", b"16100,13.99", content_type="text/csv").body  # doctest: +SKIP
    """

    def __init__(
        self,
        runtime: ServingRuntime,
        *,
        registry: RegistryClient,
        hosts: ModelHosts,
        meter: InvocationMeter | None = None,
        capture: CaptureWriter | None = None,
    ) -> None:
        self.runtime = runtime
        self.registry = registry
        self.hosts = hosts
        self.meter = meter
        self.capture = capture
        self._service = ServingService(
            db=runtime.db,
            clock=runtime.clock,
            events=runtime.events,
            account_id=runtime.account_id,
            region=runtime.region,
        )
        self._limits = _LIMITS
        runtime.gate.register_resource_provider("sagemaker:endpoint", self._endpoint_info)
        runtime.gate.register_resource_provider("sagemaker:endpoint-config", self._config_info)

    # ----------------------------------------------------------------------------- plumbing

    def _endpoint_info(self, arn: str) -> ResourceInfo | None:
        tags = self._service.tags(arn.rpartition("/")[2], config=False)
        return None if tags is None else _tag_info(tags)

    def _config_info(self, arn: str) -> ResourceInfo | None:
        tags = self._service.tags(arn.rpartition("/")[2], config=True)
        return None if tags is None else _tag_info(tags)

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        try:
            return self.runtime.gate.call(
                self.runtime.principal,
                action,
                resource,
                params,
                handler,
                context=context,
                respond=respond,
            )
        finally:
            self.runtime.events.deliver_if_pending()

    # ----------------------------------------------------------------------------- configs

    def create_endpoint_config(
        self,
        name: str,
        *,
        variants: Sequence[ProductionVariant],
        data_capture: DataCaptureConfig | None = None,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> EndpointConfig:
        """Create an immutable config of production variants and a capture config."""
        op = "CreateEndpointConfig"
        config = validate_name(name, field="EndpointConfigName", operation=op)
        checked = _variants(variants, op)
        capture = _capture(data_capture, op)
        clean_tags = dict(tags or {})
        ctx = context or RequestContext()
        return self._call(
            actions.CREATE_CONFIG,
            self._service.config_arn(config),
            {
                "endpointConfigName": config,
                "productionVariants": [v.to_dict() for v in checked],
                "dataCaptureConfig": capture.to_dict() if capture else None,
            },
            lambda: self._service.create_config(
                config,
                variants=checked,
                capture=capture,
                tags=clean_tags,
                by=self.runtime.principal.arn,
            ),
            replace(ctx, extra={**ctx.extra, **request_tag_keys(clean_tags)}),
            respond=lambda c: {"endpointConfigArn": c.arn},
        )

    def describe_endpoint_config(
        self, name: str, *, context: RequestContext | None = None
    ) -> EndpointConfig:
        """One endpoint config."""
        config = validate_name(name, field="EndpointConfigName", operation="DescribeEndpointConfig")
        return self._call(
            actions.DESCRIBE_CONFIG,
            self._service.config_arn(config),
            {"endpointConfigName": config},
            lambda: self._service.config(config),
            context,
        )

    def list_endpoint_configs(
        self, *, context: RequestContext | None = None
    ) -> list[EndpointConfig]:
        """Every endpoint config, by name."""
        return self._call(actions.LIST_CONFIGS, "*", {}, self._service.configs, context)

    def delete_endpoint_config(self, name: str, *, context: RequestContext | None = None) -> None:
        """Delete a config no endpoint uses (currently or as its rollback target)."""
        config = validate_name(name, field="EndpointConfigName", operation="DeleteEndpointConfig")
        self._call(
            actions.DELETE_CONFIG,
            self._service.config_arn(config),
            {"endpointConfigName": config},
            lambda: self._service.delete_config(config),
            context,
        )

    # ----------------------------------------------------------------------------- endpoints

    def create_endpoint(
        self,
        name: str,
        *,
        config_name: str,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> Endpoint:
        """Deploy ``config_name``: every variant's version is checked (Approved, or the caller
        may ``bastion:DeployUnapprovedModel``) and loaded (verified) before traffic flows."""
        op = "CreateEndpoint"
        endpoint = validate_name(name, field="EndpointName", operation=op)
        config = validate_name(config_name, field="EndpointConfigName", operation=op)
        clean_tags = dict(tags or {})
        ctx = context or RequestContext()

        def deploy() -> Endpoint:
            spec = self._service.config(config)
            self._admit(spec, ctx)
            return self._service.create_endpoint(endpoint, config=spec, tags=clean_tags)

        return self._call(
            actions.CREATE_ENDPOINT,
            self._service.endpoint_arn(endpoint),
            {"endpointName": endpoint, "endpointConfigName": config},
            deploy,
            replace(ctx, extra={**ctx.extra, **request_tag_keys(clean_tags)}),
            respond=lambda e: {"endpointArn": e.arn},
        )

    def update_endpoint(
        self, name: str, *, config_name: str, context: RequestContext | None = None
    ) -> Endpoint:
        """Switch to ``config_name`` (its models loaded first, so no request sees a gap); the
        current config is kept as the rollback target."""
        op = "UpdateEndpoint"
        endpoint = validate_name(name, field="EndpointName", operation=op)
        config = validate_name(config_name, field="EndpointConfigName", operation=op)
        ctx = context or RequestContext()

        def update() -> Endpoint:
            spec = self._service.config(config)
            self._admit(spec, ctx)
            return self._service.switch(endpoint, config=spec)

        return self._call(
            actions.UPDATE_ENDPOINT,
            self._service.endpoint_arn(endpoint),
            {"endpointName": endpoint, "endpointConfigName": config},
            update,
            ctx,
        )

    def rollback_endpoint(self, name: str, *, context: RequestContext | None = None) -> Endpoint:
        """Go back to the previous config in one call (what alarms call)."""
        op = "UpdateEndpoint"
        endpoint = validate_name(name, field="EndpointName", operation=op)
        ctx = context or RequestContext()

        def rollback() -> Endpoint:
            current = self._service.endpoint(endpoint)
            if current.previous_config_name is None:
                raise Conflict(f"Endpoint '{endpoint}' has no previous config to roll back to")
            spec = self._service.config(current.previous_config_name)
            return self._service.switch(endpoint, config=spec, rollback=True)

        return self._call(
            actions.UPDATE_ENDPOINT,
            self._service.endpoint_arn(endpoint),
            {"endpointName": endpoint, "rollback": True},
            rollback,
            ctx,
        )

    def update_endpoint_weights(
        self, name: str, weights: Mapping[str, float], *, context: RequestContext | None = None
    ) -> Endpoint:
        """Change variants' weights in place (UpdateEndpointWeightsAndCapacities)."""
        op = "UpdateEndpointWeightsAndCapacities"
        endpoint = validate_name(name, field="EndpointName", operation=op)
        clean = {}
        for variant, weight in weights.items():
            validate_name(variant, field="VariantName", operation=op)
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not 0 <= weight <= 1e6
            ):
                raise Invalid(
                    f"DesiredWeight.{variant}",
                    got=weight,
                    expected="a number in [0, 1000000]",
                    operation=op,
                )
            clean[variant] = float(weight)

        def update() -> Endpoint:
            spec = self._service.config(self._service.endpoint(endpoint).config_name)
            unknown = [v for v in clean if spec.variant(v) is None]
            if unknown:
                raise Invalid(
                    "VariantName",
                    got=unknown,
                    expected=f"variants of the endpoint: {[v.variant_name for v in spec.variants]}",
                    operation=op,
                )
            return self._service.set_weights(endpoint, clean)

        return self._call(
            actions.UPDATE_WEIGHTS,
            self._service.endpoint_arn(endpoint),
            {"endpointName": endpoint, "desiredWeights": clean},
            update,
            context,
        )

    def describe_endpoint(self, name: str, *, context: RequestContext | None = None) -> Endpoint:
        """Status, current and previous config, weights."""
        endpoint = validate_name(name, field="EndpointName", operation="DescribeEndpoint")
        return self._call(
            actions.DESCRIBE_ENDPOINT,
            self._service.endpoint_arn(endpoint),
            {"endpointName": endpoint},
            lambda: self._service.endpoint(endpoint),
            context,
        )

    def list_endpoints(self, *, context: RequestContext | None = None) -> list[Endpoint]:
        """Every endpoint, by name."""
        return self._call(actions.LIST_ENDPOINTS, "*", {}, self._service.endpoints, context)

    def delete_endpoint(self, name: str, *, context: RequestContext | None = None) -> None:
        """Delete an endpoint (its configs stay)."""
        endpoint = validate_name(name, field="EndpointName", operation="DeleteEndpoint")
        self._call(
            actions.DELETE_ENDPOINT,
            self._service.endpoint_arn(endpoint),
            {"endpointName": endpoint},
            lambda: self._service.delete_endpoint(endpoint),
            context,
        )

    def _admit(self, spec: EndpointConfig, context: RequestContext) -> None:
        """Every variant's version must be Approved (or the caller may deploy unapproved ones);
        each is loaded and verified now, so a bad artifact fails the deployment, not traffic."""
        for variant in spec.variants:
            package = self.registry.describe_model_package(
                variant.model_group, variant.model_version, context=context
            )
            if package.approval_status is not ApprovalStatus.APPROVED:
                self.runtime.gate.call(
                    self.runtime.principal,
                    actions.DEPLOY_UNAPPROVED,
                    package.arn,
                    {"modelPackageArn": package.arn, "status": package.approval_status.value},
                    lambda: None,
                    context=context,
                )
            self.hosts.get(variant.model_group, variant.model_version)

    # ----------------------------------------------------------------------------- invoke

    def invoke_endpoint(
        self,
        name: str,
        body: bytes,
        *,
        content_type: str | None = None,
        accept: str | None = None,
        target_variant: str | None = None,
        inference_id: str | None = None,
        custom_attributes: str | None = None,
        context: RequestContext | None = None,
    ) -> Invocation:
        """Score ``body`` on the endpoint (SageMaker Runtime's InvokeEndpoint)."""
        op = "InvokeEndpoint"
        endpoint = validate_name(name, field="EndpointName", operation=op)
        ctype = media_type(content_type, field="Content-Type", allowed=CONTENT_TYPES, default=JSON)
        out = media_type(
            accept, field="Accept", allowed=ACCEPTS, default=ctype if ctype in ACCEPTS else JSON
        )
        if target_variant is not None:
            validate_name(target_variant, field="Target-Variant", operation=op)
        if inference_id is not None and (
            not 1 <= len(inference_id) <= MAX_INFERENCE_ID or not inference_id.isprintable()
        ):
            raise Invalid(
                "Inference-Id",
                got=inference_id,
                expected="1 to 64 printable characters",
                operation=op,
            )
        request_id = inference_id or uuid.uuid4().hex
        started = time.perf_counter()
        try:
            result = self._call(
                actions.INVOKE_ENDPOINT,
                self._service.endpoint_arn(endpoint),
                {
                    "endpointName": endpoint,
                    "contentType": ctype,
                    "accept": out,
                    "targetVariant": target_variant,
                    "inferenceId": request_id,
                },
                lambda: self._invoke(
                    endpoint, body, ctype, out, target_variant, request_id, custom_attributes
                ),
                context,
            )
        except BastionError as exc:
            if self.meter is not None:
                self.meter.record(endpoint, target_variant or UNROUTED, status=exc.status)
            raise
        if self.meter is not None:
            total = int((time.perf_counter() - started) * 1e6)
            self.meter.record(
                endpoint,
                result.variant,
                status=200,
                model_latency_us=result.model_latency_us,
                overhead_us=max(0, total - result.model_latency_us),
                setup_ms=result.model_setup_ms,
            )
        return result

    def _invoke(
        self,
        endpoint: str,
        body: bytes,
        ctype: str,
        accept: str,
        target: str | None,
        inference_id: str,
        custom_attributes: str | None,
    ) -> Invocation:
        current = self._service.endpoint(endpoint)
        spec = self._service.config(current.config_name)
        variant = _choose(spec, current.weights, target, inference_id)
        hosted, hit = self.hosts.get(variant.model_group, variant.model_version)
        frame = parse(body, ctype, hosted.signature.feature_names)
        problems = hosted.signature.check_frame(frame)
        if problems:
            first = problems[0]
            raise Invalid(
                first.field if first.row is None else f"{first.field} (row {first.row})",
                got=first.message,
                expected="input matching the model's signature: "
                + "; ".join(str(p) for p in problems[:5]),
            )
        key = (endpoint, variant.variant_name)
        limit = (
            variant.serverless.max_concurrency if variant.serverless else variant.max_concurrency
        )
        self._limits.enter(key, limit)
        started = time.perf_counter()
        try:
            model = hosted.model
            predictions = (
                model.predict_proba(frame) if model.has_predict_proba else model.predict(frame)
            )
        except BastionError as exc:
            raise ModelError(
                f"The model of variant '{variant.variant_name}' refused the input: {exc.message}"
            ) from exc
        except Exception as exc:  # the model's own failure: SageMaker's 424 ModelError
            raise ModelError(
                f"The model of variant '{variant.variant_name}' raised {type(exc).__name__}: {exc}"[
                    :1000
                ]
            ) from exc
        finally:
            self._limits.leave(key)
        latency = int((time.perf_counter() - started) * 1e6)
        rendered = render(predictions, accept)
        if self.capture is not None and spec.data_capture is not None:
            self.capture.capture(  # durable before the response is sent
                spec.data_capture,
                endpoint=endpoint,
                variant=variant.variant_name,
                inference_id=inference_id,
                request_body=body,
                request_content_type=ctype,
                response_body=rendered,
                response_content_type=accept,
                feature_names=hosted.signature.feature_names,
            )
        return Invocation(
            body=rendered,
            content_type=accept,
            variant=variant.variant_name,
            inference_id=inference_id,
            model_latency_us=latency,
            custom_attributes=custom_attributes,
            model_setup_ms=None if hit else hosted.setup_ms,
        )


_LIMITS = _Limits()


def _choose(
    spec: EndpointConfig, weights: Mapping[str, float], target: str | None, inference_id: str
) -> ProductionVariant:
    if target is not None:
        chosen = spec.variant(target)
        if chosen is None:
            raise Invalid(
                "Target-Variant",
                got=target,
                expected=f"one of {[v.variant_name for v in spec.variants]}",
            )
        return chosen
    live = [(v, float(weights.get(v.variant_name, v.initial_weight))) for v in spec.variants]
    total = sum(w for _, w in live)
    if total <= 0:
        raise Throttled(
            "Every variant of this endpoint has weight 0; no traffic is routed", retry_after=5.0
        )
    point = (
        int.from_bytes(hashlib.sha256(inference_id.encode()).digest()[:8], "big") / 2**64 * total
    )
    for variant, weight in live:
        if point < weight:
            return variant
        point -= weight
    return live[-1][0]


def _variants(variants: Sequence[ProductionVariant], op: str) -> tuple[ProductionVariant, ...]:
    if not variants or len(variants) > MAX_VARIANTS:
        raise Invalid(
            "ProductionVariants",
            got=len(variants),
            expected=f"1 to {MAX_VARIANTS} variants",
            operation=op,
        )
    names: set[str] = set()
    for i, v in enumerate(variants):
        where = f"ProductionVariants[{i}]"
        if not isinstance(v, ProductionVariant):
            raise Invalid(where, got=type(v).__name__, expected="a ProductionVariant", operation=op)
        validate_name(v.variant_name, field=f"{where}.VariantName", operation=op)
        if v.variant_name in names:
            raise Invalid(
                f"{where}.VariantName",
                got=v.variant_name,
                expected="unique variant names",
                operation=op,
            )
        names.add(v.variant_name)
        if not 0 <= v.initial_weight <= 1e6:
            raise Invalid(
                f"{where}.InitialVariantWeight",
                got=v.initial_weight,
                expected="a number in [0, 1000000]",
                operation=op,
            )
        if not 1 <= v.model_version <= 2_147_483_647:
            raise Invalid(
                f"{where}.ModelPackageVersion",
                got=v.model_version,
                expected="a version number from 1 to 2147483647",
                operation=op,
            )
        if not 1 <= v.instance_count <= 64:
            raise Invalid(
                f"{where}.InitialInstanceCount",
                got=v.instance_count,
                expected="1 to 64",
                operation=op,
            )
        if not 1 <= v.max_concurrency <= 10_000:
            raise Invalid(
                f"{where}.MaxConcurrency",
                got=v.max_concurrency,
                expected="1 to 10000",
                operation=op,
            )
        if v.serverless is not None and not (
            1024 <= v.serverless.memory_size_mb <= 6144 and 1 <= v.serverless.max_concurrency <= 200
        ):
            raise Invalid(
                f"{where}.ServerlessConfig",
                got=v.serverless,
                expected="MemorySizeInMB 1024-6144 and MaxConcurrency 1-200",
                operation=op,
            )
    return tuple(variants)


def _capture(capture: DataCaptureConfig | None, op: str) -> DataCaptureConfig | None:
    if capture is None:
        return None
    if not 0 <= capture.initial_sampling_percentage <= 100:
        raise Invalid(
            "DataCaptureConfig.InitialSamplingPercentage",
            got=capture.initial_sampling_percentage,
            expected="an integer in [0, 100]",
            operation=op,
        )
    if capture.enable_capture and not capture.destination_s3_uri.startswith("s3://"):
        raise Invalid(
            "DataCaptureConfig.DestinationS3Uri",
            got=capture.destination_s3_uri,
            expected="s3://bucket/prefix in the store",
            operation=op,
        )
    if not (capture.capture_input or capture.capture_output):
        raise Invalid(
            "DataCaptureConfig.CaptureOptions",
            got=[],
            expected="Input, Output or both",
            operation=op,
        )
    if capture.on_failure not in ("backpressure", "drop"):
        raise Invalid(
            "DataCaptureConfig.OnFailure",
            got=capture.on_failure,
            expected="'backpressure' or 'drop'",
            operation=op,
        )
    return capture


def _tag_info(tags: Mapping[str, str]) -> ResourceInfo:
    return ResourceInfo(
        tags=dict(tags), context={f"sagemaker:ResourceTag/{k}": v for k, v in tags.items()}
    )


__all__ = ["EndpointsClient", "ServingRuntime"]
