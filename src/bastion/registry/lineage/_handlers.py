"""Edges added automatically, from other rooms' events (subscriber ``registry.lineage``).

The emitting call was authorised and audited already; these handlers run after it committed, at
least once per event, so each one writes everything it adds in one transaction and only through
the idempotent ``ensure_*`` helpers: a replayed event changes nothing. Automatic entities are
recorded as created by ``event:<kind>/<seq>`` at the event's time. Names of automatic actions
and contexts end with a hash of what they stand for, so they never collide with a name a person
chose.

What each event adds (SageMaker's automatic lineage, adapted):

``registry.ModelPackageCreated``
    DataSet artifacts for the training data (pinned to the content the store holds for an
    ``s3://`` URI, or to the ``sha256`` given) ``ContributedTo`` a TrainingJob action that
    ``Produced`` the Model artifact (pinned to the SHA-256 of its signed manifest), which
    ``ContributedTo`` the ModelPackage artifact, ``AssociatedWith`` its ModelPackageGroup
    context. Without training data or job, only the model, package and group are recorded.
``registry.ModelPackageStatusChanged``
    The ModelPackage ``ContributedTo`` an Approval action whose properties hold the latest
    status (``to_status``), who and why (an older event never overwrites a newer one).
``serving.EndpointDeployed``
    The ModelPackage ``ContributedTo`` a ModelDeployment action (one per endpoint, config,
    variant and package) ``AssociatedWith`` the Endpoint context; deployments are never
    removed, so "which endpoints ever served" stays answerable after a redeployment or a delete.
``monitor.BaselineCreated``
    The baseline's dataset (a URI or an absolute path; in-memory data has none)
    ``ContributedTo`` a Baseline action that ``Produced`` its statistics and constraints.
``store.ObjectCreated``
    Only for a URI already recorded as a DataSet (a model was trained on it, or a baseline
    computed from it): the new content becomes another DataSet artifact of the same URI.
    Recording every stored object would bury the graph in captures, reports and model files;
    an object becomes a dataset when something uses it as one.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bastion.db import Database
from bastion.errors import Invalid
from bastion.events import Event, subscribe
from bastion.registry.lineage._models import ActionStatus, AssociationType, LineageType
from bastion.registry.lineage._names import validate_uri
from bastion.registry.lineage._service import LineageService, load_entities
from bastion.store._tables import store_objects
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)

SUBSCRIBER = "registry.lineage"
OBJECT_CREATED = "store.ObjectCreated"
MODEL_PACKAGE_CREATED = "registry.ModelPackageCreated"
MODEL_PACKAGE_STATUS_CHANGED = "registry.ModelPackageStatusChanged"
BASELINE_CREATED = "monitor.BaselineCreated"
ENDPOINT_DEPLOYED = "serving.EndpointDeployed"

DATASET = "DataSet"
MODEL = "Model"
MODEL_PACKAGE = "ModelPackage"
MODEL_PACKAGE_GROUP = "ModelPackageGroup"
TRAINING_JOB = "TrainingJob"
APPROVAL = "Approval"
MODEL_DEPLOYMENT = "ModelDeployment"
ENDPOINT = "Endpoint"
BASELINE = "Baseline"

DEFAULT_REGION = "local"
_SLUG = re.compile(r"[^A-Za-z0-9]+")
_PACKAGE_ARN = re.compile(r"(arn:bastion:sagemaker:[^:]*:[^:]*:)model-package/([^/]+)/[^/]+")
_SAGEMAKER_ARN = re.compile(r"arn:bastion:sagemaker:([a-z0-9-]{1,32}):([0-9]{12}):(.+)")


class _EventClock:
    """The event's time: automatic entities are dated when the change happened."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def auto_name(prefix: str, label: str, key: str) -> str:
    """A valid, stable entity name: ``<prefix>-<slug of label>-<hash of key>``."""
    slug = _SLUG.sub("-", label).strip("-")[:80].strip("-")
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return "-".join(p for p in (prefix, slug, digest) if p)


