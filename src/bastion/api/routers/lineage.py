"""``/lineage``: the lineage graph (SageMaker ML Lineage Tracking semantics), JSON in and out.

Artifacts are addressed by their id (the 32 hex digits ending their ARN), actions and contexts by
name; associations and queries take full ARNs, as SageMaker's API does. ``POST /lineage/query``
is QueryLineage (``Vertices`` and ``Edges``); ``/lineage/questions/…`` answer "which endpoints ever
served a model trained on this dataset" and "what produced this endpoint's model"; the export
routes render a query as OpenLineage run events or as Mermaid text. Each route is one
:class:`~bastion.registry.lineage.LineageClient` call through the gate.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from bastion.api._app import RuntimeDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses, hidden_as_not_found
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.registry.lineage import (
    Association,
    LineageClient,
    LineageEntity,
    LineageQueryResult,
    LineageType,
    ModelProvenance,
    QueryFilters,
    mermaid_graph,
    openlineage_events,
    openlineage_json,
)

router = APIRouter(prefix="/lineage", tags=["lineage"], responses=error_responses(403, 404, 409))


def lineage_client(runtime: RuntimeDep) -> LineageClient:
    """The lineage graph as the caller."""
    return LineageClient(runtime)


LineageDep = Annotated[LineageClient, Depends(lineage_client)]


# ------------------------------------------------------------------------------------ models


class SourceTypeIn(RequestModel):
    SourceIdType: Literal["MD5Hash", "S3ETag", "S3Version", "Custom"]
    Value: str = Field(max_length=256)


class ArtifactSourceIn(RequestModel):
    SourceUri: str = Field(max_length=2048)
    SourceTypes: list[SourceTypeIn] = Field(default_factory=list, max_length=10)


class EntitySourceIn(RequestModel):
    SourceUri: str = Field(max_length=2048)
    SourceType: str | None = Field(default=None, max_length=256)
    SourceId: str | None = Field(default=None, max_length=256)


class CreateArtifactBody(RequestModel):
    ArtifactType: str = Field(max_length=256)
    Source: ArtifactSourceIn
    ArtifactName: str | None = Field(default=None, max_length=256)
    Properties: dict[str, str] | None = None
    Tags: dict[str, str] | None = None


class CreateActionBody(RequestModel):
    ActionName: str = Field(max_length=256)
    ActionType: str = Field(max_length=256)
    Source: EntitySourceIn
    Status: str = "Unknown"
    Description: str | None = Field(default=None, max_length=3072)
    Properties: dict[str, str] | None = None
    Tags: dict[str, str] | None = None


class UpdateActionBody(RequestModel):
    Status: str | None = None
    Description: str | None = Field(default=None, max_length=3072)
    Properties: dict[str, str] | None = None
    PropertiesToRemove: list[str] = Field(default_factory=list, max_length=30)


class CreateContextBody(RequestModel):
    ContextName: str = Field(max_length=256)
    ContextType: str = Field(max_length=256)
    Source: EntitySourceIn
    Description: str | None = Field(default=None, max_length=3072)
    Properties: dict[str, str] | None = None
    Tags: dict[str, str] | None = None


class AddAssociationBody(RequestModel):
    SourceArn: str = Field(max_length=256)
    DestinationArn: str = Field(max_length=256)
    AssociationType: str = "AssociatedWith"


class FiltersIn(RequestModel):
    Types: list[str] = Field(default_factory=list, max_length=20)
    LineageTypes: list[Literal["Artifact", "Action", "Context"]] = Field(
        default_factory=list, max_length=3
    )
    CreatedBefore: dt.datetime | None = None
    CreatedAfter: dt.datetime | None = None
    ModifiedBefore: dt.datetime | None = None
    ModifiedAfter: dt.datetime | None = None
    Properties: dict[str, str] = Field(default_factory=dict)


class QueryBody(RequestModel):
    StartArns: list[str] = Field(min_length=1, max_length=1)
    Direction: str = "Both"
    IncludeEdges: bool = True
    MaxDepth: int | None = 10
    Filters: FiltersIn | None = None


class SourceTypeOut(ResponseModel):
    SourceIdType: str
    Value: str


class EntityOut(ResponseModel):
    Arn: str
    LineageType: str
    Name: str | None
    Type: str
    SourceUri: str
    SourceTypes: list[SourceTypeOut]
    SourceType: str | None
    SourceId: str | None
    Description: str | None
    Status: str | None
    Properties: dict[str, str]
    Tags: dict[str, str]
    CreationTime: Timestamp
    CreatedBy: str
    LastModifiedTime: Timestamp
    LastModifiedBy: str


class EntityResponse(ResponseModel):
    Entity: EntityOut


class EntityListResponse(ResponseModel):
    Entities: list[EntityOut]
    NextToken: str | None


class AssociationOut(ResponseModel):
    SourceArn: str
    DestinationArn: str
    AssociationType: str
    SourceType: str
    DestinationType: str
    SourceName: str | None
    DestinationName: str | None
    CreationTime: Timestamp
    CreatedBy: str


class AssociationResponse(ResponseModel):
    Association: AssociationOut


class AssociationListResponse(ResponseModel):
    AssociationSummaries: list[AssociationOut]
    NextToken: str | None


class VertexOut(ResponseModel):
    Arn: str
    Type: str
    LineageType: str
    Depth: int


class EdgeOut(ResponseModel):
    SourceArn: str
    DestinationArn: str
    AssociationType: str


class QueryResponse(ResponseModel):
    Vertices: list[VertexOut]
    Edges: list[EdgeOut]


class EndpointsResponse(ResponseModel):
    Endpoints: list[EntityOut]


class ProvenanceOut(ResponseModel):
    Endpoint: EntityOut
    Deployment: EntityOut | None
    ModelPackage: EntityOut | None
    Model: EntityOut
    Producers: list[EntityOut]
    Inputs: list[EntityOut]
    DeployedAt: Timestamp | None


class ProvenanceResponse(ResponseModel):
    Models: list[ProvenanceOut]


class OpenLineageResponse(ResponseModel):
    Events: list[dict[str, Any]]


class MermaidResponse(ResponseModel):
    Mermaid: str


# ------------------------------------------------------------------------------------ helpers


def _entity(e: LineageEntity) -> EntityOut:
    return EntityOut(
        Arn=e.arn,
        LineageType=e.lineage_type.value,
        Name=e.name,
        Type=e.type,
        SourceUri=e.source_uri,
        SourceTypes=[
            SourceTypeOut(SourceIdType=t["SourceIdType"], Value=t["Value"]) for t in e.source_types
        ],
        SourceType=e.source_type,
        SourceId=e.source_id,
        Description=e.description,
        Status=e.status.value if e.status is not None else None,
        Properties=dict(e.properties),
        Tags=dict(e.tags),
        CreationTime=e.created_at,
        CreatedBy=e.created_by,
        LastModifiedTime=e.last_modified_at,
        LastModifiedBy=e.last_modified_by,
    )


def _association(a: Association) -> AssociationOut:
    return AssociationOut(
        SourceArn=a.source_arn,
        DestinationArn=a.destination_arn,
        AssociationType=a.association_type.value,
        SourceType=a.source_type,
        DestinationType=a.destination_type,
        SourceName=a.source_name,
        DestinationName=a.destination_name,
        CreationTime=a.created_at,
        CreatedBy=a.created_by,
    )


def _provenance(p: ModelProvenance) -> ProvenanceOut:
    return ProvenanceOut(
        Endpoint=_entity(p.endpoint),
        Deployment=_entity(p.deployment) if p.deployment is not None else None,
        ModelPackage=_entity(p.model_package) if p.model_package is not None else None,
        Model=_entity(p.model),
        Producers=[_entity(e) for e in p.producers],
        Inputs=[_entity(e) for e in p.inputs],
        DeployedAt=p.deployed_at,
    )


def _not_found(what: str) -> str:
    return f"Lineage entity '{what}' not found"


def _filters(body: FiltersIn | None) -> QueryFilters | None:
    if body is None:
        return None
    return QueryFilters(
        types=tuple(body.Types),
        lineage_types=tuple(LineageType(t) for t in body.LineageTypes),
        created_before=body.CreatedBefore,
        created_after=body.CreatedAfter,
        modified_before=body.ModifiedBefore,
        modified_after=body.ModifiedAfter,
        properties=body.Properties,
    )


def _query(body: QueryBody, lineage: LineageClient, caller: CallerDep) -> LineageQueryResult:
    return lineage.query_lineage(
        body.StartArns[0],
        direction=body.Direction,
        include_edges=body.IncludeEdges,
        max_depth=body.MaxDepth,
        filters=_filters(body.Filters),
        context=caller.context,
    )


# ---------------------------------------------------------------------------------- artifacts


@router.post("/artifacts", name="CreateArtifact")
def create_artifact(
    body: CreateArtifactBody, lineage: LineageDep, caller: CallerDep
) -> EntityResponse:
    """Record an artifact; its id is a hash of its type and source (409 when it exists)."""
    created = lineage.create_artifact(
        body.ArtifactType,
        body.Source.SourceUri,
        source_types=[t.model_dump() for t in body.Source.SourceTypes],
        name=body.ArtifactName,
        properties=body.Properties,
        tags=body.Tags,
        context=caller.context,
    )
    return EntityResponse(Entity=_entity(created))


@router.get("/artifacts", name="ListArtifacts")
def list_artifacts(
    lineage: LineageDep,
    caller: CallerDep,
    source_uri: Annotated[str | None, Query(alias="source-uri", max_length=2048)] = None,
    artifact_type: Annotated[str | None, Query(alias="artifact-type", max_length=64)] = None,
    created_after: Annotated[dt.datetime | None, Query(alias="created-after")] = None,
    created_before: Annotated[dt.datetime | None, Query(alias="created-before")] = None,
    max_results: Annotated[int, Query(alias="max-results")] = 100,
    next_token: Annotated[str | None, Query(alias="next-token", max_length=2048)] = None,
) -> EntityListResponse:
    """One page of artifacts, oldest first; pass ``NextToken`` back for more."""
    page = lineage.list_artifacts(
        source_uri=source_uri,
        artifact_type=artifact_type,
        created_after=created_after,
        created_before=created_before,
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return EntityListResponse(
        Entities=[_entity(e) for e in page.entities], NextToken=page.next_token
    )


@router.get("/artifacts/{artifact_id}", name="DescribeArtifact")
def describe_artifact(artifact_id: str, lineage: LineageDep, caller: CallerDep) -> EntityResponse:
    """The artifact whose ARN ends with ``artifact_id``."""
    arn = lineage.arn_for(LineageType.ARTIFACT, artifact_id)
    with hidden_as_not_found("sagemaker:DescribeArtifact", _not_found(arn)):
        found = lineage.describe_artifact(arn, context=caller.context)
    return EntityResponse(Entity=_entity(found))


@router.delete("/artifacts/{artifact_id}", name="DeleteArtifact", status_code=204)
def delete_artifact(
    artifact_id: str, lineage: LineageDep, caller: CallerDep, disassociate: bool = False
) -> Response:
    """Delete an artifact (409 while associations touch it, unless ``disassociate=true``)."""
    lineage.delete_artifact(
        lineage.arn_for(LineageType.ARTIFACT, artifact_id),
        disassociate=disassociate,
        context=caller.context,
    )
    return Response(status_code=204)


# ----------------------------------------------------------------------------------- actions


@router.post("/actions", name="CreateAction")
def create_action(body: CreateActionBody, lineage: LineageDep, caller: CallerDep) -> EntityResponse:
    """Record an action (a training job, a deployment …)."""
    created = lineage.create_action(
        body.ActionName,
        body.ActionType,
        body.Source.SourceUri,
        source_type=body.Source.SourceType,
        source_id=body.Source.SourceId,
        status=body.Status,
        description=body.Description,
        properties=body.Properties,
        tags=body.Tags,
        context=caller.context,
    )
    return EntityResponse(Entity=_entity(created))


@router.get("/actions", name="ListActions")
def list_actions(
    lineage: LineageDep,
    caller: CallerDep,
    source_uri: Annotated[str | None, Query(alias="source-uri", max_length=2048)] = None,
    action_type: Annotated[str | None, Query(alias="action-type", max_length=64)] = None,
    created_after: Annotated[dt.datetime | None, Query(alias="created-after")] = None,
    created_before: Annotated[dt.datetime | None, Query(alias="created-before")] = None,
    max_results: Annotated[int, Query(alias="max-results")] = 100,
    next_token: Annotated[str | None, Query(alias="next-token", max_length=2048)] = None,
) -> EntityListResponse:
    """One page of actions, oldest first; pass ``NextToken`` back for more."""
    page = lineage.list_actions(
        source_uri=source_uri,
        action_type=action_type,
        created_after=created_after,
        created_before=created_before,
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return EntityListResponse(
        Entities=[_entity(e) for e in page.entities], NextToken=page.next_token
    )


@router.get("/actions/{name}", name="DescribeAction")
def describe_action(name: str, lineage: LineageDep, caller: CallerDep) -> EntityResponse:
    """The action called ``name``."""
    with hidden_as_not_found("sagemaker:DescribeAction", _not_found(name)):
        found = lineage.describe_action(name, context=caller.context)
    return EntityResponse(Entity=_entity(found))


@router.patch("/actions/{name}", name="UpdateAction")
def update_action(
    name: str, body: UpdateActionBody, lineage: LineageDep, caller: CallerDep
) -> EntityResponse:
    """Change an action's status or description; set and remove properties."""
    updated = lineage.update_action(
        name,
        status=body.Status,
        description=body.Description,
        properties=body.Properties,
        remove_properties=body.PropertiesToRemove,
        context=caller.context,
    )
    return EntityResponse(Entity=_entity(updated))


