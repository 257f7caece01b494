"""The gate: authorize, run, audit — allowed and denied calls, errors, redaction."""

from __future__ import annotations

import pytest

from bastion.access import Principal, PrincipalType, RootOnlyAuthorizer
from bastion.errors import AccessDenied, NotFound
from bastion.gate import REDACTED, Action, Gate, RequestContext, redact, register_actions
from bastion.testing import FrozenClock, MemoryTrail
from bastion.types import AccountId, Arn, EventCategory

register_actions(
    [
        Action(name="test:DoThing", resource="thing", doc="A test action."),
        Action(
            name="test:ReadThing",
            resource="thing",
            doc="A test read.",
            read_only=True,
            category=EventCategory.DATA,
        ),
    ]
)

ROOT = Principal(
    arn=Arn("arn:bastion:iam::111122223333:root"),
    principal_id="111122223333",
    account_id=AccountId("111122223333"),
    type=PrincipalType.ROOT,
    name="root",
)
USER = Principal(
    arn=Arn("arn:bastion:iam::111122223333:user/alice"),
    principal_id="AIDAALICE",
    account_id=AccountId("111122223333"),
    type=PrincipalType.IAM_USER,
    name="alice",
)
RES = "arn:bastion:test:local:111122223333:thing/one"


@pytest.fixture
def gate_and_trail() -> tuple[Gate, MemoryTrail]:
    trail = MemoryTrail()
    return Gate(authorizer=RootOnlyAuthorizer(), trail=trail, clock=FrozenClock()), trail


def test_allowed_call_runs_and_is_recorded(gate_and_trail: tuple[Gate, MemoryTrail]) -> None:
    gate, trail = gate_and_trail
    out = gate.call(
        ROOT, "test:DoThing", RES, {"name": "x"}, lambda: 42, respond=lambda r: {"v": r}
    )
    assert out == 42
    (event,) = trail.events
    assert event["eventName"] == "DoThing"
    assert event["eventSource"] == "test.amazonaws.com"
    assert event["eventTime"] == "2026-01-01T00:00:00Z"
    assert event["userIdentity"]["type"] == "Root"
    assert event["requestParameters"] == {"name": "x"}
    assert event["responseElements"] == {"v": 42}
    assert event["resources"][0]["ARN"] == RES
    assert event["managementEvent"] is True and event["eventCategory"] == "Management"
    assert "errorCode" not in event


def test_denied_call_never_runs_and_is_recorded(gate_and_trail: tuple[Gate, MemoryTrail]) -> None:
    gate, trail = gate_and_trail
    ran = []
    with pytest.raises(AccessDenied) as info:
        gate.call(USER, "test:DoThing", RES, {}, lambda: ran.append(1))
    assert ran == []
    assert "not authorized to perform test:DoThing" in info.value.message
    (event,) = trail.events
    assert event["errorCode"] == "AccessDenied"
    assert event["userIdentity"]["userName"] == "alice"


def test_failed_handler_is_recorded_with_error(gate_and_trail: tuple[Gate, MemoryTrail]) -> None:
    gate, trail = gate_and_trail

    def fail() -> None:
        raise NotFound("Key 'k' not found")

    with pytest.raises(NotFound):
        gate.call(ROOT, "test:ReadThing", RES, {}, fail)
    (event,) = trail.events
    assert event["errorCode"] == "NotFoundException"
    assert event["errorMessage"] == "Key 'k' not found"
    assert event["readOnly"] is True
    assert event["eventCategory"] == "Data" and event["managementEvent"] is False


def test_undeclared_action_is_refused(gate_and_trail: tuple[Gate, MemoryTrail]) -> None:
    gate, _ = gate_and_trail
    with pytest.raises(AccessDenied, match="not declared"):
        gate.call(ROOT, "test:Undeclared", RES, {}, lambda: None)


def test_invoked_by_is_recorded(gate_and_trail: tuple[Gate, MemoryTrail]) -> None:
    gate, trail = gate_and_trail
    ctx = RequestContext(invoked_by="s3.amazonaws.com")
    gate.call(ROOT, "test:DoThing", RES, {}, lambda: None, context=ctx)
    assert trail.events[0]["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert trail.events[0]["sourceIPAddress"] == "s3.amazonaws.com"


def test_redaction_hides_secrets_and_bytes() -> None:
    params = {
        "plaintext": "hello",
        "nested": {"apiToken": "t", "keep": 1, "blob": b"\x00\x01"},
        "list": [b"raw", "ok"],
        "SecretAccessKey": "s",
        "keyId": "alias/x",
    }
    out = redact(params)
    assert out == {
        "plaintext": REDACTED,
        "nested": {"apiToken": REDACTED, "keep": 1, "blob": REDACTED},
        "list": [REDACTED, "ok"],
        "SecretAccessKey": REDACTED,
        "keyId": "alias/x",
    }
