"""One JSON error shape for every error: validation, routing, auth, size limits, the unexpected."""

from __future__ import annotations

from collections.abc import Iterator

from api_helpers import PEER, assert_error
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.api._errors import validation_error
from bastion.errors import INVALID_TEMPLATE
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

JSON = {"content-type": "application/json"}


def test_unknown_route_is_404_in_the_shape(client: TestClient) -> None:
    r = client.get("/no/such/route")
    assert r.status_code == 404
    assert_error(r.json(), status=404, code="not-found")
    assert "/openapi.json" in r.json()["error"]


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    r = client.delete("/kms/encrypt")
    assert r.status_code == 405
    assert_error(r.json(), status=405, code="method-not-allowed")
    assert "POST" in r.headers["allow"]


def test_missing_field_names_it(client: TestClient) -> None:
    r = client.post("/kms/encrypt", json={"Plaintext": "aGk="})
    assert r.status_code == 400
    assert_error(r.json(), status=400, code="invalid", field="KeyId")
    assert r.json()["error"] == INVALID_TEMPLATE.format(
        field="KeyId", operation="Encrypt", expected="given (it is required)", got=None
    )


def test_wrong_type_names_the_field(client: TestClient) -> None:
    r = client.post("/kms/encrypt", json={"KeyId": 7, "Plaintext": "aGk="})
    assert r.status_code == 400
    assert_error(r.json(), status=400, code="invalid", field="KeyId")
    assert "a valid string" in r.json()["error"]


def test_nested_field_path(client: TestClient) -> None:
    r = client.post(
        "/kms/encrypt", json={"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"a": 1}}
    )
    assert_error(r.json(), status=400, code="invalid", field="EncryptionContext.a")


def test_unknown_field_is_refused(client: TestClient) -> None:
    r = client.post("/kms/encrypt", json={"KeyId": "k", "Plaintext": "aGk=", "KeyID": "typo"})
    assert_error(r.json(), status=400, code="invalid", field="KeyID")
    assert "not a parameter" in r.json()["error"]


def test_bad_base64_names_the_field(client: TestClient) -> None:
    r = client.post("/kms/decrypt", json={"CiphertextBlob": "not base64!"})
    assert_error(r.json(), status=400, code="invalid", field="CiphertextBlob")
    assert "base64" in r.json()["error"]


def test_malformed_json(client: TestClient) -> None:
    r = client.post("/kms/encrypt", content=b'{"KeyId": ', headers=JSON)
    assert r.status_code == 400
    body = r.json()
    assert_error(body, status=400, code="invalid", field="body")
    assert "valid JSON" in body["error"]


def test_json_of_the_wrong_shape(client: TestClient) -> None:
    for payload in (b"[]", b'"text"', b"null", b"12"):
        r = client.post("/kms/encrypt", content=payload, headers=JSON)
        assert r.status_code == 400, payload
        assert r.json()["code"] == "invalid"


def test_wrong_query_type_names_the_parameter(client: TestClient) -> None:
    r = client.get("/audit/events", params={"max-results": "many"})
    assert_error(r.json(), status=400, code="invalid", field="max-results")


def test_huge_input_value_is_cut_in_the_message(client: TestClient) -> None:
    r = client.post("/kms/encrypt", json={"KeyId": ["x" * 10_000], "Plaintext": "aGk="})
    assert r.status_code == 400
    assert len(r.json()["error"]) < 400


def test_declared_oversize_json_body_is_413_before_reading(client: TestClient) -> None:
    r = client.post("/kms/encrypt", content=b"x" * (64 * 1024 + 1), headers=JSON)
    assert r.status_code == 413
    assert_error(r.json(), status=413, code="too-large")


def test_chunked_oversize_json_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(80):
            yield b" " * 1024

    r = client.post("/kms/encrypt", content=chunks(), headers=JSON)
    assert r.status_code == 413
    assert_error(r.json(), status=413, code="too-large")


def test_missing_credentials_is_401(anonymous: TestClient) -> None:
    r = anonymous.get("/kms/keys")
    assert r.status_code == 401
    assert_error(r.json(), status=401, code="unauthenticated")
    assert "Authorization: Bearer" in r.json()["error"]


def test_bad_tokens_are_401_with_the_safe_message(
    app: FastAPI, owner_token: str, bastion: Bastion
) -> None:
    forged = owner_token[:-4] + ("aaaa" if not owner_token.endswith("aaaa") else "bbbb")
    for token in ("bst_forged", forged, "x" * 500):
        with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {token}"}) as c:
            r = c.get("/kms/keys")
        assert r.status_code == 401, token
        assert_error(r.json(), status=401, code="unauthenticated")
        assert r.json()["error"] == "The security token included in the request is invalid"
    refusals = bastion.audit.lookup(event_name="Authenticate").events
    assert len(refusals) == 3
    assert all(e.error_code == "AccessDenied" for e in refusals)
    assert owner_token not in str([e.record for e in refusals])


def test_revoked_and_expired_tokens_are_401(
    app: FastAPI, bastion: Bastion, clock: FrozenClock
) -> None:
    new = bastion.access.create_api_token()
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {new.token}"}) as c:
        assert c.get("/kms/keys").status_code == 200
        bastion.access.revoke_api_token(new.info.token_id)
        assert c.get("/kms/keys").status_code == 401
    short = bastion.access.create_api_token(expires_in_days=1)
    clock.advance(days=2)
    with TestClient(app, client=PEER, headers={"Authorization": f"Bearer {short.token}"}) as c:
        r = c.get("/kms/keys")
    assert r.status_code == 401
    assert r.json()["error"] == "The security token included in the request is expired"


def test_unsupported_or_empty_schemes_are_401(app: FastAPI, owner_token: str) -> None:
    for header in ("Basic b3duZXI6cHc=", "Bearer ", "Bearer", "Token x", owner_token):
        with TestClient(app, client=PEER, headers={"Authorization": header}) as c:
            r = c.get("/kms/keys")
        assert r.status_code == 401, header
        assert r.json()["code"] == "unauthenticated"


def test_a_bad_sigv4_signature_is_401(app: FastAPI) -> None:
    header = (
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/local/kms/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00"
    )
    with TestClient(app, client=PEER, headers={"Authorization": header}) as c:
        r = c.get("/kms/keys")
    assert r.status_code == 401
    assert_error(r.json(), status=401, code="unauthenticated")


def test_an_oversize_authorization_header_is_401(app: FastAPI) -> None:
    with TestClient(app, client=PEER, headers={"Authorization": "Bearer " + "a" * 9000}) as c:
        r = c.get("/kms/keys")
    assert r.status_code == 401


def test_unauthenticated_requests_reach_no_service(
    anonymous: TestClient, client: TestClient
) -> None:
    before = client.get("/audit/events", params={"event-name": "CreateKey"}).json()["Events"]
    assert anonymous.post("/kms/keys", json={}).status_code == 401
    after = client.get("/audit/events", params={"event-name": "CreateKey"}).json()["Events"]
    assert after == before
    assert client.get("/kms/keys").json()["Keys"] == []


def test_denied_is_403(user: TestClient) -> None:
    r = user.post("/kms/keys", json={})
    assert r.status_code == 403
    assert_error(r.json(), status=403, code="access-denied")


def test_unexpected_errors_are_500_in_the_shape_without_details(
    app: FastAPI, owner_token: str
) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom, methods=["GET"])
    with TestClient(
        app,
        client=PEER,
        raise_server_exceptions=False,
        headers={"Authorization": f"Bearer {owner_token}"},
    ) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert_error(r.json(), status=500, code="internal")
    assert "secret internal detail" not in r.text


