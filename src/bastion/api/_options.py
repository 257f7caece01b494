"""The API's options, read from ``Settings.api`` (``BASTION_API__*``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bastion.settings import Settings
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

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiOptions:
        """The options that ``BASTION_API__*`` settings give."""
        api = settings.api
        return cls(
            host=api.host,
            port=api.port,
            tls=api.tls,
            cert_file=api.cert_file,
            key_file=api.key_file,
            tls_hosts=tuple(api.tls_hosts),
            max_json_bytes=api.max_json_bytes,
            max_object_bytes=api.max_object_bytes,
            graceful_shutdown_seconds=api.graceful_shutdown_seconds,
        )


__all__ = ["ApiOptions"]
