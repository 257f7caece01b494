"""The action catalogue: every action Bastion has, its resource ARN pattern and condition keys.

Like AWS's Service Authorization Reference. Each room declares its actions in its ``_actions.py``
with :func:`register_actions` (re-exported by :mod:`bastion.gate`, which refuses an undeclared
action). An action names the resource *type* it acts on; the type carries the ARN pattern and the
condition keys that every action on it supports, so a room only lists what is particular to one
action. ``docs/actions.md`` is generated from this catalogue (``bastion access actions
--markdown``) and a test keeps it current.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bastion.types import EventCategory

GLOBAL_CONDITION_KEYS = (
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalType",
    "aws:RequestedRegion",
    "aws:SecureTransport",
    "aws:SourceIp",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:userid",
    "aws:username",
    "aws:CalledVia",
    "aws:ViaAWSService",
)
"""Keys every request carries (when they apply to the caller), whatever the action."""

TAG_ON_CREATE_KEYS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")


@dataclass(frozen=True, kw_only=True)
class ResourceType:
    """A kind of resource: its ARN pattern and the condition keys every action on it has."""

    name: str
    arn: str
    condition_keys: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Action:
    """A declared action: its name, the resource type it acts on, and how it is audited.

    ``resource_arn`` and ``condition_keys`` add to what the resource type declares; leave them
    empty when the type says it all.
    """

    name: str
    resource: str
    doc: str
    read_only: bool = False
    category: EventCategory = EventCategory.MANAGEMENT
    resource_arn: str = ""
    condition_keys: tuple[str, ...] = ()

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def operation(self) -> str:
        return self.name.split(":", 1)[1]

    @property
    def arn_pattern(self) -> str:
        """The resource ARN pattern: the action's own, else its resource type's, else ``*``."""
        if self.resource_arn:
            return self.resource_arn
        known = _TYPES.get(self.resource)
        return known.arn if known is not None else "*"

    @property
    def all_condition_keys(self) -> tuple[str, ...]:
        """The resource type's keys and the action's own, sorted, without the global keys."""
        known = _TYPES.get(self.resource)
        keys = set(self.condition_keys) | set(known.condition_keys if known else ())
        return tuple(sorted(keys, key=str.lower))


_ACTIONS: dict[str, Action] = {}
_TYPES: dict[str, ResourceType] = {}


def register_actions(actions: Iterable[Action]) -> None:
    """Declare actions (each room does this in its ``_actions.py``)."""
    for action in actions:
        existing = _ACTIONS.get(action.name)
        if existing is not None and existing != action:
            raise ValueError(f"action {action.name} declared twice with different specs")
        _ACTIONS[action.name] = action


def register_resource_types(types: Iterable[ResourceType]) -> None:
    """Declare resource types (ARN pattern and condition keys shared by their actions)."""
    for kind in types:
        existing = _TYPES.get(kind.name)
        if existing is not None and existing != kind:
            raise ValueError(f"resource type {kind.name} declared twice with different specs")
        _TYPES[kind.name] = kind


def declared_actions() -> dict[str, Action]:
    """Every declared action by name."""
    return dict(_ACTIONS)


def lookup_action(name: str) -> Action | None:
    """The declared action called ``name`` (exact spelling), if any."""
    return _ACTIONS.get(name)


def declared_resource_types() -> dict[str, ResourceType]:
    """Every declared resource type by name."""
    return dict(_TYPES)


_KMS_KEYS = (
    "aws:ResourceTag/${TagKey}",
    "kms:CallerAccount",
    "kms:EncryptionContext:${EncryptionContextKey}",
    "kms:EncryptionContextKeys",
    "kms:ViaService",
)

register_resource_types(
    [
        ResourceType(
            name="AWS::KMS::Key",
            arn="arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}",
            condition_keys=_KMS_KEYS,
        ),
        ResourceType(
            name="AWS::KMS::Alias",
            arn="arn:${Partition}:kms:${Region}:${Account}:alias/${AliasName}",
        ),
        ResourceType(
            name="bucket",
            arn="arn:${Partition}:s3:::${BucketName}",
            condition_keys=("aws:ResourceTag/${TagKey}",),
        ),
        ResourceType(
            name="object",
            arn="arn:${Partition}:s3:::${BucketName}/${ObjectName}",
            condition_keys=("s3:ExistingObjectTag/${TagKey}",),
        ),
        ResourceType(
            name="AWS::CloudTrail::Trail",
            arn="arn:${Partition}:cloudtrail:${Region}:${Account}:trail/${TrailName}",
        ),
    ]
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def actions_markdown() -> str:
    """``docs/actions.md``: every declared action by service, generated from the catalogue."""
    lines = [
        "# Actions",
        "",
        "<!-- Generated by `bastion access actions --markdown > docs/actions.md`; do not edit. -->",
        "",
        "Every operation of Bastion is one of these actions on a resource; policies name them in",
        "`Action`/`NotAction` (case-insensitive, `*` and `?` wildcards). The resource ARN pattern",
        "is what `Resource` is matched against; condition keys are the ones the action supplies",
        "beyond the global keys every request carries:",
        "",
        ", ".join(f"`{k}`" for k in sorted(GLOBAL_CONDITION_KEYS, key=str.lower)) + ".",
        "",
        "Access level: **Read** actions are CloudTrail read-only events, **Write** the others;",
        "**Data** events are CloudTrail data events, the rest management events.",
    ]
    by_service: dict[str, list[Action]] = {}
    for action in _ACTIONS.values():
        by_service.setdefault(action.service, []).append(action)
    for service in sorted(by_service):
        lines += [
            "",
            f"## {service}",
            "",
            "| action | access | resource type | resource ARN | condition keys | description |",
            "|---|---|---|---|---|---|",
        ]
        for action in sorted(by_service[service], key=lambda a: a.name.lower()):
            level = "Read" if action.read_only else "Write"
            if action.category is EventCategory.DATA:
                level += " (Data)"
            keys = ", ".join(f"`{k}`" for k in action.all_condition_keys) or "—"
            lines.append(
                f"| `{action.name}` | {level} | {_cell(action.resource)} "
                f"| `{action.arn_pattern}` | {keys} | {_cell(action.doc)} |"
            )
    return "\n".join(lines) + "\n"


__all__ = [
    "GLOBAL_CONDITION_KEYS",
    "TAG_ON_CREATE_KEYS",
    "Action",
    "ResourceType",
    "actions_markdown",
    "declared_actions",
    "declared_resource_types",
    "lookup_action",
    "register_actions",
    "register_resource_types",
]
