"""Serving the API with uvicorn: TLS on by default, the real peer address, graceful shutdown.

The server never trusts ``X-Forwarded-For``/``X-Forwarded-Proto`` (``proxy_headers`` off), so
``aws:SourceIp`` and ``aws:SecureTransport`` always describe the real connection. Plain HTTP is
allowed only on a loopback address. SIGINT/SIGTERM stop accepting connections, let running
requests finish for ``graceful_shutdown_seconds``, then release the database.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

import uvicorn
from fastapi import FastAPI

from bastion.api._app import create_app
from bastion.api._auth import Authenticator
from bastion.api._options import ApiOptions
from bastion.errors import Invalid
from bastion.keys._root import load_root_sealer
from bastion.settings import Settings
from bastion.tls import TlsFiles, ensure_server_certificate, user_certificate

log = logging.getLogger(__name__)

_WILDCARDS = {"0.0.0.0", "::", ""}  # noqa: S104  (names of the wildcard addresses, not a bind)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_tls(settings: Settings, options: ApiOptions) -> TlsFiles | None:
    """The certificate the server presents: the user's, or one from the local CA (issued or
    renewed as needed); None for plain HTTP, which only a loopback host may use."""
    if not options.tls:
        if not _is_loopback(options.host):
            raise Invalid(
                "tls",
                got=False,
                expected=f"true when listening on {options.host} (plain HTTP would send tokens "
                "in the clear; it is allowed only on a loopback address)",
            )
        return None
    if options.cert_file is not None or options.key_file is not None:
        if options.cert_file is None or options.key_file is None:
            missing = "cert_file" if options.cert_file is None else "key_file"
            raise Invalid(missing, got=None, expected="given together with the other (a PEM pair)")
        return user_certificate(options.cert_file, options.key_file)
    hosts = list(options.tls_hosts)
    if options.host not in _WILDCARDS and options.host not in hosts:
        hosts.append(options.host)
    sealer, _ = load_root_sealer(settings, create=False)
    return ensure_server_certificate(settings.home, sealer, hosts=hosts)


def build_server(
    app: FastAPI,
    options: ApiOptions,
    tls: TlsFiles | None,
    *,
    log_config: dict[str, Any] | None = None,
) -> uvicorn.Server:
    """A uvicorn server for ``app`` (call ``run()``, or ``run(sockets=[…])`` on your socket)."""
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=options.graceful_shutdown_seconds,
        lifespan="on",
        log_config=log_config,
    )
    return uvicorn.Server(config)


def run_server(
    settings: Settings,
    *,
    options: ApiOptions | None = None,
    authenticator: Authenticator | None = None,
    log_config: dict[str, Any] | None = None,
) -> None:
    """Serve the API until SIGINT/SIGTERM (what ``bastion server`` does)."""
    opts = options or ApiOptions.from_settings(settings)
    tls = server_tls(settings, opts)
    app = create_app(settings, authenticator=authenticator, options=opts)
    scheme = "https" if tls else "http"
    log.info("api.serve url=%s://%s:%d tls=%s", scheme, opts.host, opts.port, tls and tls.source)
    build_server(app, opts, tls, log_config=log_config).run()


__all__ = ["build_server", "run_server", "server_tls"]
