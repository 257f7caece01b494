"""API test helpers: the JSON error check, policies, SigV4 signing with botocore."""

from __future__ import annotations

import json
from typing import Any

from botocore.auth import S3SigV4Auth, SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

PEER = ("127.0.0.1", 50123)
USER = "mallory"
"""The user with no permissions (until a test gives it a policy)."""


def assert_error(body: object, *, status: int, code: str, field: str | None = None) -> None:
    """``body`` is the one JSON error shape with these values."""
    assert isinstance(body, dict)
    assert set(body) == {"ok", "status", "code", "error", "field"}, body
    assert body["ok"] is False
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert body["field"] == field, body
    assert isinstance(body["error"], str) and body["error"]


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def sigv4_headers(
    method: str,
    url: str,
    *,
    key_id: str,
    secret: str,
    service: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    unsigned_payload: bool = False,
) -> dict[str, str]:
    """The headers botocore sends for this request signed with the access key (region local).

    ``unsigned_payload`` is boto3's ``Config(s3={"payload_signing_enabled": False})``: over HTTPS
    the body is then not hashed into the signature (``UNSIGNED-PAYLOAD``)."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if unsigned_payload:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(
        Credentials(key_id, secret), service, "local"
    )
    signer.add_auth(request)
    return {k: v for k, v in request.headers.items()}
