"""Exports: a card as Markdown or as one self-contained HTML page (Jinja2 templates shipped in
the package).

The card is first turned into a small view (sections of field tables, lists, texts and metric
tables) so both templates only lay it out. Every value printed from a card is escaped for its
format by the environment itself, never by the template author remembering a filter: the HTML
environment autoescapes, and the Markdown environment's ``finalize`` backslash-escapes every
character CommonMark could read as markup (``<`` ``&`` ``*`` ``[`` ``|`` … and block markers at
a line start), so a hostile string in a card stays text in any Markdown renderer. The HTML page
loads nothing: styles are inline and a Content-Security-Policy forbids every other resource.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from bastion.clock import iso_z
from bastion.registry.cards._models import ExportFormat, ModelCard

_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~!])")
_MD_BLOCK = re.compile(r"^(\s*)(?:([#>+=-])|(\d+)([.)]))", re.MULTILINE)

_LABELS = {
    "model_id": "Model ID",
    "model_package_arn": "Model package ARN",
    "training_arn": "Training job ARN",
    "evaluation_job_arn": "Evaluation job ARN",
    "user_profile_name": "Created by",
}

OVERVIEW_FIELDS = (
    "model_name",
    "model_id",
    "model_version",
    "model_description",
    "problem_type",
    "algorithm_type",
    "model_creator",
    "model_owner",
)
PACKAGE_FIELDS = (
    "model_package_arn",
    "model_package_group_name",
    "model_package_name",
    "model_package_version",
    "model_package_description",
    "model_package_status",
    "model_approval_status",
    "approval_description",
    "domain",
    "task",
)
INTENDED_FIELDS = (
    "purpose_of_model",
    "intended_uses",
    "factors_affecting_model_efficiency",
    "risk_rating",
    "explanations_for_risk_rating",
)
BUSINESS_FIELDS = ("business_problem", "business_stakeholders", "line_of_business")
ADDITIONAL_FIELDS = ("ethical_considerations", "caveats_and_recommendations")


@dataclass(frozen=True, kw_only=True)
class Block:
    """One piece of a section: ``fields`` (label/value rows), ``table`` (headers + rows),
    ``list`` (a titled list), ``text`` (a titled paragraph) or ``subheading``."""

    kind: str
    title: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    items: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


def label(key: str) -> str:
    """A field's heading: ``purpose_of_model`` → ``Purpose of model``."""
    return _LABELS.get(key, key.replace("_", " ").capitalize())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _fields(section: Mapping[str, Any], keys: Sequence[str], title: str = "") -> Block | None:
    rows = tuple((label(k), _value(section[k])) for k in keys if k in section)
    return Block(kind="fields", title=title, rows=rows) if rows else None


def _listed(title: str, values: Any) -> Block | None:
    if not isinstance(values, list) or not values:
        return None
    return Block(kind="list", title=title, items=tuple(_value(v) for v in values))


def _named_values(title: str, entries: Any, headers: tuple[str, ...]) -> Block | None:
    if not isinstance(entries, list) or not entries:
        return None
    rows = tuple(tuple(_value(e.get(h, "")) for h in headers) for e in entries)
    return Block(kind="table", title=title, headers=tuple(label(h) for h in headers), rows=rows)


def _mapping(title: str, values: Any) -> Block | None:
    if not isinstance(values, Mapping) or not values:
        return None
    rows = tuple((str(k), _value(v)) for k, v in values.items())
    return Block(kind="table", title=title, headers=("Name", "Value"), rows=rows)


def _section(title: str, blocks: Iterable[Block | None]) -> Section | None:
    kept = tuple(b for b in blocks if b is not None)
    return Section(title=title, blocks=kept) if kept else None


def _overview(content: Mapping[str, Any]) -> Section | None:
    overview = content.get("model_overview", {})
    environment = overview.get("inference_environment", {})
    return _section(
        "Model overview",
        [
            _fields(overview, OVERVIEW_FIELDS),
            _listed("Model artifacts", overview.get("model_artifact")),
            _listed("Inference container images", environment.get("container_image")),
        ],
    )


def _package(content: Mapping[str, Any]) -> Section | None:
    details = content.get("model_package_details", {})
    created = details.get("created_by", {})
    containers = details.get("inference_specification", {}).get("containers")
    return _section(
        "Model package",
        [
            _fields({**details, **created}, (*PACKAGE_FIELDS, "user_profile_name")),
            _named_values(
                "Source algorithms",
                details.get("source_algorithms"),
                ("algorithm_name", "model_data_url"),
            ),
            _named_values(
                "Inference containers",
                containers,
                ("image", "model_data_url", "nearest_model_name"),
            ),
        ],
    )


def _training(content: Mapping[str, Any]) -> Section | None:
    training = content.get("training_details", {})
    objective = training.get("objective_function", {})
    function = {
        **objective.get("function", {}),
        **{k: v for k, v in objective.items() if k != "function"},
    }
    job = training.get("training_job_details", {})
    environment = job.get("training_environment", {})
    metric_headers = ("name", "value", "notes")
    hyper_headers = ("name", "value")
    observations = training.get("training_observations")
    return _section(
        "Training details",
        [
            _fields(function, ("function", "facet", "condition", "notes"), "Objective function"),
            Block(kind="text", title="Training observations", text=observations)
            if observations
            else None,
            _fields(job, ("training_arn",)),
            _listed("Training datasets", job.get("training_datasets")),
            _listed("Training container images", environment.get("container_image")),
            _named_values("Training metrics", job.get("training_metrics"), metric_headers),
            _named_values(
                "User-provided training metrics",
                job.get("user_provided_training_metrics"),
                metric_headers,
            ),
            _named_values("Hyper-parameters", job.get("hyper_parameters"), hyper_headers),
            _named_values(
                "User-provided hyper-parameters",
                job.get("user_provided_hyper_parameters"),
                hyper_headers,
            ),
        ],
    )


