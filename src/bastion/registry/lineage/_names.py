"""Validation of what callers name in the lineage graph: ARNs, names, types, URIs, properties.

Each rule is a constant (the ``expected`` part of the :class:`~bastion.errors.Invalid` message),
so tests and docs use the same words as the error. Entity ARNs follow SageMaker's:
``arn:bastion:sagemaker:<region>:<account>:artifact/<32 hex>``, ``…:action/<name>`` and
``…:context/<name>``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bastion._text import has_control, unstorable
from bastion.errors import Invalid
from bastion.registry.lineage._models import (
    ActionStatus,
    AssociationType,
    Direction,
    LineageType,
    QueryFilters,
)
from bastion.types import Arn

PARTITION = "bastion"
SERVICE = "sagemaker"

MAX_ARN = 256
MAX_URI = 2048
MAX_TYPE = 64
MAX_DESCRIPTION = 3072
MAX_PROPERTIES = 30
MAX_PROPERTY = 256
MAX_TAGS = 50
MAX_SOURCE_TYPES = 10
MAX_QUERY_DEPTH = 100
MAX_LIST_RESULTS = 1000

NAME_RULE = (
    "1 to 120 letters and digits, single words joined by hyphens "
    "(pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$)"
)
ARN_RULE = (
    "a lineage ARN such as arn:bastion:sagemaker:<region>:<account>:artifact/<id>, "
    "…:action/<name> or …:context/<name> (at most 256 characters)"
)
TYPE_RULE = (
    f"1 to {MAX_TYPE} letters, digits, '.', '_' or '-', starting with a letter "
    "(such as DataSet, Model, TrainingJob, Endpoint)"
)
URI_RULE = (
    f"a URI with a scheme (such as s3://bucket/key), at most {MAX_URI} characters, "
    "without spaces or control characters"
)
DESCRIPTION_RULE = f"text of at most {MAX_DESCRIPTION} characters, without NUL"
PROPERTY_KEY_RULE = f"a property name of 1 to {MAX_PROPERTY} characters without control characters"
PROPERTY_VALUE_RULE = (
    f"a property value of at most {MAX_PROPERTY} characters without control characters"
)
PROPERTIES_COUNT = f"at most {MAX_PROPERTIES} properties"
TAG_KEY_RULE = "a tag key of 1 to 128 characters without control characters"
TAG_VALUE_RULE = "a tag value of at most 256 characters without control characters"
SOURCE_TYPES_RULE = (
    f"at most {MAX_SOURCE_TYPES} entries, each {{'SourceIdType': one of MD5Hash, S3ETag, "
    "S3Version, Custom; 'Value': 1 to 256 characters without control characters}"
)
DEPTH_RULE = f"an integer in [1, {MAX_QUERY_DEPTH}], or None for any depth"
MAX_RESULTS_RULE = f"an integer in [1, {MAX_LIST_RESULTS}]"

SOURCE_ID_TYPES = ("MD5Hash", "S3ETag", "S3Version", "Custom")

_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}")
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,63}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:.+", re.DOTALL)
_REGION = re.compile(r"[a-z0-9-]{1,32}")
_ACCOUNT = re.compile(r"[0-9]{12}")
_ARTIFACT_ID = re.compile(r"[0-9a-f]{32}")
_RESOURCE = {
    "artifact": LineageType.ARTIFACT,
    "action": LineageType.ACTION,
    "context": LineageType.CONTEXT,
}
_PREFIX = {v: k for k, v in _RESOURCE.items()}


def _bad(field: str, got: object, expected: str, operation: str) -> Invalid:
    return Invalid(field, got=got, expected=expected, operation=operation)


def entity_arn(lineage_type: LineageType, region: str, account_id: str, resource_id: str) -> Arn:
    """``arn:bastion:sagemaker:<region>:<account>:<artifact|action|context>/<id>``."""
    return Arn(
        f"arn:{PARTITION}:{SERVICE}:{region}:{account_id}:{_PREFIX[lineage_type]}/{resource_id}"
    )


def listing_arn(lineage_type: LineageType, region: str, account_id: str) -> Arn:
    """What a listing is authorised on: ``…:artifact/*`` (``action/*``, ``context/*``)."""
    return entity_arn(lineage_type, region, account_id, "*")


def artifact_id(
    artifact_type: str, source_uri: str, source_types: Sequence[Mapping[str, str]]
) -> str:
    """The id of an artifact: a hash of its type and source (SageMaker's ``HashOfArtifactSource``),
    so the same URI with the same content hash is always the same artifact."""
    canonical = json.dumps(
        {
            "type": artifact_type,
            "uri": source_uri,
            "ids": sorted((t["SourceIdType"], t["Value"]) for t in source_types),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def parse_arn(value: object, *, field: str, operation: str) -> tuple[LineageType, Arn]:
    """The lineage type an ARN names, and the ARN; Invalid naming ``field`` otherwise."""
    if not isinstance(value, str):
        raise _bad(field, value, ARN_RULE, operation)
    if len(value) > MAX_ARN or has_control(value):
        raise _bad(
            field, value[:MAX_ARN] + ("…" if len(value) > MAX_ARN else ""), ARN_RULE, operation
        )
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[1] != PARTITION or parts[2] != SERVICE:
        raise _bad(field, value, ARN_RULE, operation)
    region, account, resource = parts[3], parts[4], parts[5]
    kind, _, rid = resource.partition("/")
    lineage_type = _RESOURCE.get(kind)
    if not (_REGION.fullmatch(region) and _ACCOUNT.fullmatch(account)) or lineage_type is None:
        raise _bad(field, value, ARN_RULE, operation)
    valid_id = (
        _ARTIFACT_ID.fullmatch(rid)
        if lineage_type is LineageType.ARTIFACT
        else _NAME.fullmatch(rid)
    )
    if not valid_id:
        raise _bad(field, value, ARN_RULE, operation)
    return lineage_type, Arn(value)


def validate_name(value: object, *, field: str, operation: str) -> str:
    """An artifact, action or context name (SageMaker's ``ExperimentEntityName``)."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise _bad(field, value, NAME_RULE, operation)
    return value


def validate_type(value: object, *, field: str, operation: str) -> str:
    """An ArtifactType, ActionType or ContextType: a short identifier-like word."""
    if not isinstance(value, str) or not _TYPE.fullmatch(value):
        raise _bad(field, value, TYPE_RULE, operation)
    return value


def validate_uri(value: object, *, field: str, operation: str) -> str:
    """A source URI: a scheme, no whitespace or control characters, bounded length."""
    if not isinstance(value, str) or not value:
        raise _bad(field, value, URI_RULE, operation)
    if len(value) > MAX_URI:
        raise _bad(field, f"{len(value)} characters", URI_RULE, operation)
    if has_control(value) or any(ch.isspace() for ch in value) or not _SCHEME.fullmatch(value):
        raise _bad(field, value, URI_RULE, operation)
    return value


def validate_description(value: object, *, operation: str) -> str | None:
    """Free text (``Description``); None stays None."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION or unstorable(value):
        shown = f"{len(value)} characters" if isinstance(value, str) and len(value) > 80 else value
        raise _bad("Description", shown, DESCRIPTION_RULE, operation)
    return value


def _short_text(value: object, limit: int, *, allow_empty: bool) -> bool:
    return (
        isinstance(value, str)
        and (allow_empty or bool(value))
        and len(value) <= limit
        and not has_control(value)
    )


def validate_properties(
    value: Mapping[str, str] | None, *, field: str = "Properties", operation: str
) -> dict[str, str]:
    """Key-value properties (at most 30, short text)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(field, value, "a mapping of str to str", operation)
    if len(value) > MAX_PROPERTIES:
        raise _bad(field, f"{len(value)} properties", PROPERTIES_COUNT, operation)
    for key, item in value.items():
        if not _short_text(key, MAX_PROPERTY, allow_empty=False):
            raise _bad(field, key, PROPERTY_KEY_RULE, operation)
        if not _short_text(item, MAX_PROPERTY, allow_empty=True):
            raise _bad(f"{field}[{key}]", item, PROPERTY_VALUE_RULE, operation)
    return dict(value)


def validate_tags(value: Mapping[str, str] | None, *, operation: str) -> dict[str, str]:
    """Tags (at most 50), as for every SageMaker resource."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad("Tags", value, "a mapping of str to str", operation)
    if len(value) > MAX_TAGS:
        raise _bad("Tags", f"{len(value)} tags", f"at most {MAX_TAGS} tags", operation)
    for key, item in value.items():
        if not _short_text(key, 128, allow_empty=False):
            raise _bad("Tags", key, TAG_KEY_RULE, operation)
        if not _short_text(item, 256, allow_empty=True):
            raise _bad(f"Tags[{key}]", item, TAG_VALUE_RULE, operation)
    return dict(value)


def validate_source_types(value: object, *, operation: str) -> list[dict[str, str]]:
    """An artifact's ``Source.SourceTypes``: content ids such as ``S3ETag`` (sorted, unique)."""
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) > MAX_SOURCE_TYPES:
        raise _bad("SourceTypes", value, SOURCE_TYPES_RULE, operation)
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {"SourceIdType", "Value"}:
            raise _bad("SourceTypes", item, SOURCE_TYPES_RULE, operation)
        kind, text = item["SourceIdType"], item["Value"]
        if kind not in SOURCE_ID_TYPES or not _short_text(text, 256, allow_empty=False):
            raise _bad("SourceTypes", item, SOURCE_TYPES_RULE, operation)
        seen[(kind, text)] = {"SourceIdType": kind, "Value": text}
    return [seen[k] for k in sorted(seen)]


def validate_optional_text(value: object, *, field: str, limit: int, operation: str) -> str | None:
    """A short optional identifier (``SourceType``, ``SourceId``)."""
    if value is None:
        return None
    if not _short_text(value, limit, allow_empty=False):
        raise _bad(field, value, f"1 to {limit} characters without control characters", operation)
    assert isinstance(value, str)
    return value


def enum_value(enum: type[Any], value: object, *, field: str, operation: str) -> Any:
    """``value`` as a member of ``enum`` (by value), else Invalid listing the members."""
    try:
        return enum(value)
    except ValueError:
        expected = "one of " + ", ".join(m.value for m in enum)
        raise _bad(field, value, expected, operation) from None


def validate_status(value: object, *, operation: str) -> ActionStatus:
    """An action's ``Status``."""
    result: ActionStatus = enum_value(ActionStatus, value, field="Status", operation=operation)
    return result


def validate_association_type(value: object, *, operation: str) -> AssociationType:
    """An ``AssociationType``."""
    result: AssociationType = enum_value(
        AssociationType, value, field="AssociationType", operation=operation
    )
    return result


def validate_direction(value: object, *, operation: str) -> Direction:
    """A QueryLineage ``Direction``."""
    result: Direction = enum_value(Direction, value, field="Direction", operation=operation)
    return result


def validate_depth(value: object, *, operation: str) -> int | None:
    """``MaxDepth``: 1 to 100 associations, or None for any depth."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUERY_DEPTH:
        raise _bad("MaxDepth", value, DEPTH_RULE, operation)
    return value


def validate_max_results(value: object, *, operation: str) -> int:
    """``MaxResults`` of a listing."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIST_RESULTS:
        raise _bad("MaxResults", value, MAX_RESULTS_RULE, operation)
    return value


def validate_filters(value: object, *, operation: str) -> QueryFilters | None:
    """QueryLineage ``Filters``: each given filter is checked the way its field is elsewhere."""
    if value is None:
        return None
    if not isinstance(value, QueryFilters):
        raise _bad("Filters", value, "a QueryFilters", operation)
    for t in value.types:
        validate_type(t, field="Filters.Types", operation=operation)
    for lt in value.lineage_types:
        enum_value(LineageType, lt, field="Filters.LineageTypes", operation=operation)
    for name in ("created_before", "created_after", "modified_before", "modified_after"):
        moment = getattr(value, name)
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            raise _bad(f"Filters.{name}", moment, "a datetime with a time zone", operation)
    validate_properties(value.properties, field="Filters.Properties", operation=operation)
    return value


__all__ = [
    "ARN_RULE",
    "NAME_RULE",
    "PARTITION",
    "SERVICE",
    "SOURCE_ID_TYPES",
    "TYPE_RULE",
    "URI_RULE",
    "artifact_id",
    "entity_arn",
    "enum_value",
    "listing_arn",
    "parse_arn",
    "validate_association_type",
    "validate_depth",
    "validate_description",
    "validate_direction",
    "validate_filters",
    "validate_max_results",
    "validate_name",
    "validate_optional_text",
    "validate_properties",
    "validate_source_types",
    "validate_status",
    "validate_tags",
    "validate_type",
    "validate_uri",
]
