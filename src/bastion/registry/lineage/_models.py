"""Values of the lineage graph (SageMaker ML Lineage Tracking semantics).

Entities are artifacts (URI-addressable data: a dataset, a model file, an image, a baseline),
actions (something that ran: a training job, a deployment, an approval) and contexts (a logical
grouping: an endpoint, a model package group). Associations are directed, typed edges between
two entities, at most one per (source, destination).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bastion.types import Arn


class LineageType(StrEnum):
    """The kind of a lineage entity (SageMaker's ``LineageType``)."""

    ARTIFACT = "Artifact"
    ACTION = "Action"
    CONTEXT = "Context"


class AssociationType(StrEnum):
    """What an association says (SageMaker's suggested uses; no rule is enforced on them)."""

    CONTRIBUTED_TO = "ContributedTo"
    """The source had a part in the destination (training data → training job)."""
    ASSOCIATED_WITH = "AssociatedWith"
    """The source is connected to the destination (a deployment → its endpoint)."""
    DERIVED_FROM = "DerivedFrom"
    """The destination is a modification of the source (a dataset's next version)."""
    PRODUCED = "Produced"
    """The source generated the destination (a training job → the model)."""
    SAME_AS = "SameAs"
    """The two entities stand for the same thing."""


class Direction(StrEnum):
    """Which way QueryLineage walks from its start entities."""

    ASCENDANTS = "Ascendants"
    """Upstream: against the associations (what led to the start)."""
    DESCENDANTS = "Descendants"
    """Downstream: along the associations (what the start led to)."""
    BOTH = "Both"
    """Upstream and downstream of the start (not a walk in every direction at every step)."""


class ActionStatus(StrEnum):
    """An action's ``Status``."""

    UNKNOWN = "Unknown"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


@dataclass(frozen=True, kw_only=True)
class LineageEntity:
    """An artifact, action or context (DescribeArtifact / DescribeAction / DescribeContext).

    ``type`` is the ArtifactType, ActionType or ContextType (``DataSet``, ``TrainingJob``,
    ``Endpoint`` …). Artifacts carry ``source_types`` (content ids such as ``S3ETag``); actions
    and contexts carry ``source_type``/``source_id``; only actions have a ``status``.
    """

    arn: Arn
    lineage_type: LineageType
    name: str | None
    type: str
    source_uri: str
    source_types: tuple[Mapping[str, str], ...] = ()
    source_type: str | None = None
    source_id: str | None = None
    description: str | None = None
    status: ActionStatus | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime
    created_by: str
    last_modified_at: datetime
    last_modified_by: str

    @property
    def label(self) -> str:
        """A short human name: the entity's name, else the last segment of its source URI."""
        if self.name:
            return self.name
        tail = self.source_uri.rstrip("/").rsplit("/", 1)[-1]
        return tail or self.source_uri


@dataclass(frozen=True, kw_only=True)
class Association:
    """One edge (ListAssociations' ``AssociationSummary``)."""

    source_arn: Arn
    destination_arn: Arn
    association_type: AssociationType
    source_type: str
    destination_type: str
    source_name: str | None
    destination_name: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, kw_only=True)
class Vertex:
    """An entity reached by a query, with its distance (in associations) from the start."""

    entity: LineageEntity
    depth: int

    @property
    def arn(self) -> Arn:
        return self.entity.arn

    @property
    def type(self) -> str:
        return self.entity.type

    @property
    def lineage_type(self) -> LineageType:
        return self.entity.lineage_type


@dataclass(frozen=True, kw_only=True)
class Edge:
    """A directed association on a query's paths (QueryLineage's ``Edge``)."""

    source_arn: Arn
    destination_arn: Arn
    association_type: AssociationType


@dataclass(frozen=True, kw_only=True)
class QueryFilters:
    """Which reached entities a query returns (QueryLineage's ``Filters``).

    Every given filter must match; ``properties`` matches when *any* pair matches (as SageMaker).
    Times must carry a time zone.
    """

    types: tuple[str, ...] = ()
    lineage_types: tuple[LineageType, ...] = ()
    created_before: datetime | None = None
    created_after: datetime | None = None
    modified_before: datetime | None = None
    modified_after: datetime | None = None
    properties: Mapping[str, str] = field(default_factory=dict)

    def matches(self, entity: LineageEntity) -> bool:
        """Whether ``entity`` passes every filter."""
        if self.types and entity.type not in self.types:
            return False
        if self.lineage_types and entity.lineage_type not in self.lineage_types:
            return False
        if self.created_before is not None and not entity.created_at < self.created_before:
            return False
        if self.created_after is not None and not entity.created_at > self.created_after:
            return False
        if self.modified_before is not None and not entity.last_modified_at < self.modified_before:
            return False
        if self.modified_after is not None and not entity.last_modified_at > self.modified_after:
            return False
        return not self.properties or any(
            entity.properties.get(k) == v for k, v in self.properties.items()
        )


@dataclass(frozen=True, kw_only=True)
class LineageQueryResult:
    """What QueryLineage returns: the entities reached and, with ``IncludeEdges``, the edges on
    the paths to them (the start entities are then among the vertices, at depth 0)."""

    start_arns: tuple[Arn, ...]
    direction: Direction
    vertices: tuple[Vertex, ...]
    edges: tuple[Edge, ...] = ()

    def vertex(self, arn: str) -> Vertex | None:
        """The vertex for ``arn``, if the query reached it."""
        return next((v for v in self.vertices if v.arn == arn), None)

    def of_type(self, entity_type: str) -> tuple[Vertex, ...]:
        """The vertices whose ArtifactType/ActionType/ContextType is ``entity_type``."""
        return tuple(v for v in self.vertices if v.type == entity_type)


@dataclass(frozen=True, kw_only=True)
class EntityListing:
    """One page of ListArtifacts / ListActions / ListContexts; pass ``next_token`` back."""

    entities: tuple[LineageEntity, ...]
    next_token: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssociationListing:
    """One page of ListAssociations; pass ``next_token`` back."""

    associations: tuple[Association, ...]
    next_token: str | None = None


@dataclass(frozen=True, kw_only=True)
class ModelProvenance:
    """What produced one model an endpoint served: the deployment, the package, the model
    artifact, the actions that produced it and what contributed to those actions."""

    endpoint: LineageEntity
    deployment: LineageEntity | None
    model_package: LineageEntity | None
    model: LineageEntity
    producers: tuple[LineageEntity, ...]
    inputs: tuple[LineageEntity, ...]
    deployed_at: datetime | None


__all__ = [
    "ActionStatus",
    "Association",
    "AssociationListing",
    "AssociationType",
    "Direction",
    "Edge",
    "EntityListing",
    "LineageEntity",
    "LineageQueryResult",
    "LineageType",
    "ModelProvenance",
    "QueryFilters",
    "Vertex",
]
