"""Key management (KMS semantics): create, identifiers, aliases, states, deletion, policy, tags."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from bastion.errors import (
    INVALID_TEMPLATE,
    Conflict,
    Disabled,
    Invalid,
    InvalidCiphertext,
    InvalidState,
    NotFound,
)
from bastion.keys import KeysClient, KeyService, KeyState
from bastion.testing import FrozenClock

OPEN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
    }
)


def test_create_key_defaults(keys: KeysClient, clock: FrozenClock) -> None:
    key = keys.create_key(description="fraud data", tags={"team": "risk"})
    account = keys.runtime.account_id
    assert key.arn == f"arn:bastion:kms:local:{account}:key/{key.key_id}"
    assert key.key_state is KeyState.ENABLED and key.enabled
    assert key.key_usage == "ENCRYPT_DECRYPT" and key.key_spec == "SYMMETRIC_DEFAULT"
    assert key.key_manager == "CUSTOMER" and key.origin == "AWS_KMS" and key.backend == "local"
    assert key.creation_date == clock.now()
    assert key.current_version == 1
    assert key.deletion_date is None
    assert keys.list_resource_tags(key.key_id) == {"team": "risk"}
    policy = json.loads(keys.get_key_policy(key.key_id))
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:bastion:iam::{account}:root"}
    assert statement["Action"] == "kms:*" and statement["Effect"] == "Allow"


def test_key_is_named_by_id_arn_alias_and_alias_arn(keys: KeysClient) -> None:
    key = keys.create_key()
    entry = keys.create_alias("alias/fraud-data", key.key_id)
    assert entry.alias_arn == f"arn:bastion:kms:local:{keys.runtime.account_id}:alias/fraud-data"
    for name in (key.key_id, key.arn, "alias/fraud-data", entry.alias_arn):
        assert keys.describe_key(name).key_id == key.key_id


@pytest.mark.parametrize(
    "name",
    [
        "0b1f0cf6-0000-4000-8000-000000000000",
        "alias/missing",
        "arn:bastion:kms:local:999999999999:key/0b1f0cf6-0000-4000-8000-000000000000",
        "arn:aws:kms:us-east-1:111122223333:key/0b1f0cf6-0000-4000-8000-000000000000",
        "not-a-key",
    ],
)
def test_unknown_key_is_not_found(keys: KeysClient, name: str) -> None:
    with pytest.raises(NotFound, match="not found"):
        keys.describe_key(name)
    with pytest.raises(NotFound):
        keys.encrypt(name, b"x")


@pytest.mark.parametrize("bad", ["", 42, None, "x" * 2049])
def test_key_id_of_wrong_shape_is_invalid(keys: KeysClient, bad: object) -> None:
    with pytest.raises(Invalid) as info:
        keys.describe_key(bad)  # type: ignore[arg-type]
    assert info.value.field == "key_id"


def test_list_keys_oldest_first(keys: KeysClient, clock: FrozenClock) -> None:
    first = keys.create_key(description="one")
    clock.advance(seconds=1)
    second = keys.create_key(description="two")
    assert [k.key_id for k in keys.list_keys()] == [first.key_id, second.key_id]


def test_create_key_rejects_bad_input(keys: KeysClient) -> None:
    with pytest.raises(Invalid, match="'key_usage' parameter of CreateKey"):
        keys.create_key(key_usage="SIGN_VERIFY")
    with pytest.raises(Invalid, match="'policy' parameter of CreateKey"):
        keys.create_key(policy="[1, 2]")
    with pytest.raises(Invalid, match="'tags'"):
        keys.create_key(tags={"aws:reserved": "x"})
    with pytest.raises(Invalid, match="'description'"):
        keys.create_key(description="d" * 8193)
    assert keys.list_keys() == []


# ------------------------------------------------------------------------------ aliases


def test_alias_lifecycle(keys: KeysClient) -> None:
    a, b = keys.create_key(), keys.create_key()
    keys.create_alias("alias/model", a.key_id)
    with pytest.raises(Conflict, match="already exists; point it elsewhere with UpdateAlias"):
        keys.create_alias("alias/model", b.key_id)
    keys.update_alias("alias/model", b.arn)
    assert keys.describe_key("alias/model").key_id == b.key_id
    keys.create_alias("alias/other", a.key_id)
    assert [e.alias_name for e in keys.list_aliases()] == ["alias/model", "alias/other"]
    assert [e.alias_name for e in keys.list_aliases(key_id=a.key_id)] == ["alias/other"]
    keys.delete_alias("alias/model")
    with pytest.raises(NotFound):
        keys.describe_key("alias/model")
    with pytest.raises(NotFound):
        keys.delete_alias("alias/model")
    with pytest.raises(NotFound):
        keys.update_alias("alias/model", a.key_id)
    assert keys.describe_key(b.key_id).enabled  # the key outlives its alias


@pytest.mark.parametrize(
    "name", ["fraud", "alias/", "alias/aws/s3", "alias/has space", "alias/" + "x" * 251, 7]
)
def test_bad_alias_names(keys: KeysClient, name: object) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid) as info:
        keys.create_alias(name, key.key_id)  # type: ignore[arg-type]
    assert info.value.field == "alias_name"
    assert "parameter of CreateAlias" in info.value.message


def test_alias_cannot_target_alias_or_missing_or_pending_key(keys: KeysClient) -> None:
    key = keys.create_key()
    keys.create_alias("alias/a", key.key_id)
    with pytest.raises(Invalid, match="'target_key_id'"):
        keys.create_alias("alias/b", "alias/a")
    with pytest.raises(NotFound):
        keys.create_alias("alias/b", "0b1f0cf6-0000-4000-8000-000000000000")
    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    with pytest.raises(InvalidState):
        keys.create_alias("alias/b", key.key_id)


# ------------------------------------------------------------------------------ states


def test_disable_and_enable(keys: KeysClient) -> None:
    key = keys.create_key()
    keys.create_alias("alias/k", key.key_id)
    assert keys.disable_key("alias/k").key_state is KeyState.DISABLED
    assert not keys.describe_key(key.key_id).enabled
    with pytest.raises(Disabled, match=r"is disabled; enable it first"):
        keys.encrypt("alias/k", b"x")
    with pytest.raises(Disabled):
        keys.generate_data_key("alias/k")
    with pytest.raises(Disabled):
        keys.rotate_key_on_demand("alias/k")
    assert keys.disable_key(key.key_id).key_state is KeyState.DISABLED  # idempotent
    assert keys.enable_key(key.key_id).key_state is KeyState.ENABLED
    assert keys.encrypt("alias/k", b"x").key_id == key.arn


def test_schedule_deletion_makes_key_unusable(keys: KeysClient, clock: FrozenClock) -> None:
    key = keys.create_key()
    blob = keys.encrypt(key.key_id, b"secret").ciphertext_blob
    scheduled = keys.schedule_key_deletion(key.key_id)
    assert scheduled.pending_window_in_days == 30
    assert scheduled.deletion_date == clock.now() + timedelta(days=30)
    assert scheduled.key_state is KeyState.PENDING_DELETION
    assert scheduled.key_id == key.arn
    described = keys.describe_key(key.key_id)
    assert described.key_state is KeyState.PENDING_DELETION
    assert described.deletion_date == scheduled.deletion_date
    for call in (
        lambda: keys.encrypt(key.key_id, b"x"),
        lambda: keys.decrypt(blob),
        lambda: keys.generate_data_key(key.key_id),
        lambda: keys.enable_key(key.key_id),
        lambda: keys.disable_key(key.key_id),
        lambda: keys.rotate_key_on_demand(key.key_id),
        lambda: keys.schedule_key_deletion(key.key_id),
        lambda: keys.tag_resource(key.key_id, {"a": "b"}),
        lambda: keys.put_key_policy(key.key_id, OPEN_POLICY),
    ):
        with pytest.raises(InvalidState, match="pending deletion"):
            call()


def test_cancel_deletion_returns_key_disabled(keys: KeysClient) -> None:
    key = keys.create_key()
    blob = keys.encrypt(key.key_id, b"secret").ciphertext_blob
    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    restored = keys.cancel_key_deletion(key.key_id)
    assert restored.key_state is KeyState.DISABLED and restored.deletion_date is None
    with pytest.raises(Disabled):
        keys.decrypt(blob)
    keys.enable_key(key.key_id)
    assert keys.decrypt(blob).plaintext == b"secret"
    with pytest.raises(InvalidState, match="not pending deletion"):
        keys.cancel_key_deletion(key.key_id)


@pytest.mark.parametrize("days", [6, 31, 0, -1, 365])
def test_deletion_window_outside_7_to_30(keys: KeysClient, days: int) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid) as info:
        keys.schedule_key_deletion(key.key_id, pending_window_in_days=days)
    assert info.value.message == INVALID_TEMPLATE.format(
        field="pending_window_in_days",
        operation="ScheduleKeyDeletion",
        expected="an integer in [7, 30]",
        got=days,
    )
    assert keys.describe_key(key.key_id).key_state is KeyState.ENABLED


def test_deletion_window_message_exact_text(keys: KeysClient) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid) as info:
        keys.schedule_key_deletion(key.key_id, pending_window_in_days=31)
    assert info.value.message == (
        "The 'pending_window_in_days' parameter of ScheduleKeyDeletion must be an integer in "
        "[7, 30]. Got 31 instead."
    )


@pytest.mark.parametrize("days", [True, 7.0, "7"])
def test_deletion_window_must_be_an_integer(keys: KeysClient, days: object) -> None:
    key = keys.create_key()
    with pytest.raises(Invalid, match="pending_window_in_days"):
        keys.schedule_key_deletion(key.key_id, pending_window_in_days=days)  # type: ignore[arg-type]


def test_maintenance_deletes_key_after_window(keys: KeysClient, clock: FrozenClock) -> None:
    doomed, kept = keys.create_key(), keys.create_key()
    keys.create_alias("alias/doomed", doomed.key_id)
    keys.tag_resource(doomed.key_id, {"a": "b"})
    blob = keys.encrypt(doomed.key_id, b"gone soon").ciphertext_blob
    keys.schedule_key_deletion(doomed.key_id, pending_window_in_days=7)
    clock.advance(days=6, hours=23)
    assert keys.run_maintenance().deleted == ()
    assert keys.describe_key(doomed.key_id).key_state is KeyState.PENDING_DELETION
    clock.advance(hours=1)
    report = keys.run_maintenance()
    assert report.deleted == (doomed.arn,)
    with pytest.raises(NotFound):
        keys.describe_key(doomed.key_id)
    assert keys.list_aliases() == []
    with pytest.raises(InvalidCiphertext):
        keys.decrypt(blob)
    assert [k.key_id for k in keys.list_keys()] == [kept.key_id]
    assert keys.run_maintenance().deleted == ()  # idempotent


def test_cancelled_deletion_is_not_carried_out(keys: KeysClient, clock: FrozenClock) -> None:
    key = keys.create_key()
    keys.schedule_key_deletion(key.key_id, pending_window_in_days=7)
    keys.cancel_key_deletion(key.key_id)
    clock.advance(days=8)
    assert keys.run_maintenance().deleted == ()
    assert keys.describe_key(key.key_id).key_state is KeyState.DISABLED


# ------------------------------------------------------------------------------ policy and tags


def test_key_policy_round_trip_and_validation(keys: KeysClient) -> None:
    key = keys.create_key()
    doc = OPEN_POLICY
    keys.put_key_policy(key.key_id, doc)
    assert keys.get_key_policy(key.key_id) == doc
    with pytest.raises(Invalid, match="invalid JSON"):
        keys.put_key_policy(key.key_id, "{not json")
    with pytest.raises(Invalid, match="a JSON list"):
        keys.put_key_policy(key.key_id, "[]")
    big = json.dumps({"Statement": [], "pad": "x" * (32 * 1024)})
    with pytest.raises(Invalid, match="at most 32 KB"):
        keys.put_key_policy(key.key_id, big)
    with pytest.raises(Invalid, match="'policy_name'"):
        keys.get_key_policy(key.key_id, policy_name="other")
    assert keys.get_key_policy(key.key_id) == doc  # unchanged by the refused writes


def test_custom_policy_at_create(keys: KeysClient) -> None:
    key = keys.create_key(policy=OPEN_POLICY)
    assert keys.get_key_policy(key.arn) == OPEN_POLICY


def test_tags(keys: KeysClient) -> None:
    key = keys.create_key(tags={"a": "1"})
    keys.tag_resource(key.key_id, {"a": "2", "b": ""})
    assert keys.list_resource_tags(key.key_id) == {"a": "2", "b": ""}
    keys.untag_resource(key.key_id, ["a", "missing"])
    assert keys.list_resource_tags(key.key_id) == {"b": ""}
    with pytest.raises(Invalid, match="at most 50 tags"):
        keys.tag_resource(key.key_id, {f"t{i}": "v" for i in range(50)})
    with pytest.raises(Invalid, match="'tags'"):
        keys.tag_resource(key.key_id, {"k" * 129: "v"})
    with pytest.raises(Invalid, match="'tags'"):
        keys.tag_resource(key.key_id, {"k": "v" * 257})
    with pytest.raises(Invalid, match="'tag_keys'"):
        keys.untag_resource(key.key_id, "b")
    assert keys.list_resource_tags(key.key_id) == {"b": ""}


def test_concurrent_rotations_keep_one_version_sequence(
    make_service: Callable[..., KeyService],
) -> None:
    service = make_service()
    key = service.create_key()

    def rotate_three() -> None:
        for _ in range(3):
            service.rotate_key_on_demand(key.key_id)

    threads = [threading.Thread(target=rotate_three) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert service.describe_key(key.key_id).current_version == 13
    assert [r.version for r in service.list_key_rotations(key.key_id)] == list(range(2, 14))


def test_concurrent_create_alias_has_one_winner(make_service: Callable[..., KeyService]) -> None:
    service = make_service()
    targets = [service.create_key().key_id for _ in range(4)]
    outcomes: list[str] = []

    def create(target: str) -> None:
        try:
            service.create_alias("alias/race", target)
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert [a.alias_name for a in service.list_aliases()] == ["alias/race"]


@pytest.mark.parametrize(
    ("statement", "field"),
    [
        ({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}, "policy.Statement[0].Principal"),
        ({"Effect": "Maybe", "Principal": "*", "Action": "kms:*"}, "policy.Statement[0].Effect"),
        ({"Effect": "Allow", "Principal": "*", "Acton": "kms:*"}, "policy.Statement[0].Acton"),
        (
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Condition": {"Nope": {}}},
            "policy.Statement[0].Condition.Nope",
        ),
    ],
)
def test_invalid_key_policy_is_refused_with_its_json_path(
    keys: KeysClient, statement: dict[str, object], field: str
) -> None:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    key = keys.create_key()
    before = keys.get_key_policy(key.key_id)
    with pytest.raises(Invalid) as exc:
        keys.put_key_policy(key.key_id, doc)
    assert exc.value.field == field and "PutKeyPolicy" in str(exc.value)
    assert keys.get_key_policy(key.key_id) == before
    count = len(keys.list_keys())
    with pytest.raises(Invalid) as exc:
        keys.create_key(policy=doc)
    assert exc.value.field == field and "CreateKey" in str(exc.value)
    assert len(keys.list_keys()) == count
    with pytest.raises(Invalid) as exc:
        keys.put_key_policy(key.key_id, json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert exc.value.field == "policy.Statement"
