"""Helpers of the audit tests: events shaped like the gate's, and tampering by raw SQL."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from bastion.audit import AuditTrail
from bastion.clock import iso_z
from bastion.testing import FrozenClock

ACCOUNT = "111122223333"
ALICE = f"arn:bastion:iam::{ACCOUNT}:user/alice"
KEY_ARN = f"arn:bastion:kms:local:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def make_event(
    clock: FrozenClock,
    *,
    name: str = "Decrypt",
    source: str = "kms.amazonaws.com",
    user_arn: str = ALICE,
    user_name: str | None = "alice",
    access_key: str | None = None,
    resource: str = KEY_ARN,
    read_only: bool = True,
    error_code: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A CloudTrail record shaped like the gate's, timed by ``clock``."""
    identity: dict[str, Any] = {
        "type": "IAMUser",
        "principalId": "AIDAALICE",
        "arn": user_arn,
        "accountId": ACCOUNT,
    }
    if user_name is not None:
        identity["userName"] = user_name
    if access_key is not None:
        identity["accessKeyId"] = access_key
    event: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso_z(clock.now()),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "local",
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "bastion-sdk/0.1",
        "requestParameters": params if params is not None else {"keyId": resource},
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "resources": [{"ARN": resource, "accountId": ACCOUNT, "type": "AWS::KMS::Key"}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    if error_code is not None:
        event["errorCode"] = error_code
        event["errorMessage"] = "refused"
    return event


def run_sql(trail: AuditTrail, sql: str, **params: Any) -> None:
    """Tamper with the database the way someone with a SQL shell would."""
    with trail.db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def fill(trail: AuditTrail, clock: FrozenClock, n: int, **kwargs: Any) -> list[dict[str, Any]]:
    """Append ``n`` events one call each, a second apart; returns them."""
    events = []
    for _ in range(n):
        event = make_event(clock, **kwargs)
        trail.append(event)
        events.append(event)
        clock.advance(seconds=1)
    return events
