"""``/models/cards`` over HTTP: the SageMaker-shaped bodies, the one error shape, hidden
existence for callers who may not see a card, and exports as files."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.api import ApiOptions, create_app
from bastion.sdk import Bastion

PEER = ("127.0.0.1", 50123)
BASE = "/models/cards"
CONTENT: dict[str, Any] = {
    "intended_uses": {"purpose_of_model": "Flag fraud", "risk_rating": "High"}
}


def assert_error(body: Any, *, status: int, code: str, field: str | None = None) -> None:
    assert set(body) == {"ok", "status", "code", "error", "field"}, body
    assert (body["ok"], body["status"], body["code"], body["field"]) == (False, status, code, field)


@pytest.fixture
def app(bastion: Bastion) -> FastAPI:
    options = ApiOptions(max_json_bytes=256 * 1024, max_object_bytes=1024 * 1024)
    return create_app(bastion.runtime.settings, runtime=bastion.runtime, options=options)


def _client(app: FastAPI, token: str) -> Iterator[TestClient]:
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


@pytest.fixture
def client(app: FastAPI, bastion: Bastion) -> Iterator[TestClient]:
    """The owner's client."""
    yield from _client(app, bastion.access.create_api_token(description="cards").token)


@pytest.fixture
def nobody(app: FastAPI, bastion: Bastion) -> Iterator[TestClient]:
    """A user that no policy allows anything."""
    bastion.access.create_user("nobody")
    yield from _client(app, bastion.access.create_api_token(user_name="nobody").token)


def _create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(BASE, json={"ModelCardName": "fraud", "Content": CONTENT, **body})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_describe_update_list_delete(client: TestClient, bastion: Bastion) -> None:
    created = _create(client)
    assert created["ModelCardArn"].endswith(":model-card/fraud")
    assert (created["ModelCardVersion"], created["ModelCardStatus"]) == (1, "Draft")
    assert created["Content"] == CONTENT
    assert created["RiskRating"] == "High"
    assert created["SecurityConfig"] is None
    assert created["CreationTime"].endswith("Z")
    assert client.get(f"{BASE}/fraud").json() == created
    review = client.patch(f"{BASE}/fraud", json={"ModelCardStatus": "PendingReview"})
    assert review.status_code == 200 and review.json()["ModelCardVersion"] == 2
    edited = client.patch(f"{BASE}/fraud", json={"Content": '{"business_details": {}}'})
    assert edited.json()["ModelCardStatus"] == "Draft"
    assert edited.json()["Content"] == {"business_details": {}}
    old = client.get(f"{BASE}/fraud", params={"ModelCardVersion": 1}).json()
    assert (old["ModelCardVersion"], old["LatestModelCardVersion"]) == (1, 3)
    assert old["Content"] == CONTENT
    versions = client.get(f"{BASE}/fraud/versions", params={"SortOrder": "Ascending"}).json()
    assert [
        (v["ModelCardVersion"], v["Change"]) for v in versions["ModelCardVersionSummaryList"]
    ] == [
        (1, "Create"),
        (2, "Status"),
        (3, "Content"),
    ]
    listed = client.get(BASE, params={"NameContains": "fra"}).json()
    assert [c["ModelCardName"] for c in listed["ModelCardSummaries"]] == ["fraud"]
    assert listed["NextToken"] is None
    assert client.delete(f"{BASE}/fraud").status_code == 204
    assert_error(client.get(f"{BASE}/fraud").json(), status=404, code="not-found")


def test_sealed_card_reports_its_key(client: TestClient, bastion: Bastion) -> None:
    key = bastion.keys.create_key(description="cards")
    created = _create(client, SecurityConfig={"KmsKeyId": key.key_id})
    assert created["SecurityConfig"] == {"KmsKeyId": key.arn}
    assert client.get(f"{BASE}/fraud").json()["Content"] == CONTENT


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ModelCardName": "bad name"}, "model_card_name"),
        ({"ModelCardName": "fraud", "ModelCardStatus": "Done"}, "status"),
        (
            {"ModelCardName": "fraud", "Content": {"intended_uses": {"risk_rating": "x"}}},
            ("content.intended_uses.risk_rating"),
        ),
        ({"ModelCardName": "fraud", "Content": "{oops"}, "content"),
        ({"ModelCardName": "fraud", "Content": [1]}, "content"),
        ({"ModelCardName": "fraud", "Extra": 1}, "Extra"),
        ({"ModelCardName": "fraud", "ModelPackageArn": "arn:x"}, "model_package_arn"),
        ({}, "ModelCardName"),
    ],
)
def test_bad_requests_are_400_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post(BASE, json=body)
    assert_error(response.json(), status=400, code="invalid", field=field)


