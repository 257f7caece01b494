"""The API's options (they move into ``Settings.api`` as ``BASTION_API__*`` when it exists)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bastion.tls import DEFAULT_HOSTS

MIB = 1 << 20


@dataclass(frozen=True, kw_only=True)
class ApiOptions:
    """How ``bastion server`` listens and what it accepts.

    ``cert_file``/``key_file`` bring your own certificate; without them the server presents a
    certificate from the local CA in the home, valid for ``tls_hosts``. ``max_json_bytes``
    bounds every JSON body, ``max_object_bytes`` an uploaded object (S3's single-PUT limit).
    """

    host: str = "127.0.0.1"
    port: int = 8443
    tls: bool = True
    cert_file: Path | None = None
    key_file: Path | None = None
    tls_hosts: tuple[str, ...] = DEFAULT_HOSTS
    max_json_bytes: int = 1 * MIB
    max_object_bytes: int = 5 * 1024 * MIB
    graceful_shutdown_seconds: int = 10


__all__ = ["ApiOptions"]
