"""Artifacts, actions and contexts: create, describe, list in pages, update, delete; duplicates
and hostile input refused with the field named and nothing stored (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lineage_helpers import counts

from bastion.errors import Conflict, Invalid, NotFound
from bastion.registry.lineage import (
    ActionStatus,
    AssociationType,
    LineageClient,
    LineageType,
    QueryFilters,
)
from bastion.registry.lineage._names import ARN_RULE, NAME_RULE, TYPE_RULE, URI_RULE
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

SHA = "ab" * 32


def test_artifact_lifecycle(lineage: LineageClient, bastion: Bastion) -> None:
    made = lineage.create_artifact(
        "DataSet",
        "s3://fraud-data/train.csv",
        source_types=[{"SourceIdType": "S3ETag", "Value": SHA}],
        name="fraud-train",
        properties={"rows": "284807"},
        tags={"team": "risk"},
    )
    assert made.arn.startswith(f"arn:bastion:sagemaker:local:{bastion.account_id}:artifact/")
    assert len(made.arn.rsplit("/", 1)[1]) == 32
    assert made.lineage_type is LineageType.ARTIFACT
    assert made.created_by == bastion.runtime.principal.arn
    assert made.label == "fraud-train"
    assert lineage.describe_artifact(made.arn) == made
    listing = lineage.list_artifacts(artifact_type="DataSet")
    assert [a.arn for a in listing.entities] == [made.arn] and listing.next_token is None
    assert lineage.list_artifacts(source_uri="s3://fraud-data/other.csv").entities == ()
    assert lineage.list_artifacts(source_uri="s3://fraud-data/train.csv").entities == (made,)
    lineage.delete_artifact(made.arn)
    with pytest.raises(NotFound):
        lineage.describe_artifact(made.arn)
    assert counts(bastion.runtime.db) == (0, 0, 0)


def test_same_source_is_the_same_artifact_and_other_content_another(
    lineage: LineageClient,
) -> None:
    first = lineage.create_artifact(
        "DataSet", "s3://d/x.csv", source_types=[{"SourceIdType": "S3ETag", "Value": SHA}]
    )
    with pytest.raises(Conflict, match=first.arn):
        lineage.create_artifact(
            "DataSet", "s3://d/x.csv", source_types=[{"SourceIdType": "S3ETag", "Value": SHA}]
        )
    other = lineage.create_artifact(
        "DataSet", "s3://d/x.csv", source_types=[{"SourceIdType": "S3ETag", "Value": "cd" * 32}]
    )
    as_model = lineage.create_artifact(
        "Model", "s3://d/x.csv", source_types=[{"SourceIdType": "S3ETag", "Value": SHA}]
    )
    assert len({first.arn, other.arn, as_model.arn}) == 3
    assert len(lineage.list_artifacts(source_uri="s3://d/x.csv").entities) == 3
    lineage.create_artifact("Image", "docker://a", name="img")
    with pytest.raises(Conflict, match="taken"):
        lineage.create_artifact("Image", "docker://b", name="img")


def test_actions_and_contexts(lineage: LineageClient, bastion: Bastion, clock: FrozenClock) -> None:
    job = lineage.create_action(
        "train-fraud-1",
        "TrainingJob",
        "bastion://jobs/train-fraud-1",
        source_type="BastionJob",
        description="LightGBM on 2026-01",
        properties={"framework": "lightgbm", "seed": "7"},
    )
    assert job.arn.endswith(":action/train-fraud-1") and job.status is ActionStatus.UNKNOWN
    clock.advance(minutes=5)
    later = clock.now()
    updated = lineage.update_action(
        "train-fraud-1",
        status="Completed",
        properties={"auc": "0.97"},
        remove_properties=["seed"],
    )
    assert updated.status is ActionStatus.COMPLETED
    assert dict(updated.properties) == {"framework": "lightgbm", "auc": "0.97"}
    assert updated.last_modified_at == later and updated.created_at < later
    assert lineage.describe_action("train-fraud-1") == updated
    with pytest.raises(Conflict):
        lineage.create_action("train-fraud-1", "TrainingJob", "bastion://x")
    ctx = lineage.create_context("fraud", "Endpoint", "arn:bastion:sagemaker:local:1:endpoint/x")
    assert lineage.describe_context("fraud") == ctx and ctx.status is None
    assert [c.name for c in lineage.list_contexts(context_type="Endpoint").entities] == ["fraud"]
    assert lineage.list_actions(action_type="Endpoint").entities == ()
    with pytest.raises(NotFound):
        lineage.describe_action("fraud")
    too_many = {f"k{i}": "v" for i in range(30)}
    with pytest.raises(Invalid) as caught:
        lineage.update_action("train-fraud-1", properties=too_many)
    assert caught.value.field == "Properties"
    assert dict(lineage.describe_action("train-fraud-1").properties) == dict(updated.properties)
    lineage.delete_action("train-fraud-1")
    lineage.delete_context("fraud")
    assert counts(bastion.runtime.db) == (0, 0, 0)


def test_listing_in_pages(lineage: LineageClient, clock: FrozenClock) -> None:
    made = []
    for i in range(7):
        made.append(lineage.create_artifact("DataSet", f"s3://d/part-{i}.csv").arn)
        if i % 2:
            clock.advance(seconds=1)
    seen: list[str] = []
    token = None
    while True:
        page = lineage.list_artifacts(max_results=3, next_token=token)
        seen += [a.arn for a in page.entities]
        token = page.next_token
        if token is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 7
    start = lineage.list_artifacts(max_results=1).entities[0].created_at
    after = lineage.list_artifacts(created_after=start)
    assert all(a.created_at > start for a in after.entities) and after.entities
    with pytest.raises(Invalid) as caught:
        lineage.list_artifacts(next_token="not-a-token")
    assert caught.value.field == "NextToken"
    with pytest.raises(Invalid) as caught:
        lineage.list_artifacts(max_results=0)
    assert caught.value.field == "MaxResults"


def test_delete_refuses_while_associated_unless_asked(
    lineage: LineageClient, bastion: Bastion
) -> None:
    data = lineage.create_artifact("DataSet", "s3://d/x.csv")
    job = lineage.create_action("job", "TrainingJob", "bastion://jobs/job")
    lineage.add_association(data.arn, job.arn, AssociationType.CONTRIBUTED_TO)
    with pytest.raises(Conflict, match="disassociate"):
        lineage.delete_artifact(data.arn)
    assert counts(bastion.runtime.db) == (2, 1, 0)
    lineage.delete_artifact(data.arn, disassociate=True)
    assert counts(bastion.runtime.db) == (1, 0, 0)
    assert lineage.list_associations(destination_arn=job.arn).associations == ()


HOSTILE_ARNS = [
    "arn:aws:sagemaker:us-east-1:123456789012:artifact/" + "a" * 32,
    "arn:bastion:s3:::bucket/key",
    "arn:bastion:sagemaker:local:123456789012:artifact/../../etc/passwd",
    "arn:bastion:sagemaker:local:123456789012:artifact/" + "A" * 32,
    "arn:bastion:sagemaker:local:123456789012:action/name\x00",
    "arn:bastion:sagemaker:local:123456789012:action/" + "a" * 300,
    "arn:bastion:sagemaker:local:12345:context/x",
    "arn:bastion:sagemaker:LOCAL:123456789012:context/x",
    "arn:bastion:sagemaker:local:123456789012:endpoint/x",
    'arn:bastion:sagemaker:local:123456789012:context/x"];click',
    "",
]


@pytest.mark.parametrize("arn", HOSTILE_ARNS)
def test_hostile_arns_are_refused_naming_the_field(lineage: LineageClient, arn: str) -> None:
    for call, field in (
        (lambda: lineage.describe_artifact(arn), "ArtifactArn"),
        (lambda: lineage.add_association(arn, arn), "SourceArn"),
        (lambda: lineage.query_lineage(arn), "StartArns"),
        (lambda: lineage.list_associations(destination_arn=arn), "DestinationArn"),
    ):
        with pytest.raises(Invalid) as caught:
            call()
        assert caught.value.field == field
        assert caught.value.expected == ARN_RULE


def _bad_inputs(lineage: LineageClient) -> list[tuple[Callable[[], Any], str, str | None]]:
    ok = "s3://d/x.csv"
    return [
        (lambda: lineage.create_artifact("Data Set", ok), "ArtifactType", TYPE_RULE),
        (lambda: lineage.create_artifact("<script>", ok), "ArtifactType", TYPE_RULE),
        (lambda: lineage.create_artifact("DataSet", "train.csv"), "SourceUri", URI_RULE),
        (lambda: lineage.create_artifact("DataSet", "s3://d/a b"), "SourceUri", URI_RULE),
        (lambda: lineage.create_artifact("DataSet", "s3://d/\nx"), "SourceUri", URI_RULE),
        (lambda: lineage.create_artifact("DataSet", "s3://d/\x00"), "SourceUri", URI_RULE),
        (lambda: lineage.create_artifact("DataSet", "s3://d/\ud800"), "SourceUri", URI_RULE),
        (lambda: lineage.create_artifact("DataSet", "s3://" + "x" * 2100), "SourceUri", URI_RULE),
        (lambda: lineage.create_artifact("DataSet", ok, name="a b"), "ArtifactName", NAME_RULE),
        (lambda: lineage.create_artifact("DataSet", ok, name="-a"), "ArtifactName", NAME_RULE),
        (lambda: lineage.create_artifact("DataSet", ok, name="é"), "ArtifactName", NAME_RULE),
        (
            lambda: lineage.create_artifact(
                "DataSet", ok, source_types=[{"SourceIdType": "SHA1", "Value": "x"}]
            ),
            "SourceTypes",
            None,
        ),
        (
            lambda: lineage.create_artifact(
                "DataSet", ok, source_types=[{"SourceIdType": "S3ETag", "Value": "\x07"}]
            ),
            "SourceTypes",
            None,
        ),
        (
            lambda: lineage.create_artifact("DataSet", ok, properties={"k\x00": "v"}),
            "Properties",
            None,
        ),
        (
            lambda: lineage.create_artifact("DataSet", ok, properties={"k": "v" * 300}),
            "Properties[k]",
            None,
        ),
        (
            lambda: lineage.create_artifact(
                "DataSet", ok, properties={str(i): "" for i in range(31)}
            ),
            "Properties",
            None,
        ),
        (lambda: lineage.create_artifact("DataSet", ok, tags={"": "x"}), "Tags", None),
        (lambda: lineage.create_action("job/1", "TrainingJob", ok), "ActionName", NAME_RULE),
        (lambda: lineage.create_action("job", "TrainingJob", ok, status="Done"), "Status", None),
        (
            lambda: lineage.create_action("job", "TrainingJob", ok, description="a\x00b"),
            "Description",
            None,
        ),
        (
            lambda: lineage.create_action("job", "TrainingJob", ok, source_type="\x1b[31m"),
            "SourceType",
            None,
        ),
        (lambda: lineage.create_context("c" * 121, "Endpoint", ok), "ContextName", NAME_RULE),
        (lambda: lineage.describe_action("../x"), "ActionName", NAME_RULE),
        (lambda: lineage.delete_context("x", disassociate="yes"), "disassociate", None),  # type: ignore[arg-type]
        (lambda: lineage.list_artifacts(created_after="2026"), "CreatedAfter", None),  # type: ignore[arg-type]
    ]


def test_hostile_input_is_refused_naming_the_field(
    lineage: LineageClient, bastion: Bastion
) -> None:
    lineage.create_context("x", "Endpoint", "bastion://x")
    before = counts(bastion.runtime.db)
    for call, field, rule in _bad_inputs(lineage):
        with pytest.raises(Invalid) as caught:
            call()
        assert caught.value.field == field, caught.value.message
        if rule is not None:
            assert caught.value.expected == rule
    assert counts(bastion.runtime.db) == before


def test_query_parameters_are_checked(lineage: LineageClient) -> None:
    start = lineage.create_artifact("DataSet", "s3://d/x.csv").arn
    for kwargs, field in (
        ({"max_depth": 0}, "MaxDepth"),
        ({"max_depth": 101}, "MaxDepth"),
        ({"max_depth": True}, "MaxDepth"),
        ({"max_depth": "3"}, "MaxDepth"),
        ({"direction": "Sideways"}, "Direction"),
        ({"include_edges": "yes"}, "IncludeEdges"),
        ({"filters": QueryFilters(types=("<b>",))}, "Filters.Types"),
        ({"filters": QueryFilters(lineage_types=("Trial",))}, "Filters.LineageTypes"),  # type: ignore[arg-type]
        ({"filters": QueryFilters(properties={"k": "\x00"})}, "Filters.Properties[k]"),
    ):
        with pytest.raises(Invalid) as caught:
            lineage.query_lineage(start, **kwargs)
        assert caught.value.field == field
    with pytest.raises(Invalid) as caught:
        lineage.add_association(start, start)
    assert caught.value.field == "DestinationArn"
    other = lineage.create_artifact("DataSet", "s3://d/y.csv").arn
    with pytest.raises(Invalid) as caught:
        lineage.add_association(start, other, "DeployedTo")
    assert caught.value.field == "AssociationType"
