"""The lineage graph (SageMaker ML Lineage Tracking semantics): artifacts, actions, contexts and
typed associations; upstream/downstream walks to any depth; OpenLineage and Mermaid exports;
edges added automatically from other rooms' events."""

from bastion.registry.lineage import (
    _actions,  # noqa: F401  (registers the lineage actions)
    _handlers,  # noqa: F401  (subscribes to other rooms' events)
)
from bastion.registry.lineage._client import LineageClient, LineageRuntime
from bastion.registry.lineage._export import (
    mermaid_graph,
    mermaid_label,
    openlineage_events,
    openlineage_json,
    write_openlineage,
)
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

__all__ = [
    "ActionStatus",
    "Association",
    "AssociationListing",
    "AssociationType",
    "Direction",
    "Edge",
    "EntityListing",
    "LineageClient",
    "LineageEntity",
    "LineageQueryResult",
    "LineageRuntime",
    "LineageType",
    "ModelProvenance",
    "QueryFilters",
    "Vertex",
    "mermaid_graph",
    "mermaid_label",
    "openlineage_events",
    "openlineage_json",
    "write_openlineage",
]