@router.delete("/actions/{name}", name="DeleteAction", status_code=204)
def delete_action(
    name: str, lineage: LineageDep, caller: CallerDep, disassociate: bool = False
) -> Response:
    """Delete an action (409 while associations touch it, unless ``disassociate=true``)."""
    lineage.delete_action(name, disassociate=disassociate, context=caller.context)
    return Response(status_code=204)


# ---------------------------------------------------------------------------------- contexts


@router.post("/contexts", name="CreateContext")
def create_context(
    body: CreateContextBody, lineage: LineageDep, caller: CallerDep
) -> EntityResponse:
    """Record a context (an endpoint, a model package group …)."""
    created = lineage.create_context(
        body.ContextName,
        body.ContextType,
        body.Source.SourceUri,
        source_type=body.Source.SourceType,
        source_id=body.Source.SourceId,
        description=body.Description,
        properties=body.Properties,
        tags=body.Tags,
        context=caller.context,
    )
    return EntityResponse(Entity=_entity(created))


@router.get("/contexts", name="ListContexts")
def list_contexts(
    lineage: LineageDep,
    caller: CallerDep,
    source_uri: Annotated[str | None, Query(alias="source-uri", max_length=2048)] = None,
    context_type: Annotated[str | None, Query(alias="context-type", max_length=64)] = None,
    created_after: Annotated[dt.datetime | None, Query(alias="created-after")] = None,
    created_before: Annotated[dt.datetime | None, Query(alias="created-before")] = None,
    max_results: Annotated[int, Query(alias="max-results")] = 100,
    next_token: Annotated[str | None, Query(alias="next-token", max_length=2048)] = None,
) -> EntityListResponse:
    """One page of contexts, oldest first; pass ``NextToken`` back for more."""
    page = lineage.list_contexts(
        source_uri=source_uri,
        context_type=context_type,
        created_after=created_after,
        created_before=created_before,
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return EntityListResponse(
        Entities=[_entity(e) for e in page.entities], NextToken=page.next_token
    )


@router.get("/contexts/{name}", name="DescribeContext")
def describe_context(name: str, lineage: LineageDep, caller: CallerDep) -> EntityResponse:
    """The context called ``name``."""
    with hidden_as_not_found("sagemaker:DescribeContext", _not_found(name)):
        found = lineage.describe_context(name, context=caller.context)
    return EntityResponse(Entity=_entity(found))


@router.delete("/contexts/{name}", name="DeleteContext", status_code=204)
def delete_context(
    name: str, lineage: LineageDep, caller: CallerDep, disassociate: bool = False
) -> Response:
    """Delete a context (409 while associations touch it, unless ``disassociate=true``)."""
    lineage.delete_context(name, disassociate=disassociate, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------ associations


@router.post("/associations", name="AddAssociation")
def add_association(
    body: AddAssociationBody, lineage: LineageDep, caller: CallerDep
) -> AssociationResponse:
    """Add a typed edge; 409 when the pair exists or when it would close a cycle."""
    added = lineage.add_association(
        body.SourceArn, body.DestinationArn, body.AssociationType, context=caller.context
    )
    return AssociationResponse(Association=_association(added))


@router.delete("/associations", name="DeleteAssociation", status_code=204)
def delete_association(
    source_arn: Annotated[str, Query(alias="source-arn", max_length=256)],
    destination_arn: Annotated[str, Query(alias="destination-arn", max_length=256)],
    lineage: LineageDep,
    caller: CallerDep,
) -> Response:
    """Remove the edge between two entities (404 when there is none)."""
    lineage.delete_association(source_arn, destination_arn, context=caller.context)
    return Response(status_code=204)


@router.get("/associations", name="ListAssociations")
def list_associations(
    lineage: LineageDep,
    caller: CallerDep,
    source_arn: Annotated[str | None, Query(alias="source-arn", max_length=256)] = None,
    destination_arn: Annotated[str | None, Query(alias="destination-arn", max_length=256)] = None,
    association_type: Annotated[str | None, Query(alias="association-type", max_length=32)] = None,
    source_type: Annotated[str | None, Query(alias="source-type", max_length=64)] = None,
    destination_type: Annotated[str | None, Query(alias="destination-type", max_length=64)] = None,
    max_results: Annotated[int, Query(alias="max-results")] = 100,
    next_token: Annotated[str | None, Query(alias="next-token", max_length=2048)] = None,
) -> AssociationListResponse:
    """One page of associations, oldest first; pass ``NextToken`` back for more."""
    page = lineage.list_associations(
        source_arn=source_arn,
        destination_arn=destination_arn,
        association_type=association_type,
        source_type=source_type,
        destination_type=destination_type,
        max_results=max_results,
        next_token=next_token,
        context=caller.context,
    )
    return AssociationListResponse(
        AssociationSummaries=[_association(a) for a in page.associations],
        NextToken=page.next_token,
    )


# ----------------------------------------------------------------------------------- queries


@router.post("/query", name="QueryLineage")
def query_lineage(body: QueryBody, lineage: LineageDep, caller: CallerDep) -> QueryResponse:
    """Walk from ``StartArns[0]`` (``Ascendants``, ``Descendants`` or ``Both``), at most
    ``MaxDepth`` associations far (``null``: any depth), returning entities that match
    ``Filters`` and, with ``IncludeEdges``, the entities and edges on the paths to them."""
    result = _query(body, lineage, caller)
    return QueryResponse(
        Vertices=[
            VertexOut(Arn=v.arn, Type=v.type, LineageType=v.lineage_type.value, Depth=v.depth)
            for v in result.vertices
        ],
        Edges=[
            EdgeOut(
                SourceArn=e.source_arn,
                DestinationArn=e.destination_arn,
                AssociationType=e.association_type.value,
            )
            for e in result.edges
        ],
    )


@router.get("/questions/endpoints-for-dataset", name="EndpointsForDataset")
def endpoints_for_dataset(
    dataset: Annotated[str, Query(max_length=2048)], lineage: LineageDep, caller: CallerDep
) -> EndpointsResponse:
    """Every endpoint that ever served a model trained on ``dataset`` (an artifact ARN, or a
    source URI meaning every content version of it)."""
    found = lineage.endpoints_for_dataset(dataset, context=caller.context)
    return EndpointsResponse(Endpoints=[_entity(e) for e in found])


@router.get("/questions/endpoint-provenance", name="EndpointProvenance")
def endpoint_provenance(
    endpoint: Annotated[str, Query(max_length=2048)], lineage: LineageDep, caller: CallerDep
) -> ProvenanceResponse:
    """What produced the model(s) ``endpoint`` served, newest deployment first."""
    found = lineage.endpoint_provenance(endpoint, context=caller.context)
    return ProvenanceResponse(Models=[_provenance(p) for p in found])


@router.post("/export/openlineage", name="ExportOpenLineage")
def export_openlineage(
    body: QueryBody, lineage: LineageDep, caller: CallerDep
) -> OpenLineageResponse:
    """The query's actions as OpenLineage run events (query with ``IncludeEdges``)."""
    events = openlineage_events(_query(body, lineage, caller))
    return OpenLineageResponse(Events=[json.loads(line) for line in openlineage_json(events)])


@router.post("/export/mermaid", name="ExportMermaid")
def export_mermaid(body: QueryBody, lineage: LineageDep, caller: CallerDep) -> MermaidResponse:
    """The query's entities and edges as a Mermaid ``graph LR`` (labels escaped)."""
    return MermaidResponse(Mermaid=mermaid_graph(_query(body, lineage, caller)))


__all__ = ["LineageDep", "lineage_client", "router"]
