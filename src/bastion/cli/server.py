"""``bastion server``: serve the control-plane HTTP API (HTTPS with the home's local CA)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from uvicorn.config import LOGGING_CONFIG

from bastion.api import ApiOptions, build_server, create_app, server_tls
from bastion.cli._common import err_console, fail_cleanly, settings
from bastion.tls import DEFAULT_HOSTS


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default $BASTION_API__HOST or 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="TCP port (default $BASTION_API__PORT or 8443)."
    ),
    cert_file: Path | None = typer.Option(
        None, "--cert-file", help="Your own certificate (PEM); needs --key-file."
    ),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="The private key of --cert-file (PEM, unencrypted)."
    ),
    tls_host: list[str] = typer.Option(
        [],
        "--tls-host",
        help="Extra DNS name or IP for the local-CA certificate (repeatable); localhost, "
        "127.0.0.1 and ::1 are always in it.",
    ),
    no_tls: bool = typer.Option(
        False, "--no-tls", help="Plain HTTP; allowed only on a loopback address."
    ),
    grace: int | None = typer.Option(
        None, "--grace", min=0, help="Seconds running requests get to finish on shutdown."
    ),
) -> None:
    """Serve the HTTP API until Ctrl-C / SIGTERM (graceful: running requests finish).

    HTTPS by default, with a certificate from the home's local CA (clients trust
    <home>/tls/ca.pem), or your own with --cert-file/--key-file. Every request needs
    'Authorization: Bearer <token>' or a SigV4 signature. OpenAPI at /openapi.json.

    Example: bastion --home ./.bastion server --port 8443
    """
    conf = settings()
    base = ApiOptions.from_settings(conf)
    options = replace(
        base,
        host=host if host is not None else base.host,
        port=port if port is not None else base.port,
        tls=base.tls and not no_tls,
        cert_file=cert_file or base.cert_file,
        key_file=key_file or base.key_file,
        tls_hosts=tuple(dict.fromkeys((*DEFAULT_HOSTS, *base.tls_hosts, *tls_host))),
        graceful_shutdown_seconds=grace if grace is not None else base.graceful_shutdown_seconds,
    )
    with fail_cleanly():
        tls = server_tls(conf, options)
        app = create_app(conf, options=options)
    scheme = "https" if tls else "http"
    err_console.print(
        f"Bastion API on {scheme}://{options.host}:{options.port}  (OpenAPI: /openapi.json)"
    )
    if tls is not None and tls.ca_file is not None:
        err_console.print(f"Clients trust the CA certificate {tls.ca_file}")
    build_server(app, options, tls, log_config=LOGGING_CONFIG).run()
