"""Events the model card service emits (in the transaction that makes the change)."""

from bastion.events import declare_event

MODEL_CARD_CHANGED = declare_event(
    "registry.ModelCardChanged",
    "A model card got a new version: model_card_arn, name, version, status, change (Create, "
    "Content or Status), model_id (the model package it documents, if any), content_sha256, by",
).kind
MODEL_CARD_DELETED = declare_event(
    "registry.ModelCardDeleted",
    "A model card and all its versions were deleted: model_card_arn, name",
).kind
