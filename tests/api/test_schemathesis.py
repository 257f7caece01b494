"""Property-based testing of the whole API from its OpenAPI document: never a 5xx.

Schemathesis generates valid and invalid requests for every operation (bodies, path and query
parameters, headers) and sends them in-process to the ASGI app as the owner, who may do
everything, so each request reaches the service behind the route. Every response must conform
to the document (status codes, content types, schemas) and every error must have the one shape.

(``schemathesis.pytest.from_fixture`` does not run under pytest 9, so the operations are
driven here with Hypothesis runs: random valid requests, random invalid ones, and valid ones
whose path names a key, alias, bucket and object that exist.)
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from bastion.sdk import Bastion

EXAMPLES = 6
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _exercise(case: schemathesis.Case, auth: dict[str, str]) -> None:
    response = case.call(headers=auth)
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code < 500, f"{where}: {response.text[:500]}"
    if response.status_code >= 400 and case.method != "HEAD":
        body = response.json()
        assert set(body) == {"ok", "status", "code", "error", "field"}, f"{where}: {body}"
        assert body["status"] == response.status_code, where
    case.validate_response(response, checks=CHECKS)


def _real_names(bastion: Bastion) -> dict[str, str]:
    """Path parameters that name things that exist, so requests get past the lookups."""
    key = bastion.keys.create_key(description="schemathesis")
    bastion.keys.create_alias("alias/seeded", key.key_id)
    bastion.store.create_bucket("seeded-bucket")
    bastion.store.put_object("seeded-bucket", "seeded/object.txt", b"seeded")
    return {
        "key_id": key.key_id,
        "alias_name": "alias/seeded",
        "bucket": "seeded-bucket",
        "key": "seeded/object.txt",
    }


def test_every_operation_without_server_errors(
    app: FastAPI, bastion: Bastion, owner_token: str
) -> None:
    auth = {"Authorization": f"Bearer {owner_token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35
    names = _real_names(bastion)
    for operation in operations:
        params = {p.name for p in operation.path_parameters}
        real = {k: v for k, v in names.items() if k in params}
        passes: list[tuple[GenerationMode, dict[str, str] | None]] = [
            (GenerationMode.POSITIVE, None),
            (GenerationMode.NEGATIVE, None),
        ]
        if real:
            passes.append((GenerationMode.POSITIVE, real))
        for mode, path_parameters in passes:

            @given(
                case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            )
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case: schemathesis.Case) -> None:
                _exercise(case, auth)

            run()
