"""``/kms``: each route is one KeysClient call; KMS-shaped JSON, base64 bytes, one error shape."""

from __future__ import annotations

import base64

from api_helpers import assert_error
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.api.routers.keys import not_found_message
from bastion.errors import INVALID_TEMPLATE
from bastion.sdk import Bastion


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def new_key(client: TestClient, **body: object) -> str:
    r = client.post("/kms/keys", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["KeyMetadata"]["KeyId"])


def test_create_describe_list(client: TestClient, bastion: Bastion) -> None:
    r = client.post(
        "/kms/keys",
        json={"Description": "fraud data", "Tags": [{"TagKey": "team", "TagValue": "risk"}]},
    )
    assert r.status_code == 200
    md = r.json()["KeyMetadata"]
    assert md["Description"] == "fraud data"
    assert md["KeyState"] == "Enabled" and md["Enabled"] is True
    assert md["Arn"].endswith(md["KeyId"])
    assert md["AWSAccountId"] == bastion.account_id
    assert md["CreationDate"].endswith("Z")
    assert client.get(f"/kms/keys/{md['KeyId']}").json()["KeyMetadata"] == md
    assert client.get(f"/kms/keys/{md['Arn']}").json()["KeyMetadata"] == md
    assert [k["KeyId"] for k in client.get("/kms/keys").json()["Keys"]] == [md["KeyId"]]
    tags = client.get(f"/kms/keys/{md['KeyId']}/tags").json()["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "risk"}]
    # the SDK sees the same key: the route was a thin shell over the client
    assert bastion.keys.describe_key(md["KeyId"]).description == "fraud data"


def test_create_without_body(client: TestClient) -> None:
    r = client.post("/kms/keys")
    assert r.status_code == 200
    assert r.json()["KeyMetadata"]["Description"] == ""


def test_duplicate_tag_keys_are_refused(client: TestClient) -> None:
    r = client.post(
        "/kms/keys",
        json={"Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]},
    )
    assert_error(r.json(), status=400, code="invalid", field="Tags")


def test_aliases_name_keys_in_paths(client: TestClient) -> None:
    kid = new_key(client)
    r = client.post("/kms/aliases", json={"AliasName": "alias/fraud-data", "TargetKeyId": kid})
    assert r.status_code == 200
    assert r.json()["Alias"]["TargetKeyId"] == kid
    assert client.get("/kms/keys/alias/fraud-data").json()["KeyMetadata"]["KeyId"] == kid
    aliases = client.get("/kms/aliases", params={"key-id": kid}).json()["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/fraud-data"]
    other = new_key(client)
    r = client.put("/kms/aliases/alias/fraud-data", json={"TargetKeyId": other})
    assert r.json()["Alias"]["TargetKeyId"] == other
    again = client.post("/kms/aliases", json={"AliasName": "alias/fraud-data", "TargetKeyId": kid})
    assert_error(again.json(), status=409, code="conflict")
    assert client.delete("/kms/aliases/alias/fraud-data").status_code == 204
    assert client.get("/kms/keys/alias/fraud-data").status_code == 404


def test_encrypt_decrypt_with_context(client: TestClient) -> None:
    kid = new_key(client)
    ctx = {"purpose": "test"}
    enc = client.post(
        "/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"secret"), "EncryptionContext": ctx}
    )
    assert enc.status_code == 200
    blob = enc.json()["CiphertextBlob"]
    assert b"secret" not in base64.b64decode(blob)
    dec = client.post("/kms/decrypt", json={"CiphertextBlob": blob, "EncryptionContext": ctx})
    assert dec.status_code == 200
    assert base64.b64decode(dec.json()["Plaintext"]) == b"secret"
    assert dec.json()["KeyId"] == enc.json()["KeyId"]
    wrong = client.post("/kms/decrypt", json={"CiphertextBlob": blob, "EncryptionContext": {}})
    assert_error(wrong.json(), status=400, code="invalid-ciphertext")
    flipped = bytearray(base64.b64decode(blob))
    flipped[-1] ^= 1
    bad = client.post(
        "/kms/decrypt", json={"CiphertextBlob": b64(bytes(flipped)), "EncryptionContext": ctx}
    )
    assert_error(bad.json(), status=400, code="invalid-ciphertext")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(min_size=1, max_size=4096))
def test_encrypt_decrypt_roundtrip(client: TestClient, data: bytes) -> None:
    kid = client.get("/kms/keys").json()["Keys"]
    key_id = kid[0]["KeyId"] if kid else new_key(client)
    enc = client.post("/kms/encrypt", json={"KeyId": key_id, "Plaintext": b64(data)})
    dec = client.post("/kms/decrypt", json={"CiphertextBlob": enc.json()["CiphertextBlob"]})
    assert base64.b64decode(dec.json()["Plaintext"]) == data


def test_encrypt_over_4096_bytes_is_400(client: TestClient) -> None:
    kid = new_key(client)
    r = client.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"x" * 4097)})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"


