"""``/lineage`` routes: the JSON shapes, QueryLineage, the named questions, the exports, and
errors in the one JSON shape (hostile ARNs 400 naming the field, cycles 409, hidden 404)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bastion.api import ApiOptions, create_app
from bastion.sdk import Bastion

PEER = ("127.0.0.1", 50123)


def _error(body: object, *, status: int, code: str, field: str | None = None) -> None:
    assert isinstance(body, dict)
    assert set(body) == {"ok", "status", "code", "error", "field"}, body
    assert (body["ok"], body["status"], body["code"], body["field"]) == (False, status, code, field)


@pytest.fixture
def clients(bastion: Bastion) -> Iterator[tuple[TestClient, TestClient]]:
    """(the owner's client, a client of a user no policy allows anything)."""
    app = create_app(
        bastion.runtime.settings,
        runtime=bastion.runtime,
        options=ApiOptions(max_json_bytes=64 * 1024, max_object_bytes=1024 * 1024),
    )
    owner = bastion.access.create_api_token(description="lineage routes").token
    bastion.access.create_user("mallory")
    user = bastion.access.create_api_token(user_name="mallory").token
    with (
        TestClient(app, client=PEER, headers={"Authorization": f"Bearer {owner}"}) as a,
        TestClient(app, client=PEER, headers={"Authorization": f"Bearer {user}"}) as b,
    ):
        yield a, b


def test_entities_associations_and_queries(clients: tuple[TestClient, TestClient]) -> None:
    client, _ = clients
    r = client.post(
        "/lineage/artifacts",
        json={
            "ArtifactType": "DataSet",
            "Source": {
                "SourceUri": "s3://fraud-data/train.csv",
                "SourceTypes": [{"SourceIdType": "S3ETag", "Value": "ab" * 32}],
            },
            "Properties": {"rows": "10"},
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()["Entity"]
    assert data["LineageType"] == "Artifact" and data["CreationTime"].endswith("Z")
    artifact_id = data["Arn"].rsplit("/", 1)[1]
    assert client.get(f"/lineage/artifacts/{artifact_id}").json()["Entity"] == data
    job = client.post(
        "/lineage/actions",
        json={
            "ActionName": "train-1",
            "ActionType": "TrainingJob",
            "Source": {"SourceUri": "bastion://jobs/1"},
            "Status": "InProgress",
        },
    ).json()["Entity"]
    r = client.patch("/lineage/actions/train-1", json={"Status": "Completed"})
    assert r.json()["Entity"]["Status"] == "Completed"
    model = client.post(
        "/lineage/artifacts",
        json={"ArtifactType": "Model", "Source": {"SourceUri": "s3://models/1/model.onnx"}},
    ).json()["Entity"]
    endpoint = client.post(
        "/lineage/contexts",
        json={
            "ContextName": "fraud",
            "ContextType": "Endpoint",
            "Source": {"SourceUri": "arn:bastion:sagemaker:local:123456789012:endpoint/fraud"},
        },
    ).json()["Entity"]
    for src, dst, kind in (
        (data, job, "ContributedTo"),
        (job, model, "Produced"),
        (model, endpoint, "AssociatedWith"),
    ):
        r = client.post(
            "/lineage/associations",
            json={"SourceArn": src["Arn"], "DestinationArn": dst["Arn"], "AssociationType": kind},
        )
        assert r.status_code == 200, r.text
        assert r.json()["Association"]["SourceType"] == src["Type"]
    listed = client.get("/lineage/associations", params={"source-arn": job["Arn"]}).json()
    assert [a["DestinationArn"] for a in listed["AssociationSummaries"]] == [model["Arn"]]
    query = {"StartArns": [data["Arn"]], "Direction": "Descendants", "MaxDepth": None}
    r = client.post("/lineage/query", json=query)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(v["Type"], v["Depth"]) for v in body["Vertices"]] == [
        ("DataSet", 0),
        ("TrainingJob", 1),
        ("Model", 2),
        ("Endpoint", 3),
    ]
    assert len(body["Edges"]) == 3
    filtered = client.post(
        "/lineage/query",
        json={**query, "IncludeEdges": False, "Filters": {"LineageTypes": ["Context"]}},
    ).json()
    assert [v["Arn"] for v in filtered["Vertices"]] == [endpoint["Arn"]] and not filtered["Edges"]
    r = client.get(
        "/lineage/questions/endpoints-for-dataset",
        params={"dataset": "s3://fraud-data/train.csv"},
    )
    assert [e["Name"] for e in r.json()["Endpoints"]] == ["fraud"]
    r = client.get(
        "/lineage/questions/endpoint-provenance", params={"endpoint": endpoint["SourceUri"]}
    )
    [only] = r.json()["Models"]
    assert only["Model"]["Arn"] == model["Arn"] and only["Deployment"] is None
    assert [p["Name"] for p in only["Producers"]] == ["train-1"]
    assert [i["Arn"] for i in only["Inputs"]] == [data["Arn"]]
    events = client.post("/lineage/export/openlineage", json=query).json()["Events"]
    assert [e["job"]["name"] for e in events] == ["train-1"]
    assert events[0]["eventType"] == "COMPLETE"
    mermaid = client.post("/lineage/export/mermaid", json=query).json()["Mermaid"]
    assert mermaid.startswith("graph LR\n") and "-->|Produced|" in mermaid
    r = client.delete(f"/lineage/artifacts/{artifact_id}")
    _error(r.json(), status=409, code="conflict")
    r = client.delete(
        "/lineage/associations",
        params={"source-arn": data["Arn"], "destination-arn": job["Arn"]},
    )
    assert r.status_code == 204
    assert client.delete(f"/lineage/artifacts/{artifact_id}").status_code == 204
    r = client.get(f"/lineage/artifacts/{artifact_id}")
    _error(r.json(), status=404, code="not-found")


def test_errors_in_the_one_shape(clients: tuple[TestClient, TestClient]) -> None:
    client, mallory = clients
    a = client.post(
        "/lineage/artifacts", json={"ArtifactType": "DataSet", "Source": {"SourceUri": "s3://d/a"}}
    ).json()["Entity"]
    b = client.post(
        "/lineage/actions",
        json={"ActionName": "b", "ActionType": "Job", "Source": {"SourceUri": "bastion://b"}},
    ).json()["Entity"]
    client.post("/lineage/associations", json={"SourceArn": a["Arn"], "DestinationArn": b["Arn"]})
    r = client.post(
        "/lineage/associations", json={"SourceArn": b["Arn"], "DestinationArn": a["Arn"]}
    )
    _error(r.json(), status=409, code="conflict")
    assert "cycle" in r.json()["error"]
    r = client.post(
        "/lineage/query", json={"StartArns": ["arn:bastion:sagemaker:local:1:artifact/../x"]}
    )
    _error(r.json(), status=400, code="invalid", field="StartArns")
    r = client.post("/lineage/query", json={"StartArns": [a["Arn"]], "MaxDepth": 0})
    _error(r.json(), status=400, code="invalid", field="MaxDepth")
    r = client.post(
        "/lineage/artifacts",
        json={"ArtifactType": "<script>", "Source": {"SourceUri": "s3://d/a"}},
    )
    _error(r.json(), status=400, code="invalid", field="ArtifactType")
    r = client.post(
        "/lineage/artifacts",
        json={"ArtifactType": "DataSet", "Source": {"SourceUri": "no scheme"}},
    )
    _error(r.json(), status=400, code="invalid", field="SourceUri")
    r = client.get("/lineage/artifacts/not-hex")
    _error(r.json(), status=400, code="invalid", field="ArtifactArn")
    r = client.get("/lineage/actions", params={"next-token": "garbage"})
    _error(r.json(), status=400, code="invalid", field="NextToken")
    r = mallory.get(f"/lineage/artifacts/{a['Arn'].rsplit('/', 1)[1]}")
    _error(r.json(), status=404, code="not-found")
    r = mallory.get("/lineage/actions/b")
    _error(r.json(), status=404, code="not-found")
    r = mallory.post("/lineage/query", json={"StartArns": [a["Arn"]]})
    _error(r.json(), status=403, code="access-denied")
