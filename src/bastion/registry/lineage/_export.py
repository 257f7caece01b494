"""Two views of a query result: OpenLineage run events and a Mermaid ``graph LR`` picture.

**OpenLineage.** Each *action* reached (a training job, a deployment, a baseline …) becomes one
``RunEvent`` built with ``openlineage-python``'s classes: the job is the action (namespace
``bastion://<region>/<account>``, its name, a ``jobType`` facet with the ActionType), the run id
is a UUID derived from the action's ARN (the same action always gives the same run), the event
type follows the action's status, inputs are the entities with an association *into* the action
and outputs those it leads to. A dataset is named after its source URI (``s3://bucket`` +
``key``, OpenLineage's naming for object stores); other URIs (another room's ARN) keep the job's
namespace and the URI as name. Facets carry the entity type, the content hash as the dataset
version, and the lineage ARN as a symlink. Nothing is sent anywhere: :func:`write_openlineage`
writes one JSON event per line to a file or file object, for any OpenLineage consumer to read.

**Mermaid.** Node ids are ``n0``, ``n1`` … (never taken from stored names) and every label is
quoted with each character outside a small safe set written as a Mermaid entity code
(``#60;`` for ``<``), so no name, type or URI can end a label, open a link, inject a directive
or carry markup into the HTML views: the text holds no ``<``, ``&``, backquote or quote
outside the label delimiters.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from bastion.registry.lineage._models import (
    ActionStatus,
    LineageEntity,
    LineageQueryResult,
    LineageType,
)
from bastion.types import Arn

if TYPE_CHECKING:
    from openlineage.client.event_v2 import RunEvent

PRODUCER = "urn:bastion:registry:lineage"
"""The OpenLineage ``producer`` of every event Bastion writes."""
INTEGRATION = "BASTION"
SYMLINK_NAMESPACE = "bastion-lineage"
RUN_ID_NAMESPACE = uuid.UUID("6f1a8a4e-5a0b-4d8e-9c8a-0b7a4c1e2d3f")
"""The namespace of the UUIDv5 run ids (a run id is derived from its action's ARN)."""

_STATES = {
    ActionStatus.COMPLETED: "COMPLETE",
    ActionStatus.FAILED: "FAIL",
    ActionStatus.STOPPED: "ABORT",
    ActionStatus.IN_PROGRESS: "RUNNING",
    ActionStatus.STOPPING: "RUNNING",
}
"""OpenLineage's run state for each action status (any other status: ``OTHER``)."""

MAX_LABEL = 48
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._-/:@=+,")
_SHAPES = {
    LineageType.ARTIFACT: ('["', '"]'),
    LineageType.ACTION: ('(["', '"])'),
    LineageType.CONTEXT: ('{{"', '"}}'),
}


# ----------------------------------------------------------------------------- OpenLineage


def _account_namespace(arn: str) -> str:
    parts = arn.split(":", 5)
    return f"bastion://{parts[3]}/{parts[4]}"


def _dataset_name(entity: LineageEntity, fallback: str) -> tuple[str, str]:
    scheme, sep, rest = entity.source_uri.partition("://")
    if sep and rest:
        authority, _, path = rest.partition("/")
        return f"{scheme}://{authority}", path or "/"
    return fallback, entity.source_uri


def _dataset_facets(entity: LineageEntity) -> dict[str, Any]:
    from openlineage.client.facet_v2 import (
        dataset_type_dataset,
        dataset_version_dataset,
        symlinks_dataset,
    )

    facets: dict[str, Any] = {
        "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(datasetType=entity.type),
        "symlinks": symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[
                symlinks_dataset.Identifier(
                    namespace=SYMLINK_NAMESPACE,
                    name=entity.arn,
                    type=entity.lineage_type.value,
                )
            ]
        ),
    }
    if entity.source_types:
        version = ",".join(f"{t['SourceIdType']}:{t['Value']}" for t in entity.source_types)
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=version
        )
    return facets


