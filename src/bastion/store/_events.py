"""Events the store emits (in the same transaction as the change they describe)."""

from bastion.events import declare_event

OBJECT_CREATED = declare_event(
    "store.ObjectCreated",
    "An object was written (PutObject or CopyObject): bucket, key, version_id, size, sha256, "
    "kms_key_arn, storage_class",
).kind
OBJECT_REMOVED = declare_event("store.ObjectRemoved", "An object was deleted: bucket, key").kind
