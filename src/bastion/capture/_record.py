"""The capture record: SageMaker's JSON line, built once per invocation, redacted before it exists.

One record holds both halves of an invocation (``captureData.endpointInput`` and
``captureData.endpointOutput``, as the endpoint's CaptureOptions ask), its ``eventMetadata``
(``eventId``, ``inferenceId``, ``inferenceTime`` to the second, ``Z``) and ``eventVersion`` "0".
A payload whose content type is one of the config's CSV (JSON) types and whose bytes are UTF-8 is
stored as text with encoding ``CSV`` (``JSON``); anything else is base64 with ``BASE64``.

Redaction replaces the values of named fields before the record is built: JSON members of that
name at any depth, and CSV columns (or JSON rows given as lists) at the positions the model's
signature gives those names. A payload that cannot be read to redact it (not UTF-8, not valid
JSON, Parquet) is withheld: its ``data`` is empty. Sampling hashes the inference id, so a replay
of the same requests captures the same ones.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bastion.clock import iso_z

EVENT_VERSION = "0"
REDACTED = "[REDACTED]"
"""What a redacted value becomes, in JSON and in CSV."""
CSV_ENCODING = "CSV"
JSON_ENCODING = "JSON"
BASE64_ENCODING = "BASE64"
_SAMPLING_SALT = b"bastion-capture-sampling\x00"
"""Keeps the sampling decision independent of serving's variant choice (also a hash of the id)."""


def media_type(content_type: str) -> str:
    """The bare, lower-case media type: ``text/csv; charset=utf-8`` → ``text/csv``."""
    return content_type.split(";", 1)[0].strip().lower()


def sampled(inference_id: str, percentage: int) -> bool:
    """Whether the invocation ``inference_id`` is captured at ``percentage`` (0-100).

    A hash of the id, so the same id always gets the same answer (replays agree) and ids spread
    evenly: the share of captured ids tends to ``percentage`` %.
    """
    if percentage >= 100:
        return True
    if percentage <= 0:
        return False
    digest = hashlib.sha256(_SAMPLING_SALT + inference_id.encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big") % 10_000 < percentage * 100


def payload(
    body: bytes,
    content_type: str,
    *,
    mode: str,
    csv_types: Collection[str],
    json_types: Collection[str],
    redact: Collection[str] = (),
    feature_names: Sequence[str] = (),
) -> dict[str, str]:
    """One ``captureData`` entry (``mode`` INPUT or OUTPUT) for ``body`` as it was sent."""
    bare = media_type(content_type)
    encoding = (
        CSV_ENCODING
        if bare in csv_types
        else JSON_ENCODING
        if bare in json_types
        else BASE64_ENCODING
    )
    text: str | None = None
    if encoding != BASE64_ENCODING:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            encoding = BASE64_ENCODING
    if redact:
        text = _redacted(text, encoding, set(redact), feature_names)
        data = "" if text is None else text
    else:
        data = text if text is not None else base64.b64encode(body).decode("ascii")
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def _redacted(
    text: str | None, encoding: str, names: set[str], feature_names: Sequence[str]
) -> str | None:
    """``text`` with the named fields replaced, or None when it cannot be read to do so."""
    positions = frozenset(i for i, n in enumerate(feature_names) if n in names)
    if text is None:
        return None
    if encoding == CSV_ENCODING:
        return _redact_csv(text, positions)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    changed, clean = _redact_json(value, names, positions, len(feature_names))
    return json.dumps(clean, separators=(",", ":"), ensure_ascii=False) if changed else text


def _redact_csv(text: str, positions: frozenset[int]) -> str | None:
    if not positions:
        return text
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([REDACTED if i in positions else v for i, v in enumerate(row)])
    rendered = out.getvalue()
    return rendered if text.endswith(("\n", "\r")) else rendered.removesuffix("\n")


def _redact_json(
    value: Any, names: set[str], positions: frozenset[int], width: int
) -> tuple[bool, Any]:
    """(changed, value with named members and positional row values replaced)."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in names:
                out[key], changed = REDACTED, True
                continue
            hit, out[key] = _redact_json(item, names, positions, width)
            changed = changed or hit
        return changed, out
    if isinstance(value, list):
        if positions and len(value) == width and not any(isinstance(v, dict | list) for v in value):
            return True, [REDACTED if i in positions else v for i, v in enumerate(value)]
        changed = False
        items = []
        for item in value:
            hit, clean = _redact_json(item, names, positions, width)
            changed = changed or hit
            items.append(clean)
        return changed, items
    return False, value


def capture_record(
    *,
    endpoint_input: dict[str, str] | None,
    endpoint_output: dict[str, str] | None,
    event_id: str,
    inference_id: str,
    when: datetime,
) -> dict[str, Any]:
    """The JSON object of one capture line (either half may be absent, as CaptureOptions say)."""
    data: dict[str, Any] = {}
    if endpoint_input is not None:
        data["endpointInput"] = endpoint_input
    if endpoint_output is not None:
        data["endpointOutput"] = endpoint_output
    return {
        "captureData": data,
        "eventMetadata": {
            "eventId": event_id,
            "inferenceId": inference_id,
            "inferenceTime": iso_z(when),
        },
        "eventVersion": EVENT_VERSION,
    }


def record_line(record: dict[str, Any]) -> bytes:
    """The record as one JSON line, no trailing newline. ASCII: every non-ASCII character is a
    ``\\u`` escape, so no reader can take a U+2028 or U+0085 in a payload for a line break."""
    return json.dumps(record, separators=(",", ":")).encode("ascii")


def part_key(prefix: str, endpoint: str, variant: str, when: datetime, unique: str) -> str:
    """SageMaker's key of a capture file: ``{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/``
    then ``{MM}-{SS}-{mmm}-{unique}.jsonl`` (minute, second, millisecond of its first record)."""
    name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{unique}.jsonl"
    path = f"{endpoint}/{variant}/{when:%Y/%m/%d/%H}/{name}"
    return f"{prefix}/{path}" if prefix else path
