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
    fsync: bool = Field(
        False,
        description="SQLite: fsync the trail at every commit, so acknowledged records survive "
        "power loss too (default: they survive a crash of any process, as WAL commits do)",
    )


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


class RegistrySettings(BaseModel):
    """The model registry."""

    bucket: str = Field("bastion-models", description="store bucket holding model artifacts")
    key_alias: str = Field(
        "alias/bastion/models", description="KMS alias of the key encrypting model artifacts"
    )
    signing_key_alias: str = Field(
        "alias/bastion/model-signing",
        description="KMS alias of the asymmetric key signing model manifests (made on first use)",
    )
    max_categories: int = Field(
        50, ge=0, le=100_000, description="text features with at most this many values get a list"
    )
    trusted_skops_types: tuple[str, ...] = Field(
        (), description="extra fully-qualified types skops may load (beyond its defaults)"
    )
    max_artifact_bytes: int = Field(20 << 30, ge=1, description="largest model artifact accepted")


class MonitorSettings(BaseModel):
    """Data-quality monitoring: the analytics engine, profile and drift defaults, the scheduler."""

    engine: str = Field(
        "duckdb",
        description="duckdb (in-process), or a Spark master: local[*], spark://host:7077, yarn",
        pattern=r"^(duckdb|local(\[(\*|[1-9][0-9]*)\])?|yarn|(spark|k8s)://\S+)$",
    )
    threads: int | None = Field(None, ge=1, le=1024, description="engine threads (None: all cores)")
    memory_limit: str | None = Field(
        None, pattern=r"^[0-9]+(\.[0-9]+)?\s*[KMGT]i?B$", description="DuckDB memory limit, e.g. 4GB"
    )
    kll_k: int = Field(2048, ge=8, le=65535, description="KLL sketch size k")
    max_categories: int = Field(1000, ge=1, le=1_000_000, description="text values counted exactly")
    batch_rows: int = Field(122_880, ge=1024, description="rows per Arrow batch")
    drift_fdr: float = Field(0.05, gt=0, lt=1, description="Benjamini-Hochberg false discovery rate")
    min_effect_numerical: float = Field(0.01, ge=0, le=1, description="smallest KS distance")
    min_effect_categorical: float = Field(0.01, ge=0, le=1, description="smallest Cramer's V")
    scheduler_poll_seconds: float = Field(30.0, gt=0, le=3600)
    max_catch_up: int = Field(
        168, ge=1, le=100_000, description="missed executions run per schedule after downtime"
    )
    execution_timeout_seconds: int = Field(
        3600, ge=10, description="an InProgress execution older than this is taken as abandoned"
    )
    max_attempts: int = Field(3, ge=1, le=100, description="runs of an abandoned execution")
    html_report: bool = Field(True, description="write report.html with each execution")


class CaptureSettings(BaseModel):
    """Data capture of endpoints: the local write-ahead log and the shipper to the store."""

    wal_dir: Path | None = Field(None, description="write-ahead log (default: home/capture-wal)")
    group_commit_ms: float = Field(
        1.0, ge=0, le=100, description="longest wait for more appends before a group commit"
    )
    max_wal_bytes: int = Field(1 << 30, ge=1 << 16, description="unshipped bytes per process")
    ship_interval_seconds: float = Field(60.0, gt=0, le=3600)
    part_bytes: int = Field(16 << 20, ge=1 << 12, le=1 << 30, description="segment/part size")
    backpressure_seconds: float = Field(
        2.0, ge=0, le=60, description="longest an invocation waits for its record to be durable"
    )


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
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)

    @property
    def resolved_database_url(self) -> str:
        """The database URL: explicit, or the SQLite file under ``home``."""
        return self.database_url or f"sqlite:///{self.home.resolve() / 'bastion.db'}"

    @property
    def resolved_store_url(self) -> str:
        """The store URL: explicit, or the ``store`` folder under ``home``."""
        return self.store_url or (self.home.resolve() / "store").as_uri()
