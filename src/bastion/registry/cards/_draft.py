"""Auto-fill: a card drafted from what the registry knows about a model version.

The registry core implements :class:`CardSources`; it hands over one :class:`ModelPackageFacts`
per model package (name, version, framework, signature, metrics, approval, training data,
lineage, and later bias and explanation results), and :func:`draft_from_facts` maps them onto
the model card schema, cutting every text and list to the schema's limits so that a draft always
validates. Fields only a person can fill (intended uses, business details, risk rating) are left
for the author: the risk rating starts as ``Unknown``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bastion.gate import RequestContext

APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")
REGISTERED_METRICS = "Registered metrics"
_ELLIPSIS = "…"

MetricValue = float | int | str | bool


@dataclass(frozen=True, kw_only=True)
class FeatureFact:
    """One input or output of a signature: ``amount`` (``float64``, ``range [0, 25000]``)."""

    name: str
    type: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class EvaluationFact:
    """One set of results for ``evaluation_details``: a held-out evaluation, bias metrics,
    feature attributions … (``metrics`` values are numbers, short strings or booleans)."""

    name: str
    metrics: Mapping[str, MetricValue] = field(default_factory=dict)
    group: str = "metrics"
    observation: str = ""
    job_arn: str | None = None
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ModelPackageFacts:
    """What the registry knows about one model version, as a card needs it."""

    model_package_arn: str
    group_name: str
    version: int
    description: str = ""
    framework: str | None = None
    framework_version: str | None = None
    algorithm: str | None = None
    problem_type: str | None = None
    created_by: str | None = None
    inputs: tuple[FeatureFact, ...] = ()
    outputs: tuple[FeatureFact, ...] = ()
    metrics: Mapping[str, MetricValue] = field(default_factory=dict)
    approval_status: str | None = None
    approved_by: str | None = None
    approval_reason: str | None = None
    artifact_uris: tuple[str, ...] = ()
    training_data: tuple[str, ...] = ()
    training_job_arn: str | None = None
    hyper_parameters: Mapping[str, str] = field(default_factory=dict)
    lineage: tuple[str, ...] = ()
    evaluations: tuple[EvaluationFact, ...] = ()
    custom: Mapping[str, str] = field(default_factory=dict)


class CardSources(Protocol):
    """Where a draft's facts come from (the registry core implements it).

    An implementation reads through the gate as the caller (``sagemaker:DescribeModelPackage``
    …), passing ``context`` on, and raises :class:`~bastion.errors.NotFound` for an unknown
    package.
    """

    def model_package_facts(
        self, model_package_arn: str, *, context: RequestContext | None = None
    ) -> ModelPackageFacts: ...


def draft_from_sources(
    sources: CardSources, model_package_arn: str, *, context: RequestContext | None = None
) -> dict[str, Any]:
    """A card's content drafted from ``sources``' facts about ``model_package_arn``."""
    return draft_from_facts(sources.model_package_facts(model_package_arn, context=context))


def draft_from_facts(facts: ModelPackageFacts) -> dict[str, Any]:
    """The model card content for ``facts``: always valid against the schema."""
    content: dict[str, Any] = {
        "model_overview": _overview(facts),
        "model_package_details": _package_details(facts),
        "intended_uses": {"risk_rating": "Unknown"},
    }
    training = _training(facts)
    if training:
        content["training_details"] = training
    evaluations = _evaluations(facts)
    if evaluations:
        content["evaluation_details"] = evaluations
    custom = _custom_details(facts)
    if custom:
        content["additional_information"] = {"custom_details": custom}
    return content


def merge_content(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` on top: objects merge key by key, anything else is replaced
    (so an author's ``intended_uses`` completes a draft without repeating it)."""
    merged: dict[str, Any] = dict(base)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_content(current, value)
        else:
            merged[key] = value
    return merged


# ------------------------------------------------------------------------------------ sections


def _overview(facts: ModelPackageFacts) -> dict[str, Any]:
    overview: dict[str, Any] = {
        "model_id": _fit(facts.model_package_arn, 1024),
        "model_name": _fit(facts.group_name, 1024),
    }
    if facts.version >= 1:
        overview["model_version"] = facts.version
    _put(overview, "model_description", facts.description, 1024)
    _put(overview, "problem_type", facts.problem_type, 1024)
    _put(overview, "algorithm_type", facts.algorithm or _framework(facts), 1024)
    _put(overview, "model_creator", facts.created_by, 1024)
    artifacts = _texts(facts.artifact_uris, 15, 1024)
    if artifacts:
        overview["model_artifact"] = artifacts
    return overview


