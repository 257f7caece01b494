"""Authorization of the lineage graph: deny by default, associations need both ends, queries
need their start, tags on create, and every refusal recorded (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lineage_helpers import allow, counts, policy

from bastion.errors import AccessDenied
from bastion.registry.lineage import AssociationType, LineageClient
from bastion.sdk import Bastion

UserLineage = Callable[[str, str | None], LineageClient]


def test_a_user_without_policy_may_do_nothing(
    lineage: LineageClient, user_lineage: UserLineage, bastion: Bastion
) -> None:
    data = lineage.create_artifact("DataSet", "s3://d/x.csv")
    nobody = user_lineage("nobody", None)
    for call in (
        lambda: nobody.create_artifact("DataSet", "s3://d/y.csv"),
        lambda: nobody.describe_artifact(data.arn),
        lambda: nobody.list_artifacts(),
        lambda: nobody.query_lineage(data.arn),
        lambda: nobody.endpoints_for_dataset(data.arn),
        lambda: nobody.endpoints_for_dataset("s3://d/x.csv"),
        lambda: nobody.delete_artifact(data.arn),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert counts(bastion.runtime.db) == (1, 0, 0)
    denied = bastion.audit.lookup(event_name="QueryLineage").events
    assert len(denied) == 3 and all(e.error_code == "AccessDenied" for e in denied)


def test_an_association_needs_both_ends(
    lineage: LineageClient, user_lineage: UserLineage, bastion: Bastion
) -> None:
    account = bastion.account_id
    data = lineage.create_artifact("DataSet", "s3://d/x.csv")
    other = lineage.create_artifact("DataSet", "s3://d/y.csv")
    endpoint = lineage.create_context("prod", "Endpoint", "bastion://prod")
    artifacts = f"arn:bastion:sagemaker:local:{account}:artifact/*"
    analyst = user_lineage("analyst", policy(allow("sagemaker:*", artifacts)))
    with pytest.raises(AccessDenied):
        analyst.add_association(data.arn, endpoint.arn)
    with pytest.raises(AccessDenied):
        analyst.add_association(endpoint.arn, data.arn)
    assert counts(bastion.runtime.db) == (3, 0, 0)
    analyst.add_association(data.arn, other.arn, AssociationType.DERIVED_FROM)
    lineage.add_association(other.arn, endpoint.arn)
    with pytest.raises(AccessDenied):
        analyst.delete_association(other.arn, endpoint.arn)
    with pytest.raises(AccessDenied):
        analyst.query_lineage(endpoint.arn)
    down = analyst.downstream(data.arn)
    assert {v.arn for v in down.vertices} == {data.arn, other.arn, endpoint.arn}
    records = bastion.audit.lookup(event_name="AddAssociation").events
    # source allowed, destination denied: two records; source denied: one
    assert [e.error_code for e in records].count("AccessDenied") == 3


def test_a_query_needs_its_start_and_a_uri_needs_every_artifact(
    lineage: LineageClient, user_lineage: UserLineage, bastion: Bastion
) -> None:
    data = lineage.create_artifact("DataSet", "s3://d/x.csv")
    other = lineage.create_artifact("DataSet", "s3://d/y.csv")
    one = user_lineage("one", policy(allow("sagemaker:QueryLineage", data.arn)))
    assert one.query_lineage(data.arn).vertices[0].arn == data.arn
    assert one.endpoints_for_dataset(data.arn) == ()
    with pytest.raises(AccessDenied):
        one.query_lineage(other.arn)
    with pytest.raises(AccessDenied):
        one.endpoints_for_dataset("s3://d/x.csv")
    with pytest.raises(AccessDenied):
        one.describe_artifact(data.arn)


def test_an_explicit_deny_wins_and_tags_can_be_required(
    lineage: LineageClient, user_lineage: UserLineage, bastion: Bastion
) -> None:
    rules = policy(
        allow("sagemaker:*"),
        {"Effect": "Deny", "Action": "sagemaker:DeleteArtifact", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": ["sagemaker:CreateArtifact", "sagemaker:CreateAction"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestTag/team": "risk"}},
        },
    )
    tagged = user_lineage("tagged", rules)
    with pytest.raises(AccessDenied):
        tagged.create_artifact("DataSet", "s3://d/x.csv")
    with pytest.raises(AccessDenied):
        tagged.create_action("job", "TrainingJob", "bastion://job", tags={"team": "ml"})
    made = tagged.create_artifact("DataSet", "s3://d/x.csv", tags={"team": "risk"})
    assert made.tags == {"team": "risk"} and made.created_by.endswith(":user/tagged")
    with pytest.raises(AccessDenied):
        tagged.delete_artifact(made.arn)
    tagged.create_context("ctx", "Endpoint", "bastion://ctx")
    tagged.delete_context("ctx")
    assert counts(bastion.runtime.db) == (1, 0, 0)


def test_resource_tags_decide(
    lineage: LineageClient, user_lineage: UserLineage, bastion: Bastion
) -> None:
    risk = lineage.create_artifact("DataSet", "s3://d/risk.csv", tags={"team": "risk"})
    other = lineage.create_artifact("DataSet", "s3://d/other.csv", tags={"team": "ml"})
    reader = user_lineage(
        "reader",
        policy(
            allow(
                ["sagemaker:DescribeArtifact", "sagemaker:QueryLineage"],
                "*",
                Condition={"StringEquals": {"aws:ResourceTag/team": "risk"}},
            )
        ),
    )
    assert reader.describe_artifact(risk.arn) == risk
    assert reader.query_lineage(risk.arn).vertices[0].arn == risk.arn
    with pytest.raises(AccessDenied):
        reader.describe_artifact(other.arn)
    with pytest.raises(AccessDenied):
        reader.query_lineage(other.arn)
