"""Names, paths, tags and ids of identities, validated with IAM's rules; ARNs built from them."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from bastion.access._models import PARTITION
from bastion.errors import Invalid
from bastion.types import Arn

_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
_PATH = re.compile(r"/([\x21-\x7e]*/)?")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LOWER_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

MAX_TAGS = 50
MAX_USER_NAME = 64
MAX_ROLE_NAME = 64
MAX_GROUP_NAME = 128
MAX_POLICY_NAME = 128
MAX_PATH = 512
MAX_DESCRIPTION = 1000

NAME_RULE = "letters, digits and + = , . @ _ - ({limit} characters at most)"
PATH_RULE = "'/' or a path like '/team/ml/' (starts and ends with '/', 512 characters at most)"
SESSION_NAME_RULE = "2-64 letters, digits and + = , . @ _ -"


def check_name(value: object, *, field: str, limit: int, operation: str) -> str:
    """An IAM name (user, group, role, policy); case-insensitively unique in its account."""
    if not isinstance(value, str) or not _NAME.fullmatch(value) or len(value) > limit:
        raise Invalid(field, got=value, expected=NAME_RULE.format(limit=limit), operation=operation)
    return value


def check_path(value: object, *, operation: str) -> str:
    """An IAM path: ``/`` or ``/a/b/``."""
    if not isinstance(value, str) or not _PATH.fullmatch(value) or len(value) > MAX_PATH:
        raise Invalid("path", got=value, expected=PATH_RULE, operation=operation)
    return value


def check_session_name(value: object, *, operation: str) -> str:
    """A role session name (it becomes the last part of the session ARN)."""
    if not isinstance(value, str) or not _SESSION_NAME.fullmatch(value):
        raise Invalid(
            "role_session_name", got=value, expected=SESSION_NAME_RULE, operation=operation
        )
    return value


def check_description(value: object, *, operation: str) -> str:
    """Free text of at most 1000 characters."""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise Invalid(
            "description",
            got=value,
            expected=f"text of at most {MAX_DESCRIPTION} characters",
            operation=operation,
        )
    return value


def check_tags(tags: object, *, operation: str, field: str = "tags") -> dict[str, str]:
    """At most 50 tags; keys 1-128 characters not starting with ``aws:``, values 0-256."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise Invalid(
            field, got=tags, expected="a mapping of tag keys to values", operation=operation
        )
    if len(tags) > MAX_TAGS:
        raise Invalid(
            field, got=f"{len(tags)} tags", expected=f"at most {MAX_TAGS} tags", operation=operation
        )
    clean: dict[str, str] = {}
    lowered: set[str] = set()
    for key, value in tags.items():
        if (
            not isinstance(key, str)
            or not 1 <= len(key) <= 128
            or not _TAG_TEXT.fullmatch(key)
            or key.lower().startswith("aws:")
        ):
            raise Invalid(
                f"{field}.key",
                got=key,
                expected="1-128 letters, digits, spaces and _ . : / = + - @, not starting 'aws:'",
                operation=operation,
            )
        if not isinstance(value, str) or len(value) > 256 or not _TAG_TEXT.fullmatch(value):
            raise Invalid(
                f"{field}[{key!r}]",
                got=value,
                expected="0-256 letters, digits, spaces and _ . : / = + - @",
                operation=operation,
            )
        if key.lower() in lowered:
            raise Invalid(
                f"{field}.key",
                got=key,
                expected="tag keys that differ other than in case",
                operation=operation,
            )
        lowered.add(key.lower())
        clean[key] = value
    return clean


def check_tag_keys(keys: object, *, operation: str) -> list[str]:
    """A list of tag keys to remove."""
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) and k for k in keys):
        raise Invalid("tag_keys", got=keys, expected="a list of tag keys", operation=operation)
    return list(keys)


def unique_id(prefix: str) -> str:
    """An IAM unique id: ``AIDA`` (user), ``AROA`` (role), ``AGPA`` (group), ``ANPA`` (policy)
    followed by 17 characters, as IAM writes them."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def access_key_id(prefix: str) -> str:
    """``AKIA`` (long-term) or ``ASIA`` (session) followed by 16 characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def org_id(prefix: str, length: int) -> str:
    """An organisations id: ``p-…`` (guardrail), ``ou-…``, ``r-…``."""
    return prefix + "".join(secrets.choice(_LOWER_ALPHABET) for _ in range(length))


def iam_arn(account_id: str, kind: str, path: str, name: str) -> Arn:
    """``arn:bastion:iam::<account>:<kind><path><name>`` (kind: user, group, role, policy)."""
    return Arn(f"arn:{PARTITION}:iam::{account_id}:{kind}{path}{name}")


def session_arn(account_id: str, role_name: str, session_name: str) -> Arn:
    """The ARN of an assumed-role session."""
    return Arn(f"arn:{PARTITION}:sts::{account_id}:assumed-role/{role_name}/{session_name}")


def shown(params: Mapping[str, Any]) -> dict[str, Any]:
    """Request parameters without the ``None`` values (as CloudTrail records them)."""
    return {k: v for k, v in params.items() if v is not None}


__all__ = [
    "MAX_GROUP_NAME",
    "MAX_POLICY_NAME",
    "MAX_ROLE_NAME",
    "MAX_USER_NAME",
    "access_key_id",
    "check_description",
    "check_name",
    "check_path",
    "check_session_name",
    "check_tag_keys",
    "check_tags",
    "iam_arn",
    "org_id",
    "session_arn",
    "shown",
    "unique_id",
]