def test_validation_error_without_details_still_has_a_field() -> None:
    error = validation_error([], operation=None)
    assert error.field == "body"
    assert error.status == 400


def test_every_response_says_no_store(client: TestClient, anonymous: TestClient) -> None:
    for r in (client.get("/kms/keys"), anonymous.get("/kms/keys"), client.get("/nope")):
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_unstorable_text_is_400_naming_where(client: TestClient) -> None:
    cases = [
        ("POST", "/kms/keys", {"Description": "a\x00b"}, "Description"),
        ("POST", "/kms/keys", {"Tags": [{"TagKey": "k", "TagValue": "\x00"}]}, "Tags.0.TagValue"),
        (
            "POST",
            "/kms/encrypt",
            {"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"\x00": "v"}},
            "EncryptionContext",
        ),
        ("GET", "/kms/keys/a%00b", None, "key_id"),
        ("GET", "/audit/events?event-name=a%00b", None, "event-name"),
    ]
    for method, path, body, field in cases:
        r = client.request(method, path, json=body)
        assert r.status_code == 400, (path, body)
        assert_error(r.json(), status=400, code="invalid", field=field)
        assert "NUL" in r.json()["error"]


def test_lone_surrogates_are_400(client: TestClient) -> None:
    raw = b'{"Description": "\\ud800"}'
    r = client.post("/kms/keys", content=raw, headers=JSON)
    assert_error(r.json(), status=400, code="invalid", field="Description")
    assert client.get("/kms/keys").json()["Keys"] == []