def run_id(action_arn: str) -> str:
    """The OpenLineage run id of an action: a UUIDv5 of its ARN."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, action_arn))


def openlineage_events(
    result: LineageQueryResult, *, namespace: str | None = None, producer: str = PRODUCER
) -> list[RunEvent]:
    """One OpenLineage ``RunEvent`` per action in ``result`` (query it with edges), oldest
    action first. ``namespace`` overrides the job namespace (default per account and region).

    ``openlineage-python`` is imported here, on first use (it loads its HTTP transports)."""
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import job_type_job

    entities = {v.arn: v.entity for v in result.vertices}
    events: list[RunEvent] = []
    actions = sorted(
        (v.entity for v in result.vertices if v.lineage_type is LineageType.ACTION),
        key=lambda e: (e.created_at, e.arn),
    )
    for action in actions:
        job_namespace = namespace or _account_namespace(action.arn)

        def dataset(arn: Arn, kind: type[Any], ns: str = job_namespace) -> Any:
            entity = entities[arn]
            space, name = _dataset_name(entity, ns)
            return kind(namespace=space, name=name, facets=_dataset_facets(entity))

        inputs = [
            dataset(e.source_arn, InputDataset)
            for e in result.edges
            if e.destination_arn == action.arn and e.source_arn in entities
        ]
        outputs = [
            dataset(e.destination_arn, OutputDataset)
            for e in result.edges
            if e.source_arn == action.arn and e.destination_arn in entities
        ]
        events.append(
            RunEvent(
                eventType=RunState(_STATES.get(action.status or ActionStatus.UNKNOWN, "OTHER")),
                eventTime=action.last_modified_at.isoformat(),
                run=Run(runId=run_id(action.arn)),
                job=Job(
                    namespace=job_namespace,
                    name=action.name or action.arn,
                    facets={
                        "jobType": job_type_job.JobTypeJobFacet(
                            processingType="BATCH", integration=INTEGRATION, jobType=action.type
                        )
                    },
                ),
                inputs=inputs,
                outputs=outputs,
                producer=producer,
            )
        )
    return events


def openlineage_json(events: Iterable[RunEvent]) -> Iterator[str]:
    """Each event as one line of OpenLineage JSON (the client's own serialiser)."""
    from openlineage.client.serde import Serde

    for event in events:
        yield Serde.to_json(event)


def write_openlineage(events: Iterable[RunEvent], dest: str | os.PathLike[str] | IO[str]) -> int:
    """Write the events as newline-delimited JSON to a path or text file object; returns how
    many were written (the file transport of a deployment with no network)."""
    if isinstance(dest, str | os.PathLike):
        with Path(dest).open("w", encoding="utf-8") as handle:
            return write_openlineage(events, handle)
    count = 0
    for line in openlineage_json(events):
        dest.write(line + "\n")
        count += 1
    return count


# --------------------------------------------------------------------------------- Mermaid


def mermaid_label(text: str, *, limit: int = MAX_LABEL) -> str:
    """``text`` cut to ``limit`` characters and written with only safe characters: anything
    else becomes a Mermaid entity code (``#34;`` for a double quote)."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(ch if ch in _SAFE else f"#{ord(ch)};" for ch in cut)


def mermaid_graph(result: LineageQueryResult, *, limit: int = MAX_LABEL) -> str:
    """A Mermaid ``graph LR`` of the result's vertices and edges (start entities marked)."""
    ids = {v.arn: f"n{i}" for i, v in enumerate(result.vertices)}
    lines = ["graph LR"]
    for vertex in result.vertices:
        left, right = _SHAPES[vertex.lineage_type]
        label = (
            f"{mermaid_label(vertex.type, limit=limit)}: "
            f"{mermaid_label(vertex.entity.label, limit=limit)}"
        )
        lines.append(f"    {ids[vertex.arn]}{left}{label}{right}")
    for edge in result.edges:
        if edge.source_arn in ids and edge.destination_arn in ids:
            lines.append(
                f"    {ids[edge.source_arn]} -->|{edge.association_type.value}| "
                f"{ids[edge.destination_arn]}"
            )
    starts = [ids[a] for a in result.start_arns if a in ids]
    if starts:
        lines.append("    classDef start stroke-width:3px")
        lines.append(f"    class {','.join(starts)} start")
    return "\n".join(lines) + "\n"


__all__ = [
    "PRODUCER",
    "mermaid_graph",
    "mermaid_label",
    "openlineage_events",
    "openlineage_json",
    "run_id",
    "write_openlineage",
]
