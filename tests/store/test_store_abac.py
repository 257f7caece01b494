"""Tag-based access control on the store: CreateBucket, PutObject and PutObjectTagging pass the
request's tags to the gate (``aws:RequestTag/<key>``, ``aws:TagKeys``), so a policy can require
or forbid tags (both databases, a real user connected by bearer token)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import bastion as bastion_pkg
from bastion.access import RequestContext
from bastion.errors import AccessDenied, NotFound
from bastion.sdk import Bastion

TAG_ACTIONS = ["s3:CreateBucket", "s3:PutObject", "s3:PutObjectTagging"]
TAGGED_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"},
            {  # everything created or tagged carries team=risk ...
                "Effect": "Deny",
                "Action": TAG_ACTIONS,
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestTag/team": "risk"}},
            },
            {  # ... and no tag keys other than team and env
                "Effect": "Deny",
                "Action": TAG_ACTIONS,
                "Resource": "*",
                "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "env"]}},
            },
        ],
    }
)


@pytest.fixture
def tagger(bastion: Bastion, fraud_key: str) -> Iterator[Bastion]:
    bastion.access.create_user("tagger")
    bastion.access.put_user_policy("tagger", "tags-required", TAGGED_POLICY)
    token = bastion.access.create_api_token(user_name="tagger").token
    runtime = bastion.runtime
    client = bastion_pkg.connect(settings=runtime.settings, clock=runtime.clock, token=token)
    yield client
    client.close()


def _denied(call: Callable[[], Any]) -> None:
    with pytest.raises(AccessDenied):
        call()


def test_create_bucket_requires_the_tag(tagger: Bastion, fraud_key: str) -> None:
    store = tagger.store
    _denied(lambda: store.create_bucket("risk-data", default_key_id=fraud_key))
    _denied(lambda: store.create_bucket("risk-data", default_key_id=fraud_key, tags={"team": "ml"}))
    _denied(
        lambda: store.create_bucket(
            "risk-data", default_key_id=fraud_key, tags={"team": "risk", "owner": "eve"}
        )
    )
    with pytest.raises(NotFound):
        store.head_bucket("risk-data")
    made = store.create_bucket("risk-data", default_key_id=fraud_key, tags={"team": "risk"})
    assert made.tags == {"team": "risk"}


def test_objects_and_their_tagging_require_the_tag(tagger: Bastion, fraud_key: str) -> None:
    store = tagger.store
    store.create_bucket("risk-data", default_key_id=fraud_key, tags={"team": "risk"})
    _denied(lambda: store.put_object("risk-data", "a.bin", b"x"))
    _denied(lambda: store.put_object("risk-data", "a.bin", b"x", tags={"env": "dev"}))
    store.put_object("risk-data", "a.bin", b"x", tags={"team": "risk", "env": "dev"})
    _denied(lambda: store.put_object_tagging("risk-data", "a.bin", {"team": "ml"}))
    _denied(lambda: store.put_object_tagging("risk-data", "a.bin", {"team": "risk", "o": "e"}))
    store.put_object_tagging("risk-data", "a.bin", {"team": "risk"})
    assert store.get_object_tagging("risk-data", "a.bin") == {"team": "risk"}
    assert store.get_object("risk-data", "a.bin") == b"x"


def test_caller_supplied_context_cannot_forge_request_tags(tagger: Bastion, fraud_key: str) -> None:
    forged = RequestContext(extra={"aws:RequestTag/team": "risk", "aws:TagKeys": ["team"]})
    _denied(
        lambda: tagger.store.create_bucket(
            "risk-data", default_key_id=fraud_key, tags={"team": "ml"}, context=forged
        )
    )
