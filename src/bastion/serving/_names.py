"""What callers name in serving: endpoints, configs, variants, capture settings."""

from __future__ import annotations

import re

from bastion.errors import Invalid
from bastion.types import Arn

NAME = (
    "1 to 63 letters, digits and hyphens, beginning and ending with a letter or digit "
    "(e.g. 'fraud-endpoint')"
)
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def endpoint_arn(region: str, account: str, name: str) -> Arn:
    """``arn:bastion:sagemaker:<region>:<account>:endpoint/<name>`` (lower-case, as SageMaker)."""
    return Arn(f"arn:bastion:sagemaker:{region}:{account}:endpoint/{name.lower()}")


def config_arn(region: str, account: str, name: str) -> Arn:
    """``arn:bastion:sagemaker:<region>:<account>:endpoint-config/<name>``."""
    return Arn(f"arn:bastion:sagemaker:{region}:{account}:endpoint-config/{name.lower()}")


def validate_name(value: object, *, field: str, operation: str) -> str:
    """An endpoint, config or variant name by SageMaker's rule."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise Invalid(field, got=value, expected=NAME, operation=operation)
    return value