def _text(detail: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = detail.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise Invalid(f"detail.{name}", got=value, expected="a non-empty string", operation="event")
    return value


def _uri(detail: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = _text(detail, name, required=required)
    return None if value is None else validate_uri(value, field=f"detail.{name}", operation="event")


def _sha256(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise Invalid(field, got=value, expected="a SHA-256 in lowercase hex", operation="event")
    return value


def _content(sha256: str | None, id_type: str = "S3ETag") -> list[dict[str, str]]:
    """An artifact's content id: a stored object's SHA-256 is its ETag in the store; a model
    version is pinned by the SHA-256 of its signed manifest (``Custom``, ``manifest-sha256:…``)."""
    if not sha256:
        return []
    value = sha256 if id_type == "S3ETag" else f"manifest-sha256:{sha256}"
    return [{"SourceIdType": id_type, "Value": value}]


def _region(*arns: str | None) -> str:
    for arn in arns:
        found = _SAGEMAKER_ARN.fullmatch(arn) if arn else None
        if found:
            return found.group(1)
    return DEFAULT_REGION


class _Writer:
    """One event's writes: the service, the connection, who and when."""

    def __init__(self, service: LineageService, conn: Connection, event: Event) -> None:
        self.service = service
        self.conn = conn
        self.actor = f"event:{event.kind}/{event.seq}"
        self.now = event.time

    def artifact(
        self,
        kind: str,
        uri: str,
        sha256: str | None = None,
        properties: Mapping[str, str] | None = None,
        *,
        id_type: str = "S3ETag",
    ) -> Arn:
        return self.service.ensure_artifact(
            self.conn,
            artifact_type=kind,
            source_uri=uri,
            source_types=_content(sha256, id_type),
            properties=properties,
            actor=self.actor,
            now=self.now,
        )

    def named(
        self,
        lineage_type: LineageType,
        kind: str,
        name: str,
        uri: str,
        *,
        status: ActionStatus | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> Arn:
        return self.service.ensure_named(
            self.conn,
            lineage_type,
            name=name,
            entity_type=kind,
            source_uri=uri,
            status=status,
            properties=properties,
            actor=self.actor,
            now=self.now,
        )

    def link(self, source: Arn, destination: Arn, kind: AssociationType) -> None:
        self.service.ensure_association(
            self.conn, source, destination, kind, actor=self.actor, now=self.now
        )

    def dataset(self, uri: str, sha256: str | None = None) -> Arn:
        """The DataSet artifact for ``uri`` at the content the store holds (or ``sha256``)."""
        return self.artifact(DATASET, uri, sha256 or _stored_sha256(self.conn, uri))


def _stored_sha256(conn: Connection, uri: str) -> str | None:
    """The SHA-256 of the object the store holds at an ``s3://bucket/key`` URI (read only)."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        return None
    row = conn.execute(
        sa.select(store_objects.c.sha256).where(
            store_objects.c.bucket == bucket, store_objects.c.key == key
        )
    ).first()
    return str(row.sha256) if row is not None else None


def _group_arn(package_arn: str) -> str:
    """``…:model-package-group/<group>`` from ``…:model-package/<group>/<version>``."""
    found = _PACKAGE_ARN.fullmatch(package_arn)
    if found is None:
        return package_arn.rsplit("/", 1)[0]
    return f"{found.group(1)}model-package-group/{found.group(2)}"


def _training_data(detail: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    items = detail.get("training_data") or []
    if not isinstance(items, list) or len(items) > 100:
        raise Invalid(
            "detail.training_data",
            got=items,
            expected="a list of at most 100 URIs or {'uri', 'sha256'} objects",
            operation="event",
        )
    found: list[tuple[str, str | None]] = []
    for item in items:
        if isinstance(item, Mapping):
            uri = _uri(item, "uri")
            assert uri is not None
            found.append((uri, _sha256(item.get("sha256"), "detail.training_data.sha256")))
        else:
            found.append(
                (validate_uri(item, field="detail.training_data", operation="event"), None)
            )
    return found


def _on_model_package_created(w: _Writer, detail: Mapping[str, Any]) -> None:
    package_arn = _uri(detail, "model_package_arn")
    artifact_uri = _uri(detail, "artifact_uri")
    group = _text(detail, "group")
    assert package_arn is not None and artifact_uri is not None and group is not None
    version = str(detail.get("version", ""))
    sha256 = _sha256(detail.get("sha256"), "detail.sha256")
    model = w.artifact(
        MODEL, artifact_uri, sha256, {"ModelPackageArn": package_arn[:256]}, id_type="Custom"
    )
    package = w.artifact(
        MODEL_PACKAGE,
        package_arn,
        properties={"ModelPackageGroupName": group[:256], "ModelPackageVersion": version[:256]},
    )
    group_uri = _group_arn(package_arn)
    group_context = w.named(
        LineageType.CONTEXT,
        MODEL_PACKAGE_GROUP,
        auto_name("group", group, group_uri),
        group_uri,
    )
    w.link(model, package, AssociationType.CONTRIBUTED_TO)
    w.link(package, group_context, AssociationType.ASSOCIATED_WITH)
    job_name = _text(detail, "training_job", required=False)
    datasets = _training_data(detail)
    if job_name is None and not datasets:
        return
    label = job_name or f"{group}-{version}"
    job_uri = f"bastion://training-jobs/{job_name}" if job_name else package_arn
    job = w.named(
        LineageType.ACTION,
        TRAINING_JOB,
        auto_name("training", label, job_uri),
        job_uri,
        status=ActionStatus.COMPLETED,
    )
    w.link(job, model, AssociationType.PRODUCED)
    for uri, digest in datasets:
        w.link(w.dataset(uri, digest), job, AssociationType.CONTRIBUTED_TO)


def _on_status_changed(w: _Writer, detail: Mapping[str, Any], seq: int) -> None:
    package_arn = _uri(detail, "model_package_arn")
    assert package_arn is not None
    status = _text(detail, "to_status", required=False) or _text(detail, "status")
    assert status is not None
    package = w.artifact(MODEL_PACKAGE, package_arn)
    approval = w.named(
        LineageType.ACTION,
        APPROVAL,
        auto_name("approval", package_arn.rsplit(":", 1)[-1], package_arn),
        package_arn,
        status=ActionStatus.COMPLETED,
    )
    w.link(package, approval, AssociationType.CONTRIBUTED_TO)
    entity = load_entities(w.conn, [approval])[approval]
    if int(entity.properties.get("EventSeq", "0")) >= seq:
        return
    properties = {"ApprovalStatus": status[:256], "EventSeq": str(seq)}
    for key, name in (("by", "ChangedBy"), ("reason", "Reason")):
        value = detail.get(key)
        if isinstance(value, str) and value:
            properties[name] = value[:256]
    w.service.set_properties(w.conn, approval, properties, actor=w.actor, now=w.now)


def _on_endpoint_deployed(w: _Writer, detail: Mapping[str, Any]) -> None:
    endpoint_arn = _uri(detail, "endpoint_arn")
    package_arn = _uri(detail, "model_package_arn")
    assert endpoint_arn is not None and package_arn is not None
    variant = _text(detail, "variant", required=False) or "AllTraffic"
    config = _text(detail, "config", required=False) or ""
    endpoint_name = endpoint_arn.rsplit("/", 1)[-1]
    endpoint = w.named(
        LineageType.CONTEXT,
        ENDPOINT,
        auto_name("endpoint", endpoint_name, endpoint_arn),
        endpoint_arn,
    )
    properties = {"Variant": variant[:256], "ModelPackageArn": package_arn[:256]}
    if config:
        properties["EndpointConfig"] = config[:256]
    deployment = w.named(
        LineageType.ACTION,
        MODEL_DEPLOYMENT,
        auto_name(
            "deployment",
            f"{endpoint_name}-{variant}",
            f"{endpoint_arn}|{config}|{variant}|{package_arn}",
        ),
        endpoint_arn,
        status=ActionStatus.COMPLETED,
        properties=properties,
    )
    package = w.artifact(MODEL_PACKAGE, package_arn)
    w.link(package, deployment, AssociationType.CONTRIBUTED_TO)
    w.link(deployment, endpoint, AssociationType.ASSOCIATED_WITH)


def _on_baseline_created(w: _Writer, detail: Mapping[str, Any], subject: str) -> None:
    job_arn = _uri(detail, "job_arn", required=False) or validate_uri(
        subject, field="subject", operation="event"
    )
    name = _text(detail, "job_name", required=False) or job_arn.rsplit("/", 1)[-1]
    baseline = w.named(
        LineageType.ACTION,
        BASELINE,
        auto_name("baseline", name, job_arn),
        job_arn,
        status=ActionStatus.COMPLETED,
    )
    data = _dataset_uri(detail.get("dataset"))
    if data is not None:
        w.link(w.dataset(data), baseline, AssociationType.CONTRIBUTED_TO)
    for key in ("statistics_uri", "constraints_uri"):
        uri = _uri(detail, key, required=False)
        if uri is not None:
            output = w.artifact(BASELINE, uri, properties={"Kind": key.removesuffix("_uri")})
            w.link(baseline, output, AssociationType.PRODUCED)


def _dataset_uri(value: object) -> str | None:
    """The baseline's data as a URI: a store or other URI as is, an absolute local path as a
    ``file://`` URI; in-memory data (a DataFrame) has none."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("/"):
        value = "file://" + value
    try:
        return validate_uri(value, field="detail.dataset", operation="event")
    except Invalid:
        if "://" in value:
            raise
        return None


def _on_object_created(w: _Writer, detail: Mapping[str, Any]) -> None:
    bucket, key = detail.get("bucket"), detail.get("key")
    if not (isinstance(bucket, str) and isinstance(key, str)):
        raise Invalid("detail.key", got=key, expected="a bucket and a key", operation="event")
    try:
        uri = validate_uri(f"s3://{bucket}/{key}", field="detail.key", operation="event")
    except Invalid:
        return  # a key with spaces, or a long one: no dataset was recorded under such a URI
    sha256 = _sha256(detail.get("sha256"), "detail.sha256")
    known = w.service.known_datasets(w.conn, uri)
    if sha256 is None or not known:
        return
    w.service.region = _region(known[-1].arn)
    w.artifact(DATASET, uri, sha256)


def _region_of(event: Event) -> str:
    named = [event.detail.get(k) for k in ("model_package_arn", "endpoint_arn")]
    return _region(*(v for v in named if isinstance(v, str)), event.subject)


def handle(db: Database, event: Event) -> None:
    """The lineage subscriber: add what ``event`` implies, in one transaction (idempotent)."""
    if not isinstance(event.detail, Mapping):
        raise Invalid("detail", got=event.detail, expected="a JSON object", operation="event")
    service = LineageService(
        db=db,
        clock=_EventClock(event.time),
        account_id=AccountId(event.account_id),
        region=_region_of(event),
    )

    def work(conn: Connection) -> None:
        w = _Writer(service, conn, event)
        if event.kind == MODEL_PACKAGE_CREATED:
            _on_model_package_created(w, event.detail)
        elif event.kind == MODEL_PACKAGE_STATUS_CHANGED:
            _on_status_changed(w, event.detail, event.seq)
        elif event.kind == ENDPOINT_DEPLOYED:
            _on_endpoint_deployed(w, event.detail)
        elif event.kind == BASELINE_CREATED:
            _on_baseline_created(w, event.detail, event.subject)
        elif event.kind == OBJECT_CREATED:
            _on_object_created(w, event.detail)

    service.write(work)
    log.debug("lineage.event kind=%s seq=%d", event.kind, event.seq)


KINDS = (
    OBJECT_CREATED,
    MODEL_PACKAGE_CREATED,
    MODEL_PACKAGE_STATUS_CHANGED,
    BASELINE_CREATED,
    ENDPOINT_DEPLOYED,
)

subscribe(SUBSCRIBER, KINDS, handle)

__all__ = ["KINDS", "SUBSCRIBER", "auto_name", "handle"]
