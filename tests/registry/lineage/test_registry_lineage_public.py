"""The lineage package's public surface, and ARNs that round-trip through the parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bastion.registry.lineage as lineage
from bastion.errors import Invalid
from bastion.registry.lineage import LineageType
from bastion.registry.lineage._names import (
    ARN_RULE,
    artifact_id,
    entity_arn,
    parse_arn,
)

PUBLIC = [
    "ActionStatus",
    "Association",
    "AssociationListing",
    "AssociationType",
    "Direction",
    "Edge",
    "EntityListing",
    "LineageClient",
    "LineageEntity",
    "LineageQueryResult",
    "LineageRuntime",
    "LineageType",
    "ModelProvenance",
    "QueryFilters",
    "Vertex",
    "mermaid_graph",
    "mermaid_label",
    "openlineage_events",
    "openlineage_json",
    "write_openlineage",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(lineage.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(lineage, name)


_NAMES = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,40}", fullmatch=True)
_REGIONS = st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)
_ACCOUNTS = st.from_regex(r"[0-9]{12}", fullmatch=True)


@given(name=_NAMES, region=_REGIONS, account=_ACCOUNTS, uri=st.text(min_size=1, max_size=50))
def test_arns_round_trip(name: str, region: str, account: str, uri: str) -> None:
    for kind, rid in (
        (LineageType.ACTION, name),
        (LineageType.CONTEXT, name),
        (LineageType.ARTIFACT, artifact_id("DataSet", uri, [])),
    ):
        arn = entity_arn(kind, region, account, rid)
        assert parse_arn(arn, field="Arn", operation="Test") == (kind, arn)


@given(st.text(max_size=300))
def test_random_text_is_an_arn_only_when_it_looks_like_one(text: str) -> None:
    try:
        kind, arn = parse_arn(text, field="Arn", operation="Test")
    except Invalid as exc:
        assert exc.field == "Arn" and exc.expected == ARN_RULE
    else:
        assert arn == text and text.startswith("arn:bastion:sagemaker:") and kind


@pytest.mark.parametrize("value", [None, 7, b"arn:bastion:sagemaker:x:123456789012:action/a"])
def test_non_text_arns_are_invalid(value: object) -> None:
    with pytest.raises(Invalid):
        parse_arn(value, field="Arn", operation="Test")
