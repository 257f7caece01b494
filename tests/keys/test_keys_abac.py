"""Tag-based access control on keys: CreateKey and TagResource pass the request's tags to the gate
(``aws:RequestTag/<key>``, ``aws:TagKeys``), so a policy can require or forbid tags (both
databases, a real user connected by bearer token)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import bastion as bastion_pkg
from bastion.access import RequestContext
from bastion.errors import AccessDenied
from bastion.sdk import Bastion

TAG_ACTIONS = ["kms:CreateKey", "kms:TagResource"]
TAGGED_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            {  # every key must be created or tagged with team=risk ...
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
def tagger(bastion: Bastion) -> Iterator[Bastion]:
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


def test_create_key_requires_the_tag(tagger: Bastion) -> None:
    keys = tagger.keys
    _denied(lambda: keys.create_key())
    _denied(lambda: keys.create_key(tags={"team": "ml"}))
    _denied(lambda: keys.create_key(tags={"team": "risk", "owner": "eve"}))
    key = keys.create_key(tags={"team": "risk", "env": "dev"})
    assert keys.list_resource_tags(key.key_id) == {"team": "risk", "env": "dev"}
    assert len(keys.list_keys()) == 1  # the refused creations left nothing behind


def test_tag_resource_requires_the_tag(tagger: Bastion) -> None:
    keys = tagger.keys
    key = keys.create_key(tags={"team": "risk"})
    _denied(lambda: keys.tag_resource(key.key_id, {"env": "prod"}))
    _denied(lambda: keys.tag_resource(key.key_id, {"team": "risk", "owner": "eve"}))
    keys.tag_resource(key.key_id, {"team": "risk", "env": "prod"})
    assert keys.list_resource_tags(key.key_id) == {"team": "risk", "env": "prod"}


def test_caller_supplied_context_cannot_forge_request_tags(tagger: Bastion) -> None:
    forged = RequestContext(extra={"aws:RequestTag/team": "risk", "aws:TagKeys": ["team"]})
    _denied(lambda: tagger.keys.create_key(tags={"team": "ml"}, context=forged))
    _denied(lambda: tagger.keys.create_key(tags={"team": "risk", "x": "1"}, context=forged))


def test_owner_is_unaffected(bastion: Bastion) -> None:
    assert bastion.keys.create_key(tags={"anything": "goes"}).enabled
