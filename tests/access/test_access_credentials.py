"""Bearer API tokens and access keys: shown once, stored hashed or sealed, expiry, revocation,
last use, tampering — every refusal audited, no secret anywhere in the database, logs or trail."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa
from access_helpers import allow, policy

import bastion as bastion_pkg
from bastion.errors import AccessDenied, Conflict, Invalid, NotFound
from bastion.sdk import Bastion
from bastion.testing import FrozenClock


def _refusals(owner: Bastion) -> list[dict[str, Any]]:
    return [e.cloudtrail_event() for e in owner.audit.lookup(event_name="Authenticate").events]


def _dump(owner: Bastion) -> str:
    """Every row of every table, as text (to look for secrets)."""
    engine = owner.runtime.db.engine
    out = []
    with engine.connect() as conn:
        for table in sa.inspect(engine).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def test_api_token_round_trip_and_secret_never_stored(
    owner: Bastion, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    owner.access.create_user("alice")
    owner.access.put_user_policy("alice", "p", policy(allow("kms:ListKeys")))
    made = owner.access.create_api_token(user_name="alice", description="ci")
    assert made.token.startswith(made.info.token_id + "_")
    assert "token=<hidden>" in repr(made)
    principal = owner.runtime.authenticator.authenticate_bearer(made.token)
    assert principal.name == "alice" and principal.access_key_id == made.info.token_id
    secret = made.token.split("_", 2)[2]
    assert secret not in _dump(owner)
    assert secret not in caplog.text
    assert all(secret not in e.record for e in owner.audit.lookup(max_results=1000).events)
    (listed,) = owner.access.list_api_tokens(user_name="alice")
    assert listed.token_id == made.info.token_id and listed.last_used_at is not None
    assert listed.state(owner.runtime.clock.now()) == "Active"


def test_expired_revoked_tampered_and_malformed_tokens_are_refused_and_audited(
    owner: Bastion, clock: FrozenClock
) -> None:
    owner.access.create_user("alice")
    auth = owner.runtime.authenticator
    short = owner.access.create_api_token(user_name="alice", expires_in_days=1)
    clock.advance(days=1)
    with pytest.raises(AccessDenied, match="expired"):
        auth.authenticate_bearer(short.token)
    revoked = owner.access.create_api_token(user_name="alice")
    owner.access.revoke_api_token(revoked.info.token_id)
    with pytest.raises(AccessDenied, match="invalid") as info:
        auth.authenticate_bearer(revoked.token)
    assert "revoked" in info.value.reason
    good = owner.access.create_api_token(user_name="alice")
    tampered = good.token[:-1] + ("A" if good.token[-1] != "A" else "B")
    with pytest.raises(AccessDenied) as info:
        auth.authenticate_bearer(tampered)
    assert "does not match" in info.value.reason
    for junk in ["", "Bearer x", "bst_short", "x" * 300, "bst_" + "a" * 16 + "_\u00e9"]:
        with pytest.raises(AccessDenied):
            auth.authenticate_bearer(junk)
    refusals = _refusals(owner)
    assert len(refusals) == 8
    reasons = " ".join(e["errorMessage"] for e in refusals)
    for word in ("expired", "revoked", "does not match", "malformed"):
        assert word in reasons
    for event in refusals:
        assert event["errorCode"] == "AccessDenied"
        assert event["userIdentity"]["type"] == "Unknown"
        assert good.token not in str(event)
    auth.authenticate_bearer(good.token)


def test_token_of_a_deleted_user_stops_working(owner: Bastion) -> None:
    owner.access.create_user("alice")
    token = owner.access.create_api_token(user_name="alice").token
    owner.access.delete_user("alice")
    with pytest.raises(AccessDenied):
        owner.runtime.authenticator.authenticate_bearer(token)


def test_connect_with_a_bad_token_fails_cleanly(owner: Bastion) -> None:
    with pytest.raises(AccessDenied):
        bastion_pkg.connect(settings=owner.runtime.settings, token="bst_nope")


def test_token_rules(owner: Bastion) -> None:
    owner.access.create_user("alice")
    for days in (0, 3651, True, "7"):
        with pytest.raises(Invalid, match="expires_in_days"):
            owner.access.create_api_token(user_name="alice", expires_in_days=days)  # type: ignore[arg-type]
    forever = owner.access.create_api_token(user_name="alice", expires_in_days=None)
    assert forever.info.expires_at is None
    with pytest.raises(NotFound):
        owner.access.revoke_api_token("bst_0000000000000000")
    with pytest.raises(NotFound):
        owner.access.create_api_token(user_name="nobody")
    root = owner.access.create_api_token()
    assert owner.runtime.authenticator.authenticate_bearer(root.token).arn.endswith(":root")


def test_a_user_manages_only_its_own_tokens(owner: Bastion, connect_as) -> None:  # type: ignore[no-untyped-def]
    owner.access.create_user("alice")
    owner.access.create_user("bob")
    owner.access.put_user_policy(
        "alice",
        "self",
        policy(
            allow(
                ["bastion:*ApiToken*", "iam:*AccessKey*"],
                f"arn:bastion:iam::{owner.account_id}:user/${{aws:username}}",
            )
        ),
    )
    alice = connect_as(owner.access.create_api_token(user_name="alice").token)
    mine = alice.access.create_api_token(description="laptop")
    assert [t.token_id for t in alice.access.list_api_tokens()] != []
    alice.access.revoke_api_token(mine.info.token_id)
    with pytest.raises(AccessDenied):
        alice.access.create_api_token(user_name="bob")
    bobs = owner.access.create_api_token(user_name="bob")
    with pytest.raises(AccessDenied):
        alice.access.revoke_api_token(bobs.info.token_id)
    key = alice.access.create_access_key()
    assert key.access_key_id.startswith("AKIA") and len(key.secret_access_key) == 40
    with pytest.raises(AccessDenied):
        alice.access.create_access_key(user_name="bob")


def test_access_keys_lifecycle(owner: Bastion) -> None:
    owner.access.create_user("alice")
    first = owner.access.create_access_key(user_name="alice")
    owner.access.create_access_key(user_name="alice")
    with pytest.raises(Conflict, match="already has 2 access keys"):
        owner.access.create_access_key(user_name="alice")
    assert "secret_access_key=<hidden>" in repr(first)
    assert first.secret_access_key not in _dump(owner)
    keys = owner.access.list_access_keys(user_name="alice")
    assert {k.status for k in keys} == {"Active"}
    owner.access.update_access_key(first.access_key_id, "Inactive", user_name="alice")
    with pytest.raises(Invalid, match="status"):
        owner.access.update_access_key(first.access_key_id, "Paused", user_name="alice")
    owner.access.delete_access_key(first.access_key_id, user_name="alice")
    with pytest.raises(NotFound):
        owner.access.delete_access_key(first.access_key_id, user_name="alice")
    event = owner.audit.lookup(event_name="CreateAccessKey", max_results=1).events[0]
    assert first.secret_access_key not in event.record
