"""Property tests through the whole store: valid keys round-trip, invalid keys write nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bastion as bastion_pkg
from bastion.errors import Invalid

SEGMENT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\"),
    min_size=1,
    max_size=10,
).filter(lambda s: s != "..")
VALID_KEY = st.lists(SEGMENT, min_size=1, max_size=5).map("/".join)
BAD_PART = st.sampled_from(["..", "\\", "\x00", "\x01", "\n", "\x7f", "\x9f"])
INVALID_KEY = st.one_of(
    st.tuples(st.lists(SEGMENT, max_size=2), BAD_PART, st.lists(SEGMENT, max_size=2)).map(
        lambda parts: "/".join([*parts[0], parts[1], *parts[2]])
    ),
    VALID_KEY.map(lambda k: "/" + k),
    st.just(""),
    st.integers(min_value=1025, max_value=1100).map(lambda n: "k" * n),
)
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
@given(key=VALID_KEY, body=st.binary(max_size=3000))
def test_every_valid_key_round_trips(
    bastion: bastion_pkg.Bastion, bucket: str, key: str, body: bytes
) -> None:
    info = bastion.store.put_object(bucket, key, body)
    assert info.key == key
    assert bastion.store.get_object(bucket, key) == body
    assert bastion.store.head_object(bucket, key).sha256 == info.sha256
    assert key in [o.key for o in bastion.store.list_objects(bucket, prefix=key).objects]


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(key=INVALID_KEY)
def test_every_invalid_key_is_refused_and_nothing_is_written(
    bastion: bastion_pkg.Bastion,
    bucket: str,
    key: str,
    blob_files: Callable[[], list[Path]],
) -> None:
    with pytest.raises(Invalid) as info:
        bastion.store.put_object(bucket, key, b"secret payload")
    assert info.value.field == "key"
    assert bastion.store.list_objects(bucket).objects == ()
    assert blob_files() == []
