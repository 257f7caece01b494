"""What callers name in the registry: model package groups, versions, metrics, tags.

Rules follow SageMaker's (ModelPackageGroupName: 1-63 letters, digits and hyphens, starting and
ending with a letter or digit); each is a constant used by the error and the docs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from bastion._text import has_control
from bastion.errors import Invalid
from bastion.types import Arn

GROUP_NAME = (
    "1 to 63 letters, digits and hyphens, beginning and ending with a letter or digit "
    "(e.g. 'fraud-detector')"
)
VERSION = "a version number from 1 to 2147483647"
MAX_VERSION = 2_147_483_647
DESCRIPTION = "a description of at most 1024 characters of text without control characters"
REASON = "a reason of 1 to 1024 characters of text without control characters"
METRIC_NAME = "a metric name of 1 to 255 characters of text without control characters"
METRIC_VALUE = "a finite number"
SHA256 = "64 lowercase hexadecimal characters (a SHA-256 digest)"
MAX_TAGS = 50
TAG = "tags: at most 50, keys of 1-128 and values of 0-256 characters without control characters"

_GROUP = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def group_arn(region: str, account: str, group: str) -> Arn:
    """``arn:bastion:sagemaker:<region>:<account>:model-package-group/<group>``."""
    return Arn(f"arn:bastion:sagemaker:{region}:{account}:model-package-group/{group.lower()}")


def package_arn(region: str, account: str, group: str, version: int) -> Arn:
    """``arn:bastion:sagemaker:<region>:<account>:model-package/<group>/<version>``."""
    return Arn(f"arn:bastion:sagemaker:{region}:{account}:model-package/{group.lower()}/{version}")


def trust_arn(region: str, account: str, sha256: str) -> Arn:
    """The resource of a trust decision: one artifact's content hash."""
    return Arn(f"arn:bastion:bastion:{region}:{account}:model-artifact/{sha256}")


def validate_group_name(name: object, *, operation: str) -> str:
    """``name`` if it is a valid model package group name, else Invalid naming the rule."""
    if not isinstance(name, str) or not _GROUP.match(name):
        raise Invalid("ModelPackageGroupName", got=name, expected=GROUP_NAME, operation=operation)
    return name


def validate_version(version: object, *, operation: str) -> int:
    """``version`` as an int >= 1."""
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise Invalid("ModelPackageVersion", got=version, expected=VERSION, operation=operation)
    return version


def validate_text(value: object, *, field: str, rule: str, operation: str, empty: bool) -> str:
    """A free-text field: at most 1024 characters, no control characters except newlines/tabs."""
    if value is None and empty:
        return ""
    if (
        not isinstance(value, str)
        or len(value) > 1024
        or (not value and not empty)
        or has_control(value.replace("\n", " ").replace("\t", " "))
    ):
        raise Invalid(field, got=value, expected=rule, operation=operation)
    return value


def validate_sha256(value: object, *, operation: str) -> str:
    """A lowercase hex SHA-256 digest."""
    if not isinstance(value, str) or not _SHA256.match(value):
        raise Invalid("Sha256", got=value, expected=SHA256, operation=operation)
    return value


def validate_metrics(metrics: Mapping[str, object] | None, *, operation: str) -> dict[str, float]:
    """Named finite numbers (accuracy, auc, …)."""
    clean: dict[str, float] = {}
    for name, value in (metrics or {}).items():
        if not isinstance(name, str) or not name or len(name) > 255 or has_control(name):
            raise Invalid("ModelMetrics", got=name, expected=METRIC_NAME, operation=operation)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise Invalid(
                f"ModelMetrics.{name}", got=value, expected=METRIC_VALUE, operation=operation
            )
        clean[name] = float(value)
    return clean


def validate_tags(tags: Mapping[str, object] | None, *, operation: str) -> dict[str, str]:
    """Up to 50 tags with SageMaker's key/value lengths."""
    clean: dict[str, str] = {}
    items = list((tags or {}).items())
    if len(items) > MAX_TAGS:
        raise Invalid("Tags", got=f"{len(items)} tags", expected=TAG, operation=operation)
    for key, value in items:
        if (
            not isinstance(key, str)
            or not 1 <= len(key) <= 128
            or has_control(key)
            or not isinstance(value, str)
            or len(value) > 256
            or has_control(value)
        ):
            raise Invalid(f"Tags.{key}", got=value, expected=TAG, operation=operation)
        clean[key] = value
    return clean
