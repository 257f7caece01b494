"""Names and parameters of model card calls, checked before a call reaches the gate."""

from __future__ import annotations

import re
from datetime import datetime

from bastion.access import PARTITION
from bastion.errors import Invalid
from bastion.registry.cards._models import ExportFormat, ModelCardStatus
from bastion.types import Arn

_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_TOKEN = re.compile(r"[0-9]{1,9}")

NAME_EXPECTED = (
    "1-63 letters, digits and hyphens, starting and ending with a letter or digit "
    "(or the card's ARN)"
)
STATUS_EXPECTED = "one of " + ", ".join(s.value for s in ModelCardStatus)
FORMAT_EXPECTED = "one of " + ", ".join(f.value for f in ExportFormat)
VERSION_EXPECTED = "a positive integer (a version listed by ListModelCardVersions)"
NEXT_PAGE_EXPECTED = "the NextToken of the previous page, unchanged"
MAX_RESULTS = 100


def card_arn(region: str, account_id: str, name: str) -> Arn:
    """``arn:bastion:sagemaker:<region>:<account>:model-card/<name>``."""
    return Arn(f"arn:{PARTITION}:sagemaker:{region}:{account_id}:model-card/{name}")


def card_name(value: object, *, region: str, account_id: str, operation: str) -> str:
    """The card name in ``value`` (a name, or the ARN of a card of this account and region)."""
    if isinstance(value, str):
        prefix = card_arn(region, account_id, "")
        name = value[len(prefix) :] if value.startswith(prefix) else value
        if _NAME.fullmatch(name):
            return name
    raise Invalid("model_card_name", got=value, expected=NAME_EXPECTED, operation=operation)


def card_status(value: object, *, field: str = "status", operation: str) -> ModelCardStatus:
    """``value`` as a :class:`ModelCardStatus` (its value, e.g. ``PendingReview``)."""
    if isinstance(value, str) and value in set(ModelCardStatus):
        return ModelCardStatus(value)
    raise Invalid(field, got=value, expected=STATUS_EXPECTED, operation=operation)


def export_format(value: object, *, operation: str) -> ExportFormat:
    if isinstance(value, str) and value in set(ExportFormat):
        return ExportFormat(value)
    raise Invalid("format", got=value, expected=FORMAT_EXPECTED, operation=operation)


def version_number(value: object, *, operation: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31:
        return value
    raise Invalid("version", got=value, expected=VERSION_EXPECTED, operation=operation)


def max_results(value: object, *, operation: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_RESULTS:
        return value
    raise Invalid(
        "max_results",
        got=value,
        expected=f"an integer in [1, {MAX_RESULTS}]",
        operation=operation,
    )


def page_offset(token: object, *, operation: str) -> int:
    """Where a page starts: 0 without a token, else the offset the previous page handed out."""
    if token is None:
        return 0
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        return int(token)
    raise Invalid("next_token", got=token, expected=NEXT_PAGE_EXPECTED, operation=operation)


def moment(value: object, *, field: str, operation: str) -> datetime | None:
    """An optional time bound; it must carry a time zone."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    raise Invalid(
        field, got=value, expected="a datetime with a time zone (e.g. UTC)", operation=operation
    )


def sort_order(value: object, *, operation: str) -> bool:
    """True for ``Descending`` (the default), False for ``Ascending``."""
    if value in ("Ascending", "Descending"):
        return value == "Descending"
    raise Invalid(
        "sort_order", got=value, expected="'Ascending' or 'Descending'", operation=operation
    )


def sort_by(value: object, *, operation: str) -> str:
    if value in ("Name", "CreationTime"):
        return str(value)
    raise Invalid("sort_by", got=value, expected="'Name' or 'CreationTime'", operation=operation)


def name_fragment(value: object, *, operation: str) -> str | None:
    """``NameContains``: up to 63 name characters (matched case-insensitively)."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"[a-zA-Z0-9-]{1,63}", value):
        return value
    raise Invalid(
        "name_contains",
        got=value,
        expected="1-63 letters, digits and hyphens",
        operation=operation,
    )


__all__ = [
    "MAX_RESULTS",
    "card_arn",
    "card_name",
    "card_status",
    "export_format",
    "max_results",
    "moment",
    "name_fragment",
    "page_offset",
    "sort_by",
    "sort_order",
    "version_number",
]
