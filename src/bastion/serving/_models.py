"""Specs and values of serving: endpoint configs (variants, capture), endpoints, invocations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.types import Arn


class EndpointStatus(StrEnum):
    """SageMaker's EndpointStatus (the ones a local deployment goes through)."""

    CREATING = "Creating"
    UPDATING = "Updating"
    IN_SERVICE = "InService"
    FAILED = "Failed"
    DELETING = "Deleting"


@dataclass(frozen=True, kw_only=True)
class ServerlessConfig:
    """A serverless variant: scales to zero after ``idle_seconds``; at most ``max_concurrency``
    requests at once; ``memory_size_mb`` caps the model's host (SageMaker: 1024-6144)."""

    memory_size_mb: int = 2048
    max_concurrency: int = 20
    idle_seconds: int = 300


@dataclass(frozen=True, kw_only=True)
class ProductionVariant:
    """One variant: a registry version, its share of traffic and its capacity."""

    variant_name: str
    model_group: str
    model_version: int
    initial_weight: float = 1.0
    instance_count: int = 1
    max_concurrency: int = 64
    serverless: ServerlessConfig | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "VariantName": self.variant_name,
            "ModelPackageGroupName": self.model_group,
            "ModelPackageVersion": self.model_version,
            "InitialVariantWeight": self.initial_weight,
            "InitialInstanceCount": self.instance_count,
            "MaxConcurrency": self.max_concurrency,
        }
        if self.serverless is not None:
            out["ServerlessConfig"] = {
                "MemorySizeInMB": self.serverless.memory_size_mb,
                "MaxConcurrency": self.serverless.max_concurrency,
                "IdleSeconds": self.serverless.idle_seconds,
            }
        return out


@dataclass(frozen=True, kw_only=True)
class DataCaptureConfig:
    """SageMaker's DataCaptureConfig, plus what Bastion adds (redaction, failure policy)."""

    enable_capture: bool = True
    initial_sampling_percentage: int = 100
    capture_input: bool = True
    capture_output: bool = True
    destination_s3_uri: str = ""
    kms_key_id: str | None = None
    csv_content_types: tuple[str, ...] = ("text/csv",)
    json_content_types: tuple[str, ...] = ("application/json",)
    redact_fields: tuple[str, ...] = ()
    on_failure: str = "backpressure"

    def to_dict(self) -> dict[str, Any]:
        options = [
            {"CaptureMode": m}
            for m, on in (("Input", self.capture_input), ("Output", self.capture_output))
            if on
        ]
        return {
            "EnableCapture": self.enable_capture,
            "InitialSamplingPercentage": self.initial_sampling_percentage,
            "DestinationS3Uri": self.destination_s3_uri,
            "KmsKeyId": self.kms_key_id,
            "CaptureOptions": options,
            "CaptureContentTypeHeader": {
                "CsvContentTypes": list(self.csv_content_types),
                "JsonContentTypes": list(self.json_content_types),
            },
            "RedactFields": list(self.redact_fields),
            "OnFailure": self.on_failure,
        }


@dataclass(frozen=True, kw_only=True)
class EndpointConfig:
    """A named, immutable list of variants and a capture config."""

    name: str
    arn: Arn
    variants: tuple[ProductionVariant, ...]
    data_capture: DataCaptureConfig | None
    tags: dict[str, str]
    created_at: datetime
    created_by: str

    def variant(self, name: str) -> ProductionVariant | None:
        return next((v for v in self.variants if v.variant_name == name), None)


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """A deployed endpoint: its current config, the previous one (for rollback), its status."""

    name: str
    arn: Arn
    config_name: str
    previous_config_name: str | None
    status: EndpointStatus
    failure_reason: str | None
    weights: dict[str, float]
    tags: dict[str, str]
    created_at: datetime
    modified_at: datetime


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """What one InvokeEndpoint returned."""

    body: bytes
    content_type: str
    variant: str
    inference_id: str
    model_latency_us: int
    custom_attributes: str | None = None
    model_setup_ms: float | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
