"""OpenLineage run events (parsed back and checked against the spec's required fields) and the
Mermaid picture, whose labels no hostile name or URI can break."""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st
from lineage_helpers import manual_chain

from bastion.registry.lineage import (
    AssociationType,
    LineageClient,
    mermaid_graph,
    mermaid_label,
    openlineage_events,
    openlineage_json,
    write_openlineage,
)
from bastion.registry.lineage._export import PRODUCER, run_id

# The parts of OpenLineage 2-0-2 (RunEvent, Run, Job, InputDataset/OutputDataset) every event
# must satisfy; the full spec is not shipped with openlineage-python and is not fetched here.
RUN_EVENT_SCHEMA = {
    "type": "object",
    "required": ["eventTime", "producer", "schemaURL", "run", "job", "eventType"],
    "properties": {
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": {"type": "string", "format": "uri"},
        "schemaURL": {
            "const": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
        },
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {"runId": {"type": "string", "format": "uuid"}},
        },
        "job": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1},
                "facets": {"type": "object"},
            },
        },
        "inputs": {"type": "array", "items": {"$ref": "#/$defs/dataset"}},
        "outputs": {"type": "array", "items": {"$ref": "#/$defs/dataset"}},
    },
    "$defs": {
        "dataset": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1},
                "facets": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["_producer", "_schemaURL"],
                    },
                },
            },
        }
    },
}


def test_openlineage_run_events(lineage: LineageClient, tmp_path: Path) -> None:
    e = manual_chain(lineage)
    result = lineage.upstream(e["fraud"].arn)
    events = openlineage_events(result)
    assert [ev.job.name for ev in events if ev.job.name.startswith("train")] == [
        "train-1",
        "train-2",
    ]
    lines = list(openlineage_json(events))
    assert len(lines) == 4  # two training jobs and two deployments
    checker = jsonschema.Draft202012Validator(
        RUN_EVENT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    parsed = [json.loads(line) for line in lines]
    for doc in parsed:
        checker.validate(doc)
        assert doc["producer"] == PRODUCER
        assert doc["job"]["namespace"] == f"bastion://local/{lineage.runtime.account_id}"
    train = next(d for d in parsed if d["job"]["name"] == "train-1")
    assert train["eventType"] == "COMPLETE"
    assert train["run"]["runId"] == run_id(e["job1"].arn)
    assert uuid.UUID(train["run"]["runId"]).version == 5
    assert train["job"]["facets"]["jobType"]["jobType"] == "TrainingJob"
    assert [(i["namespace"], i["name"]) for i in train["inputs"]] == [
        ("s3://fraud-data", "train.csv")
    ]
    assert [(o["namespace"], o["name"]) for o in train["outputs"]] == [
        ("s3://models", "fraud/1/model.onnx")
    ]
    symlink = train["inputs"][0]["facets"]["symlinks"]["identifiers"][0]
    assert symlink == {"namespace": "bastion-lineage", "name": e["train"].arn, "type": "Artifact"}
    failed = next(d for d in parsed if d["job"]["name"] == "train-2")
    assert failed["eventType"] == "FAIL"
    deploy = next(d for d in parsed if d["job"]["name"] == "deploy-1")
    assert deploy["eventType"] == "OTHER"  # status Unknown
    package = deploy["inputs"][0]
    assert package["namespace"] == f"bastion://local/{lineage.runtime.account_id}"
    assert package["name"] == e["pkg1"].source_uri
    target = tmp_path / "lineage.ndjson"
    assert write_openlineage(events, target) == 4
    assert target.read_text().splitlines() == lines
    buffer = io.StringIO()
    assert write_openlineage(events, buffer) == 4 and buffer.getvalue() == target.read_text()


def test_openlineage_dataset_versions_and_custom_namespace(lineage: LineageClient) -> None:
    data = lineage.create_artifact(
        "DataSet", "s3://d/x.csv", source_types=[{"SourceIdType": "S3ETag", "Value": "ab" * 32}]
    )
    job = lineage.create_action("job", "Processing", "bastion://job", status="InProgress")
    lineage.add_association(data.arn, job.arn, AssociationType.CONTRIBUTED_TO)
    [only] = openlineage_events(lineage.downstream(data.arn), namespace="team-risk")
    doc = json.loads(next(openlineage_json([only])))
    assert doc["job"]["namespace"] == "team-risk" and doc["eventType"] == "RUNNING"
    version = doc["inputs"][0]["facets"]["version"]["datasetVersion"]
    assert version == "S3ETag:" + "ab" * 32
    assert openlineage_events(lineage.upstream(data.arn)) == []


_LABEL = re.compile(r"(?:[A-Za-z0-9 ._\-/:@=+,]|#\d+;)*")
_NODE = re.compile(r'    n\d+(\["|\(\["|\{\{")(?P<label>[^"]*)("\]|"\]\)|"\}\})')
_EDGE = re.compile(r"    n\d+ -->\|[A-Za-z]+\| n\d+")


def _decode(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)


@given(st.text(max_size=80))
def test_mermaid_labels_hold_only_safe_characters(text: str) -> None:
    label = mermaid_label(text, limit=60)
    assert _LABEL.fullmatch(label)
    expected = text if len(text) <= 60 else text[:59] + "…"
    assert _decode(label) == expected


HOSTILE_URIS = [
    's3://b/x"];click(n0)"javascript:alert(1)";%%',
    "s3://b/<img/src=x/onerror=alert(1)>",
    "s3://b/a|b-->c",
    "s3://b/%%{init:{'securityLevel':'loose'}}%%",
    "s3://b/`md`&amp;#35;",
    "s3://b/" + "é" * 100,
]


def test_mermaid_graph_is_not_broken_by_hostile_names(lineage: LineageClient) -> None:
    endpoint = lineage.create_context("prod", "Endpoint", "bastion://prod")
    job = lineage.create_action("deploy", "ModelDeployment", "bastion://deploy")
    lineage.add_association(job.arn, endpoint.arn)
    for uri in HOSTILE_URIS:
        artifact = lineage.create_artifact("Model", uri)
        lineage.add_association(artifact.arn, job.arn, AssociationType.CONTRIBUTED_TO)
    text = mermaid_graph(lineage.upstream(endpoint.arn))
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    nodes = [line for line in lines if _NODE.fullmatch(line)]
    edges = [line for line in lines if _EDGE.fullmatch(line)]
    assert len(nodes) == 2 + len(HOSTILE_URIS) and len(edges) == 1 + len(HOSTILE_URIS)
    assert lines[len(nodes) + len(edges) + 1 :] == [
        "    classDef start stroke-width:3px",
        "    class n0 start",
    ]
    for line in nodes:
        label = _NODE.fullmatch(line).group("label")  # type: ignore[union-attr]
        assert _LABEL.fullmatch(label), line
    assert "<" not in text and "&" not in text and "`" not in text and "%%" not in text
    labels = {_decode(_NODE.fullmatch(n).group("label")) for n in nodes}  # type: ignore[union-attr]
    assert 'Model: x"];click(n0)"javascript:alert(1)";%%' in labels
