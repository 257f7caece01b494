"""A real uvicorn server on 127.0.0.1 with real TLS from the home's local CA."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import ssl
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import typer
from api_helpers import USER, policy
from cryptography import x509
from typer.testing import CliRunner

import bastion
from bastion.api import ApiOptions, build_server, create_app, server_tls
from bastion.cli.server import serve
from bastion.errors import Invalid
from bastion.sdk import Bastion
from bastion.settings import Settings
from bastion.tls import TlsFiles, tls_dir
from bastion.tls._ca import SERVER_KEY

MIB = 1 << 20


@dataclass
class Running:
    url: str
    port: int
    tls: TlsFiles | None
    stop: threading.Event


@contextmanager
def running(bastion: Bastion, options: ApiOptions) -> Iterator[Running]:
    """Serve the API on a free loopback port in a thread; stop it gracefully afterwards."""
    settings = bastion.runtime.settings
    tls = server_tls(settings, options)
    app = create_app(settings, runtime=bastion.runtime, options=options)
    server = build_server(app, options, tls)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    stop = threading.Event()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            thread.join(0.01)
        assert server.started, "the server did not start"
        scheme = "https" if tls else "http"
        yield Running(url=f"{scheme}://127.0.0.1:{port}", port=port, tls=tls, stop=stop)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


def trusted(tls: TlsFiles | None) -> ssl.SSLContext:
    assert tls is not None and tls.ca_file is not None
    return ssl.create_default_context(cafile=str(tls.ca_file))


@pytest.fixture
def big_options() -> ApiOptions:
    return ApiOptions(port=0, max_json_bytes=64 * 1024, max_object_bytes=64 * MIB)


def test_https_with_the_local_ca(
    bastion: Bastion, owner_token: str, user_token: str, big_options: ApiOptions
) -> None:
    # mallory may list keys only over TLS and only from 203.0.113.9
    bastion.access.put_user_policy(
        USER,
        "tls-and-office",
        policy(
            {
                "Effect": "Allow",
                "Action": "kms:ListKeys",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {
                "Effect": "Deny",
                "Action": "kms:ListKeys",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.9/32"}},
            },
        ),
    )
    with running(bastion, big_options) as srv:
        owner = {"Authorization": f"Bearer {owner_token}"}
        with httpx.Client(base_url=srv.url, verify=trusted(srv.tls), headers=owner) as c:
            r = c.post("/kms/keys", json={"Description": "over tls"})
            assert r.status_code == 200, r.text
            assert c.get("/openapi.json").json()["info"]["title"] == "Bastion control plane"
            missing = c.get("/kms/keys", headers={"Authorization": ""})
            assert missing.status_code == 401
            assert missing.json()["code"] == "unauthenticated"
            spoofed = {"Authorization": f"Bearer {user_token}", "X-Forwarded-For": "203.0.113.9"}
            denied = c.get("/kms/keys", headers=spoofed)
            assert denied.status_code == 403  # the real peer is 127.0.0.1, whatever the header
    record = bastion.audit.lookup(event_name="CreateKey", max_results=1).events[0]
    assert record.cloudtrail_event()["sourceIPAddress"] == "127.0.0.1"
    denied_record = bastion.audit.lookup(event_name="ListKeys", max_results=1).events[0]
    assert denied_record.error_code == "AccessDenied"
    assert denied_record.cloudtrail_event()["sourceIPAddress"] == "127.0.0.1"


def test_secure_transport_is_true_over_tls(
    bastion: Bastion, user_token: str, big_options: ApiOptions
) -> None:
    bastion.access.put_user_policy(
        USER,
        "tls-only",
        policy(
            {
                "Effect": "Allow",
                "Action": "kms:ListKeys",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ),
    )
    with running(bastion, big_options) as srv:
        auth = {"Authorization": f"Bearer {user_token}"}
        with httpx.Client(base_url=srv.url, verify=trusted(srv.tls), headers=auth) as c:
            assert c.get("/kms/keys").status_code == 200
    plain = ApiOptions(port=0, tls=False)
    with running(bastion, plain) as srv:
        assert srv.tls is None
        r = httpx.get(f"{srv.url}/kms/keys", headers={"Authorization": f"Bearer {user_token}"})
        assert r.status_code == 403


def test_untrusted_and_plain_http_clients_fail(
    bastion: Bastion, owner_token: str, big_options: ApiOptions
) -> None:
    with running(bastion, big_options) as srv:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{srv.url}/kms/keys", verify=ssl.create_default_context())
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{srv.port}/kms/keys", timeout=5)
        with (
            httpx.Client(verify=trusted(srv.tls)) as c,
            pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        ):
            # the certificate does not name this host
            c.get(srv.url + "/kms/keys", extensions={"sni_hostname": "bastion.example"})


def test_streaming_both_ways_in_bounded_memory(
    bastion: Bastion, owner_token: str, big_options: ApiOptions
) -> None:
    size = 48 * MIB
    chunk = os.urandom(MIB)
    expected = hashlib.sha256()
    for _ in range(size // MIB):
        expected.update(chunk)

    def body() -> Iterator[bytes]:
        for _ in range(size // MIB):
            yield chunk

    bastion.store.create_bucket("big")
    with running(bastion, big_options) as srv:
        headers = {"Authorization": f"Bearer {owner_token}"}
        with httpx.Client(
            base_url=srv.url, verify=trusted(srv.tls), headers=headers, timeout=120
        ) as c:
            tracemalloc.start()
            try:
                r = c.put("/s3/big/blob.bin", content=body())
                assert r.status_code == 200, r.text
                got = hashlib.sha256()
                received = 0
                with c.stream("GET", "/s3/big/blob.bin") as resp:
                    assert resp.status_code == 200
                    for part in resp.iter_bytes():
                        got.update(part)
                        received += len(part)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert received == size
    assert got.hexdigest() == expected.hexdigest()
    assert r.json()["ChecksumSHA256"]
    assert peak < 16 * MIB, (
        f"peak traced memory {peak / MIB:.1f} MiB for a {size // MIB} MiB object"
    )


def test_a_tampered_object_never_arrives_whole(
    bastion: Bastion, owner_token: str, big_options: ApiOptions
) -> None:
    data = os.urandom(3 * MIB)
    bastion.store.create_bucket("evidence")
    bastion.store.put_object("evidence", "obj", data)
    blobs = [p for p in (bastion.runtime.settings.home / "store").rglob("*") if p.is_file()]
    assert len(blobs) == 1
    raw = bytearray(blobs[0].read_bytes())
    raw[-100] ^= 0x01  # inside the last segment: the first ones stream before it fails
    blobs[0].write_bytes(bytes(raw))
    with running(bastion, big_options) as srv:
        headers = {"Authorization": f"Bearer {owner_token}"}
        with httpx.Client(base_url=srv.url, verify=trusted(srv.tls), headers=headers) as c:
            received = 0
            with (
                pytest.raises(httpx.RemoteProtocolError),
                c.stream("GET", "/s3/evidence/obj") as resp,
            ):
                assert resp.status_code == 200
                for part in resp.iter_bytes():
                    received += len(part)
            assert received < len(data)


def test_graceful_shutdown_lets_a_running_upload_finish(
    bastion: Bastion, owner_token: str, big_options: ApiOptions
) -> None:
    bastion.store.create_bucket("graceful")
    settings = bastion.runtime.settings
    tls = server_tls(settings, big_options)
    app = create_app(settings, runtime=bastion.runtime, options=big_options)
    server = build_server(app, big_options, tls)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        thread.join(0.01)
    first_sent, go_on = threading.Event(), threading.Event()
    result: dict[str, httpx.Response] = {}

    def body() -> Iterator[bytes]:
        yield b"a" * 1024
        first_sent.set()
        assert go_on.wait(10)
        yield b"b" * 1024

    def upload() -> None:
        with httpx.Client(verify=trusted(tls), timeout=30) as c:
            result["r"] = c.put(
                f"https://127.0.0.1:{port}/s3/graceful/in-flight",
                content=body(),
                headers={"Authorization": f"Bearer {owner_token}"},
            )

    client_thread = threading.Thread(target=upload)
    client_thread.start()
    try:
        assert first_sent.wait(10)
        server.should_exit = True
        refused = False
        for _ in range(500):  # wait until the listener is closed: shutdown has begun
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError:
                refused = True
                break
            thread.join(0.01)
        assert refused, "the server kept accepting connections after shutdown began"
    finally:
        go_on.set()
        client_thread.join(30)
        thread.join(30)
        sock.close()
    assert not thread.is_alive()
    assert result["r"].status_code == 200, result["r"].text
    assert bastion.store.get_object("graceful", "in-flight") == b"a" * 1024 + b"b" * 1024


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("server")(serve)

    @app.callback()
    def _root() -> None:
        """Root."""

    return app


def test_server_command_help_has_an_example() -> None:
    result = CliRunner().invoke(_cli(), ["server", "--help"])
    assert result.exit_code == 0
    assert "Example: bastion" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-tls", "--host", "0.0.0.0"], "loopback"),
        (["--cert-file", "cert.pem"], "key_file"),
    ],
)
def test_server_command_refuses_unsafe_options(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["server", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / ".bastion").exists()


def test_server_tls_choices(settings: Settings) -> None:
    bastion.init(settings=settings)
    files = server_tls(settings, ApiOptions(host="10.0.0.5"))
    assert files is not None and files.ca_file is not None
    sans = x509.load_pem_x509_certificate(
        files.cert_file.read_bytes()
    ).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert ipaddress.ip_address("10.0.0.5") in sans.value.get_values_for_type(x509.IPAddress)
    assert server_tls(settings, ApiOptions(tls=False)) is None
    with pytest.raises(Invalid) as err:
        server_tls(settings, ApiOptions(tls=False, host="0.0.0.0"))
    assert err.value.field == "tls"
    with pytest.raises(Invalid) as err:
        server_tls(settings, ApiOptions(cert_file=files.cert_file))
    assert err.value.field == "key_file"
    own = server_tls(settings, ApiOptions(cert_file=files.cert_file, key_file=files.key_file))
    assert own is not None and own.source == "user"
    assert (tls_dir(settings.home) / SERVER_KEY).exists()
