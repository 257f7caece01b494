"""Shared data and fixtures of the monitoring tests: a fraud-like table, its drifted twin, capture
files laid out as SageMaker writes them, and a home with a baseline stored in a bucket."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from bastion.sdk import Bastion

BUCKET = "fraud-data"
BASELINE = f"s3://{BUCKET}/baseline"
CAPTURE = f"s3://{BUCKET}/datacapture"
OUTPUT = f"s3://{BUCKET}/monitoring"
FEATURES = ["amount", "category", "count"]


def training(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Amounts (log-normal), a category of three values, a small count."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": np.round(rng.lognormal(3, 0.8, rows), 2),
            "category": rng.choice(["food", "travel", "online"], rows),
            "count": rng.integers(0, 10, rows),
        }
    )


def drifted(rows: int = 2000, seed: int = 1) -> pd.DataFrame:
    """The same table with amounts shifted up and a new category on a fifth of the rows."""
    frame = training(rows, seed)
    frame["amount"] = np.round(frame["amount"] * 1.8 + 20, 2)
    frame.loc[: rows // 5, "category"] = "crypto"
    return frame


def csv_bytes(frame: pd.DataFrame, *, header: bool = True) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=header)
    return buffer.getvalue().encode()


def capture_line(row: Iterable[object], when: datetime, *, encoding: str = "CSV") -> str:
    """One SageMaker capture record of a CSV (or JSON) request."""
    values = list(row)
    if encoding == "CSV":
        data = ",".join(str(v) for v in values) + "\n"
        content = "text/csv"
    else:
        data = json.dumps(dict(zip(FEATURES, values, strict=True)))
        content = "application/json"
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": content,
                    "mode": "INPUT",
                    "data": data,
                    "encoding": encoding,
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": "0.5",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": str(uuid.uuid4()),
                "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
    )


def capture_key(endpoint: str, when: datetime, variant: str = "AllTraffic") -> str:
    """SageMaker's layout: ``datacapture/<endpoint>/<variant>/yyyy/mm/dd/hh/MM-SS-mmm-<uuid>``."""
    return (
        f"datacapture/{endpoint}/{variant}/{when:%Y/%m/%d/%H}/{when:%M-%S}-000-{uuid.uuid4()}.jsonl"
    )


def put_capture(
    client: Bastion,
    endpoint: str,
    frame: pd.DataFrame,
    when: datetime,
    *,
    extra_lines: Iterable[str] = (),
    variant: str = "AllTraffic",
    encoding: str = "CSV",
) -> str:
    """Write one capture file of ``frame``'s rows (all at ``when``) plus ``extra_lines``."""
    lines = [capture_line(r, when, encoding=encoding) for r in frame.itertuples(index=False)]
    body = "\n".join([*lines, *extra_lines]) + "\n"
    key = capture_key(endpoint, when, variant)
    client.store.put_object(BUCKET, key, body.encode())
    return key
