"""The registry's records: groups, immutable versions, approval history, trust decisions.

Only this module writes the registry tables. Versions are numbered per group under the group's
lock, in the transaction that inserts them, so numbers have no gaps and two registrations never
get the same one. Every change emits its event in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.clock import Clock, aware
from bastion.db import Database
from bastion.errors import Conflict, NotFound
from bastion.events import EventLog
from bastion.registry._events import (
    MODEL_PACKAGE_CREATED,
    MODEL_PACKAGE_DELETED,
    MODEL_PACKAGE_STATUS_CHANGED,
    UNSAFE_FORMAT_TRUSTED,
)
from bastion.registry._models import (
    ApprovalRecord,
    ApprovalStatus,
    ArtifactFile,
    ModelPackage,
    ModelPackageGroup,
    TrustDecision,
)
from bastion.registry._names import group_arn, package_arn
from bastion.registry._signature import ModelSignature
from bastion.registry._tables import (
    registry_approvals,
    registry_groups,
    registry_packages,
    registry_trust,
)
from bastion.types import AccountId, Arn


@dataclass(frozen=True, kw_only=True)
class NewPackage:
    """What a registration stores (the version number is assigned on insert)."""

    group: str
    flavor: str
    framework_version: str
    artifact_uri: str
    files: tuple[ArtifactFile, ...]
    signature: ModelSignature
    metrics: dict[str, float]
    description: str
    tags: dict[str, str]
    customer_metadata: dict[str, str]
    training_data: tuple[str, ...]
    training_job: str | None
    signed_manifest: dict[str, Any]
    manifest_sha256: str
    signing_key_arn: str
    approval_status: ApprovalStatus


log = logging.getLogger(__name__)


class RegistryService:
    """Operations on the registry tables (reached only through :class:`RegistryClient`)."""

    def __init__(
        self, *, db: Database, clock: Clock, events: EventLog, account_id: AccountId, region: str
    ) -> None:
        self.db = db
        self.clock = clock
        self.events = events
        self.account_id = account_id
        self.region = region

    def group_arn(self, group: str) -> Arn:
        return group_arn(self.region, self.account_id, group)

    def package_arn(self, group: str, version: int) -> Arn:
        return package_arn(self.region, self.account_id, group, version)

    # ----------------------------------------------------------------------------- groups

    def create_group(
        self, name: str, *, description: str, tags: dict[str, str], by: str
    ) -> ModelPackageGroup:
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, f"registry:{name.lower()}")
            if self._group_row(conn, name) is not None:
                raise Conflict(f"Model package group '{name}' already exists; choose another name")
            conn.execute(
                registry_groups.insert().values(
                    name=name.lower(),
                    arn=self.group_arn(name),
                    account_id=self.account_id,
                    description=description,
                    tags=tags,
                    next_version=1,
                    created_at=now,
                    created_by=by,
                )
            )
        log.info("registry.group_created group=%s", name)
        return self.group(name)

    def group(self, name: str) -> ModelPackageGroup:
        with self.db.read() as conn:
            row = self._group_row(conn, name)
            if row is None:
                raise NotFound(f"Model package group '{name}' not found")
            count = conn.execute(
                sa.select(sa.func.count()).where(registry_packages.c.group_name == row.name)
            ).scalar_one()
        return _group(row, int(count))

    def groups(self) -> list[ModelPackageGroup]:
        counts = (
            sa.select(registry_packages.c.group_name, sa.func.count().label("n"))
            .group_by(registry_packages.c.group_name)
            .subquery()
        )
        query = (
            sa.select(registry_groups, counts.c.n)
            .select_from(
                registry_groups.outerjoin(counts, counts.c.group_name == registry_groups.c.name)
            )
            .order_by(registry_groups.c.name)
        )
        with self.db.read() as conn:
            return [_group(r, int(r.n or 0)) for r in conn.execute(query)]

    def delete_group(self, name: str) -> None:
        with self.db.write() as conn:
            self.db.lock(conn, f"registry:{name.lower()}")
            if self._group_row(conn, name) is None:
                raise NotFound(f"Model package group '{name}' not found")
            versions = conn.execute(
                sa.select(sa.func.count()).where(registry_packages.c.group_name == name.lower())
            ).scalar_one()
            if versions:
                raise Conflict(
                    f"Model package group '{name}' still holds {versions} version(s); "
                    "delete them first"
                )
            conn.execute(registry_groups.delete().where(registry_groups.c.name == name.lower()))

    def group_tags(self, name: str) -> dict[str, str] | None:
        with self.db.read() as conn:
            row = self._group_row(conn, name)
        return dict(row.tags) if row is not None else None

    # ----------------------------------------------------------------------------- versions

    def insert_package(self, new: NewPackage, *, by: str) -> ModelPackage:
        """Store a registered version with the group's next number; emits ModelPackageCreated."""
        now = self.clock.now()
        group = new.group.lower()
        with self.db.write() as conn:
            self.db.lock(conn, f"registry:{group}")
            row = self._group_row(conn, group)
            if row is None:
                raise NotFound(f"Model package group '{new.group}' not found; create it first")
            version = int(row.next_version)
            conn.execute(
                registry_groups.update()
                .where(registry_groups.c.name == group)
                .values(next_version=version + 1)
            )
            arn = self.package_arn(group, version)
            approved = new.approval_status is ApprovalStatus.APPROVED
            conn.execute(
                registry_packages.insert().values(
                    group_name=group,
                    version=version,
                    arn=arn,
                    flavor=new.flavor,
                    framework_version=new.framework_version,
                    artifact_uri=new.artifact_uri,
                    files=[{"path": f.path, "sha256": f.sha256, "size": f.size} for f in new.files],
                    signature=new.signature.to_dict(),
                    metrics=new.metrics,
                    description=new.description,
                    tags=new.tags,
                    customer_metadata=new.customer_metadata,
                    training_data=list(new.training_data),
                    training_job=new.training_job,
                    signed_manifest=new.signed_manifest,
                    manifest_sha256=new.manifest_sha256,
                    signing_key_arn=new.signing_key_arn,
                    approval_status=new.approval_status.value,
                    approval_by=by if approved else None,
                    approval_at=now if approved else None,
                    approval_reason="approved at registration" if approved else None,
                    created_at=now,
                    created_by=by,
                )
            )
            self._history(conn, group, version, None, new.approval_status, by, now, "registered")
            self.events.emit(
                conn,
                kind=MODEL_PACKAGE_CREATED,
                subject=arn,
                account_id=self.account_id,
                detail={
                    "model_package_arn": arn,
                    "group": group,
                    "version": version,
                    "flavor": new.flavor,
                    "artifact_uri": new.artifact_uri,
                    "sha256": new.manifest_sha256,
                    "training_data": list(new.training_data),
                    "training_job": new.training_job,
                    "approval_status": new.approval_status.value,
                    "metrics": dict(new.metrics),
                },
            )
        log.info("registry.package_created group=%s version=%d", group, version)
        return self.package(group, version)

    def package(self, group: str, version: int) -> ModelPackage:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(registry_packages).where(_package_is(group, version))
            ).first()
        if row is None:
            raise NotFound(f"Model package '{group}' version {version} not found")
        return _package(row)

    def signed_manifest(self, group: str, version: int) -> dict[str, Any]:
        with self.db.read() as conn:
            manifest = conn.execute(
                sa.select(registry_packages.c.signed_manifest).where(_package_is(group, version))
            ).scalar_one_or_none()
        if manifest is None:
            raise NotFound(f"Model package '{group}' version {version} not found")
        return dict(manifest)

    def packages(self, group: str, *, status: ApprovalStatus | None = None) -> list[ModelPackage]:
        self.group(group)
        query = (
            sa.select(registry_packages)
            .where(registry_packages.c.group_name == group.lower())
            .order_by(registry_packages.c.version)
        )
        if status is not None:
            query = query.where(registry_packages.c.approval_status == status.value)
        with self.db.read() as conn:
            return [_package(r) for r in conn.execute(query)]

    def latest(self, group: str, *, status: ApprovalStatus | None) -> ModelPackage:
        found = self.packages(group, status=status)
        if not found:
            which = f"{status.value} " if status else ""
            raise NotFound(f"Model package group '{group}' has no {which}version")
        return found[-1]

    def package_tags(self, group: str, version: int) -> dict[str, str] | None:
        with self.db.read() as conn:
            tags = conn.execute(
                sa.select(registry_packages.c.tags).where(_package_is(group, version))
            ).scalar_one_or_none()
        return dict(tags) if tags is not None else None

    def set_status(
        self, group: str, version: int, status: ApprovalStatus, *, by: str, reason: str
    ) -> ModelPackage:
        """Change the approval status (a no-op when it already has it); emits the change."""
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, f"registry:{group.lower()}")
            row = conn.execute(
                sa.select(registry_packages.c.approval_status, registry_packages.c.arn).where(
                    _package_is(group, version)
                )
            ).first()
            if row is None:
                raise NotFound(f"Model package '{group}' version {version} not found")
            before = ApprovalStatus(row.approval_status)
            if before is not status:
                conn.execute(
                    registry_packages.update()
                    .where(_package_is(group, version))
                    .values(
                        approval_status=status.value,
                        approval_by=by,
                        approval_at=now,
                        approval_reason=reason,
                    )
                )
                self._history(conn, group.lower(), version, before, status, by, now, reason)
                self.events.emit(
                    conn,
                    kind=MODEL_PACKAGE_STATUS_CHANGED,
                    subject=row.arn,
                    account_id=self.account_id,
                    detail={
                        "model_package_arn": row.arn,
                        "group": group.lower(),
                        "version": version,
                        "from_status": before.value,
                        "to_status": status.value,
                        "by": by,
                        "reason": reason,
                    },
                )
                log.info(
                    "registry.status group=%s version=%d from=%s to=%s",
                    group,
                    version,
                    before,
                    status,
                )
        return self.package(group, version)

    def history(self, group: str, version: int) -> list[ApprovalRecord]:
        self.package(group, version)
        query = (
            sa.select(registry_approvals)
            .where(registry_approvals.c.group_name == group.lower())
            .where(registry_approvals.c.version == version)
            .order_by(registry_approvals.c.id)
        )
        with self.db.read() as conn:
            return [
                ApprovalRecord(
                    group=r.group_name,
                    version=r.version,
                    from_status=ApprovalStatus(r.from_status) if r.from_status else None,
                    to_status=ApprovalStatus(r.to_status),
                    by=r.by,
                    at=aware(r.at),
                    reason=r.reason,
                )
                for r in conn.execute(query)
            ]

    def delete_package(self, group: str, version: int) -> ModelPackage:
        """Remove a version's record (never an Approved one); returns what was removed."""
        with self.db.write() as conn:
            self.db.lock(conn, f"registry:{group.lower()}")
            row = conn.execute(
                sa.select(registry_packages).where(_package_is(group, version))
            ).first()
            if row is None:
                raise NotFound(f"Model package '{group}' version {version} not found")
            if row.approval_status == ApprovalStatus.APPROVED.value:
                raise Conflict(
                    f"Model package '{group}' version {version} is Approved; reject it before "
                    "deleting it"
                )
            conn.execute(
                registry_approvals.delete()
                .where(registry_approvals.c.group_name == group.lower())
                .where(registry_approvals.c.version == version)
            )
            conn.execute(registry_packages.delete().where(_package_is(group, version)))
            self.events.emit(
                conn,
                kind=MODEL_PACKAGE_DELETED,
                subject=row.arn,
                account_id=self.account_id,
                detail={"model_package_arn": row.arn, "group": group.lower(), "version": version},
            )
        return _package(row)

    # ----------------------------------------------------------------------------- trust

    def trust(self, sha256: str, *, artifact_format: str, by: str, reason: str) -> TrustDecision:
        now = self.clock.now()
        with self.db.write() as conn:
            existing = conn.execute(
                sa.select(registry_trust).where(registry_trust.c.sha256 == sha256)
            ).first()
            if existing is None:
                conn.execute(
                    registry_trust.insert().values(
                        sha256=sha256,
                        artifact_format=artifact_format,
                        decided_by=by,
                        decided_at=now,
                        reason=reason,
                    )
                )
                self.events.emit(
                    conn,
                    kind=UNSAFE_FORMAT_TRUSTED,
                    subject=sha256,
                    account_id=self.account_id,
                    detail={"sha256": sha256, "format": artifact_format, "by": by},
                )
        return self.trusted([sha256])[0]

    def trusted(self, digests: list[str] | None = None) -> list[TrustDecision]:
        query = sa.select(registry_trust).order_by(registry_trust.c.decided_at)
        if digests is not None:
            query = query.where(registry_trust.c.sha256.in_(digests))
        with self.db.read() as conn:
            return [
                TrustDecision(
                    sha256=r.sha256,
                    artifact_format=r.artifact_format,
                    decided_by=r.decided_by,
                    decided_at=aware(r.decided_at),
                    reason=r.reason,
                )
                for r in conn.execute(query)
            ]

    # ----------------------------------------------------------------------------- helpers

    @staticmethod
    def _group_row(conn: Connection, name: str) -> Row[Any] | None:
        return conn.execute(
            sa.select(registry_groups).where(registry_groups.c.name == name.lower())
        ).first()

    @staticmethod
    def _history(
        conn: Connection,
        group: str,
        version: int,
        before: ApprovalStatus | None,
        after: ApprovalStatus,
        by: str,
        at: datetime,
        reason: str,
    ) -> None:
        conn.execute(
            registry_approvals.insert().values(
                group_name=group,
                version=version,
                from_status=before.value if before else None,
                to_status=after.value,
                by=by,
                at=at,
                reason=reason,
            )
        )


