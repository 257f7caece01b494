"""Buckets: create (with an explicit or the managed default key), head, list, delete."""

from __future__ import annotations

import pytest

import bastion as bastion_pkg
from bastion.errors import Conflict, Invalid, NotFound
from bastion.store import MANAGED_KEY_ALIAS, Bucket


def test_create_with_alias_records_the_key_arn(
    bastion: bastion_pkg.Bastion, fraud_key: str
) -> None:
    made = bastion.store.create_bucket(
        "fraud-data", default_key_id="alias/fraud-data", tags={"team": "ml"}
    )
    assert isinstance(made, Bucket)
    assert made.arn == "arn:bastion:s3:::fraud-data"
    assert made.default_kms_key_arn == fraud_key
    assert made.tags == {"team": "ml"}
    assert bastion.store.head_bucket("fraud-data") == made
    assert [b.name for b in bastion.store.list_buckets()] == ["fraud-data"]


def test_default_key_is_the_managed_alias_created_once(bastion: bastion_pkg.Bastion) -> None:
    first = bastion.store.create_bucket("one-bucket")
    second = bastion.store.create_bucket("two-bucket")
    managed = bastion.keys.describe_key(MANAGED_KEY_ALIAS)
    assert first.default_kms_key_arn == second.default_kms_key_arn == managed.arn
    assert len(bastion.keys.list_keys()) == 1


def test_duplicate_bucket_is_a_conflict(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    with pytest.raises(Conflict, match="already exists"):
        bastion.store.create_bucket(bucket, default_key_id="alias/fraud-data")


def test_unknown_default_key_is_not_found_and_creates_nothing(
    bastion: bastion_pkg.Bastion,
) -> None:
    with pytest.raises(NotFound):
        bastion.store.create_bucket("fraud-data", default_key_id="alias/nope")
    assert bastion.store.list_buckets() == []


def test_disabled_default_key_is_refused(bastion: bastion_pkg.Bastion, fraud_key: str) -> None:
    bastion.keys.disable_key(fraud_key)
    with pytest.raises(Invalid) as info:
        bastion.store.create_bucket("fraud-data", default_key_id="alias/fraud-data")
    assert info.value.field == "default_key_id"
    assert bastion.store.list_buckets() == []


def test_invalid_name_is_refused_before_anything_happens(bastion: bastion_pkg.Bastion) -> None:
    before = len(bastion.runtime.trail.events)
    with pytest.raises(Invalid, match="lowercase letters"):
        bastion.store.create_bucket("Fraud_Data")
    assert len(bastion.runtime.trail.events) == before
    assert bastion.store.list_buckets() == []


def test_missing_bucket(bastion: bastion_pkg.Bastion) -> None:
    with pytest.raises(NotFound, match="Bucket 'nope-bucket' not found"):
        bastion.store.head_bucket("nope-bucket")
    with pytest.raises(NotFound, match="Bucket 'nope-bucket' not found"):
        bastion.store.delete_bucket("nope-bucket")
    with pytest.raises(NotFound, match="Bucket 'nope-bucket' not found"):
        bastion.store.put_object("nope-bucket", "k", b"data")
    with pytest.raises(NotFound, match="Bucket 'nope-bucket' not found"):
        bastion.store.get_object("nope-bucket", "k")
    with pytest.raises(NotFound, match="Bucket 'nope-bucket' not found"):
        bastion.store.list_objects("nope-bucket")


def test_delete_only_empty_buckets(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    bastion.store.put_object(bucket, "a.csv", b"x")
    with pytest.raises(Conflict, match=r"not empty \(1 objects\)"):
        bastion.store.delete_bucket(bucket)
    bastion.store.delete_object(bucket, "a.csv")
    bastion.store.delete_bucket(bucket)
    assert bastion.store.list_buckets() == []


def test_bucket_calls_are_audited(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    bastion.store.head_bucket(bucket)
    names = [(e["eventSource"], e["eventName"]) for e in bastion.runtime.trail.events]
    assert ("s3.amazonaws.com", "CreateBucket") in names
    assert names[-1] == ("s3.amazonaws.com", "ListBucket")


def test_racing_first_buckets_share_one_managed_key(bastion: bastion_pkg.Bastion) -> None:
    import threading

    made: list[Bucket] = []
    errors: list[BaseException] = []

    def create(name: str) -> None:
        try:
            made.append(bastion.store.create_bucket(name))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(f"bucket-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    managed = bastion.keys.describe_key(MANAGED_KEY_ALIAS).arn
    assert {b.default_kms_key_arn for b in made} == {managed}
    usable = [k for k in bastion.keys.list_keys() if k.enabled]
    assert [k.arn for k in usable] == [managed]