def test_disable_enable_and_use(client: TestClient) -> None:
    kid = new_key(client)
    assert client.post(f"/kms/keys/{kid}/disable").json()["KeyMetadata"]["KeyState"] == "Disabled"
    r = client.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"x")})
    assert_error(r.json(), status=409, code="disabled")
    assert client.post(f"/kms/keys/{kid}/enable").json()["KeyMetadata"]["Enabled"] is True


def test_schedule_and_cancel_deletion(client: TestClient) -> None:
    kid = new_key(client)
    r = client.post(f"/kms/keys/{kid}/schedule-deletion", json={"PendingWindowInDays": 7})
    assert r.status_code == 200
    assert r.json()["KeyState"] == "PendingDeletion" and r.json()["PendingWindowInDays"] == 7
    r = client.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"x")})
    assert_error(r.json(), status=409, code="invalid-state")
    r = client.post(f"/kms/keys/{kid}/cancel-deletion")
    assert r.json()["KeyMetadata"]["KeyState"] == "Disabled"


def test_deletion_window_out_of_range_names_the_field(client: TestClient) -> None:
    kid = new_key(client)
    r = client.post(f"/kms/keys/{kid}/schedule-deletion", json={"PendingWindowInDays": 31})
    body = r.json()
    assert r.status_code == 400
    assert body["code"] == "invalid"
    assert body["field"] == "pending_window_in_days"
    assert body["error"] == INVALID_TEMPLATE.format(
        field="pending_window_in_days",
        operation="ScheduleKeyDeletion",
        expected="an integer in [7, 30]",
        got=31,
    )


