"""The lineage graph as callers see it: every method is one action through the gate.

Names, ARNs, URIs, types and properties are validated before the call reaches the gate, so a
malformed value never reaches the database or the trail; whatever depends on stored state (a
missing entity, a duplicate, a cycle) is decided inside the audited call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bastion.access import Principal, ResourceInfo, request_tag_keys
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import BastionError, Invalid
from bastion.gate import Gate, RequestContext
from bastion.registry.lineage import _actions as actions
from bastion.registry.lineage._models import (
    ActionStatus,
    Association,
    AssociationListing,
    AssociationType,
    Direction,
    EntityListing,
    LineageEntity,
    LineageQueryResult,
    LineageType,
    ModelProvenance,
    QueryFilters,
)
from bastion.registry.lineage._names import (
    enum_value,
    listing_arn,
    parse_arn,
    validate_association_type,
    validate_depth,
    validate_description,
    validate_direction,
    validate_filters,
    validate_max_results,
    validate_name,
    validate_optional_text,
    validate_properties,
    validate_source_types,
    validate_status,
    validate_tags,
    validate_type,
    validate_uri,
)
from bastion.registry.lineage._service import LineageService
from bastion.settings import Settings
from bastion.types import AccountId, Arn

T = TypeVar("T")

DEFAULT_MAX_RESULTS = 100
DEFAULT_QUERY_DEPTH = 10


class LineageRuntime(Protocol):
    """What the lineage graph needs from the runtime (``bastion._runtime.Runtime`` has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def gate(self) -> Gate: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def account_id(self) -> AccountId: ...


def _tagged(context: RequestContext | None, tags: Mapping[str, str]) -> RequestContext:
    ctx = context or RequestContext()
    extra = request_tag_keys(tags)
    return replace(ctx, extra={**ctx.extra, **extra}) if extra else ctx


def _time(value: object, field: str, operation: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid(field, got=value, expected="a datetime with a time zone", operation=operation)
    return value


def _flag(value: object, field: str, operation: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(field, got=value, expected="True or False", operation=operation)
    return value


def _source_params(uri: str, source_type: str | None, source_id: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {"SourceUri": uri}
    if source_type is not None:
        source["SourceType"] = source_type
    if source_id is not None:
        source["SourceId"] = source_id
    return source


class LineageClient:
    """Artifacts, actions, contexts and associations (SageMaker ML Lineage Tracking semantics).

    >>> lineage = LineageClient(bastion.runtime)  # doctest: +SKIP
    >>> data = lineage.create_artifact("DataSet", "s3://fraud-data/train.csv")  # doctest: +SKIP
    >>> lineage.downstream(data.arn).of_type("Endpoint")  # doctest: +SKIP
    """

    def __init__(self, runtime: LineageRuntime) -> None:
        self.runtime = runtime
        self._service = LineageService(
            db=runtime.db,
            clock=runtime.clock,
            account_id=runtime.account_id,
            region=runtime.settings.region,
        )
        for kind in (actions.ARTIFACT, actions.ACTION, actions.CONTEXT):
            runtime.gate.register_resource_provider(f"sagemaker:{kind}", self._resource_info)

    def _resource_info(self, arn: str) -> ResourceInfo | None:
        """An entity's tags for the authorizer (``aws:ResourceTag/…``); None when there is no
        such entity."""
        try:
            parse_arn(arn, field="resource", operation="authorize")
            return ResourceInfo(tags=self._service.describe(Arn(arn)).tags)
        except BastionError:
            return None

    def arn_for(self, lineage_type: LineageType, resource_id: str) -> Arn:
        """The ARN of an entity of this account and region (an artifact's id, or the name of an
        action or context); nothing is looked up."""
        return self._service.arn(lineage_type, resource_id)

    @property
    def _actor(self) -> str:
        return str(self.runtime.principal.arn)

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        return self.runtime.gate.call(
            self.runtime.principal,
            action,
            resource,
            params,
            handler,
            context=context,
            respond=respond,
        )

    def _arn(self, value: object, field: str, operation: str, kind: LineageType | None) -> Arn:
        lineage_type, arn = parse_arn(value, field=field, operation=operation)
        if kind is not None and lineage_type is not kind:
            raise Invalid(
                field,
                got=value,
                expected=f"the ARN of an {kind.value.lower()}",
                operation=operation,
            )
        return arn

    def _named(self, kind: LineageType, name: object, field: str, operation: str) -> Arn:
        return self._service.arn(kind, validate_name(name, field=field, operation=operation))

    def _listing(
        self,
        kind: LineageType,
        action: str,
        operation: str,
        type_field: str,
        *,
        entity_type: str | None,
        source_uri: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        max_results: int,
        next_token: str | None,
        context: RequestContext | None,
    ) -> EntityListing:
        if entity_type is not None:
            validate_type(entity_type, field=type_field, operation=operation)
        if source_uri is not None:
            validate_uri(source_uri, field="SourceUri", operation=operation)
        after = _time(created_after, "CreatedAfter", operation)
        before = _time(created_before, "CreatedBefore", operation)
        limit = validate_max_results(max_results, operation=operation)
        if next_token is not None and (not isinstance(next_token, str) or len(next_token) > 2048):
            raise Invalid("NextToken", got=next_token, expected="a NextToken", operation=operation)
        params: dict[str, Any] = {"MaxResults": limit}
        for key, value in (
            (type_field, entity_type),
            ("SourceUri", source_uri),
            ("CreatedAfter", after.isoformat() if after else None),
            ("CreatedBefore", before.isoformat() if before else None),
        ):
            if value is not None:
                params[key] = value
        return self._call(
            action,
            listing_arn(kind, self._service.region, self._service.account_id),
            params,
            lambda: self._service.list_entities(
                kind,
                entity_type=entity_type,
                source_uri=source_uri,
                created_after=after,
                created_before=before,
                max_results=limit,
                next_token=next_token,
                operation=operation,
            ),
            context,
        )

    def _delete(
        self,
        action: str,
        arn: Arn,
        params: dict[str, Any],
        disassociate: object,
        operation: str,
        context: RequestContext | None,
    ) -> None:
        flag = _flag(disassociate, "disassociate", operation)
        self._call(
            action,
            arn,
            {**params, "disassociate": flag},
            lambda: self._service.delete(arn, disassociate=flag),
            context,
            respond=lambda removed: {"associationsRemoved": removed},
        )

    # ----------------------------------------------------------------------------- artifacts

    def create_artifact(
        self,
        artifact_type: str,
        source_uri: str,
        *,
        source_types: Sequence[Mapping[str, str]] | None = None,
        name: str | None = None,
        properties: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> LineageEntity:
        """Record an artifact: data addressed by ``source_uri`` (``DataSet``, ``Model`` …).

        ``source_types`` pins its content (``[{"SourceIdType": "S3ETag", "Value": sha256}]``):
        the ARN is a hash of the type and source, so the same URI with other content is another
        artifact, and the same one again is a Conflict naming the existing ARN.
        """
        op = "CreateArtifact"
        kind = validate_type(artifact_type, field="ArtifactType", operation=op)
        uri = validate_uri(source_uri, field="SourceUri", operation=op)
        ids = validate_source_types(source_types, operation=op)
        clean_name = (
            None if name is None else validate_name(name, field="ArtifactName", operation=op)
        )
        props = validate_properties(properties, operation=op)
        clean_tags = validate_tags(tags, operation=op)
        arn = self._service.artifact_arn(kind, uri, ids)
        params: dict[str, Any] = {
            "ArtifactType": kind,
            "Source": {"SourceUri": uri, "SourceTypes": ids},
            "Properties": props,
            "Tags": clean_tags,
        }
        if clean_name is not None:
            params["ArtifactName"] = clean_name
        return self._call(
            actions.CREATE_ARTIFACT,
            arn,
            params,
            lambda: self._service.create_artifact(
                artifact_type=kind,
                source_uri=uri,
                source_types=ids,
                name=clean_name,
                properties=props,
                tags=clean_tags,
                actor=self._actor,
            ),
            _tagged(context, clean_tags),
            respond=lambda e: {"ArtifactArn": e.arn},
        )

    def describe_artifact(
        self, arn: str, *, context: RequestContext | None = None
    ) -> LineageEntity:
        """The artifact ``arn`` names."""
        artifact = self._arn(arn, "ArtifactArn", "DescribeArtifact", LineageType.ARTIFACT)
        return self._call(
            actions.DESCRIBE_ARTIFACT,
            artifact,
            {"ArtifactArn": artifact},
            lambda: self._service.describe(artifact),
            context,
        )

    def list_artifacts(
        self,
        *,
        source_uri: str | None = None,
        artifact_type: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> EntityListing:
        """One page of artifacts, oldest first; pass ``next_token`` back for the next."""
        return self._listing(
            LineageType.ARTIFACT,
            actions.LIST_ARTIFACTS,
            "ListArtifacts",
            "ArtifactType",
            entity_type=artifact_type,
            source_uri=source_uri,
            created_after=created_after,
            created_before=created_before,
            max_results=max_results,
            next_token=next_token,
            context=context,
        )

    def delete_artifact(
        self, arn: str, *, disassociate: bool = False, context: RequestContext | None = None
    ) -> None:
        """Delete an artifact; Conflict while associations touch it, unless ``disassociate``
        (then they are deleted with it)."""
        artifact = self._arn(arn, "ArtifactArn", "DeleteArtifact", LineageType.ARTIFACT)
        self._delete(
            actions.DELETE_ARTIFACT,
            artifact,
            {"ArtifactArn": artifact},
            disassociate,
            "DeleteArtifact",
            context,
        )

    # ------------------------------------------------------------------------------- actions

    def create_action(
        self,
        name: str,
        action_type: str,
        source_uri: str,
        *,
        source_type: str | None = None,
        source_id: str | None = None,
        status: ActionStatus | str = ActionStatus.UNKNOWN,
        description: str | None = None,
        properties: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> LineageEntity:
        """Record an action called ``name`` (``TrainingJob``, ``ModelDeployment`` …)."""
        op = "CreateAction"
        clean = validate_name(name, field="ActionName", operation=op)
        kind = validate_type(action_type, field="ActionType", operation=op)
        uri = validate_uri(source_uri, field="SourceUri", operation=op)
        stype = validate_optional_text(source_type, field="SourceType", limit=256, operation=op)
        sid = validate_optional_text(source_id, field="SourceId", limit=256, operation=op)
        state = validate_status(status, operation=op)
        text = validate_description(description, operation=op)
        props = validate_properties(properties, operation=op)
        clean_tags = validate_tags(tags, operation=op)
        arn = self._service.arn(LineageType.ACTION, clean)
        return self._call(
            actions.CREATE_ACTION,
            arn,
            {
                "ActionName": clean,
                "ActionType": kind,
                "Source": _source_params(uri, stype, sid),
                "Status": state.value,
                "Description": text,
                "Properties": props,
                "Tags": clean_tags,
            },
            lambda: self._service.create_named(
                LineageType.ACTION,
                name=clean,
                entity_type=kind,
                source_uri=uri,
                source_type=stype,
                source_id=sid,
                description=text,
                status=state,
                properties=props,
                tags=clean_tags,
                actor=self._actor,
            ),
            _tagged(context, clean_tags),
            respond=lambda e: {"ActionArn": e.arn},
        )

    def describe_action(self, name: str, *, context: RequestContext | None = None) -> LineageEntity:
        """The action called ``name``."""
        arn = self._named(LineageType.ACTION, name, "ActionName", "DescribeAction")
        return self._call(
            actions.DESCRIBE_ACTION,
            arn,
            {"ActionName": name},
            lambda: self._service.describe(arn),
            context,
        )

    def update_action(
        self,
        name: str,
        *,
        status: ActionStatus | str | None = None,
        description: str | None = None,
        properties: Mapping[str, str] | None = None,
        remove_properties: Sequence[str] = (),
        context: RequestContext | None = None,
    ) -> LineageEntity:
        """Change an action's status or description, set and remove properties."""
        op = "UpdateAction"
        arn = self._named(LineageType.ACTION, name, "ActionName", op)
        state = None if status is None else validate_status(status, operation=op)
        text = validate_description(description, operation=op)
        props = validate_properties(properties, operation=op)
        if isinstance(remove_properties, str) or not isinstance(remove_properties, Sequence):
            raise Invalid(
                "PropertiesToRemove",
                got=remove_properties,
                expected="a list of property names",
                operation=op,
            )
        removed = list(validate_properties(dict.fromkeys(remove_properties, ""), operation=op))
        params: dict[str, Any] = {"ActionName": name, "Properties": props}
        if state is not None:
            params["Status"] = state.value
        if text is not None:
            params["Description"] = text
        if removed:
            params["PropertiesToRemove"] = removed
        return self._call(
            actions.UPDATE_ACTION,
            arn,
            params,
            lambda: self._service.update_action(
                name,
                status=state,
                description=text,
                properties=props,
                remove_properties=removed,
                actor=self._actor,
            ),
            context,
        )

    def list_actions(
        self,
        *,
        source_uri: str | None = None,
        action_type: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> EntityListing:
        """One page of actions, oldest first; pass ``next_token`` back for the next."""
        return self._listing(
            LineageType.ACTION,
            actions.LIST_ACTIONS,
            "ListActions",
            "ActionType",
            entity_type=action_type,
            source_uri=source_uri,
            created_after=created_after,
            created_before=created_before,
            max_results=max_results,
            next_token=next_token,
            context=context,
        )

    def delete_action(
        self, name: str, *, disassociate: bool = False, context: RequestContext | None = None
    ) -> None:
        """Delete an action (see :meth:`delete_artifact` for ``disassociate``)."""
        arn = self._named(LineageType.ACTION, name, "ActionName", "DeleteAction")
        self._delete(
            actions.DELETE_ACTION, arn, {"ActionName": name}, disassociate, "DeleteAction", context
        )

    # ------------------------------------------------------------------------------ contexts

    def create_context(
        self,
        name: str,
        context_type: str,
        source_uri: str,
        *,
        source_type: str | None = None,
        source_id: str | None = None,
        description: str | None = None,
        properties: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> LineageEntity:
        """Record a context called ``name`` (``Endpoint``, ``ModelPackageGroup`` …)."""
        op = "CreateContext"
        clean = validate_name(name, field="ContextName", operation=op)
        kind = validate_type(context_type, field="ContextType", operation=op)
        uri = validate_uri(source_uri, field="SourceUri", operation=op)
        stype = validate_optional_text(source_type, field="SourceType", limit=256, operation=op)
        sid = validate_optional_text(source_id, field="SourceId", limit=256, operation=op)
        text = validate_description(description, operation=op)
        props = validate_properties(properties, operation=op)
        clean_tags = validate_tags(tags, operation=op)
        arn = self._service.arn(LineageType.CONTEXT, clean)
        return self._call(
            actions.CREATE_CONTEXT,
            arn,
            {
                "ContextName": clean,
                "ContextType": kind,
                "Source": _source_params(uri, stype, sid),
                "Description": text,
                "Properties": props,
                "Tags": clean_tags,
            },
            lambda: self._service.create_named(
                LineageType.CONTEXT,
                name=clean,
                entity_type=kind,
                source_uri=uri,
                source_type=stype,
                source_id=sid,
                description=text,
                status=None,
                properties=props,
                tags=clean_tags,
                actor=self._actor,
            ),
            _tagged(context, clean_tags),
            respond=lambda e: {"ContextArn": e.arn},
        )

    def describe_context(
        self, name: str, *, context: RequestContext | None = None
    ) -> LineageEntity:
        """The context called ``name``."""
        arn = self._named(LineageType.CONTEXT, name, "ContextName", "DescribeContext")
        return self._call(
            actions.DESCRIBE_CONTEXT,
            arn,
            {"ContextName": name},
            lambda: self._service.describe(arn),
            context,
        )

    def list_contexts(
        self,
        *,
        source_uri: str | None = None,
        context_type: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> EntityListing:
        """One page of contexts, oldest first; pass ``next_token`` back for the next."""
        return self._listing(
            LineageType.CONTEXT,
            actions.LIST_CONTEXTS,
            "ListContexts",
            "ContextType",
            entity_type=context_type,
            source_uri=source_uri,
            created_after=created_after,
            created_before=created_before,
            max_results=max_results,
            next_token=next_token,
            context=context,
        )

    def delete_context(
        self, name: str, *, disassociate: bool = False, context: RequestContext | None = None
    ) -> None:
        """Delete a context (see :meth:`delete_artifact` for ``disassociate``)."""
        arn = self._named(LineageType.CONTEXT, name, "ContextName", "DeleteContext")
        self._delete(
            actions.DELETE_CONTEXT,
            arn,
            {"ContextName": name},
            disassociate,
            "DeleteContext",
            context,
        )

    # -------------------------------------------------------------------------- associations

    def _both_ends(
        self,
        action: str,
        source: Arn,
        destination: Arn,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
    ) -> T:
        """Authorise ``action`` on the source, then (inside that call) on the destination."""
        return self._call(
            action,
            source,
            params,
            lambda: self._call(action, destination, params, handler, context),
            context,
        )

    def add_association(
        self,
        source_arn: str,
        destination_arn: str,
        association_type: AssociationType | str = AssociationType.ASSOCIATED_WITH,
        *,
        context: RequestContext | None = None,
    ) -> Association:
        """Add a typed edge ``source → destination``; Conflict if the pair exists or if the
        destination already leads back to the source (lineage stays acyclic)."""
        op = "AddAssociation"
        source = self._arn(source_arn, "SourceArn", op, None)
        destination = self._arn(destination_arn, "DestinationArn", op, None)
        if source == destination:
            raise Invalid(
                "DestinationArn",
                got=destination_arn,
                expected="an ARN other than SourceArn (an entity cannot lead to itself)",
                operation=op,
            )
        kind = validate_association_type(association_type, operation=op)
        params = {"SourceArn": source, "DestinationArn": destination, "AssociationType": kind.value}
        return self._both_ends(
            actions.ADD_ASSOCIATION,
            source,
            destination,
            params,
            lambda: self._service.add_association(source, destination, kind, actor=self._actor),
            context,
        )

    def delete_association(
        self, source_arn: str, destination_arn: str, *, context: RequestContext | None = None
    ) -> None:
        """Remove the edge ``source → destination`` (NotFound when there is none)."""
        op = "DeleteAssociation"
        source = self._arn(source_arn, "SourceArn", op, None)
        destination = self._arn(destination_arn, "DestinationArn", op, None)
        self._both_ends(
            actions.DELETE_ASSOCIATION,
            source,
            destination,
            {"SourceArn": source, "DestinationArn": destination},
            lambda: self._service.delete_association(source, destination),
            context,
        )

    def list_associations(
        self,
        *,
        source_arn: str | None = None,
        destination_arn: str | None = None,
        association_type: AssociationType | str | None = None,
        source_type: str | None = None,
        destination_type: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
        next_token: str | None = None,
        context: RequestContext | None = None,
    ) -> AssociationListing:
        """One page of associations, oldest first; authorised on ``source_arn`` when given,
        else on ``destination_arn``, else on ``artifact/*``."""
        op = "ListAssociations"
        source = None if source_arn is None else self._arn(source_arn, "SourceArn", op, None)
        destination = (
            None
            if destination_arn is None
            else self._arn(destination_arn, "DestinationArn", op, None)
        )
        kind = (
            None
            if association_type is None
            else validate_association_type(association_type, operation=op)
        )
        for field, value in (("SourceType", source_type), ("DestinationType", destination_type)):
            if value is not None:
                validate_type(value, field=field, operation=op)
        limit = validate_max_results(max_results, operation=op)
        if next_token is not None and (not isinstance(next_token, str) or len(next_token) > 2048):
            raise Invalid("NextToken", got=next_token, expected="a NextToken", operation=op)
        resource = (
            source
            or destination
            or listing_arn(LineageType.ARTIFACT, self._service.region, self._service.account_id)
        )
        params: dict[str, Any] = {"MaxResults": limit}
        for key, value in (
            ("SourceArn", source),
            ("DestinationArn", destination),
            ("AssociationType", kind.value if kind else None),
            ("SourceType", source_type),
            ("DestinationType", destination_type),
        ):
            if value is not None:
                params[key] = value
        return self._call(
            actions.LIST_ASSOCIATIONS,
            resource,
            params,
            lambda: self._service.list_associations(
                source_arn=source,
                destination_arn=destination,
                association_type=kind,
                source_type=source_type,
                destination_type=destination_type,
                max_results=limit,
                next_token=next_token,
            ),
            context,
        )

    # ------------------------------------------------------------------------------- queries

    def query_lineage(
        self,
        start_arn: str,
        *,
        direction: Direction | str = Direction.BOTH,
        include_edges: bool = True,
        max_depth: int | None = DEFAULT_QUERY_DEPTH,
        filters: QueryFilters | None = None,
        context: RequestContext | None = None,
    ) -> LineageQueryResult:
        """QueryLineage from one entity: the entities ``max_depth`` associations away or
        closer (``None``: any depth) that match ``filters``; with ``include_edges``, also the
        entities and edges on the paths to them. Ends on every graph, cycles included."""
        op = "QueryLineage"
        start = self._arn(start_arn, "StartArns", op, None)
        way = validate_direction(direction, operation=op)
        edges = _flag(include_edges, "IncludeEdges", op)
        depth = validate_depth(max_depth, operation=op)
        clean = validate_filters(filters, operation=op)
        params: dict[str, Any] = {
            "StartArns": [start],
            "Direction": way.value,
            "IncludeEdges": edges,
            "MaxDepth": depth,
        }
        if clean is not None:
            params["Filters"] = _filters_params(clean)
        return self._call(
            actions.QUERY_LINEAGE,
            start,
            params,
            lambda: self._service.query(
                [start], direction=way, max_depth=depth, include_edges=edges, filters=clean
            ),
            context,
            respond=lambda r: {"vertices": len(r.vertices), "edges": len(r.edges)},
        )

    def upstream(
        self,
        arn: str,
        *,
        max_depth: int | None = None,
        include_edges: bool = True,
        filters: QueryFilters | None = None,
        context: RequestContext | None = None,
    ) -> LineageQueryResult:
        """What led to ``arn``, at any depth unless ``max_depth`` (QueryLineage, Ascendants)."""
        return self.query_lineage(
            arn,
            direction=Direction.ASCENDANTS,
            include_edges=include_edges,
            max_depth=max_depth,
            filters=filters,
            context=context,
        )

    def downstream(
        self,
        arn: str,
        *,
        max_depth: int | None = None,
        include_edges: bool = True,
        filters: QueryFilters | None = None,
        context: RequestContext | None = None,
    ) -> LineageQueryResult:
        """What ``arn`` led to, at any depth unless ``max_depth`` (QueryLineage, Descendants)."""
        return self.query_lineage(
            arn,
            direction=Direction.DESCENDANTS,
            include_edges=include_edges,
            max_depth=max_depth,
            filters=filters,
            context=context,
        )

    def _question_start(self, ref: object, field: str, operation: str, kind: LineageType) -> str:
        """The resource a named question is authorised on: the entity ARN it names, else (a
        source URI or another room's ARN) every entity of that kind."""
        if isinstance(ref, str) and ref.startswith("arn:bastion:sagemaker:"):
            try:
                lineage_type, arn = parse_arn(ref, field=field, operation=operation)
            except Invalid:
                pass
            else:
                if lineage_type is kind:
                    return arn
        validate_uri(ref, field=field, operation=operation)
        return listing_arn(kind, self._service.region, self._service.account_id)

    def endpoints_for_dataset(
        self, dataset: str, *, context: RequestContext | None = None
    ) -> tuple[LineageEntity, ...]:
        """Which endpoints ever served a model trained on ``dataset`` (an artifact ARN, or a
        source URI such as ``s3://fraud-data/train.csv``, meaning every content version of it).

        Authorised as QueryLineage on the artifact (on ``artifact/*`` for a URI).
        """
        op = "QueryLineage"
        resource = self._question_start(dataset, "Dataset", op, LineageType.ARTIFACT)
        return self._call(
            actions.QUERY_LINEAGE,
            resource,
            {"Dataset": dataset, "Direction": Direction.DESCENDANTS.value, "MaxDepth": None},
            lambda: self._service.endpoints_for_dataset(dataset),
            context,
            respond=lambda found: {"endpoints": [e.arn for e in found]},
        )

    def endpoint_provenance(
        self, endpoint: str, *, context: RequestContext | None = None
    ) -> tuple[ModelProvenance, ...]:
        """What produced the model(s) ``endpoint`` served, newest deployment first (so the
        first is the current model): the deployment, package, model artifact, the actions that
        produced it and what contributed to them. ``endpoint`` is the Endpoint context's ARN or
        the serving endpoint's own ARN (the context's source URI).

        Authorised as QueryLineage on the context (on ``context/*`` for another ARN).
        """
        op = "QueryLineage"
        resource = self._question_start(endpoint, "Endpoint", op, LineageType.CONTEXT)
        return self._call(
            actions.QUERY_LINEAGE,
            resource,
            {"Endpoint": endpoint, "Direction": Direction.ASCENDANTS.value, "MaxDepth": None},
            lambda: self._service.endpoint_provenance(endpoint),
            context,
            respond=lambda found: {"models": [p.model.arn for p in found]},
        )


def _filters_params(filters: QueryFilters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if filters.types:
        out["Types"] = list(filters.types)
    if filters.lineage_types:
        out["LineageTypes"] = [
            enum_value(LineageType, t, field="Filters.LineageTypes", operation="QueryLineage").value
            for t in filters.lineage_types
        ]
    for key, moment in (
        ("CreatedBefore", filters.created_before),
        ("CreatedAfter", filters.created_after),
        ("ModifiedBefore", filters.modified_before),
        ("ModifiedAfter", filters.modified_after),
    ):
        if moment is not None:
            out[key] = moment.isoformat()
    if filters.properties:
        out["Properties"] = dict(filters.properties)
    return out


__all__ = ["LineageClient", "LineageRuntime"]