def test_review_conflicts_are_409(client: TestClient) -> None:
    _create(client)
    response = client.patch(f"{BASE}/fraud", json={"ModelCardStatus": "Approved"})
    assert_error(response.json(), status=409, code="conflict")
    both = client.patch(f"{BASE}/fraud", json={"ModelCardStatus": "PendingReview", "Content": {}})
    assert_error(both.json(), status=400, code="invalid", field="content")


def test_callers_who_may_not_see_a_card_get_404(client: TestClient, nobody: TestClient) -> None:
    _create(client)
    for path in (f"{BASE}/fraud", f"{BASE}/fraud/versions", f"{BASE}/fraud/export"):
        hidden = nobody.get(path)
        missing = client.get(path.replace("fraud", "ghost"))
        assert_error(hidden.json(), status=404, code="not-found")
        assert hidden.json()["error"] == missing.json()["error"].replace("ghost", "fraud")
    assert_error(nobody.get(BASE).json(), status=403, code="access-denied")
    assert_error(
        nobody.patch(f"{BASE}/fraud", json={"ModelCardStatus": "PendingReview"}).json(),
        status=403,
        code="access-denied",
    )
    assert_error(nobody.delete(f"{BASE}/fraud").json(), status=403, code="access-denied")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def test_exports_are_files(client: TestClient) -> None:
    _create(client, Content={"intended_uses": {"purpose_of_model": "<script>x</script>"}})
    html = client.get(f"{BASE}/fraud/export")
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"] == 'attachment; filename="fraud-v1.html"'
    assert html.headers["x-bastion-model-card-version"] == "1"
    parser = _Tags()
    parser.feed(html.text)
    assert "script" not in parser.tags
    assert "&lt;script&gt;x&lt;/script&gt;" in html.text
    markdown = client.get(f"{BASE}/fraud/export", params={"Format": "markdown"})
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "\\<script\\>x\\</script\\>" in markdown.text
    bad = client.get(f"{BASE}/fraud/export", params={"Format": "pdf"})
    assert_error(bad.json(), status=400, code="invalid", field="format")
    gone = client.get(f"{BASE}/fraud/export", params={"ModelCardVersion": 9})
    assert_error(gone.json(), status=404, code="not-found")


def test_the_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    operations = {
        op["operationId"]
        for path, ops in paths.items()
        if path.startswith(BASE)
        for op in ops.values()
    }
    assert operations == {
        "CreateModelCard",
        "ListModelCards",
        "DescribeModelCard",
        "UpdateModelCard",
        "DeleteModelCard",
        "ListModelCardVersions",
        "CreateModelCardExportJob",
    }


def test_no_request_makes_a_server_error(
    app: FastAPI, client: TestClient, bastion: Bastion
) -> None:
    """Schemathesis over the card routes only (valid and invalid requests, and valid ones that
    name a card that exists): never a 5xx, always the documented shapes."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.response_schema_conformance,
    ]
    _create(client)
    auth = {"Authorization": client.headers["Authorization"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith(BASE)
    ]
    assert len(operations) == 7
    for operation in operations:
        named = any(p.name == "name" for p in operation.path_parameters)
        passes = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if named:
            passes.append((GenerationMode.POSITIVE, {"name": "fraud"}))
        for mode, path_parameters in passes:

            @given(
                case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            )
            @settings(
                max_examples=8,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case: schemathesis.Case) -> None:
                response = case.call(headers=auth)
                where = f"{case.method} {case.formatted_path} -> {response.status_code}"
                assert response.status_code < 500, f"{where}: {response.text[:300]}"
                case.validate_response(response, checks=checks)

            run()
