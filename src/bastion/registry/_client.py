"""The registry as callers see it: every method is one action through the gate.

Registering a version prepares its artifact in a private temporary folder (a model object is
saved in a safe flavor; a given file or folder is copied, symlinks refused), refuses
pickle-family files without a recorded trust decision, infers the signature from training data,
signs the files' manifest with the registry's signing key, uploads every file encrypted into the
registry bucket, and records the version: all inside one ``sagemaker:CreateModelPackage`` call,
whose inner key and store calls are made (and audited) as the same caller. Loading downloads,
verifies the signature and every hash, and only then hands the folder to a flavor.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from bastion.access import Principal, ResourceInfo, request_tag_keys
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Invalid
from bastion.events import EventLog
from bastion.gate import Gate, RequestContext
from bastion.keys import KeysClient
from bastion.registry import _actions as actions
from bastion.registry._artifacts import Artifacts, LoadedModel
from bastion.registry._models import (
    ApprovalRecord,
    ApprovalStatus,
    ModelPackage,
    ModelPackageGroup,
    TrustDecision,
)
from bastion.registry._names import (
    DESCRIPTION,
    MAX_VERSION,
    REASON,
    trust_arn,
    validate_group_name,
    validate_metrics,
    validate_sha256,
    validate_tags,
    validate_text,
    validate_version,
)
from bastion.registry._service import NewPackage, RegistryService
from bastion.registry._signature import FeatureSpec, ModelSignature, infer_signature
from bastion.registry.cards import FeatureFact, ModelPackageFacts
from bastion.settings import Settings
from bastion.store import StoreClient
from bastion.types import AccountId

T = TypeVar("T")

STATUS_EXPECTED = "one of " + ", ".join(s.value for s in ApprovalStatus)


class RegistryRuntime(Protocol):
    """What the registry needs from the runtime (``bastion._runtime.Runtime`` provides it)."""

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

    @property
    def events(self) -> EventLog: ...

    @property
    def region(self) -> str: ...


def _status(value: object, operation: str) -> ApprovalStatus:
    try:
        return ApprovalStatus(str(value))
    except ValueError:
        raise Invalid(
            "ModelApprovalStatus", got=value, expected=STATUS_EXPECTED, operation=operation
        ) from None


class RegistryClient:
    """Model groups, signed and encrypted versions, approval, safe loading.

    >>> registry = bastion.connect(home=".bastion").registry  # doctest: +SKIP
    >>> registry.create_model_package_group("fraud")  # doctest: +SKIP
    >>> v = registry.register_model("fraud", model=clf, training_data=X)  # doctest: +SKIP
    >>> registry.approve("fraud", v.version, reason="passed review")  # doctest: +SKIP
    >>> registry.load_model("fraud").predict(X.head())  # doctest: +SKIP
    """

    def __init__(self, runtime: RegistryRuntime, *, keys: KeysClient, store: StoreClient) -> None:
        self.runtime = runtime
        self._service = RegistryService(
            db=runtime.db,
            clock=runtime.clock,
            events=runtime.events,
            account_id=runtime.account_id,
            region=runtime.region,
        )
        self._artifacts = Artifacts(settings=runtime.settings, keys=keys, store=store)
        runtime.gate.register_resource_provider("sagemaker:model-package-group", self._group_info)
        runtime.gate.register_resource_provider("sagemaker:model-package", self._package_info)

    # ----------------------------------------------------------------------------- plumbing

    def _group_info(self, arn: str) -> ResourceInfo | None:
        tags = self._service.group_tags(arn.rpartition("/")[2])
        return None if tags is None else _tag_info(tags)

    def _package_info(self, arn: str) -> ResourceInfo | None:
        group, _, version = arn.partition("model-package/")[2].partition("/")
        if not version.isdigit() or not 1 <= int(version) <= MAX_VERSION:
            return None
        tags = self._service.package_tags(group, int(version))
        return None if tags is None else _tag_info(tags)

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T:
        try:
            return self.runtime.gate.call(
                self.runtime.principal,
                action,
                resource,
                params,
                handler,
                context=context,
                respond=respond,
            )
        finally:
            self.runtime.events.deliver_if_pending()

    @property
    def _by(self) -> str:
        return self.runtime.principal.arn

    # ----------------------------------------------------------------------------- groups

    def create_model_package_group(
        self,
        name: str,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        context: RequestContext | None = None,
    ) -> ModelPackageGroup:
        """Create a group that will hold the versions of one model."""
        op = "CreateModelPackageGroup"
        group = validate_group_name(name, operation=op)
        text = validate_text(
            description,
            field="ModelPackageGroupDescription",
            rule=DESCRIPTION,
            operation=op,
            empty=True,
        )
        clean_tags = validate_tags(tags, operation=op)
        ctx = context or RequestContext()
        return self._call(
            actions.CREATE_GROUP,
            self._service.group_arn(group),
            {"modelPackageGroupName": group, "tags": clean_tags},
            lambda: self._service.create_group(
                group, description=text, tags=clean_tags, by=self._by
            ),
            _with(ctx, request_tag_keys(clean_tags)),
            respond=lambda g: {"modelPackageGroupArn": g.arn},
        )

    def describe_model_package_group(
        self, name: str, *, context: RequestContext | None = None
    ) -> ModelPackageGroup:
        """A group and how many versions it holds."""
        group = validate_group_name(name, operation="DescribeModelPackageGroup")
        return self._call(
            actions.DESCRIBE_GROUP,
            self._service.group_arn(group),
            {"modelPackageGroupName": group},
            lambda: self._service.group(group),
            context,
        )

    def list_model_package_groups(
        self, *, context: RequestContext | None = None
    ) -> list[ModelPackageGroup]:
        """Every group, by name."""
        return self._call(actions.LIST_GROUPS, "*", {}, self._service.groups, context)

    def delete_model_package_group(
        self, name: str, *, context: RequestContext | None = None
    ) -> None:
        """Delete a group with no versions left."""
        group = validate_group_name(name, operation="DeleteModelPackageGroup")
        self._call(
            actions.DELETE_GROUP,
            self._service.group_arn(group),
            {"modelPackageGroupName": group},
            lambda: self._service.delete_group(group),
            context,
        )

    # ----------------------------------------------------------------------------- versions

    def register_model(
        self,
        group: str,
        *,
        model: object | None = None,
        path: str | Path | None = None,
        training_data: pd.DataFrame | None = None,
        training_data_uris: Sequence[str] = (),
        signature: ModelSignature | Mapping[str, Any] | None = None,
        signature_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        metrics: Mapping[str, float] | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        customer_metadata: Mapping[str, str] | None = None,
        training_job: str | None = None,
        approval_status: ApprovalStatus | str = ApprovalStatus.PENDING,
        context: RequestContext | None = None,
    ) -> ModelPackage:
        """Register a new version of ``group`` from a model object or a saved model file/folder.

        ``model`` is saved in its safe flavor (scikit-learn via skops, LightGBM/XGBoost native,
        ONNX); ``path`` may also be an MLflow model folder. The signature is ``signature`` if
        given, else inferred from ``training_data`` (with the model's outputs on a sample),
        then ``signature_overrides`` replace fields per feature. ``training_data_uris`` (where
        the training data lies, e.g. ``s3://fraud-data/train.csv``) become lineage inputs.
        """
        op = "CreateModelPackage"
        name = validate_group_name(group, operation=op)
        if (model is None) == (path is None):
            raise Invalid(
                "model",
                got="both" if model is not None else "neither",
                expected="exactly one of model= (an object) or path= (a saved model)",
                operation=op,
            )
        status = _status(approval_status, op)
        clean_metrics = validate_metrics(metrics, operation=op)
        clean_tags = validate_tags(tags, operation=op)
        clean_meta = validate_tags(customer_metadata, operation=op)
        text = validate_text(
            description,
            field="ModelPackageDescription",
            rule=DESCRIPTION,
            operation=op,
            empty=True,
        )
        uris = tuple(_uri(u, op) for u in training_data_uris)
        job = (
            None
            if training_job is None
            else validate_text(
                training_job, field="TrainingJob", rule=REASON, operation=op, empty=False
            )
        )
        given = (
            signature
            if isinstance(signature, ModelSignature) or signature is None
            else ModelSignature.from_dict(signature, operation=op)
        )
        if given is None and training_data is None:
            raise Invalid(
                "training_data",
                got=None,
                expected="a DataFrame of training features (or signature=) to infer the signature",
                operation=op,
            )
        ctx = context or RequestContext()

        def register() -> ModelPackage:
            with tempfile.TemporaryDirectory(prefix="bastion-register-") as tmp:
                folder = Path(tmp) / "model"
                prepared = self._artifacts.prepare(
                    folder, model=model, path=path, trusted=self._trusted_digests(), context=ctx
                )
                sig = given or self._infer(training_data, prepared.loaded)
                if signature_overrides:
                    sig = sig.with_overrides(signature_overrides)
                signed = self._artifacts.sign(folder, context=ctx)
                prefix = f"{name}/{uuid.uuid4().hex}"
                uri = self._artifacts.upload(folder, prefix, context=ctx)
                return self._service.insert_package(
                    NewPackage(
                        group=name,
                        flavor=prepared.flavor,
                        framework_version=prepared.framework_version,
                        artifact_uri=uri,
                        files=signed.files,
                        signature=sig,
                        metrics=clean_metrics,
                        description=text,
                        tags=clean_tags,
                        customer_metadata=clean_meta,
                        training_data=uris,
                        training_job=job,
                        signed_manifest=signed.document,
                        manifest_sha256=signed.sha256,
                        signing_key_arn=signed.key_arn,
                        approval_status=status,
                    ),
                    by=self._by,
                )

        params: dict[str, Any] = {
            "modelPackageGroupName": name,
            "modelApprovalStatus": status.value,
            "trainingData": list(uris),
            "tags": clean_tags,
        }
        return self._call(
            actions.CREATE_PACKAGE,
            self._service.group_arn(name),
            params,
            register,
            _with(ctx, {**request_tag_keys(clean_tags), actions.APPROVAL_KEY: status.value}),
            respond=lambda p: {"modelPackageArn": p.arn, "manifestSha256": p.manifest_sha256},
        )

    def _infer(self, frame: pd.DataFrame | None, loaded: LoadedModel) -> ModelSignature:
        if frame is None or not isinstance(frame, pd.DataFrame):
            raise Invalid("training_data", got=type(frame).__name__, expected="a pandas DataFrame")
        sample = frame.head(100)
        try:
            predictions = loaded.predict(sample)
        except Exception as exc:
            raise Invalid(
                "training_data",
                got=f"{type(exc).__name__}: {exc}"[:300],
                expected="features the model can predict on (the model failed on a sample)",
            ) from None
        return infer_signature(
            frame,
            predictions=predictions,
            max_categories=self.runtime.settings.registry.max_categories,
        )

    def _trusted_digests(self) -> frozenset[str]:
        return frozenset(d.sha256 for d in self._service.trusted())

    def describe_model_package(
        self, group: str, version: int, *, context: RequestContext | None = None
    ) -> ModelPackage:
        """One version: files, signature, metrics, approval."""
        op = "DescribeModelPackage"
        name = validate_group_name(group, operation=op)
        number = validate_version(version, operation=op)
        return self._call(
            actions.DESCRIBE_PACKAGE,
            self._service.package_arn(name, number),
            {"modelPackageName": f"{name}/{number}"},
            lambda: self._service.package(name, number),
            context,
        )

    def list_model_packages(
        self,
        group: str,
        *,
        approval_status: ApprovalStatus | str | None = None,
        context: RequestContext | None = None,
    ) -> list[ModelPackage]:
        """A group's versions, oldest first (optionally only those with one status)."""
        op = "ListModelPackages"
        name = validate_group_name(group, operation=op)
        status = None if approval_status is None else _status(approval_status, op)
        return self._call(
            actions.LIST_PACKAGES,
            self._service.group_arn(name),
            {"modelPackageGroupName": name, "modelApprovalStatus": status},
            lambda: self._service.packages(name, status=status),
            context,
        )

    def latest_approved(self, group: str, *, context: RequestContext | None = None) -> ModelPackage:
        """The newest Approved version (what serving deploys by default)."""
        name = validate_group_name(group, operation="ListModelPackages")
        return self._call(
            actions.LIST_PACKAGES,
            self._service.group_arn(name),
            {"modelPackageGroupName": name, "modelApprovalStatus": ApprovalStatus.APPROVED.value},
            lambda: self._service.latest(name, status=ApprovalStatus.APPROVED),
            context,
        )

    def update_model_package(
        self,
        group: str,
        version: int,
        *,
        approval_status: ApprovalStatus | str,
        reason: str,
        context: RequestContext | None = None,
    ) -> ModelPackage:
        """Set a version's approval status, with why; policies see the status being set as
        ``sagemaker:ModelApprovalStatus``."""
        op = "UpdateModelPackage"
        name = validate_group_name(group, operation=op)
        number = validate_version(version, operation=op)
        status = _status(approval_status, op)
        why = validate_text(
            reason, field="ApprovalDescription", rule=REASON, operation=op, empty=False
        )
        ctx = context or RequestContext()
        return self._call(
            actions.UPDATE_PACKAGE,
            self._service.package_arn(name, number),
            {
                "modelPackageName": f"{name}/{number}",
                "modelApprovalStatus": status.value,
                "approvalDescription": why,
            },
            lambda: self._service.set_status(name, number, status, by=self._by, reason=why),
            _with(ctx, {actions.APPROVAL_KEY: status.value}),
        )

    def approve(
        self, group: str, version: int, *, reason: str, context: RequestContext | None = None
    ) -> ModelPackage:
        """Approve a version for deployment."""
        return self.update_model_package(
            group, version, approval_status=ApprovalStatus.APPROVED, reason=reason, context=context
        )

    def reject(
        self, group: str, version: int, *, reason: str, context: RequestContext | None = None
    ) -> ModelPackage:
        """Reject a version (an Approved one stops being deployable)."""
        return self.update_model_package(
            group, version, approval_status=ApprovalStatus.REJECTED, reason=reason, context=context
        )

    def approval_history(
        self, group: str, version: int, *, context: RequestContext | None = None
    ) -> list[ApprovalRecord]:
        """Every status a version had, who set it, when and why."""
        op = "DescribeModelPackage"
        name = validate_group_name(group, operation=op)
        number = validate_version(version, operation=op)
        return self._call(
            actions.DESCRIBE_PACKAGE,
            self._service.package_arn(name, number),
            {"modelPackageName": f"{name}/{number}", "history": True},
            lambda: self._service.history(name, number),
            context,
        )

    def delete_model_package(
        self, group: str, version: int, *, context: RequestContext | None = None
    ) -> None:
        """Delete a version that is not Approved, with its stored files."""
        op = "DeleteModelPackage"
        name = validate_group_name(group, operation=op)
        number = validate_version(version, operation=op)
        ctx = context or RequestContext()

        def delete() -> None:
            removed = self._service.delete_package(name, number)
            self._artifacts.remove(removed, context=ctx)

        self._call(
            actions.DELETE_PACKAGE,
            self._service.package_arn(name, number),
            {"modelPackageName": f"{name}/{number}"},
            delete,
            ctx,
        )

    # ----------------------------------------------------------------------------- loading

    def load_model(
        self,
        group: str,
        version: int | None = None,
        *,
        context: RequestContext | None = None,
    ) -> LoadedModel:
        """Load a version (default: the newest Approved) after verifying its signed manifest
        and every file's SHA-256; a changed, missing or extra file is refused, naming it."""
        op = "LoadModelPackage"
        name = validate_group_name(group, operation=op)
        if version is None:
            number = self.latest_approved(name, context=context).version
        else:
            number = validate_version(version, operation=op)
        ctx = context or RequestContext()

        def load() -> LoadedModel:
            package = self._service.package(name, number)
            return self._artifacts.load(
                package,
                self._service.signed_manifest(name, number),
                trusted=self._trusted_digests(),
                context=ctx,
            )

        return self._call(
            actions.LOAD_PACKAGE,
            self._service.package_arn(name, number),
            {"modelPackageName": f"{name}/{number}"},
            load,
            ctx,
        )

    # ----------------------------------------------------------------------------- cards

    def model_package_facts(
        self, model_package_arn: str, *, context: RequestContext | None = None
    ) -> ModelPackageFacts:
        """What a model card needs to know about a version (``CardSources`` for the cards)."""
        group, _, version = model_package_arn.partition("model-package/")[2].partition("/")
        if not version.isdigit() or not 1 <= int(version) <= MAX_VERSION:
            raise Invalid(
                "model_package_arn",
                got=model_package_arn,
                expected="arn:bastion:sagemaker:<region>:<account>:model-package/<group>/<n>",
            )
        package = self.describe_model_package(group, int(version), context=context)

        def fact(spec: FeatureSpec) -> FeatureFact:
            detail = ""
            if spec.minimum is not None and spec.maximum is not None:
                detail = f"range [{spec.minimum:g}, {spec.maximum:g}]"
            elif spec.categories is not None:
                detail = f"{len(spec.categories)} categories"
            return FeatureFact(name=spec.name, type=spec.type.value, detail=detail)

        return ModelPackageFacts(
            model_package_arn=package.arn,
            group_name=package.group,
            version=package.version,
            description=package.description,
            framework=package.flavor,
            framework_version=package.framework_version,
            created_by=package.created_by,
            inputs=tuple(fact(f) for f in package.signature.inputs),
            outputs=tuple(fact(f) for f in package.signature.outputs),
            metrics=dict(package.metrics),
            approval_status=package.approval_status.value,
            approved_by=package.approval_by,
            approval_reason=package.approval_reason,
            artifact_uris=(package.artifact_uri,),
            training_data=package.training_data,
            custom={"manifest_sha256": package.manifest_sha256},
        )

    # ----------------------------------------------------------------------------- trust

    def trust_unsafe_artifact(
        self,
        sha256: str,
        *,
        artifact_format: str,
        reason: str,
        context: RequestContext | None = None,
    ) -> TrustDecision:
        """Record that the pickle-family file with this SHA-256 may be loaded (audited)."""
        op = "TrustUnsafeModelFormat"
        digest = validate_sha256(sha256, operation=op)
        fmt = validate_text(
            artifact_format, field="ArtifactFormat", rule=REASON, operation=op, empty=False
        )
        why = validate_text(reason, field="Reason", rule=REASON, operation=op, empty=False)
        return self._call(
            actions.TRUST_UNSAFE,
            trust_arn(self.runtime.region, self.runtime.account_id, digest),
            {"sha256": digest, "artifactFormat": fmt, "reason": why},
            lambda: self._service.trust(digest, artifact_format=fmt, by=self._by, reason=why),
            context,
        )

    def list_trust_decisions(self, *, context: RequestContext | None = None) -> list[TrustDecision]:
        """Every recorded trust decision, oldest first."""
        return self._call(actions.LIST_TRUST, "*", {}, lambda: self._service.trusted(), context)


def _with(context: RequestContext, extra: Mapping[str, Any]) -> RequestContext:
    return replace(context, extra={**context.extra, **extra}) if extra else context


def _tag_info(tags: Mapping[str, str]) -> ResourceInfo:
    return ResourceInfo(
        tags=dict(tags), context={f"sagemaker:ResourceTag/{k}": v for k, v in tags.items()}
    )


def _uri(value: object, operation: str) -> str:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > 2048
        or not value.isprintable()
        or "://" not in value
    ):
        raise Invalid(
            "training_data_uris",
            got=value,
            expected="URIs like s3://bucket/key or file:///path (printable, at most 2048 chars)",
            operation=operation,
        )
    return value
