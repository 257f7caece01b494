"""Text the databases cannot store is refused at the edge: NUL characters and lone surrogates.

PostgreSQL cannot store U+0000 and neither database can encode an unpaired surrogate (JSON's
``"\\ud800"``), so such text reaching a service would fail inside the database instead of as a
clear 400. Every path parameter, query parameter and JSON string (keys included) of a request is
checked before the route runs; the error names the parameter or the JSON path.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from bastion.api._auth import streams_body
from bastion.errors import Invalid

EXPECTED_TEXT = "text without NUL characters (U+0000) or unpaired surrogates"


def _bad(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse(field: str, text: str) -> Invalid:
    shown = text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return Invalid(field, got=shown, expected=EXPECTED_TEXT)


def _walk(value: Any, path: str) -> None:
    if isinstance(value, str):
        if _bad(value):
            raise _refuse(path or "body", value)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _bad(key):
                raise _refuse(path or "body", key)
            _walk(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index))


async def check_text(request: Request) -> None:
    """FastAPI dependency (application-wide): refuse unstorable text with 400 naming where."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and _bad(value):
            raise _refuse(name, value)
    for name, value in request.query_params.multi_items():
        if _bad(value) or _bad(name):
            raise _refuse(name, value)
    if streams_body(request.scope):
        return
    body = await request.body()
    if not body:
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # not JSON: the route's own validation reports it
    _walk(parsed, "")


__all__ = ["EXPECTED_TEXT", "check_text"]
