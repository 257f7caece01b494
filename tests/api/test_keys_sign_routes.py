"""``/kms/sign``, ``/kms/verify``, ``/kms/keys/{key}/public-key``: asymmetric keys over HTTP."""

from __future__ import annotations

import base64

from api_helpers import assert_error
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from bastion.sdk import Bastion


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def signing_key(client: TestClient, spec: str = "ECC_NIST_P256") -> dict[str, object]:
    r = client.post("/kms/keys", json={"KeyUsage": "SIGN_VERIFY", "KeySpec": spec})
    assert r.status_code == 200, r.text
    md: dict[str, object] = r.json()["KeyMetadata"]
    return md


def test_sign_verify_and_public_key(client: TestClient, bastion: Bastion) -> None:
    md = signing_key(client)
    assert md["KeyUsage"] == "SIGN_VERIFY" and md["KeySpec"] == "ECC_NIST_P256"
    assert md["SigningAlgorithms"] == ["ECDSA_SHA_256"] and md["EncryptionAlgorithms"] == []
    kid = str(md["KeyId"])
    body = {"KeyId": kid, "Message": b64(b"release 1.4"), "SigningAlgorithm": "ECDSA_SHA_256"}
    signed = client.post("/kms/sign", json=body)
    assert signed.status_code == 200, signed.text
    assert signed.json()["KeyId"] == md["Arn"]
    signature = signed.json()["Signature"]

    ok = client.post("/kms/verify", json={**body, "Signature": signature})
    assert ok.status_code == 200
    assert ok.json() == {
        "KeyId": md["Arn"],
        "SignatureValid": True,
        "SigningAlgorithm": "ECDSA_SHA_256",
    }
    bad = client.post(
        "/kms/verify", json={**body, "Message": b64(b"release 1.5"), "Signature": signature}
    )
    assert_error(bad.json(), status=400, code="invalid-signature")

    public = client.get(f"/kms/keys/{kid}/public-key")
    assert public.status_code == 200
    out = public.json()
    assert out["KeySpec"] == "ECC_NIST_P256" and out["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    key = serialization.load_der_public_key(base64.b64decode(out["PublicKey"]))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(base64.b64decode(signature), b"release 1.4", ec.ECDSA(hashes.SHA256()))
    # the route was a thin shell: the SDK sees the same key
    assert bastion.keys.get_public_key(kid).public_key == base64.b64decode(out["PublicKey"])


def test_digest_message_type(client: TestClient) -> None:
    kid = str(signing_key(client, "ECC_NIST_P384")["KeyId"])
    digest = b"\x01" * 48
    body = {
        "KeyId": kid,
        "Message": b64(digest),
        "MessageType": "DIGEST",
        "SigningAlgorithm": "ECDSA_SHA_384",
    }
    signature = client.post("/kms/sign", json=body).json()["Signature"]
    assert client.post("/kms/verify", json={**body, "Signature": signature}).status_code == 200


def test_wrong_usage_and_unsupported_operations(client: TestClient) -> None:
    symmetric = client.post("/kms/keys").json()["KeyMetadata"]
    assert symmetric["SigningAlgorithms"] == []
    r = client.post(
        "/kms/sign",
        json={
            "KeyId": symmetric["KeyId"],
            "Message": b64(b"x"),
            "SigningAlgorithm": "ECDSA_SHA_256",
        },
    )
    assert_error(r.json(), status=400, code="invalid-key-usage")
    r = client.get(f"/kms/keys/{symmetric['KeyId']}/public-key")
    assert_error(r.json(), status=400, code="unsupported-operation")
    kid = signing_key(client)["KeyId"]
    r = client.post("/kms/encrypt", json={"KeyId": kid, "Plaintext": b64(b"x")})
    assert_error(r.json(), status=400, code="invalid-key-usage")
    r = client.post(f"/kms/keys/{kid}/rotate")
    assert_error(r.json(), status=400, code="unsupported-operation")


def test_hostile_bodies_name_the_field(client: TestClient) -> None:
    kid = signing_key(client)["KeyId"]
    base = {"KeyId": kid, "Message": b64(b"x"), "SigningAlgorithm": "ECDSA_SHA_256"}
    r = client.post("/kms/sign", json={**base, "Message": b64(b"x" * 4097)})
    assert_error(r.json(), status=400, code="invalid", field="message")
    r = client.post("/kms/sign", json={**base, "SigningAlgorithm": "RSASSA_PSS_SHA_256"})
    assert_error(r.json(), status=400, code="invalid", field="signing_algorithm")
    r = client.post("/kms/sign", json={**base, "MessageType": "SHA256"})
    assert_error(r.json(), status=400, code="invalid", field="message_type")
    r = client.post("/kms/sign", json={**base, "Message": "not base64!"})
    assert_error(r.json(), status=400, code="invalid", field="Message")
    r = client.post("/kms/sign", json={**base, "Extra": 1})
    assert r.status_code == 400
    r = client.post("/kms/verify", json={**base, "Signature": b64(b"s" * 6145)})
    assert_error(r.json(), status=400, code="invalid", field="signature")
    r = client.post("/kms/keys", json={"KeyUsage": "SIGN_VERIFY", "KeySpec": "ECC_NIST_P999"})
    assert_error(r.json(), status=400, code="invalid", field="key_spec")


def test_a_user_without_permission_is_refused(client: TestClient, user: TestClient) -> None:
    kid = signing_key(client)["KeyId"]
    r = user.post(
        "/kms/sign", json={"KeyId": kid, "Message": b64(b"x"), "SigningAlgorithm": "ECDSA_SHA_256"}
    )
    assert_error(r.json(), status=403, code="access-denied")
    r = user.get(f"/kms/keys/{kid}/public-key")
    assert r.status_code == 403
