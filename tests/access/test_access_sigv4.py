"""AWS Signature Version 4: requests signed by boto3 itself authenticate; a wrong secret, a changed
request, a skewed clock (beyond ±5 minutes), a replay or a bad session token are refused and
audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

from bastion.errors import AccessDenied
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

ENDPOINT = "https://127.0.0.1:8443"


@pytest.fixture
def clock() -> FrozenClock:
    """boto3 signs with the real time, so the server's clock starts at the real time."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


class _Captured(Exception):
    """Raised by the before-send hook: the signed request never leaves the process."""

    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _boto3_request(
    key_id: str, secret: str, token: str | None = None, *, service: str = "kms"
) -> tuple[str, str, dict[str, str], bytes]:
    """Let a real boto3 client sign a request; return (method, url, headers, body)."""
    client = boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="local",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )

    def capture(request: Any, **_: Any) -> AWSResponse:
        raise _Captured(request)

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured) as info:
        if service == "kms":
            client.describe_key(KeyId="alias/fraud-data")
        else:
            client.get_object(Bucket="models", Key="fraud/model v1.onnx")
    request = info.value.request
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    return request.method, request.url, dict(request.headers.items()), bytes(body)


def _headers(headers: dict[str, Any]) -> dict[str, str]:
    return {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in headers.items()}


def _sign(
    key_id: str, secret: str, *, when: datetime, body: bytes = b"{}", url: str = ENDPOINT + "/"
) -> tuple[str, str, dict[str, str], bytes]:
    """Sign with botocore's SigV4Auth at a chosen time (for clock-skew tests)."""
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "x"})
    request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    signer = SigV4Auth(Credentials(key_id, secret), "kms", "local")
    request.headers["X-Amz-Date"] = request.context["timestamp"]
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    return "POST", url, _headers(dict(request.headers.items())), body


@pytest.fixture
def alice_key(owner: Bastion) -> tuple[str, str]:
    owner.access.create_user("alice")
    made = owner.access.create_access_key(user_name="alice")
    return made.access_key_id, made.secret_access_key


def test_boto3_signed_requests_authenticate(owner: Bastion, alice_key: tuple[str, str]) -> None:
    auth = owner.runtime.authenticator
    for service in ("kms", "s3"):
        method, url, headers, body = _boto3_request(*alice_key, service=service)
        principal = auth.authenticate_sigv4(method, url, _headers(headers), body)
        assert principal.name == "alice" and principal.access_key_id == alice_key[0]
    listed = owner.access.list_access_keys(user_name="alice")
    assert listed[0].last_used_at is not None


def test_wrong_secret_and_changed_requests_are_refused(
    owner: Bastion, alice_key: tuple[str, str]
) -> None:
    auth = owner.runtime.authenticator
    key_id, secret = alice_key
    method, url, headers, body = _boto3_request(key_id, "x" * 40)
    with pytest.raises(AccessDenied, match="signature we calculated does not match"):
        auth.authenticate_sigv4(method, url, _headers(headers), body)
    method, url, headers, body = _boto3_request(key_id, secret)
    with pytest.raises(AccessDenied):
        auth.authenticate_sigv4(method, url, _headers(headers), body + b" ")
    with pytest.raises(AccessDenied):
        auth.authenticate_sigv4("PUT", url, _headers(headers), body)
    with pytest.raises(AccessDenied):
        auth.authenticate_sigv4(method, url + "?x=1", _headers(headers), body)
    events = owner.audit.lookup(event_name="Authenticate").events
    assert len(events) == 4
    for event in events:
        record = event.cloudtrail_event()
        assert record["userIdentity"]["accessKeyId"] == key_id
        assert secret not in event.record


@pytest.mark.parametrize("seconds", [-299, 299])
def test_clock_skew_within_five_minutes_is_accepted(
    owner: Bastion, alice_key: tuple[str, str], clock: FrozenClock, seconds: int
) -> None:
    when = clock.now() + timedelta(seconds=seconds)
    owner.runtime.authenticator.authenticate_sigv4(*_sign(*alice_key, when=when))


