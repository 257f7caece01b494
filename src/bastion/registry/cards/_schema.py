"""Model card content: SageMaker's model card JSON schema, checked with ``jsonschema``.

The schema ships beside this module (``model_card.schema.json``, draft 2020-12). Content is
first normalised through JSON (tuples become lists; NaN, Infinity and objects JSON cannot hold
are refused), then validated; each problem becomes an :class:`~bastion.errors.Invalid` whose
field is the JSON path inside the content (``content.intended_uses.risk_rating``) and whose
expectation says what to write instead.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]

from bastion._text import unstorable
from bastion.errors import Invalid

SCHEMA_RESOURCE = "model_card.schema.json"
MAX_CONTENT_CHARS = 100_000
"""SageMaker's limit on a card's ``Content`` (characters of JSON text)."""

CONTENT_FIELD = "content"
OBJECT_EXPECTED = "a JSON object in the model card schema (or its JSON text)"
TEXT_EXPECTED = "text without NUL characters (U+0000) or unpaired surrogates"
JSON_EXPECTED = "JSON: strings, finite numbers, true/false/null, lists and objects only"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "array": "an array (a JSON list)",
    "object": "an object",
    "null": "null",
}
_GOT_CHARS = 80

JsonObject = dict[str, Any]


@functools.cache
def card_schema() -> Mapping[str, Any]:
    """The model card JSON schema (draft 2020-12) as shipped in the package."""
    text = resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    schema = card_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_content(content: object, *, operation: str) -> JsonObject:
    """``content`` (a mapping or its JSON text) as plain JSON data, not yet schema-checked."""
    if isinstance(content, str):
        try:
            parsed = json.loads(content, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise Invalid(
                CONTENT_FIELD,
                got=_shown(content),
                expected=f"{OBJECT_EXPECTED}; it is not valid JSON ({exc})",
                operation=operation,
            ) from None
    elif isinstance(content, Mapping):
        try:
            parsed = json.loads(json.dumps(content, allow_nan=False))
        except (TypeError, ValueError, RecursionError) as exc:
            raise Invalid(
                CONTENT_FIELD,
                got=f"<{type(content).__name__}>",
                expected=f"{JSON_EXPECTED} ({exc})",
                operation=operation,
            ) from None
    else:
        raise Invalid(
            CONTENT_FIELD, got=_shown(content), expected=OBJECT_EXPECTED, operation=operation
        )
    if not isinstance(parsed, dict):
        raise Invalid(
            CONTENT_FIELD, got=_shown(parsed), expected=OBJECT_EXPECTED, operation=operation
        )
    return parsed


def canonical_json(content: Mapping[str, Any]) -> str:
    """The one text form of validated content: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_problems(content: object, *, operation: str = "ValidateModelCard") -> list[Invalid]:
    """Every way ``content`` breaks the schema, in document order (empty when it is valid).

    Each problem is an :class:`Invalid` naming the JSON path (``content.evaluation_details[0]
    .name``), what was found and what to write instead.
    """
    parsed = parse_content(content, operation=operation)
    problems = [_problem(e, operation) for e in _validator().iter_errors(parsed)]
    problems.sort(key=lambda p: str(p.field))
    return problems


def check_content(content: object, *, operation: str) -> JsonObject:
    """``content`` normalised and validated; raises :class:`Invalid` for the first problem.

    Checks, in order: JSON data (or text) of an object; the model card schema (the most
    relevant error, as ``jsonschema.best_match`` ranks them); at most
    :data:`MAX_CONTENT_CHARS` characters of JSON; text every database can store.
    """
    parsed = parse_content(content, operation=operation)
    error = best_match(_validator().iter_errors(parsed))
    if error is not None:
        raise _problem(error, operation)
    size = len(canonical_json(parsed))
    if size > MAX_CONTENT_CHARS:
        raise Invalid(
            CONTENT_FIELD,
            got=f"<{size} characters of JSON>",
            expected=f"at most {MAX_CONTENT_CHARS} characters of JSON (shorten the text fields)",
            operation=operation,
        )
    for path, text in _texts(parsed, CONTENT_FIELD):
        if unstorable(text):
            raise Invalid(path, got=_shown(text), expected=TEXT_EXPECTED, operation=operation)
    return parsed


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in validated content (keys included) with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = _join(path, key)
            yield where, key
            yield from _texts(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, _join(path, index))


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    if _IDENTIFIER.fullmatch(part):
        return f"{path}.{part}"
    return f"{path}[{json.dumps(part)}]"


def _path(error: ValidationError) -> str:
    path = CONTENT_FIELD
    for part in error.absolute_path:
        path = _join(path, part)
    return path


def _problem(error: ValidationError, operation: str) -> Invalid:
    """One schema error as an :class:`Invalid` naming its JSON path and the fix."""
    path = _path(error)
    kind = error.validator
    value = error.validator_value
    instance = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        where = _join(path, extra[0]) if extra else path
        listed = ", ".join(allowed) if allowed else "none"
        return Invalid(
            where,
            got=_shown(instance.get(extra[0])) if extra else None,
            expected=f"absent: it is not a field of the model card schema here "
            f"(fields allowed: {listed})",
            operation=operation,
        )
    if kind == "required" and isinstance(instance, dict):
        missing = [k for k in value if k not in instance]
        return Invalid(
            _join(path, missing[0]) if missing else path,
            got=None,
            expected="given (it is required here)",
            operation=operation,
        )
    return Invalid(path, got=_shown(instance), expected=_expected(error), operation=operation)


def _expected(error: ValidationError) -> str:
    kind = error.validator
    value = error.validator_value
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kinds)
    if kind == "enum":
        return "one of " + ", ".join(repr(v) for v in value)
    if kind == "const":
        return repr(value)
    if kind == "maxLength":
        return f"a string of at most {value} characters (shorten it)"
    if kind == "minLength":
        return f"a string of at least {value} character{'s' if value != 1 else ''}"
    if kind == "maxItems":
        return f"an array of at most {value} items (remove some)"
    if kind == "minItems":
        return f"an array of at least {value} item{'s' if value != 1 else ''}"
    if kind == "minimum":
        return f"a number >= {value}"
    if kind == "anyOf":
        return " or ".join(_describe(option) for option in value)
    return f"valid here ({error.message})"


def _describe(schema: Mapping[str, Any]) -> str:
    """A short phrase for a sub-schema (used for ``anyOf``)."""
    words = _TYPE_WORDS.get(str(schema.get("type")), "a value")
    if "maxLength" in schema:
        words += f" of at most {schema['maxLength']} characters"
    return words


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _GOT_CHARS else value[:_GOT_CHARS] + "…"
    if isinstance(value, dict):
        return f"<object with {len(value)} fields>"
    if isinstance(value, list):
        return f"<array of {len(value)} items>"
    if value is None or isinstance(value, bool | int | float):
        return value
    return f"<{type(value).__name__}>"


__all__ = [
    "CONTENT_FIELD",
    "MAX_CONTENT_CHARS",
    "canonical_json",
    "card_schema",
    "check_content",
    "content_problems",
    "parse_content",
]
