"""The root settings model.

Environment names follow the path: ``BASTION_HOME``, ``BASTION_DATABASE_URL``,
``BASTION_STORE_URL``, ``BASTION_KEYS__ROTATION_PERIOD_DAYS`` …
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KeysSettings(BaseModel):
    """The key service."""

    rotation_period_days: int = Field(365, ge=90, le=2560)
    backend: str = Field("local", description="local (sealed keystore in the database)")


class StoreSettings(BaseModel):
    """The encrypted object store."""

    max_key_length: int = Field(1024, ge=1, le=4096)
    segment_size: int = Field(
        1 << 20, ge=4096, le=8 << 20, description="ciphertext bytes per encrypted segment"
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict, description="fsspec options (JSON), e.g. endpoint_url, client_kwargs"
    )


class AuditSettings(BaseModel):
    """The audit trail."""

    digest_interval_seconds: int = Field(3600, ge=1)


class ApiSettings(BaseModel):
    """The HTTPS control plane (``bastion server``)."""

    host: str = "127.0.0.1"
    port: int = Field(8443, ge=0, le=65535)
    tls: bool = Field(True, description="serve HTTPS; plain HTTP is allowed only on loopback")
    cert_file: Path | None = Field(None, description="your own certificate (PEM)")
    key_file: Path | None = Field(None, description="its private key (PEM)")
    tls_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    max_json_bytes: int = Field(1 << 20, ge=1024)
    max_object_bytes: int = Field(5 << 30, ge=1)
    graceful_shutdown_seconds: int = Field(10, ge=0)


class Settings(BaseSettings):
    """Root of all settings. Construct it once and pass it down."""

    model_config = SettingsConfigDict(
        env_prefix="BASTION_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Path(".bastion")
    database_url: str | None = None
    store_url: str | None = None
    region: str = "local"
    root_key: SecretStr | None = Field(None, description="base64 of 32 bytes; overrides root.key")
    root_passphrase: SecretStr | None = Field(None, description="derive the root key (Argon2id)")
    keys: KeysSettings = Field(default_factory=KeysSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @property
    def resolved_database_url(self) -> str:
        """The database URL: explicit, or the SQLite file under ``home``."""
        return self.database_url or f"sqlite:///{self.home.resolve() / 'bastion.db'}"

    @property
    def resolved_store_url(self) -> str:
        """The store URL: explicit, or the ``store`` folder under ``home``."""
        return self.store_url or (self.home.resolve() / "store").as_uri()