def _package_details(facts: ModelPackageFacts) -> dict[str, Any]:
    details: dict[str, Any] = {
        "model_package_arn": _fit(facts.model_package_arn, 2048),
        "model_package_group_name": _fit(facts.group_name, 63),
    }
    if facts.version >= 1:
        details["model_package_version"] = facts.version
    _put(details, "model_package_description", facts.description, 1024)
    if facts.approval_status in APPROVAL_STATUSES:
        details["model_approval_status"] = facts.approval_status
    _put(details, "approval_description", _approval(facts), 1024)
    if facts.created_by:
        details["created_by"] = {"user_profile_name": _fit(facts.created_by, 2048)}
    return details


def _training(facts: ModelPackageFacts) -> dict[str, Any]:
    training: dict[str, Any] = {}
    _put(training, "training_observations", "\n".join(facts.lineage), 1024)
    job: dict[str, Any] = {}
    _put(job, "training_arn", facts.training_job_arn, 1024)
    datasets = _texts(facts.training_data, 15, 1024)
    if datasets:
        job["training_datasets"] = datasets
    hyper = [
        {"name": _fit(name, 255), "value": _fit(value, 255)}
        for name, value in facts.hyper_parameters.items()
        if name and value
    ][:100]
    if hyper:
        job["hyper_parameters"] = hyper
    if job:
        training["training_job_details"] = job
    return training


def _evaluations(facts: ModelPackageFacts) -> list[dict[str, Any]]:
    registered = EvaluationFact(
        name=REGISTERED_METRICS, metrics=facts.metrics, group="model package metrics"
    )
    found = [registered, *facts.evaluations] if facts.metrics else list(facts.evaluations)
    return [_evaluation(e) for e in found]


def _evaluation(fact: EvaluationFact) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": _fit(fact.name, 63) or "Evaluation"}
    _put(entry, "evaluation_observation", fact.observation, 2096)
    _put(entry, "evaluation_job_arn", fact.job_arn, 256)
    datasets = _texts(fact.datasets, 10, 1024)
    if datasets:
        entry["datasets"] = datasets
    data = [m for m in (_metric(k, v) for k, v in fact.metrics.items()) if m is not None]
    if data:
        entry["metric_groups"] = [{"name": _fit(fact.group, 63) or "metrics", "metric_data": data}]
    return entry


def _metric(name: str, value: MetricValue) -> dict[str, Any] | None:
    if not name:
        return None
    metric: dict[str, Any] = {"name": _fit(name, 255)}
    if isinstance(value, bool):
        metric.update(type="boolean", value=value)
    elif isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        metric.update(type="number", value=value)
    else:
        metric.update(type="string", value=_fit(str(value), 63))
    return metric


def _custom_details(facts: ModelPackageFacts) -> dict[str, str]:
    custom: dict[str, str] = {}
    framework = _framework(facts)
    if framework:
        custom["framework"] = _fit(framework, 1024)
    if facts.inputs:
        custom["input_signature"] = _fit(_signature(facts.inputs), 1024)
    if facts.outputs:
        custom["output_signature"] = _fit(_signature(facts.outputs), 1024)
    for key, value in facts.custom.items():
        if value:
            custom[key] = _fit(value, 1024)
    return custom


# ------------------------------------------------------------------------------------ helpers


def _approval(facts: ModelPackageFacts) -> str:
    """``Approved by <who>: <why>`` (as much of it as the registry recorded)."""
    decided = f"{facts.approval_status or 'Decided'} by {facts.approved_by}"
    if facts.approved_by and facts.approval_reason:
        return f"{decided}: {facts.approval_reason}"
    return decided if facts.approved_by else facts.approval_reason or ""


def _framework(facts: ModelPackageFacts) -> str:
    return " ".join(p for p in (facts.framework, facts.framework_version) if p)


def _signature(features: Iterable[FeatureFact]) -> str:
    parts = []
    for feature in features:
        detail = f", {feature.detail}" if feature.detail else ""
        parts.append(f"{feature.name} ({feature.type}{detail})")
    return "; ".join(parts)


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _put(section: dict[str, Any], key: str, value: str | None, limit: int) -> None:
    if value:
        section[key] = _fit(value, limit)


def _texts(values: Iterable[str], count: int, limit: int) -> list[str]:
    return [_fit(v, limit) for v in values if v][:count]


__all__ = [
    "CardSources",
    "EvaluationFact",
    "FeatureFact",
    "ModelPackageFacts",
    "draft_from_facts",
    "draft_from_sources",
    "merge_content",
]
