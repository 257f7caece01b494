"""The capture record: SageMaker's shape, encodings, deterministic sampling, redaction."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bastion.capture import REDACTED, capture_record, part_key, payload, sampled
from bastion.capture._record import record_line

CSV_TYPES = frozenset({"text/csv"})
JSON_TYPES = frozenset({"application/json"})
WHEN = datetime(2026, 3, 5, 17, 25, 49, 648_000, tzinfo=UTC)
FEATURES = ("name", "amount", "email", "count")


def _payload(body: bytes, ctype: str = "text/csv", **kw: object) -> dict[str, str]:
    return payload(body, ctype, mode="INPUT", csv_types=CSV_TYPES, json_types=JSON_TYPES, **kw)  # type: ignore[arg-type]


def test_record_has_sagemakers_shape() -> None:
    record = capture_record(
        endpoint_input=_payload(b"5.1,3.5\n"),
        endpoint_output=payload(
            b"0.97",
            "text/csv; charset=utf-8",
            mode="OUTPUT",
            csv_types=CSV_TYPES,
            json_types=JSON_TYPES,
        ),
        event_id="3f0b8c9e-6a2d-4c1e-9f77-2d1a0e5b7c44",
        inference_id="order-000123",
        when=WHEN,
    )
    assert record == {
        "captureData": {
            "endpointInput": {
                "observedContentType": "text/csv",
                "mode": "INPUT",
                "data": "5.1,3.5\n",
                "encoding": "CSV",
            },
            "endpointOutput": {
                "observedContentType": "text/csv; charset=utf-8",
                "mode": "OUTPUT",
                "data": "0.97",
                "encoding": "CSV",
            },
        },
        "eventMetadata": {
            "eventId": "3f0b8c9e-6a2d-4c1e-9f77-2d1a0e5b7c44",
            "inferenceId": "order-000123",
            "inferenceTime": "2026-03-05T17:25:49Z",
        },
        "eventVersion": "0",
    }


def test_one_capture_option_leaves_the_other_half_out() -> None:
    record = capture_record(
        endpoint_input=None,
        endpoint_output=_payload(b"1"),
        event_id="e",
        inference_id="i",
        when=WHEN,
    )
    assert list(record["captureData"]) == ["endpointOutput"]


def test_encodings_follow_the_content_types() -> None:
    assert _payload(b'{"a": 1}', "application/json")["encoding"] == "JSON"
    assert _payload(b'{"a": 1}', "Application/JSON; charset=utf-8")["data"] == '{"a": 1}'
    parquet = _payload(b"PAR1\x00\x01", "application/x-parquet")
    assert parquet["encoding"] == "BASE64"
    assert base64.b64decode(parquet["data"]) == b"PAR1\x00\x01"
    not_utf8 = _payload(b"1,\xff\xfe,3\n")
    assert not_utf8["encoding"] == "BASE64" and not_utf8["observedContentType"] == "text/csv"
    assert base64.b64decode(not_utf8["data"]) == b"1,\xff\xfe,3\n"
    nul = _payload(b"1,\x00,3\n")
    assert nul == {**nul, "encoding": "CSV", "data": "1,\x00,3\n"}


@given(st.binary(max_size=2000), st.sampled_from(["text/csv", "application/json", "image/png"]))
@example("a\u2028b\x85c".encode(), "text/csv")
def test_every_body_comes_back_from_its_payload(body: bytes, ctype: str) -> None:
    record = capture_record(
        endpoint_input=_payload(body, ctype),
        endpoint_output=None,
        event_id="e",
        inference_id="i",
        when=WHEN,
    )
    line = record_line(record)
    assert line.isascii() and not any(c in line for c in b"\n\r")  # one line for every reader
    back = json.loads(line)["captureData"]["endpointInput"]
    if back["encoding"] == "BASE64":
        assert base64.b64decode(back["data"], validate=True) == body
    else:
        assert back["data"].encode() == body


def test_sampling_is_deterministic_and_proportional() -> None:
    ids = [f"req-{i}" for i in range(20_000)]
    first = [sampled(i, 30) for i in ids]
    assert first == [sampled(i, 30) for i in ids]
    assert 0.28 < sum(first) / len(ids) < 0.32
    assert all(sampled(i, 100) for i in ids[:100])
    assert not any(sampled(i, 0) for i in ids[:100])
    # a higher percentage captures a superset: raising it never loses a replayed id
    assert all(sampled(i, 60) for i, s in zip(ids, first, strict=True) if s)


def test_sampling_is_independent_of_the_variant_choice() -> None:
    """Serving picks a variant from SHA-256 of the id; capture must not follow the same split."""
    ids = [f"req-{i}" for i in range(20_000)]
    first_half = [
        i for i in ids if int.from_bytes(hashlib.sha256(i.encode()).digest()[:8], "big") < 2**63
    ]
    share = sum(sampled(i, 50) for i in first_half) / len(first_half)
    assert 0.47 < share < 0.53


def test_redaction_of_json_members_and_rows() -> None:
    body = json.dumps(
        {
            "instances": [
                {"name": "Ann", "amount": 3, "meta": {"email": "ann@x.org"}},
                ["Bob", 4, "bob@x.org", 1],
            ]
        }
    ).encode()
    entry = _payload(body, "application/json", redact=("name", "email"), feature_names=FEATURES)
    assert json.loads(entry["data"]) == {
        "instances": [
            {"name": REDACTED, "amount": 3, "meta": {"email": REDACTED}},
            [REDACTED, 4, REDACTED, 1],
        ]
    }
    features = _payload(
        b'{"features": ["Eve", 1, "e@x", 2]}',
        "application/json",
        redact=("email",),
        feature_names=FEATURES,
    )
    assert json.loads(features["data"]) == {"features": ["Eve", 1, REDACTED, 2]}
    untouched = b'{"amount": 1}'
    assert _payload(untouched, "application/json", redact=("name",))["data"] == untouched.decode()


def test_redaction_of_csv_columns_by_signature_names() -> None:
    body = b'Ann,3,ann@x.org,1\n"Smith, Bob",4,bob@x.org,2\n'
    entry = _payload(body, redact=("name", "email"), feature_names=FEATURES)
    assert entry["data"] == f"{REDACTED},3,{REDACTED},1\n{REDACTED},4,{REDACTED},2\n"
    assert "Smith" not in entry["data"]
    no_newline = _payload(b"Ann,3,a@x,1", redact=("email",), feature_names=FEATURES)
    assert no_newline["data"] == f"Ann,3,{REDACTED},1"


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b'{"name": "Ann", ', "application/json"),  # not JSON
        (b"Ann,\xff,ann@x.org,1\n", "text/csv"),  # not UTF-8
        (b"PAR1 name=Ann", "application/x-parquet"),  # cannot be read to redact
        (b"[" * 100_000, "application/json"),  # nested beyond the parser
    ],
)
def test_what_cannot_be_redacted_is_withheld(body: bytes, ctype: str) -> None:
    entry = _payload(body, ctype, redact=("name",), feature_names=FEATURES)
    assert entry["data"] == ""


@given(
    secret=st.text(alphabet=st.characters(codec="utf-8"), max_size=20).map("pii:".__add__),
    rows=st.lists(st.tuples(st.integers(), st.floats(allow_nan=False)), min_size=1, max_size=5),
    as_json=st.booleans(),
)
def test_a_redacted_secret_never_reaches_the_record(
    secret: str, rows: list[tuple[int, float]], as_json: bool
) -> None:
    names = ("ssn", "a", "b")
    if as_json:
        body = json.dumps({"instances": [{"ssn": secret, "a": a, "b": b} for a, b in rows]})
        ctype = "application/json"
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([secret, a, b] for a, b in rows)
        body = out.getvalue()
        ctype = "text/csv"
    entry = _payload(body.encode(), ctype, redact=("ssn",), feature_names=names)
    line = json.dumps(entry, ensure_ascii=False)
    assert "pii:" not in line


def test_part_keys_follow_sagemakers_layout() -> None:
    key = part_key("datacapture", "fraud", "AllTraffic", WHEN, "cee08c3a")
    assert key == "datacapture/fraud/AllTraffic/2026/03/05/17/25-49-648-cee08c3a.jsonl"
    assert part_key("", "fraud", "A", WHEN, "u").startswith("fraud/A/2026/03/05/17/")