def _package_is(group: str, version: int) -> sa.ColumnElement[bool]:
    return (registry_packages.c.group_name == group.lower()) & (
        registry_packages.c.version == version
    )


def _group(row: Row[Any], versions: int) -> ModelPackageGroup:
    return ModelPackageGroup(
        name=row.name,
        arn=Arn(row.arn),
        description=row.description,
        tags=dict(row.tags),
        created_at=aware(row.created_at),
        created_by=row.created_by,
        versions=versions,
    )


def _package(row: Row[Any] | Mapping[str, Any]) -> ModelPackage:
    r = row._mapping if isinstance(row, Row) else row
    return ModelPackage(
        group=r["group_name"],
        version=int(r["version"]),
        arn=Arn(r["arn"]),
        flavor=r["flavor"],
        framework_version=r["framework_version"],
        artifact_uri=r["artifact_uri"],
        files=tuple(
            ArtifactFile(path=f["path"], sha256=f["sha256"], size=int(f["size"]))
            for f in r["files"]
        ),
        signature=ModelSignature.from_dict(r["signature"]),
        metrics=dict(r["metrics"]),
        description=r["description"],
        tags=dict(r["tags"]),
        training_data=tuple(r["training_data"]),
        training_job=r["training_job"],
        approval_status=ApprovalStatus(r["approval_status"]),
        approval_by=r["approval_by"],
        approval_at=aware(r["approval_at"]) if r["approval_at"] else None,
        approval_reason=r["approval_reason"],
        signing_key_arn=r["signing_key_arn"],
        manifest_sha256=r["manifest_sha256"],
        created_at=aware(r["created_at"]),
        created_by=r["created_by"],
        customer_metadata=dict(r["customer_metadata"]),
    )