@pytest.mark.parametrize("seconds", [-301, 301, -86_400])
def test_clock_skew_beyond_five_minutes_is_refused(
    owner: Bastion, alice_key: tuple[str, str], clock: FrozenClock, seconds: int
) -> None:
    when = clock.now() + timedelta(seconds=seconds)
    with pytest.raises(AccessDenied, match="5 minutes") as info:
        owner.runtime.authenticator.authenticate_sigv4(*_sign(*alice_key, when=when))
    assert "s from the server" in info.value.reason
    record = owner.audit.lookup(event_name="Authenticate").events[0].cloudtrail_event()
    assert "request time" in record["errorMessage"]


def test_replayed_signature_is_refused(
    owner: Bastion, alice_key: tuple[str, str], clock: FrozenClock
) -> None:
    signed = _sign(*alice_key, when=clock.now())
    auth = owner.runtime.authenticator
    auth.authenticate_sigv4(*signed)
    with pytest.raises(AccessDenied, match="already used"):
        auth.authenticate_sigv4(*signed)
    clock.advance(minutes=4)
    with pytest.raises(AccessDenied, match="already used"):
        auth.authenticate_sigv4(*signed)
    clock.advance(minutes=2)
    with pytest.raises(AccessDenied, match="5 minutes"):
        auth.authenticate_sigv4(*signed)
    # the same request signed at another second is a new signature
    auth.authenticate_sigv4(*_sign(*alice_key, when=clock.now()))


def test_inactive_unknown_and_malformed_keys_are_refused(
    owner: Bastion, alice_key: tuple[str, str], clock: FrozenClock
) -> None:
    auth = owner.runtime.authenticator
    key_id, secret = alice_key
    owner.access.update_access_key(key_id, "Inactive", user_name="alice")
    with pytest.raises(AccessDenied) as info:
        auth.authenticate_sigv4(*_sign(key_id, secret, when=clock.now()))
    assert "inactive" in info.value.reason
    with pytest.raises(AccessDenied) as info:
        auth.authenticate_sigv4(*_sign("AKIAUNKNOWNUNKNOWN00", secret, when=clock.now()))
    assert "unknown access key" in info.value.reason
    method, url, headers, body = _sign(key_id, secret, when=clock.now())
    for bad in (
        "",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=a, SignedHeaders=host, Signature=zz",
        headers["Authorization"].replace("aws4_request", "aws5_request"),
        headers["Authorization"].replace("/local/", "/us-east-1/"),
        headers["Authorization"].replace("SignedHeaders=", "SignedHeaders=zzz;"),
        headers["Authorization"] + ", Signature=" + "0" * 64,
    ):
        with pytest.raises(AccessDenied):
            auth.authenticate_sigv4(method, url, {**headers, "Authorization": bad}, body)
    no_date = {k: v for k, v in headers.items() if k.lower() != "x-amz-date"}
    with pytest.raises(AccessDenied, match="not a valid"):
        auth.authenticate_sigv4(method, url, no_date, body)


def test_role_session_keys_need_their_session_token(owner: Bastion, clock: FrozenClock) -> None:
    account = owner.account_id
    owner.access.create_role("ops", _trust(f"arn:bastion:iam::{account}:root"))
    creds = owner.access.assume_role(f"arn:bastion:iam::{account}:role/ops", "s1")
    auth = owner.runtime.authenticator
    method, url, headers, body = _boto3_request(
        creds.access_key_id, creds.secret_access_key, creds.session_token
    )
    principal = auth.authenticate_sigv4(method, url, _headers(headers), body)
    assert principal.arn == f"arn:bastion:sts::{account}:assumed-role/ops/s1"
    method, url, headers, body = _boto3_request(creds.access_key_id, creds.secret_access_key)
    with pytest.raises(AccessDenied) as info:
        auth.authenticate_sigv4(method, url, _headers(headers), body)
    assert "X-Amz-Security-Token" in info.value.reason
    other = owner.access.assume_role(f"arn:bastion:iam::{account}:role/ops", "s2")
    method, url, headers, body = _boto3_request(
        creds.access_key_id, creds.secret_access_key, other.session_token
    )
    with pytest.raises(AccessDenied):
        auth.authenticate_sigv4(method, url, _headers(headers), body)
    clock.advance(hours=1)
    method, url, headers, body = _boto3_request(
        creds.access_key_id, creds.secret_access_key, creds.session_token
    )
    with pytest.raises(AccessDenied):
        auth.authenticate_sigv4(method, url, _headers(headers), body)


def _trust(principal: str) -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )
