"""The gate's record, built on the hot path: ids, event time, redaction (same as the plain way)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bastion.access import Principal, PrincipalType, RootOnlyAuthorizer
from bastion.gate import _SECRET_NAME, REDACTED, Action, Gate, redact, register_actions
from bastion.testing import FrozenClock, MemoryTrail
from bastion.types import AccountId, Arn

register_actions([Action(name="test:RecordThing", resource="thing", doc="A test action.")])

ROOT = Principal(
    arn=Arn("arn:bastion:iam::111122223333:root"),
    principal_id="111122223333",
    account_id=AccountId("111122223333"),
    type=PrincipalType.ROOT,
    name="root",
)
RES = "arn:bastion:test:local:111122223333:thing/one"


def _reference_redact(value: Any, name: str = "") -> Any:
    """Redaction written the plain way: what the gate's faster one must equal."""
    if name and _SECRET_NAME.search(name):
        return REDACTED
    if isinstance(value, bytes | bytearray | memoryview):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): _reference_redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reference_redact(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class _Color(StrEnum):
    RED = "red"


_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.binary(max_size=4)
    | st.just(_Color.RED)
    | st.decimals(allow_nan=False, allow_infinity=False)
)
_names = st.sampled_from(["keyId", "Plaintext", "password", "tokenId", "token", "x"]) | st.text(
    max_size=6
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(_names, inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_values, _names)
def test_redact_equals_the_plain_definition(value: Any, name: str) -> None:
    got, want = redact(value, name), _reference_redact(value, name)
    assert got == want
    assert type(got) is type(want)


def test_records_get_distinct_version_4_uuids() -> None:
    trail = MemoryTrail()
    gate = Gate(authorizer=RootOnlyAuthorizer(), trail=trail, clock=FrozenClock())
    for _ in range(200):
        gate.call(ROOT, "test:RecordThing", RES, {}, lambda: None)
    ids = [e[k] for e in trail.events for k in ("eventID", "requestID")]
    assert len(set(ids)) == len(ids) == 400
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_event_time_follows_the_clock_each_second_and_backwards() -> None:
    trail = MemoryTrail()
    clock = FrozenClock("2026-01-01T00:00:00Z")
    gate = Gate(authorizer=RootOnlyAuthorizer(), trail=trail, clock=clock)
    for step in (0.4, 0.5, 0.2, 59.0, -3600.0):
        gate.call(ROOT, "test:RecordThing", RES, {}, lambda: None)
        clock.advance(seconds=step)
    gate.call(ROOT, "test:RecordThing", RES, {}, lambda: None)
    assert [e["eventTime"] for e in trail.events] == [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z",
        "2026-01-01T00:01:00Z",
        "2025-12-31T23:01:00Z",
    ]
