"""What the routers share: request-model manners and base64 fields like AWS JSON."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema


class RequestModel(BaseModel):
    """A JSON request body: unknown fields are refused (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """A JSON response body."""


def _decode(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("base64 text (RFC 4648, standard alphabet, with padding)") from None


def _encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_B64_SCHEMA = {"type": "string", "format": "byte", "contentEncoding": "base64"}

Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_decode),
    PlainSerializer(_encode, return_type=str),
    WithJsonSchema(_B64_SCHEMA),
]
"""Bytes that travel as base64 text, as in AWS's JSON APIs."""


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time in a response: ISO 8601 in UTC with ``Z``, whichever database it came from."""


__all__ = ["Base64Bytes", "RequestModel", "ResponseModel", "Timestamp"]
