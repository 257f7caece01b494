"""The lineage graph's operations (reached through the gate via :class:`LineageClient`, or by
the event handlers after another room's change committed).

Every write runs in one transaction that first takes the ``lineage`` lock (PostgreSQL; SQLite's
write transactions are serialised already), so the cycle check of an association and its insert
see the same graph. The ``ensure_*`` helpers are idempotent: the same input names the same
entity (an artifact's ARN is a hash of its type and source), so a replayed event changes
nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.clock import Clock, aware
from bastion.db import Database
from bastion.errors import Conflict, Invalid, NotFound
from bastion.registry.lineage._graph import adjacency, chunks, on_paths, reaches, walk
from bastion.registry.lineage._models import (
    ActionStatus,
    Association,
    AssociationListing,
    AssociationType,
    Direction,
    Edge,
    EntityListing,
    LineageEntity,
    LineageQueryResult,
    LineageType,
    ModelProvenance,
    QueryFilters,
    Vertex,
)
from bastion.registry.lineage._names import artifact_id, entity_arn
from bastion.registry.lineage._tables import (
    lineage_associations,
    lineage_entities,
    lineage_properties,
)
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)

LOCK = "lineage"
TOKEN_RULE = "the NextToken of the previous page, unchanged"  # noqa: S105 (a rule, no secret)

MODEL = "Model"
MODEL_PACKAGE = "ModelPackage"
MODEL_DEPLOYMENT = "ModelDeployment"
ENDPOINT = "Endpoint"


def uri_hash(uri: str) -> str:
    """The lookup key of a source URI."""
    return hashlib.sha256(uri.encode()).hexdigest()


def _encode_token(created_at: datetime, *keys: str) -> str:
    raw = json.dumps([aware(created_at).isoformat(), *keys]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_token(token: str, operation: str, *, parts: int = 1) -> tuple[Any, ...]:
    """(time, key, …) from a NextToken; Invalid naming NextToken for anything else."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        if not isinstance(decoded, list) or len(decoded) != parts + 1:
            raise ValueError(token)
        keys = [str(k) for k in decoded[1:] if isinstance(k, str)]
        if len(keys) != parts:
            raise ValueError(token)
        return (aware(datetime.fromisoformat(decoded[0])), *keys)
    except (binascii.Error, ValueError, TypeError, UnicodeEncodeError):
        raise Invalid("NextToken", got=token, expected=TOKEN_RULE, operation=operation) from None


def _entity(row: Row[Any], properties: Mapping[str, str]) -> LineageEntity:
    return LineageEntity(
        arn=Arn(row.arn),
        lineage_type=LineageType(row.lineage_type),
        name=row.name,
        type=row.entity_type,
        source_uri=row.source_uri,
        source_types=tuple(dict(t) for t in row.source_types),
        source_type=row.source_type,
        source_id=row.source_id,
        description=row.description,
        status=ActionStatus(row.status) if row.status else None,
        properties=dict(properties),
        tags=dict(row.tags),
        created_at=aware(row.created_at),
        created_by=row.created_by,
        last_modified_at=aware(row.last_modified_at),
        last_modified_by=row.last_modified_by,
    )


