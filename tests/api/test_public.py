"""The API's public surface, its OpenAPI document and its docs are pinned."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

import bastion.api

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"

PUBLIC = [
    "ApiOptions",
    "Authenticator",
    "Caller",
    "ErrorBody",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "Unauthenticated",
    "build_server",
    "create_app",
    "request_context",
    "run_server",
    "server_tls",
]


def test_public_names_are_pinned() -> None:
    assert sorted(bastion.api.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(bastion.api, name), name


def test_openapi_is_published_and_complete(anonymous: TestClient) -> None:
    r = anonymous.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    ids = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ids.append(op["operationId"])
            assert op["summary"] == op["operationId"]
            assert op["security"] == [{"HTTPBearer": []}], (method, path)
            for status in ("400", "401", "413", "500"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)
            assert "422" not in op["responses"] or "ErrorBody" in str(op["responses"]["422"])
    assert len(ids) == len(set(ids))
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_every_operation_and_error_code_is_documented(anonymous: TestClient) -> None:
    text = DOCS.read_text()
    doc = anonymous.get("/openapi.json").json()
    missing = [
        op["operationId"]
        for ops in doc["paths"].values()
        for op in ops.values()
        if f"`{op['operationId']}`" not in text
    ]
    assert not missing, f"operations missing from docs/api.md: {missing}"
    documented = set(re.findall(r"\| (\d{3}) \| `([a-z-]+)` \|", text))
    for code in ("unauthenticated", "method-not-allowed", "too-large", "internal"):
        assert code in {c for _, c in documented}, code