def test_rotation_routes(client: TestClient) -> None:
    kid = new_key(client)
    assert client.get(f"/kms/keys/{kid}/rotation").json()["KeyRotationEnabled"] is False
    on = client.put(f"/kms/keys/{kid}/rotation", json={"RotationPeriodInDays": 90}).json()
    assert on["KeyRotationEnabled"] is True and on["RotationPeriodInDays"] == 90
    assert client.delete(f"/kms/keys/{kid}/rotation").json()["KeyRotationEnabled"] is False
    enc = client.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"old")}).json()
    arn = client.post(f"/kms/keys/{kid}/rotate").json()["KeyId"]
    assert arn.endswith(kid)
    rotations = client.get(f"/kms/keys/{kid}/rotations").json()["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    dec = client.post("/kms/decrypt", json={"CiphertextBlob": enc["CiphertextBlob"]}).json()
    assert base64.b64decode(dec["Plaintext"]) == b"old"


def test_policy_routes(client: TestClient) -> None:
    kid = new_key(client)
    policy = client.get(f"/kms/keys/{kid}/policy").json()
    assert policy["PolicyName"] == "default" and "Statement" in policy["Policy"]
    assert client.put(f"/kms/keys/{kid}/policy", json={"Policy": "{"}).status_code == 400
    ok = policy["Policy"]
    assert client.put(f"/kms/keys/{kid}/policy", json={"Policy": ok}).status_code == 204


def test_tag_and_untag(client: TestClient) -> None:
    kid = new_key(client)
    r = client.post(f"/kms/keys/{kid}/tags", json={"Tags": [{"TagKey": "a", "TagValue": "1"}]})
    assert r.status_code == 204
    assert client.post(f"/kms/keys/{kid}/untag", json={"TagKeys": ["a"]}).status_code == 204
    assert client.get(f"/kms/keys/{kid}/tags").json()["Tags"] == []


def test_data_keys_and_re_encrypt(client: TestClient) -> None:
    kid, other = new_key(client), new_key(client)
    dk = client.post("/kms/generate-data-key", json={"KeyId": kid}).json()
    assert len(base64.b64decode(dk["Plaintext"])) == 32
    dec = client.post("/kms/decrypt", json={"CiphertextBlob": dk["CiphertextBlob"]}).json()
    assert dec["Plaintext"] == dk["Plaintext"]
    short = client.post("/kms/generate-data-key", json={"KeyId": kid, "KeySpec": "AES_128"}).json()
    assert len(base64.b64decode(short["Plaintext"])) == 16
    wp = client.post("/kms/generate-data-key-without-plaintext", json={"KeyId": kid}).json()
    assert set(wp) == {"CiphertextBlob", "KeyId"}
    moved = client.post(
        "/kms/re-encrypt",
        json={"CiphertextBlob": dk["CiphertextBlob"], "DestinationKeyId": other},
    ).json()
    assert moved["KeyId"].endswith(other) and moved["SourceKeyId"].endswith(kid)
    back = client.post("/kms/decrypt", json={"CiphertextBlob": moved["CiphertextBlob"]}).json()
    assert back["Plaintext"] == dk["Plaintext"]


def test_plaintext_never_reaches_the_trail(client: TestClient, bastion: Bastion) -> None:
    kid = new_key(client)
    secret = b"do-not-log-me-1234"
    enc = client.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(secret)}).json()
    client.post("/kms/decrypt", json={"CiphertextBlob": enc["CiphertextBlob"]})
    trail = str(bastion.runtime.trail.events)
    assert secret.decode() not in trail
    assert b64(secret) not in trail


def test_unknown_key_is_404(client: TestClient) -> None:
    r = client.get("/kms/keys/0f5e2c8e-0000-0000-0000-000000000000")
    assert_error(r.json(), status=404, code="not-found")


def test_hidden_key_gives_the_same_404_as_a_missing_one(
    client: TestClient, user: TestClient, bastion: Bastion
) -> None:
    kid = new_key(client)
    missing = "0f5e2c8e-0000-0000-0000-000000000000"
    seen = user.get(f"/kms/keys/{kid}")
    assert seen.status_code == 404
    assert seen.json()["error"] == not_found_message(kid)
    # a missing key and a hidden one look the same: compare on one identifier
    genuine = client.get(f"/kms/keys/{missing}").json()
    hidden = user.get(f"/kms/keys/{missing}").json()
    assert genuine == hidden
    genuine_alias = client.get("/kms/keys/alias/nope").json()
    assert user.get("/kms/keys/alias/nope").json() == genuine_alias
    # the trail keeps the real reason
    denied = [
        e
        for e in bastion.runtime.trail.events
        if e["eventName"] == "DescribeKey" and e.get("errorCode") == "AccessDenied"
    ]
    assert len(denied) == 3


def test_denied_crypto_is_403_and_audited(
    client: TestClient, user: TestClient, bastion: Bastion
) -> None:
    kid = new_key(client)
    r = user.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"x")})
    assert_error(r.json(), status=403, code="access-denied")
    last = bastion.runtime.trail.events[-1]
    assert last["eventName"] == "Encrypt" and last["errorCode"] == "AccessDenied"
    assert last["userIdentity"]["userName"] == "mallory"