def _evaluation_blocks(evaluation: Mapping[str, Any]) -> list[Block | None]:
    observation = evaluation.get("evaluation_observation")
    blocks: list[Block | None] = [
        Block(kind="subheading", title=_value(evaluation.get("name", ""))),
        _fields(evaluation, ("evaluation_job_arn",)),
        Block(kind="text", title="Observation", text=observation) if observation else None,
        _listed("Datasets", evaluation.get("datasets")),
        _mapping("Metadata", evaluation.get("metadata")),
    ]
    for group in evaluation.get("metric_groups", []):
        blocks.append(
            _named_values(
                f"Metrics: {group.get('name', '')}",
                group.get("metric_data"),
                ("name", "type", "value", "x_axis_name", "y_axis_name", "notes"),
            )
        )
    return blocks


def _evaluation(content: Mapping[str, Any]) -> Section | None:
    blocks: list[Block | None] = []
    for evaluation in content.get("evaluation_details", []):
        blocks += _evaluation_blocks(evaluation)
    return _section("Evaluation details", blocks)


def _additional(content: Mapping[str, Any]) -> Section | None:
    extra = content.get("additional_information", {})
    return _section(
        "Additional information",
        [
            _fields(extra, ADDITIONAL_FIELDS),
            _mapping("Custom details", extra.get("custom_details")),
        ],
    )


def card_view(card: ModelCard) -> tuple[Section, ...]:
    """The card's sections in the order SageMaker's console shows them (empty ones left out)."""
    content = card.content
    built = (
        _overview(content),
        _package(content),
        _section("Intended uses", [_fields(content.get("intended_uses", {}), INTENDED_FIELDS)]),
        _section(
            "Business details", [_fields(content.get("business_details", {}), BUSINESS_FIELDS)]
        ),
        _training(content),
        _evaluation(content),
        _additional(content),
    )
    return tuple(s for s in built if s is not None)


def card_facts(card: ModelCard) -> tuple[tuple[str, str], ...]:
    """The card's own record (name, version, status, who and when) shown at the top."""
    return (
        ("Model card", card.name),
        ("ARN", card.arn),
        ("Version", f"{card.version} (latest: {card.latest_version})"),
        ("Status", str(card.status)),
        ("Created", f"{iso_z(card.created_at)} by {card.created_by}"),
        ("This version", f"{iso_z(card.last_modified_at)} by {card.last_modified_by}"),
        ("Content SHA-256", card.content_sha256),
        ("Encryption", f"sealed under {card.kms_key_arn}" if card.kms_key_arn else "none"),
    )


# ------------------------------------------------------------------------------------ escaping


class _Inline(str):
    """Text already escaped for an inline position (a table cell, a heading)."""

    __slots__ = ()


def markdown_escape(value: object) -> str:
    """``value`` as Markdown text that renders as itself: every inline markup character and any
    block marker at a line start is backslash-escaped (CommonMark escapes)."""
    if isinstance(value, _Inline):
        return str(value)
    text = _MD_INLINE.sub(r"\\\1", "" if value is None else str(value))
    return _MD_BLOCK.sub(_escape_marker, text)


def _escape_marker(match: re.Match[str]) -> str:
    indent, marker, number, dot = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{dot}"


def _one_line(value: object) -> str:
    """Whitespace runs (newlines included) as one space: a list item stays one line."""
    return " ".join(str(value).split())


def _cell(value: object) -> str:
    """Text for an inline position (a table cell, a heading): one line, inline markup escaped;
    block markers mean nothing there, so ``-0.1`` stays as it is."""
    return _Inline(_MD_INLINE.sub(r"\\\1", _one_line(value)))


@functools.cache
def _environment(fmt: ExportFormat) -> jinja2.Environment:
    loader = jinja2.PackageLoader("bastion.registry.cards", "templates")
    if fmt is ExportFormat.HTML:
        env = jinja2.Environment(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    else:
        env = jinja2.Environment(
            loader=loader,
            autoescape=False,  # noqa: S701 (Markdown: finalize escapes every value)
            finalize=markdown_escape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    env.filters["cell"] = _cell if fmt is ExportFormat.MARKDOWN else _one_line
    env.filters["one_line"] = _one_line
    return env


TEMPLATES = {ExportFormat.MARKDOWN: "card.md.j2", ExportFormat.HTML: "card.html.j2"}


def render_card(card: ModelCard, fmt: ExportFormat) -> str:
    """``card`` as Markdown or as one self-contained HTML page."""
    template = _environment(fmt).get_template(TEMPLATES[fmt])
    return template.render(card=card, facts=card_facts(card), sections=card_view(card))


def render_markdown(card: ModelCard) -> str:
    """``card`` as Markdown (CommonMark with GFM tables)."""
    return render_card(card, ExportFormat.MARKDOWN)


def render_html(card: ModelCard) -> str:
    """``card`` as one HTML page that loads nothing from anywhere."""
    return render_card(card, ExportFormat.HTML)


__all__ = [
    "Block",
    "Section",
    "card_view",
    "markdown_escape",
    "render_card",
    "render_html",
    "render_markdown",
]
