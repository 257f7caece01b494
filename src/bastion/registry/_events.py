"""Events the registry emits (in the transaction that makes the change)."""

from bastion.events import declare_event

MODEL_PACKAGE_CREATED = declare_event(
    "registry.ModelPackageCreated",
    "A model version was registered: model_package_arn, group, version, flavor, artifact_uri, "
    "sha256 (manifest), training_data (URIs), training_job, approval_status",
).kind
MODEL_PACKAGE_STATUS_CHANGED = declare_event(
    "registry.ModelPackageStatusChanged",
    "A version's approval status changed: model_package_arn, group, version, from_status, "
    "to_status, by, reason (serving deploys the latest Approved; alarms roll back to the "
    "previous Approved)",
).kind
MODEL_PACKAGE_DELETED = declare_event(
    "registry.ModelPackageDeleted", "A (non-approved) version was deleted: model_package_arn"
).kind
UNSAFE_FORMAT_TRUSTED = declare_event(
    "registry.UnsafeFormatTrusted",
    "A principal recorded that one pickle-family artifact may be loaded: sha256, format, by",
).kind
