"""Associations and walks: both directions, depth limits, edges on paths, filters, cycles refused
when added and harmless when present, and the two named questions on a realistic chain
(SQLite and PostgreSQL; walks checked against a plain BFS on random graphs)."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lineage_helpers import T0, counts, manual_chain

from bastion.db import Database
from bastion.errors import Conflict, NotFound
from bastion.registry.lineage import (
    AssociationType,
    Direction,
    LineageClient,
    LineageType,
    QueryFilters,
)
from bastion.registry.lineage._tables import lineage_associations
from bastion.sdk import Bastion
from bastion.testing import FrozenClock


def _types(result_vertices: object) -> dict[str, int]:
    return {v.entity.label: v.depth for v in result_vertices}  # type: ignore[attr-defined]


def test_walks_in_both_directions_to_any_depth(lineage: LineageClient) -> None:
    e = manual_chain(lineage)
    down = lineage.downstream(e["train"].arn)
    assert _types(down.vertices) == {
        "train.csv": 0,
        "train-1": 1,
        "model.onnx": 2,
        "1": 3,
        "deploy-1": 4,
        "deploy-3": 4,
        "fraud": 5,
        "fraud-shadow": 5,
    }
    assert len(down.edges) == 7
    assert all(v.lineage_type is LineageType.ARTIFACT for v in down.of_type("Model"))
    up = lineage.upstream(e["fraud"].arn)
    assert {v.arn for v in up.vertices} == {
        e[k].arn
        for k in (
            "fraud",
            "dep1",
            "dep2",
            "pkg1",
            "pkg2",
            "model1",
            "model2",
            "job1",
            "job2",
            "train",
            "other",
        )
    }
    assert {(x.source_arn, x.destination_arn) for x in up.edges} >= {
        (e["train"].arn, e["job1"].arn),
        (e["job2"].arn, e["model2"].arn),
    }
    both = lineage.query_lineage(e["model1"].arn, direction=Direction.BOTH, max_depth=None)
    assert {v.arn for v in both.vertices} == {
        e[k].arn for k in ("train", "job1", "model1", "pkg1", "dep1", "dep3", "fraud", "shadow")
    }
    assert both.vertex(e["train"].arn).depth == 2  # type: ignore[union-attr]
    assert both.vertex(e["fraud"].arn).depth == 3  # type: ignore[union-attr]


def test_depth_limits(lineage: LineageClient) -> None:
    e = manual_chain(lineage)
    for depth, expected in ((1, {"train-1"}), (2, {"train-1", "model.onnx"})):
        result = lineage.downstream(e["train"].arn, max_depth=depth, include_edges=False)
        assert {v.entity.label for v in result.vertices} == expected
        assert result.edges == ()
        assert max(v.depth for v in result.vertices) == depth
    edged = lineage.downstream(e["train"].arn, max_depth=2)
    assert len(edged.edges) == 2 and edged.vertex(e["train"].arn) is not None
    assert len(lineage.query_lineage(e["train"].arn).vertices) == 8  # default depth 10
    chain = [lineage.create_artifact("DataSet", f"s3://d/step-{i}").arn for i in range(25)]
    for a, b in itertools.pairwise(chain):
        lineage.add_association(a, b, AssociationType.DERIVED_FROM)
    assert len(lineage.downstream(chain[0]).vertices) == 25
    assert len(lineage.downstream(chain[0], max_depth=10).vertices) == 11
    assert lineage.upstream(chain[-1], max_depth=24).vertex(chain[0]).depth == 24  # type: ignore[union-attr]
    assert lineage.upstream(chain[-1], max_depth=23).vertex(chain[0]) is None


def test_filters_and_edges_on_paths(lineage: LineageClient, clock: FrozenClock) -> None:
    e = manual_chain(lineage)
    clock.advance(hours=1)
    late = lineage.create_context("late", "Endpoint", "bastion://late")
    lineage.add_association(e["dep3"].arn, late.arn)
    only = QueryFilters(types=("Endpoint",), lineage_types=(LineageType.CONTEXT,))
    bare = lineage.downstream(e["train"].arn, filters=only, include_edges=False)
    assert {v.entity.name for v in bare.vertices} == {"fraud", "fraud-shadow", "late"}
    paths = lineage.downstream(e["train"].arn, filters=only)
    assert {v.entity.label for v in paths.vertices} == {
        "train.csv",
        "train-1",
        "model.onnx",
        "1",
        "deploy-1",
        "deploy-3",
        "fraud",
        "fraud-shadow",
        "late",
    }
    assert len(paths.edges) == 8
    newer = QueryFilters(types=("Endpoint",), created_after=clock.now() - timedelta(minutes=1))
    assert [
        v.entity.name
        for v in lineage.downstream(e["train"].arn, filters=newer).vertices
        if v.type == "Endpoint"
    ] == ["late"]
    jobs = lineage.upstream(e["fraud"].arn, filters=QueryFilters(types=("TrainingJob",)))
    assert {v.entity.name for v in jobs.of_type("TrainingJob")} == {"train-1", "train-2"}
    props = lineage.create_artifact("Model", "s3://m/p", properties={"stage": "prod"})
    lineage.add_association(props.arn, e["fraud"].arn)
    hit = lineage.upstream(
        e["fraud"].arn,
        include_edges=False,
        filters=QueryFilters(properties={"stage": "prod", "x": "y"}),
    )
    assert [v.arn for v in hit.vertices] == [props.arn]
    nothing = lineage.downstream(e["fraud"].arn)
    assert [v.arn for v in nothing.vertices] == [e["fraud"].arn] and nothing.edges == ()
    ghost = e["fraud"].arn.replace("context/fraud", "context/ghost")
    with pytest.raises(NotFound, match="StartArns"):
        lineage.query_lineage(ghost)


def test_association_rules(lineage: LineageClient, bastion: Bastion) -> None:
    a = lineage.create_artifact("DataSet", "s3://d/a")
    b = lineage.create_action("b", "Processing", "bastion://b")
    c = lineage.create_artifact("DataSet", "s3://d/c")
    ab = lineage.add_association(a.arn, b.arn, "ContributedTo")
    assert ab.source_type == "DataSet" and ab.destination_name == "b"
    assert ab.created_by == bastion.runtime.principal.arn
    lineage.add_association(b.arn, c.arn, AssociationType.PRODUCED)
    with pytest.raises(Conflict, match="already exists"):
        lineage.add_association(a.arn, b.arn, AssociationType.DERIVED_FROM)
    before = counts(bastion.runtime.db)
    with pytest.raises(Conflict, match="cycle"):
        lineage.add_association(c.arn, a.arn, AssociationType.DERIVED_FROM)
    with pytest.raises(Conflict, match="cycle"):
        lineage.add_association(b.arn, a.arn)
    assert counts(bastion.runtime.db) == before
    ghost = a.arn[:-1] + ("0" if a.arn[-1] != "0" else "1")
    with pytest.raises(NotFound, match="SourceArn"):
        lineage.add_association(ghost, b.arn)
    with pytest.raises(NotFound, match="DestinationArn"):
        lineage.add_association(b.arn, ghost)
    listed = lineage.list_associations(source_arn=b.arn)
    assert [(x.destination_arn, x.association_type) for x in listed.associations] == [
        (c.arn, AssociationType.PRODUCED)
    ]
    assert len(lineage.list_associations(association_type="ContributedTo").associations) == 1
    assert len(lineage.list_associations(destination_type="DataSet").associations) == 1
    pages = [lineage.list_associations(max_results=1)]
    while pages[-1].next_token:
        pages.append(lineage.list_associations(max_results=1, next_token=pages[-1].next_token))
    assert len(pages) == 2 and all(len(p.associations) == 1 for p in pages)
    lineage.delete_association(a.arn, b.arn)
    with pytest.raises(NotFound):
        lineage.delete_association(a.arn, b.arn)
    lineage.add_association(c.arn, a.arn)  # no cycle any more


def _insert_edges(db: Database, edges: list[tuple[str, str]]) -> None:
    with db.write() as conn:
        conn.execute(
            lineage_associations.insert(),
            [
                {
                    "source_arn": s,
                    "destination_arn": d,
                    "association_type": "AssociatedWith",
                    "created_at": T0,
                    "created_by": "test",
                }
                for s, d in edges
            ],
        )


def test_walks_end_on_cycles_already_stored(lineage: LineageClient, bastion: Bastion) -> None:
    """Rows written around the API (an older version, a manual fix) may form cycles: every walk
    still ends, each entity once, at its shortest depth."""
    n = [lineage.create_artifact("DataSet", f"s3://cycle/{i}").arn for i in range(4)]
    _insert_edges(bastion.runtime.db, [(n[0], n[1]), (n[1], n[2]), (n[2], n[0]), (n[2], n[3])])
    for depth in (None, 1, 2, 3, 100):
        for way in (Direction.DESCENDANTS, Direction.ASCENDANTS, Direction.BOTH):
            result = lineage.query_lineage(n[0], direction=way, max_depth=depth)
            assert len({v.arn for v in result.vertices}) == len(result.vertices)
    down = lineage.downstream(n[0])
    assert {v.arn: v.depth for v in down.vertices} == {n[0]: 0, n[1]: 1, n[2]: 2, n[3]: 3}
    up = lineage.upstream(n[0], include_edges=False)
    assert {v.arn: v.depth for v in up.vertices} == {n[2]: 1, n[1]: 2}
    assert len(lineage.downstream(n[0], max_depth=2).edges) == 2


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    size = draw(st.integers(2, 9))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)).filter(
                lambda e: e[0] != e[1]
            ),
            max_size=20,
            unique=True,
        )
    )
    return size, edges


def _bfs(start: int, edges: list[tuple[int, int]], limit: int | None) -> dict[int, int]:
    depths = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if limit is not None and depths[node] >= limit:
            continue
        for s, d in edges:
            if s == node and d not in depths:
                depths[d] = depths[node] + 1
                queue.append(d)
    return depths


def test_walks_match_a_plain_bfs(lineage: LineageClient, bastion: Bastion) -> None:
    nodes = [lineage.create_artifact("DataSet", f"s3://g/{i}").arn for i in range(9)]
    db = bastion.runtime.db

    @given(graph=_graphs(), limit=st.one_of(st.none(), st.integers(1, 4)))
    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    def check(graph: tuple[int, list[tuple[int, int]]], limit: int | None) -> None:
        _, edges = graph
        with db.write() as conn:
            conn.execute(lineage_associations.delete())
        if edges:
            _insert_edges(db, [(nodes[s], nodes[d]) for s, d in edges])
        expected = _bfs(0, edges, limit)
        down = lineage.downstream(nodes[0], max_depth=limit)
        assert {v.arn: v.depth for v in down.vertices} == {nodes[k]: d for k, d in expected.items()}
        reversed_edges = [(d, s) for s, d in edges]
        expected_up = _bfs(0, reversed_edges, limit)
        up = lineage.upstream(nodes[0], max_depth=limit, include_edges=False)
        assert {v.arn: v.depth for v in up.vertices} == {
            nodes[k]: d for k, d in expected_up.items() if k != 0
        }

    check()


def test_the_two_named_questions(lineage: LineageClient) -> None:
    e = manual_chain(lineage)
    assert {x.name for x in lineage.endpoints_for_dataset("s3://fraud-data/train.csv")} == {
        "fraud",
        "fraud-shadow",
    }
    assert [x.name for x in lineage.endpoints_for_dataset(e["other"].arn)] == ["fraud"]
    lonely = lineage.create_artifact("DataSet", "s3://fraud-data/unused.csv")
    assert lineage.endpoints_for_dataset(lonely.arn) == ()
    with pytest.raises(NotFound):
        lineage.endpoints_for_dataset("s3://fraud-data/never-seen.csv")
    found = lineage.endpoint_provenance(e["fraud"].arn)
    assert {p.model.arn for p in found} == {e["model1"].arn, e["model2"].arn}
    by_model = {p.model.arn: p for p in found}
    first = by_model[e["model1"].arn]
    assert first.deployment == e["dep1"] and first.model_package == e["pkg1"]
    assert first.producers == (e["job1"],) and first.inputs == (e["train"],)
    second = by_model[e["model2"].arn]
    assert second.producers == (e["job2"],) and second.inputs == (e["other"],)
    assert second.deployment == e["dep2"]
    same = lineage.endpoint_provenance(e["fraud"].source_uri)
    assert same == found
    with pytest.raises(NotFound):
        lineage.endpoint_provenance("arn:bastion:sagemaker:local:123456789012:endpoint/none")


def test_provenance_orders_deployments_newest_first(
    lineage: LineageClient, clock: FrozenClock
) -> None:
    endpoint = lineage.create_context("ep", "Endpoint", "bastion://ep")
    models = []
    for i in range(3):
        model = lineage.create_artifact("Model", f"s3://m/{i}")
        job = lineage.create_action(f"job-{i}", "TrainingJob", f"bastion://job/{i}")
        lineage.add_association(job.arn, model.arn, AssociationType.PRODUCED)
        dep = lineage.create_action(f"dep-{i}", "ModelDeployment", f"bastion://dep/{i}")
        lineage.add_association(model.arn, dep.arn, AssociationType.CONTRIBUTED_TO)
        lineage.add_association(dep.arn, endpoint.arn)
        models.append(model.arn)
        clock.advance(minutes=1)
    found = lineage.endpoint_provenance(endpoint.arn)
    assert [p.model.arn for p in found] == models[::-1]
    assert found[0].deployed_at is not None and found[0].model_package is None
