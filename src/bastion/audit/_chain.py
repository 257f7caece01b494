"""The record encoding and the hash chain.

A record is stored as the canonical JSON text of the event (keys sorted, no spaces, ASCII only,
so its UTF-8 bytes are the text itself), and never re-serialised afterwards: verify hashes the
stored text. ``hash[n] = SHA-256(hash[n-1] || record[n])`` with 32 zero bytes before record 1.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from bastion.errors import Invalid

GENESIS = bytes(32)

_EVENT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# escapes PostgreSQL's jsonb refuses: NUL, and surrogates (paired ones are re-encoded unchanged)
_UNSTORABLE = re.compile(r"\\u0000|\\ud[89a-f]", re.IGNORECASE)
_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
_REQUIRED = ("eventID", "eventTime", "eventName", "eventSource")


def canonical_record(event: Mapping[str, Any]) -> str:
    """Validate ``event`` and return the text that is stored and hashed."""
    if not isinstance(event, Mapping):
        raise Invalid("event", got=type(event).__name__, expected="a CloudTrail record (a dict)")
    for name in _REQUIRED:
        value = event.get(name)
        if not isinstance(value, str):
            raise Invalid(f"event.{name}", got=value, expected="a string", operation="append")
    if not _ID.fullmatch(event["eventID"]):
        raise Invalid(
            "event.eventID",
            got=event["eventID"],
            expected="1-128 letters, digits or ._:- (a UUID)",
            operation="append",
        )
    if not _EVENT_TIME.fullmatch(event["eventTime"]):
        raise Invalid(
            "event.eventTime",
            got=event["eventTime"],
            expected="UTC time as YYYY-MM-DDTHH:MM:SSZ",
            operation="append",
        )
    text = _dumps(event)
    if _UNSTORABLE.search(text):
        text = _dumps(_storable(event))
    return text


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False)


def _dumps(value: Any) -> str:
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            "event",
            got=str(exc),
            expected="JSON values only (str, int, finite float, bool, None, list, dict)",
            operation="append",
        ) from exc


def _storable(value: Any) -> Any:
    """Replace NUL and lone surrogates (which no database stores in JSON) with U+FFFD."""
    if isinstance(value, str):
        return _NUL_OR_SURROGATE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def chain(prev: bytes, record: str) -> bytes:
    """The hash of ``record`` following a record whose hash is ``prev``."""
    return hashlib.sha256(prev + record.encode()).digest()


def event_id_of(record: str) -> str | None:
    """The eventID of a stored record, even a damaged one (only used to name bad records)."""
    try:
        parsed = json.loads(record)
    except ValueError:
        match = re.search(r'"eventID":"([^"]{1,128})"', record)
        return match.group(1) if match else None
    value = parsed.get("eventID") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None
