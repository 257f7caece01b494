"""Serving's records: endpoint configs (immutable) and endpoints (current + previous config).

Only this module writes the serving tables; each deployment emits ``serving.EndpointDeployed``
per variant in the same transaction, so lineage records which endpoints ever served a model.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.clock import Clock, aware
from bastion.db import Database
from bastion.errors import Conflict, NotFound
from bastion.events import EventLog
from bastion.serving._events import ENDPOINT_DELETED, ENDPOINT_DEPLOYED
from bastion.serving._models import (
    DataCaptureConfig,
    Endpoint,
    EndpointConfig,
    EndpointStatus,
    ProductionVariant,
    ServerlessConfig,
)
from bastion.serving._names import config_arn, endpoint_arn
from bastion.serving._tables import serving_endpoint_configs, serving_endpoints
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)


class ServingService:
    """Operations on the serving tables (reached only through :class:`EndpointsClient`)."""

    def __init__(
        self, *, db: Database, clock: Clock, events: EventLog, account_id: AccountId, region: str
    ) -> None:
        self.db = db
        self.clock = clock
        self.events = events
        self.account_id = account_id
        self.region = region

    def config_arn(self, name: str) -> Arn:
        return config_arn(self.region, self.account_id, name)

    def endpoint_arn(self, name: str) -> Arn:
        return endpoint_arn(self.region, self.account_id, name)

    # ----------------------------------------------------------------------------- configs

    def create_config(
        self,
        name: str,
        *,
        variants: tuple[ProductionVariant, ...],
        capture: DataCaptureConfig | None,
        tags: dict[str, str],
        by: str,
    ) -> EndpointConfig:
        spec = {
            "variants": [v.to_dict() for v in variants],
            "capture": capture.to_dict() if capture is not None else None,
        }
        with self.db.write() as conn:
            if self._config_row(conn, name) is not None:
                raise Conflict(
                    f"Endpoint config '{name}' already exists; configs are immutable, "
                    "create one with a new name"
                )
            conn.execute(
                serving_endpoint_configs.insert().values(
                    name=name.lower(),
                    arn=self.config_arn(name),
                    spec=spec,
                    tags=tags,
                    created_at=self.clock.now(),
                    created_by=by,
                )
            )
        return self.config(name)

    def config(self, name: str) -> EndpointConfig:
        with self.db.read() as conn:
            row = self._config_row(conn, name)
        if row is None:
            raise NotFound(f"Endpoint config '{name}' not found")
        return _config(row)

    def configs(self) -> list[EndpointConfig]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(serving_endpoint_configs).order_by(serving_endpoint_configs.c.name)
            ).all()
        return [_config(r) for r in rows]

    def delete_config(self, name: str) -> None:
        with self.db.write() as conn:
            if self._config_row(conn, name) is None:
                raise NotFound(f"Endpoint config '{name}' not found")
            users = (
                conn.execute(
                    sa.select(serving_endpoints.c.name).where(
                        (serving_endpoints.c.config_name == name.lower())
                        | (serving_endpoints.c.previous_config_name == name.lower())
                    )
                )
                .scalars()
                .all()
            )
            if users:
                raise Conflict(
                    f"Endpoint config '{name}' is used by endpoint(s) {sorted(users)}; delete or "
                    "update them first"
                )
            conn.execute(
                serving_endpoint_configs.delete().where(
                    serving_endpoint_configs.c.name == name.lower()
                )
            )

    # ----------------------------------------------------------------------------- endpoints

    def create_endpoint(
        self, name: str, *, config: EndpointConfig, tags: dict[str, str]
    ) -> Endpoint:
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, f"serving:{name.lower()}")
            if self._endpoint_row(conn, name) is not None:
                raise Conflict(f"Endpoint '{name}' already exists; use UpdateEndpoint to change it")
            conn.execute(
                serving_endpoints.insert().values(
                    name=name.lower(),
                    arn=self.endpoint_arn(name),
                    config_name=config.name,
                    previous_config_name=None,
                    status=EndpointStatus.IN_SERVICE.value,
                    failure_reason=None,
                    weights=_weights(config),
                    tags=tags,
                    created_at=now,
                    modified_at=now,
                )
            )
            self._deployed(conn, name, config)
        return self.endpoint(name)

    def switch(self, name: str, *, config: EndpointConfig, rollback: bool = False) -> Endpoint:
        """Point the endpoint at ``config``; the current one becomes the previous one."""
        with self.db.write() as conn:
            self.db.lock(conn, f"serving:{name.lower()}")
            row = self._endpoint_row(conn, name)
            if row is None:
                raise NotFound(f"Endpoint '{name}' not found")
            if rollback and row.previous_config_name is None:
                raise Conflict(f"Endpoint '{name}' has no previous config to roll back to")
            if row.config_name == config.name:
                raise Conflict(f"Endpoint '{name}' already uses config '{config.name}'")
            conn.execute(
                serving_endpoints.update()
                .where(serving_endpoints.c.name == name.lower())
                .values(
                    config_name=config.name,
                    previous_config_name=row.config_name,
                    weights=_weights(config),
                    status=EndpointStatus.IN_SERVICE.value,
                    failure_reason=None,
                    modified_at=self.clock.now(),
                )
            )
            self._deployed(conn, name, config)
        log.info("serving.switch endpoint=%s config=%s rollback=%s", name, config.name, rollback)
        return self.endpoint(name)

    def set_weights(self, name: str, weights: dict[str, float]) -> Endpoint:
        with self.db.write() as conn:
            self.db.lock(conn, f"serving:{name.lower()}")
            row = self._endpoint_row(conn, name)
            if row is None:
                raise NotFound(f"Endpoint '{name}' not found")
            merged = {**dict(row.weights), **weights}
            conn.execute(
                serving_endpoints.update()
                .where(serving_endpoints.c.name == name.lower())
                .values(weights=merged, modified_at=self.clock.now())
            )
        return self.endpoint(name)

    def endpoint(self, name: str) -> Endpoint:
        with self.db.read() as conn:
            row = self._endpoint_row(conn, name)
        if row is None:
            raise NotFound(f"Endpoint '{name}' not found")
        return _endpoint(row)

    def endpoints(self) -> list[Endpoint]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(serving_endpoints).order_by(serving_endpoints.c.name)
            ).all()
        return [_endpoint(r) for r in rows]

    def tags(self, name: str, *, config: bool) -> dict[str, str] | None:
        table = serving_endpoint_configs if config else serving_endpoints
        with self.db.read() as conn:
            tags = conn.execute(
                sa.select(table.c.tags).where(table.c.name == name.lower())
            ).scalar_one_or_none()
        return None if tags is None else dict(tags)

    def delete_endpoint(self, name: str) -> None:
        with self.db.write() as conn:
            self.db.lock(conn, f"serving:{name.lower()}")
            row = self._endpoint_row(conn, name)
            if row is None:
                raise NotFound(f"Endpoint '{name}' not found")
            conn.execute(serving_endpoints.delete().where(serving_endpoints.c.name == name.lower()))
            self.events.emit(
                conn,
                kind=ENDPOINT_DELETED,
                subject=row.arn,
                account_id=self.account_id,
                detail={"endpoint_arn": row.arn, "endpoint": row.name},
            )

    # ----------------------------------------------------------------------------- helpers

    def _deployed(self, conn: Connection, name: str, config: EndpointConfig) -> None:
        arn = self.endpoint_arn(name)
        for variant in config.variants:
            package = (
                f"arn:bastion:sagemaker:{self.region}:{self.account_id}:model-package/"
                f"{variant.model_group.lower()}/{variant.model_version}"
            )
            self.events.emit(
                conn,
                kind=ENDPOINT_DEPLOYED,
                subject=arn,
                account_id=self.account_id,
                detail={
                    "endpoint_arn": arn,
                    "endpoint": name.lower(),
                    "config": config.name,
                    "variant": variant.variant_name,
                    "model_package_arn": package,
                },
            )

    @staticmethod
    def _config_row(conn: Connection, name: str) -> Row[Any] | None:
        return conn.execute(
            sa.select(serving_endpoint_configs).where(
                serving_endpoint_configs.c.name == name.lower()
            )
        ).first()

    @staticmethod
    def _endpoint_row(conn: Connection, name: str) -> Row[Any] | None:
        return conn.execute(
            sa.select(serving_endpoints).where(serving_endpoints.c.name == name.lower())
        ).first()


def _weights(config: EndpointConfig) -> dict[str, float]:
    return {v.variant_name: v.initial_weight for v in config.variants}


def _variant(data: dict[str, Any]) -> ProductionVariant:
    serverless = data.get("ServerlessConfig")
    return ProductionVariant(
        variant_name=data["VariantName"],
        model_group=data["ModelPackageGroupName"],
        model_version=int(data["ModelPackageVersion"]),
        initial_weight=float(data["InitialVariantWeight"]),
        instance_count=int(data["InitialInstanceCount"]),
        max_concurrency=int(data["MaxConcurrency"]),
        serverless=None
        if serverless is None
        else ServerlessConfig(
            memory_size_mb=int(serverless["MemorySizeInMB"]),
            max_concurrency=int(serverless["MaxConcurrency"]),
            idle_seconds=int(serverless["IdleSeconds"]),
        ),
    )


def _capture(data: dict[str, Any] | None) -> DataCaptureConfig | None:
    if data is None:
        return None
    modes = {o["CaptureMode"] for o in data["CaptureOptions"]}
    header = data["CaptureContentTypeHeader"]
    return DataCaptureConfig(
        enable_capture=bool(data["EnableCapture"]),
        initial_sampling_percentage=int(data["InitialSamplingPercentage"]),
        capture_input="Input" in modes,
        capture_output="Output" in modes,
        destination_s3_uri=data["DestinationS3Uri"],
        kms_key_id=data["KmsKeyId"],
        csv_content_types=tuple(header["CsvContentTypes"]),
        json_content_types=tuple(header["JsonContentTypes"]),
        redact_fields=tuple(data["RedactFields"]),
        on_failure=data["OnFailure"],
    )


def _config(row: Row[Any]) -> EndpointConfig:
    return EndpointConfig(
        name=row.name,
        arn=Arn(row.arn),
        variants=tuple(_variant(v) for v in row.spec["variants"]),
        data_capture=_capture(row.spec["capture"]),
        tags=dict(row.tags),
        created_at=aware(row.created_at),
        created_by=row.created_by,
    )


def _endpoint(row: Row[Any]) -> Endpoint:
    return Endpoint(
        name=row.name,
        arn=Arn(row.arn),
        config_name=row.config_name,
        previous_config_name=row.previous_config_name,
        status=EndpointStatus(row.status),
        failure_reason=row.failure_reason,
        weights=dict(row.weights),
        tags=dict(row.tags),
        created_at=aware(row.created_at),
        modified_at=aware(row.modified_at),
    )
