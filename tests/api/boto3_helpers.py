"""boto3 against a real server: uvicorn on a free loopback port with TLS from the home's local CA,
and SDK clients configured with nothing but ``endpoint_url``, an access key pair and the CA."""

from __future__ import annotations

import gc
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bastion.api import ApiOptions, build_server, create_app, server_tls
from bastion.sdk import Bastion
from bastion.testing import FrozenClock

MIB = 1 << 20
S3_PREFIX = "/aws/s3"


@dataclass(frozen=True)
class Server:
    url: str
    ca_file: str
    clients: list[Any] = field(default_factory=list)
    """The SDK clients made for this server; closed before it stops (their pooled
    connections would hold up its graceful shutdown)."""


@dataclass(frozen=True)
class KeyPair:
    access_key_id: str
    secret: str


@contextmanager
def serving(bastion: Bastion, options: ApiOptions | None = None) -> Iterator[Server]:
    """The API over ``bastion``'s home on 127.0.0.1 with TLS, stopped gracefully afterwards."""
    opts = options or ApiOptions(port=0, max_json_bytes=1 * MIB, max_object_bytes=64 * MIB)
    settings = bastion.runtime.settings
    tls = server_tls(settings, opts)
    assert tls is not None and tls.ca_file is not None
    app = create_app(settings, runtime=bastion.runtime, options=opts)
    server = build_server(app, opts, tls)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            thread.join(0.01)
        assert server.started, "the server did not start"
        made = Server(url=f"https://127.0.0.1:{port}", ca_file=str(tls.ca_file))
        try:
            yield made
        finally:
            for sdk_client in made.clients:
                sdk_client.close()
            gc.collect()  # a connection an SDK retry left outside its pool closes when collected
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


def trusted(server: Server) -> ssl.SSLContext:
    """A TLS context that trusts the home's local CA (for raw httpx requests)."""
    return ssl.create_default_context(cafile=server.ca_file)


def isolate_from_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No AWS_* environment or ~/.aws file can change what the clients do."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def to_present(clock: FrozenClock) -> None:
    """Move the frozen clock to now: botocore signs with the real time."""
    clock.advance(seconds=(datetime.now(UTC) - clock.now()).total_seconds())


def access_key(bastion: Bastion, user: str, policy_document: str | None) -> KeyPair:
    """A new user with an inline policy (or none) and an access key pair."""
    bastion.access.create_user(user)
    if policy_document is not None:
        bastion.access.put_user_policy(user, "wire", policy_document)
    key = bastion.access.create_access_key(user_name=user)
    return KeyPair(access_key_id=key.access_key_id, secret=key.secret_access_key)


def client(service: str, server: Server, key: KeyPair, **config: Any) -> Any:
    """A boto3 client as a user would make one: endpoint, region, key pair, CA (and nothing
    else unless a test asks)."""
    endpoint = server.url + (S3_PREFIX if service == "s3" else "")
    made = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="local",
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret,
        verify=server.ca_file,
        **config,
    )
    server.clients.append(made)
    return made


def events(bastion: Bastion, name: str) -> list[Any]:
    """The trail's records of ``name`` (newest first)."""
    return list(bastion.audit.lookup(event_name=name, max_results=50).events)


def signed_s3_headers(
    method: str, url: str, key: KeyPair, headers: dict[str, str]
) -> dict[str, str]:
    """``headers`` plus a SigV4 Authorization for service s3, signed as given: the
    ``X-Amz-Content-SHA256`` in ``headers`` is used as is (botocore's ``add_auth`` would
    replace it), so a test can send what an SDK would not."""
    amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method=method, url=url, headers={**headers, "X-Amz-Date": amz_date})
    request.context["timestamp"] = amz_date
    signer = S3SigV4Auth(Credentials(key.access_key_id, key.secret), "s3", "local")
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    names = signer.signed_headers(signer.headers_to_sign(request))
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders={names}, "
        f"Signature={signature}"
    )
    return {**dict(request.headers.items()), "Authorization": authorization}