def _properties(conn: Connection, arns: Sequence[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    p = lineage_properties.c
    for part in chunks(arns):
        for row in conn.execute(sa.select(p.arn, p.name, p.value).where(p.arn.in_(part))):
            found.setdefault(row.arn, {})[row.name] = row.value
    return found


def load_entities(conn: Connection, arns: Iterable[str]) -> dict[Arn, LineageEntity]:
    """The entities named by ``arns`` that exist, with their properties."""
    wanted = list(dict.fromkeys(arns))
    rows: list[Row[Any]] = []
    for part in chunks(wanted):
        rows += conn.execute(
            sa.select(lineage_entities).where(lineage_entities.c.arn.in_(part))
        ).all()
    props = _properties(conn, [r.arn for r in rows])
    return {Arn(r.arn): _entity(r, props.get(r.arn, {})) for r in rows}


class LineageService:
    """Entities, associations and walks for one account in one region."""

    def __init__(self, *, db: Database, clock: Clock, account_id: AccountId, region: str) -> None:
        self.db = db
        self.clock = clock
        self.account_id = account_id
        self.region = region

    def arn(self, lineage_type: LineageType, resource_id: str) -> Arn:
        """The ARN of an entity of this account and region."""
        return entity_arn(lineage_type, self.region, self.account_id, resource_id)

    def artifact_arn(
        self, artifact_type: str, source_uri: str, source_types: Sequence[Mapping[str, str]]
    ) -> Arn:
        """The ARN an artifact with this type and source has (or would have)."""
        return self.arn(LineageType.ARTIFACT, artifact_id(artifact_type, source_uri, source_types))

    # ------------------------------------------------------------------------- transactions

    def write(self, work: Callable[[Connection], Any]) -> Any:
        """Run ``work`` in one write transaction holding the lineage lock."""
        with self.db.write() as conn:
            self.db.lock(conn, LOCK)
            return work(conn)

    # ------------------------------------------------------------------------------ entities

    def _insert(
        self,
        conn: Connection,
        *,
        arn: Arn,
        lineage_type: LineageType,
        name: str | None,
        entity_type: str,
        source_uri: str,
        source_types: Sequence[Mapping[str, str]] = (),
        source_type: str | None = None,
        source_id: str | None = None,
        description: str | None = None,
        status: ActionStatus | None = None,
        properties: Mapping[str, str],
        tags: Mapping[str, str],
        actor: str,
        now: datetime,
    ) -> None:
        conn.execute(
            lineage_entities.insert().values(
                arn=arn,
                account_id=self.account_id,
                lineage_type=lineage_type.value,
                name=name,
                entity_type=entity_type,
                source_uri=source_uri,
                source_uri_hash=uri_hash(source_uri),
                source_types=[dict(t) for t in source_types],
                source_type=source_type,
                source_id=source_id,
                description=description,
                status=status.value if status is not None else None,
                tags=dict(tags),
                created_at=now,
                created_by=actor,
                last_modified_at=now,
                last_modified_by=actor,
            )
        )
        if properties:
            conn.execute(
                lineage_properties.insert(),
                [{"arn": arn, "name": k, "value": v} for k, v in properties.items()],
            )

    @staticmethod
    def _exists(conn: Connection, arn: str) -> bool:
        found = conn.execute(
            sa.select(lineage_entities.c.arn).where(lineage_entities.c.arn == arn)
        ).first()
        return found is not None

    def _name_taken(self, conn: Connection, lineage_type: LineageType, name: str) -> Arn | None:
        e = lineage_entities.c
        row = conn.execute(
            sa.select(e.arn).where(
                e.account_id == self.account_id,
                e.lineage_type == lineage_type.value,
                e.name == name,
            )
        ).first()
        return Arn(row.arn) if row is not None else None

    def create_artifact(
        self,
        *,
        artifact_type: str,
        source_uri: str,
        source_types: Sequence[Mapping[str, str]],
        name: str | None,
        properties: Mapping[str, str],
        tags: Mapping[str, str],
        actor: str,
    ) -> LineageEntity:
        arn = self.artifact_arn(artifact_type, source_uri, source_types)

        def work(conn: Connection) -> LineageEntity:
            if self._exists(conn, arn):
                raise Conflict(
                    f"An artifact of type '{artifact_type}' with this source already exists: "
                    f"{arn}; describe it with DescribeArtifact, or give other SourceTypes"
                )
            if name is not None and (other := self._name_taken(conn, LineageType.ARTIFACT, name)):
                raise Conflict(f"Artifact name '{name}' is taken by {other}; choose another")
            self._insert(
                conn,
                arn=arn,
                lineage_type=LineageType.ARTIFACT,
                name=name,
                entity_type=artifact_type,
                source_uri=source_uri,
                source_types=source_types,
                properties=properties,
                tags=tags,
                actor=actor,
                now=self.clock.now(),
            )
            return self._describe(conn, arn)

        created: LineageEntity = self.write(work)
        log.info("lineage.create_artifact arn=%s type=%s", arn, artifact_type)
        return created

    def create_named(
        self,
        lineage_type: LineageType,
        *,
        name: str,
        entity_type: str,
        source_uri: str,
        source_type: str | None,
        source_id: str | None,
        description: str | None,
        status: ActionStatus | None,
        properties: Mapping[str, str],
        tags: Mapping[str, str],
        actor: str,
    ) -> LineageEntity:
        """CreateAction or CreateContext (both are named by the caller)."""
        arn = self.arn(lineage_type, name)

        def work(conn: Connection) -> LineageEntity:
            if self._exists(conn, arn):
                raise Conflict(
                    f"{lineage_type.value} '{name}' already exists ({arn}); choose another name"
                )
            self._insert(
                conn,
                arn=arn,
                lineage_type=lineage_type,
                name=name,
                entity_type=entity_type,
                source_uri=source_uri,
                source_type=source_type,
                source_id=source_id,
                description=description,
                status=status,
                properties=properties,
                tags=tags,
                actor=actor,
                now=self.clock.now(),
            )
            return self._describe(conn, arn)

        created: LineageEntity = self.write(work)
        log.info("lineage.create arn=%s type=%s", arn, entity_type)
        return created

    def update_action(
        self,
        name: str,
        *,
        status: ActionStatus | None,
        description: str | None,
        properties: Mapping[str, str],
        remove_properties: Sequence[str],
        actor: str,
    ) -> LineageEntity:
        """UpdateAction: status, description, properties set and removed."""
        arn = self.arn(LineageType.ACTION, name)

        def work(conn: Connection) -> LineageEntity:
            self._describe(conn, arn)
            values: dict[str, Any] = {
                "last_modified_at": self.clock.now(),
                "last_modified_by": actor,
            }
            if status is not None:
                values["status"] = status.value
            if description is not None:
                values["description"] = description
            conn.execute(
                lineage_entities.update().where(lineage_entities.c.arn == arn).values(**values)
            )
            self._set_properties(conn, arn, properties, remove_properties)
            return self._describe(conn, arn)

        updated: LineageEntity = self.write(work)
        return updated

    @staticmethod
    def _set_properties(
        conn: Connection, arn: Arn, properties: Mapping[str, str], remove: Sequence[str]
    ) -> None:
        p = lineage_properties.c
        names = [*properties, *remove]
        if names:
            conn.execute(lineage_properties.delete().where(p.arn == arn, p.name.in_(names)))
        if properties:
            conn.execute(
                lineage_properties.insert(),
                [{"arn": arn, "name": k, "value": v} for k, v in properties.items()],
            )
        count = conn.execute(
            sa.select(sa.func.count()).select_from(lineage_properties).where(p.arn == arn)
        ).scalar_one()
        if count > 30:
            raise Invalid(
                "Properties",
                got=f"{count} properties after the update",
                expected="at most 30 properties",
                operation="UpdateAction",
            )

    def _describe(self, conn: Connection, arn: Arn) -> LineageEntity:
        found = load_entities(conn, [arn]).get(arn)
        if found is None:
            raise NotFound(f"Lineage entity '{arn}' not found")
        return found

    def describe(self, arn: Arn) -> LineageEntity:
        """DescribeArtifact / DescribeAction / DescribeContext."""
        with self.db.read() as conn:
            return self._describe(conn, arn)

    def delete(self, arn: Arn, *, disassociate: bool) -> int:
        """Delete an entity; its associations go too only with ``disassociate`` (else Conflict).
        Returns how many associations were removed."""

        def work(conn: Connection) -> int:
            self._describe(conn, arn)
            a = lineage_associations.c
            touching = sa.or_(a.source_arn == arn, a.destination_arn == arn)
            count = conn.execute(
                sa.select(sa.func.count()).select_from(lineage_associations).where(touching)
            ).scalar_one()
            if count and not disassociate:
                raise Conflict(
                    f"'{arn}' has {count} association(s); delete them first "
                    "(DeleteAssociation) or pass disassociate=True"
                )
            conn.execute(lineage_associations.delete().where(touching))
            conn.execute(lineage_properties.delete().where(lineage_properties.c.arn == arn))
            conn.execute(lineage_entities.delete().where(lineage_entities.c.arn == arn))
            return int(count)

        removed: int = self.write(work)
        log.info("lineage.delete arn=%s associations=%d", arn, removed)
        return removed

    def list_entities(
        self,
        lineage_type: LineageType,
        *,
        entity_type: str | None,
        source_uri: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        max_results: int,
        next_token: str | None,
        operation: str,
    ) -> EntityListing:
        """ListArtifacts / ListActions / ListContexts, oldest first."""
        e = lineage_entities.c
        query = sa.select(lineage_entities).where(
            e.account_id == self.account_id, e.lineage_type == lineage_type.value
        )
        if entity_type is not None:
            query = query.where(e.entity_type == entity_type)
        if source_uri is not None:
            query = query.where(e.source_uri_hash == uri_hash(source_uri))
        if created_after is not None:
            query = query.where(e.created_at > created_after)
        if created_before is not None:
            query = query.where(e.created_at < created_before)
        if next_token is not None:
            moment, after = _decode_token(next_token, operation)
            query = query.where(
                sa.or_(e.created_at > moment, sa.and_(e.created_at == moment, e.arn > after))
            )
        query = query.order_by(e.created_at, e.arn).limit(max_results + 1)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            page = rows[:max_results]
            props = _properties(conn, [r.arn for r in page])
        entities = tuple(_entity(r, props.get(r.arn, {})) for r in page)
        token = (
            _encode_token(page[-1].created_at, page[-1].arn) if len(rows) > max_results else None
        )
        return EntityListing(entities=entities, next_token=token)

    def find_by_source(
        self, conn: Connection, source_uri: str, *, lineage_type: LineageType | None = None
    ) -> list[LineageEntity]:
        """Entities whose source URI is ``source_uri`` (oldest first)."""
        e = lineage_entities.c
        query = sa.select(e.arn).where(
            e.account_id == self.account_id, e.source_uri_hash == uri_hash(source_uri)
        )
        if lineage_type is not None:
            query = query.where(e.lineage_type == lineage_type.value)
        arns = [r.arn for r in conn.execute(query.order_by(e.created_at, e.arn))]
        found = load_entities(conn, arns)
        return [found[Arn(a)] for a in arns if found[Arn(a)].source_uri == source_uri]

    # -------------------------------------------------------------------------- associations

    def _check_association(self, conn: Connection, source: Arn, destination: Arn) -> None:
        for field, arn in (("SourceArn", source), ("DestinationArn", destination)):
            if not self._exists(conn, arn):
                raise NotFound(f"{field} '{arn}' names no lineage entity; create it first")
        if reaches(conn, destination, source):
            raise Conflict(
                f"DestinationArn '{destination}' already leads to SourceArn '{source}'; this "
                "association would close a cycle, and lineage must stay acyclic"
            )

    def add_association(
        self, source: Arn, destination: Arn, association_type: AssociationType, *, actor: str
    ) -> Association:
        """AddAssociation: Conflict when the pair exists or the edge would close a cycle."""

        def work(conn: Connection) -> Association:
            existing = self._association(conn, source, destination)
            if existing is not None:
                raise Conflict(
                    f"An association {source} → {destination} already exists "
                    f"({existing.association_type.value}); delete it first to change its type"
                )
            self._check_association(conn, source, destination)
            conn.execute(
                lineage_associations.insert().values(
                    source_arn=source,
                    destination_arn=destination,
                    association_type=association_type.value,
                    created_at=self.clock.now(),
                    created_by=actor,
                )
            )
            found = self._association(conn, source, destination)
            assert found is not None
            return found

        added: Association = self.write(work)
        log.info("lineage.add_association source=%s destination=%s", source, destination)
        return added

    def delete_association(self, source: Arn, destination: Arn) -> None:
        """DeleteAssociation: NotFound when there is none."""

        def work(conn: Connection) -> None:
            a = lineage_associations.c
            done = conn.execute(
                lineage_associations.delete().where(
                    a.source_arn == source, a.destination_arn == destination
                )
            )
            if done.rowcount == 0:
                raise NotFound(f"No association {source} → {destination}")

        self.write(work)

    def _association_query(self) -> tuple[sa.Select[Any], Any, Any]:
        """Associations with both ends' types and names, and the two entity aliases."""
        a = lineage_associations.c
        src = lineage_entities.alias("src")
        dst = lineage_entities.alias("dst")
        query = (
            sa.select(
                a.source_arn,
                a.destination_arn,
                a.association_type,
                a.created_at,
                a.created_by,
                src.c.entity_type.label("source_type"),
                src.c.name.label("source_name"),
                dst.c.entity_type.label("destination_type"),
                dst.c.name.label("destination_name"),
            )
            .join_from(lineage_associations, src, src.c.arn == a.source_arn)
            .join(dst, dst.c.arn == a.destination_arn)
            .where(src.c.account_id == self.account_id)
        )
        return query, src, dst

    @staticmethod
    def _association_of(row: Row[Any]) -> Association:
        return Association(
            source_arn=Arn(row.source_arn),
            destination_arn=Arn(row.destination_arn),
            association_type=AssociationType(row.association_type),
            source_type=row.source_type,
            destination_type=row.destination_type,
            source_name=row.source_name,
            destination_name=row.destination_name,
            created_at=aware(row.created_at),
            created_by=row.created_by,
        )

    def _association(self, conn: Connection, source: Arn, destination: Arn) -> Association | None:
        a = lineage_associations.c
        query, _, _ = self._association_query()
        row = conn.execute(
            query.where(a.source_arn == source, a.destination_arn == destination)
        ).first()
        return self._association_of(row) if row is not None else None

    def list_associations(
        self,
        *,
        source_arn: Arn | None,
        destination_arn: Arn | None,
        association_type: AssociationType | None,
        source_type: str | None,
        destination_type: str | None,
        max_results: int,
        next_token: str | None,
    ) -> AssociationListing:
        """ListAssociations, oldest first."""
        a = lineage_associations.c
        query, src, dst = self._association_query()
        if source_arn is not None:
            query = query.where(a.source_arn == source_arn)
        if destination_arn is not None:
            query = query.where(a.destination_arn == destination_arn)
        if association_type is not None:
            query = query.where(a.association_type == association_type.value)
        if source_type is not None:
            query = query.where(src.c.entity_type == source_type)
        if destination_type is not None:
            query = query.where(dst.c.entity_type == destination_type)
        if next_token is not None:
            moment, after_source, after_destination = _decode_token(
                next_token, "ListAssociations", parts=2
            )
            query = query.where(
                sa.or_(
                    a.created_at > moment,
                    sa.and_(a.created_at == moment, a.source_arn > after_source),
                    sa.and_(
                        a.created_at == moment,
                        a.source_arn == after_source,
                        a.destination_arn > after_destination,
                    ),
                )
            )
        query = query.order_by(a.created_at, a.source_arn, a.destination_arn).limit(max_results + 1)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        page = rows[:max_results]
        token = None
        if len(rows) > max_results:
            last = page[-1]
            token = _encode_token(last.created_at, last.source_arn, last.destination_arn)
        return AssociationListing(
            associations=tuple(self._association_of(r) for r in page), next_token=token
        )

    # -------------------------------------------------------------------------------- ensure

    def ensure_artifact(
        self,
        conn: Connection,
        *,
        artifact_type: str,
        source_uri: str,
        source_types: Sequence[Mapping[str, str]] = (),
        properties: Mapping[str, str] | None = None,
        actor: str,
        now: datetime,
    ) -> Arn:
        """The artifact with this type and source, created if missing (idempotent)."""
        arn = self.artifact_arn(artifact_type, source_uri, source_types)
        if not self._exists(conn, arn):
            self._insert(
                conn,
                arn=arn,
                lineage_type=LineageType.ARTIFACT,
                name=None,
                entity_type=artifact_type,
                source_uri=source_uri,
                source_types=source_types,
                properties=properties or {},
                tags={},
                actor=actor,
                now=now,
            )
        return arn

    def ensure_named(
        self,
        conn: Connection,
        lineage_type: LineageType,
        *,
        name: str,
        entity_type: str,
        source_uri: str,
        status: ActionStatus | None = None,
        properties: Mapping[str, str] | None = None,
        actor: str,
        now: datetime,
    ) -> Arn:
        """The action or context called ``name``, created if missing (idempotent)."""
        arn = self.arn(lineage_type, name)
        if not self._exists(conn, arn):
            self._insert(
                conn,
                arn=arn,
                lineage_type=lineage_type,
                name=name,
                entity_type=entity_type,
                source_uri=source_uri,
                status=status,
                properties=properties or {},
                tags={},
                actor=actor,
                now=now,
            )
        return arn

    def ensure_association(
        self,
        conn: Connection,
        source: Arn,
        destination: Arn,
        association_type: AssociationType,
        *,
        actor: str,
        now: datetime,
    ) -> bool:
        """Add the association unless the pair exists; one that would close a cycle is skipped
        (and logged). True when an association was added."""
        if source == destination or self._association(conn, source, destination) is not None:
            return False
        if reaches(conn, destination, source):
            log.warning("lineage.cycle_skipped source=%s destination=%s", source, destination)
            return False
        conn.execute(
            lineage_associations.insert().values(
                source_arn=source,
                destination_arn=destination,
                association_type=association_type.value,
                created_at=now,
                created_by=actor,
            )
        )
        return True

    def set_properties(
        self,
        conn: Connection,
        arn: Arn,
        properties: Mapping[str, str],
        *,
        actor: str,
        now: datetime,
    ) -> None:
        """Replace some properties of an entity (the event handlers' updates)."""
        self._set_properties(conn, arn, properties, ())
        conn.execute(
            lineage_entities.update()
            .where(lineage_entities.c.arn == arn)
            .values(last_modified_at=now, last_modified_by=actor)
        )

    # ------------------------------------------------------------------------------- queries

    def query(
        self,
        starts: Sequence[Arn],
        *,
        direction: Direction,
        max_depth: int | None,
        include_edges: bool,
        filters: QueryFilters | None,
    ) -> LineageQueryResult:
        """QueryLineage: walk from ``starts``; see :class:`LineageQueryResult`."""
        with self.db.read() as conn:
            return self._query(conn, starts, direction, max_depth, include_edges, filters)

    def _query(
        self,
        conn: Connection,
        starts: Sequence[Arn],
        direction: Direction,
        max_depth: int | None,
        include_edges: bool,
        filters: QueryFilters | None,
    ) -> LineageQueryResult:
        ways = (
            (Direction.ASCENDANTS, Direction.DESCENDANTS)
            if direction is Direction.BOTH
            else (direction,)
        )
        walks = {way: walk(conn, starts, way, max_depth) for way in ways}
        depths: dict[Arn, int] = {}
        for w in walks.values():
            for arn, depth in w.depths.items():
                depths[arn] = min(depth, depths.get(arn, depth))
        entities = load_entities(conn, depths)
        missing = [a for a in starts if a not in entities]
        if missing:
            raise NotFound(f"StartArns '{missing[0]}' names no lineage entity")
        start_set = set(starts)
        matches = {
            arn
            for arn, entity in entities.items()
            if arn not in start_set and (filters is None or filters.matches(entity))
        }
        keep = set(matches)
        edges: dict[tuple[Arn, Arn], Edge] = {}
        if include_edges:
            for way, w in walks.items():
                on = set(w.depths) if filters is None else on_paths(matches, w.edges, way)
                keep |= on
                for edge in w.edges:
                    if edge.source_arn in on and edge.destination_arn in on:
                        edges[(edge.source_arn, edge.destination_arn)] = edge
            keep |= {a for a in start_set if a in entities and (a in keep or not matches)}
        vertices = sorted(
            (Vertex(entity=entities[a], depth=depths[a]) for a in keep if a in entities),
            key=lambda v: (v.depth, v.arn),
        )
        return LineageQueryResult(
            start_arns=tuple(starts),
            direction=direction,
            vertices=tuple(vertices),
            edges=tuple(sorted(edges.values(), key=lambda e: (e.source_arn, e.destination_arn))),
        )

    def resolve(
        self, conn: Connection, ref: str, *, lineage_type: LineageType, entity_type: str | None
    ) -> list[Arn]:
        """The entities ``ref`` names: itself when it is one of ours, else those whose source
        URI is ``ref`` (of ``entity_type`` when given)."""
        if ref.startswith("arn:") and self._exists(conn, ref):
            return [Arn(ref)]
        return [
            e.arn
            for e in self.find_by_source(conn, ref, lineage_type=lineage_type)
            if entity_type is None or e.type == entity_type
        ]

    def endpoints_for_dataset(self, dataset: str) -> tuple[LineageEntity, ...]:
        """Every endpoint that ever served a model trained on ``dataset`` (an artifact ARN, or
        a source URI: every content version of it): the Model artifacts downstream of the
        dataset, then the Endpoint contexts downstream of those models."""
        with self.db.read() as conn:
            starts = self.resolve(
                conn, dataset, lineage_type=LineageType.ARTIFACT, entity_type=None
            )
            if not starts:
                raise NotFound(f"Dataset '{dataset}' is not in the lineage graph")
            models = self._query(
                conn, starts, Direction.DESCENDANTS, None, False, QueryFilters(types=(MODEL,))
            )
            if not models.vertices:
                return ()
            endpoints = self._query(
                conn,
                [v.arn for v in models.vertices],
                Direction.DESCENDANTS,
                None,
                False,
                QueryFilters(types=(ENDPOINT,), lineage_types=(LineageType.CONTEXT,)),
            )
        return tuple(v.entity for v in sorted(endpoints.vertices, key=lambda v: v.arn))

    def endpoint_provenance(self, endpoint: str) -> tuple[ModelProvenance, ...]:
        """What produced the models an endpoint served, newest deployment first: for each model
        upstream of the endpoint, its deployment and package (when on the path), the entities
        that Produced it and what contributed to those."""
        with self.db.read() as conn:
            starts = self.resolve(
                conn, endpoint, lineage_type=LineageType.CONTEXT, entity_type=ENDPOINT
            )
            if len(starts) != 1:
                raise NotFound(f"Endpoint '{endpoint}' is not in the lineage graph")
            up = self._query(conn, starts, Direction.ASCENDANTS, None, True, None)
        return provenance(up)

    # ------------------------------------------------------------------------------ handlers

    def known_datasets(self, conn: Connection, source_uri: str) -> list[LineageEntity]:
        """DataSet artifacts recorded for ``source_uri`` (every content version)."""
        return [
            e
            for e in self.find_by_source(conn, source_uri, lineage_type=LineageType.ARTIFACT)
            if e.type == "DataSet"
        ]


def provenance(up: LineageQueryResult) -> tuple[ModelProvenance, ...]:
    """:meth:`LineageService.endpoint_provenance` over an ascendant walk with edges."""
    endpoint = up.vertex(up.start_arns[0])
    if endpoint is None:
        return ()
    by_arn = {v.arn: v.entity for v in up.vertices}
    into = adjacency(up.edges)
    out: dict[Arn, list[Arn]] = {}
    for edge in up.edges:
        out.setdefault(edge.source_arn, []).append(edge.destination_arn)

    def downstream(origin: Arn) -> set[Arn]:
        seen: set[Arn] = set()
        stack = [origin]
        while stack:
            for nxt in out.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    results: list[ModelProvenance] = []
    for model in (v.entity for v in up.vertices if v.type == MODEL):
        below = downstream(model.arn)
        producers = [
            by_arn[e.source_arn]
            for e in into.get(model.arn, ())
            if e.association_type is AssociationType.PRODUCED and e.source_arn in by_arn
        ]
        inputs = {
            e.source_arn: by_arn[e.source_arn]
            for p in producers
            for e in into.get(p.arn, ())
            if e.source_arn in by_arn
        }
        deployments: list[LineageEntity | None] = [
            by_arn[a] for a in below if by_arn[a].type == MODEL_DEPLOYMENT
        ]
        for deployment in deployments or [None]:
            on_way = below if deployment is None else below & _upstream_of(deployment.arn, into)
            packages = sorted(
                (by_arn[a] for a in on_way if by_arn[a].type == MODEL_PACKAGE),
                key=lambda e: e.created_at,
            )
            results.append(
                ModelProvenance(
                    endpoint=endpoint.entity,
                    deployment=deployment,
                    model_package=packages[-1] if packages else None,
                    model=model,
                    producers=tuple(sorted(producers, key=lambda e: e.arn)),
                    inputs=tuple(sorted(inputs.values(), key=lambda e: e.arn)),
                    deployed_at=deployment.created_at if deployment is not None else None,
                )
            )
    far_past = datetime.min.replace(tzinfo=UTC)
    results.sort(key=lambda p: (p.deployed_at or far_past, p.model.arn), reverse=True)
    return tuple(results)


def _upstream_of(origin: Arn, into: Mapping[Arn, list[Edge]]) -> set[Arn]:
    seen: set[Arn] = set()
    stack = [origin]
    while stack:
        for edge in into.get(stack.pop(), ()):
            if edge.source_arn not in seen:
                seen.add(edge.source_arn)
                stack.append(edge.source_arn)
    return seen


__all__ = ["LOCK", "LineageService", "load_entities", "provenance", "uri_hash"]
