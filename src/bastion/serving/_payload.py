"""Request and response bodies of InvokeEndpoint: text/csv, application/json, Parquet.

CSV rows carry the signature's features in order, without a header (as SageMaker's built-in
containers); JSON may be SageMaker's ``{"instances": [...]}`` (rows as lists or records),
``{"features": [...]}`` (one row), a list of records, or one record. Every refusal names the
field and, where it applies, the row.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bastion.errors import Invalid

CSV = "text/csv"
JSON = "application/json"
PARQUET = "application/x-parquet"
CONTENT_TYPES = (CSV, JSON, PARQUET)
ACCEPTS = (CSV, JSON)
MAX_ROWS = 100_000


def media_type(value: str | None, *, field: str, allowed: Sequence[str], default: str) -> str:
    """The bare media type of a Content-Type/Accept header, if allowed."""
    if not value or value.strip() in ("*/*", ""):
        return default
    bare = value.split(";", 1)[0].strip().lower()
    if bare not in allowed:
        raise Invalid(field, got=value, expected="one of " + ", ".join(allowed))
    return bare


def parse(body: bytes, content_type: str, features: Sequence[str]) -> pd.DataFrame:
    """The rows of a request as a DataFrame with the signature's column names."""
    if not body:
        raise Invalid("body", got="an empty body", expected="at least one row")
    if content_type == CSV:
        return _csv(body, features)
    if content_type == JSON:
        return _json(body, features)
    return _parquet(body)


def _csv(body: bytes, features: Sequence[str]) -> pd.DataFrame:
    if b"\x00" in body:
        raise Invalid("body", got="a NUL byte", expected="CSV text without NUL characters")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "body", got=f"invalid UTF-8 at byte {exc.start}", expected="UTF-8 CSV"
        ) from None
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    if len(rows) > MAX_ROWS:
        raise Invalid("body", got=f"{len(rows)} rows", expected=f"at most {MAX_ROWS} rows")
    for i, row in enumerate(rows):
        if len(row) != len(features):
            raise Invalid(
                f"row {i}",
                got=f"{len(row)} columns",
                expected=f"{len(features)} comma-separated values ({', '.join(features[:10])}…)"
                if len(features) > 10
                else f"{len(features)} values: {', '.join(features)}",
            )
    frame = pd.DataFrame(rows, columns=list(features))
    return frame.apply(_coerce)


def _coerce(column: pd.Series) -> pd.Series:
    """CSV text to numbers where every present value is a number ('' is missing)."""
    blank = column.replace("", np.nan)
    numbers = pd.to_numeric(blank, errors="coerce")
    if numbers.notna().sum() == blank.notna().sum():
        return numbers
    return blank


def _json(body: bytes, features: Sequence[str]) -> pd.DataFrame:
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise Invalid(
            "body", got=f"malformed JSON ({str(exc)[:80]})", expected="a JSON document"
        ) from None
    if isinstance(data, Mapping) and "instances" in data:
        rows = data["instances"]
        where = "instances"
    elif isinstance(data, Mapping) and "features" in data:
        rows = [data["features"]]
        where = "features"
    elif isinstance(data, list):
        rows, where = data, "body"
    elif isinstance(data, Mapping):
        rows, where = [data], "body"
    else:
        raise Invalid(
            "body",
            got=type(data).__name__,
            expected='{"instances": [...]}, a list of records or one record',
        )
    if not isinstance(rows, list) or not rows:
        raise Invalid(
            where,
            got=rows if not isinstance(rows, list) else "[]",
            expected="a non-empty list of rows",
        )
    if len(rows) > MAX_ROWS:
        raise Invalid(where, got=f"{len(rows)} rows", expected=f"at most {MAX_ROWS} rows")
    if all(isinstance(r, Mapping) for r in rows):
        return pd.DataFrame.from_records(rows)
    if all(isinstance(r, list) for r in rows):
        for i, row in enumerate(rows):
            if len(row) != len(features):
                raise Invalid(
                    f"{where}[{i}]",
                    got=f"{len(row)} values",
                    expected=f"{len(features)} values in signature order",
                )
            for j, value in enumerate(row):
                if isinstance(value, dict | list):
                    raise Invalid(
                        f"{where}[{i}].{features[j]}",
                        got=type(value).__name__,
                        expected="a number, string, boolean or null",
                    )
        return pd.DataFrame(rows, columns=list(features))
    raise Invalid(where, got="mixed rows", expected="rows that are all lists or all records")


def _refuse_constant(name: str) -> float:
    raise Invalid("body", got=name, expected="finite JSON numbers (no NaN/Infinity)")


def _parquet(body: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(body))
    except Exception as exc:  # pyarrow's many refusal types
        raise Invalid(
            "body", got=f"unreadable Parquet ({type(exc).__name__})", expected="a Parquet file"
        ) from None
    if len(frame) > MAX_ROWS:
        raise Invalid("body", got=f"{len(frame)} rows", expected=f"at most {MAX_ROWS} rows")
    return frame


def render(predictions: Any, accept: str) -> bytes:
    """Predictions as CSV lines or ``{"predictions": [...]}``."""
    array = np.asarray(predictions)
    if accept == CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in array.reshape(len(array), -1).tolist():
            writer.writerow(row)
        return out.getvalue().encode()
    values = [_plain(v) for v in array.tolist()]
    return json.dumps({"predictions": values}, allow_nan=False).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
