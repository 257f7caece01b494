"""Bucket names, object keys, tags and metadata: each rule refused with its own message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import INVALID_TEMPLATE, Invalid
from bastion.store._names import (
    BUCKET_CHARACTERS,
    BUCKET_DOTS,
    BUCKET_EDGES,
    BUCKET_IP,
    BUCKET_LENGTH,
    BUCKET_RESERVED,
    KEY_ABSOLUTE,
    KEY_BACKSLASH,
    KEY_CONTROL,
    KEY_EMPTY,
    KEY_TEXT,
    KEY_TRAVERSAL,
    METADATA_NAME,
    METADATA_SIZE,
    TAG_KEY,
    TAG_VALUE,
    key_too_long,
    validate_bucket_name,
    validate_metadata,
    validate_object_key,
    validate_tags,
)


@pytest.mark.parametrize("name", ["abc", "fraud-data", "a.b-c.1", "x" * 63, "123"])
def test_valid_bucket_names(name: str) -> None:
    assert validate_bucket_name(name, operation="CreateBucket") == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", BUCKET_LENGTH),
        ("x" * 64, BUCKET_LENGTH),
        ("Fraud", BUCKET_CHARACTERS),
        ("fraud_data", BUCKET_CHARACTERS),
        ("fraud data", BUCKET_CHARACTERS),
        ("-fraud", BUCKET_EDGES),
        ("fraud.", BUCKET_EDGES),
        ("fr..aud", BUCKET_DOTS),
        ("192.168.5.4", BUCKET_IP),
        ("xn--fraud", BUCKET_RESERVED),
        ("fraud-s3alias", BUCKET_RESERVED),
    ],
)
def test_invalid_bucket_names_name_the_rule(name: str, rule: str) -> None:
    with pytest.raises(Invalid) as info:
        validate_bucket_name(name, operation="CreateBucket")
    assert info.value.field == "bucket"
    assert info.value.message == INVALID_TEMPLATE.format(
        field="bucket", operation="CreateBucket", expected=rule, got=name
    )


def test_bucket_name_must_be_a_string() -> None:
    with pytest.raises(Invalid, match="'bucket' parameter"):
        validate_bucket_name(None, operation="CreateBucket")


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "models/fraud/v1.onnx",
        "a/./b",
        "..a/b..",
        "a//b",
        "ünïcødé/ключ/鍵",
        "trailing/",
        "x..",
    ],
)
def test_valid_keys(key: str) -> None:
    assert validate_object_key(key, max_length=1024, operation="PutObject") == key


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("", KEY_EMPTY),
        ("/etc/passwd", KEY_ABSOLUTE),
        ("..", KEY_TRAVERSAL),
        ("../secrets", KEY_TRAVERSAL),
        ("a/../../b", KEY_TRAVERSAL),
        ("a/..", KEY_TRAVERSAL),
        ("a\\b", KEY_BACKSLASH),
        ("..\\windows", KEY_BACKSLASH),
        ("a\x00b", KEY_CONTROL),
        ("line\nbreak", KEY_CONTROL),
        ("tab\there", KEY_CONTROL),
        ("del\x7f", KEY_CONTROL),
        ("c1\x85", KEY_CONTROL),
    ],
)
def test_invalid_keys_name_the_rule(key: str, rule: str) -> None:
    with pytest.raises(Invalid) as info:
        validate_object_key(key, max_length=1024, operation="PutObject")
    assert info.value.field == "key"
    assert info.value.expected == rule
    assert info.value.message.startswith("The 'key' parameter of PutObject must be ")


def test_key_length_counts_utf8_bytes() -> None:
    assert validate_object_key("é" * 5, max_length=10, operation="PutObject")
    with pytest.raises(Invalid) as info:
        validate_object_key("é" * 6, max_length=10, operation="PutObject")
    assert info.value.expected == key_too_long(10)
    assert info.value.got == "12 bytes"


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(Invalid) as info:
        validate_object_key("a\udc80b", max_length=1024, operation="PutObject")
    assert info.value.expected == KEY_TEXT


def test_tags_rules() -> None:
    assert validate_tags(None, limit=10, operation="PutObject") == {}
    assert validate_tags({"team": "fraud", "empty": ""}, limit=10, operation="PutObject")
    with pytest.raises(Invalid, match="at most 10 tags"):
        validate_tags({str(i): "v" for i in range(11)}, limit=10, operation="PutObject")
    with pytest.raises(Invalid) as info:
        validate_tags({"": "v"}, limit=10, operation="PutObject")
    assert info.value.expected == TAG_KEY
    with pytest.raises(Invalid) as info:
        validate_tags({"k": "v" * 257}, limit=10, operation="PutObject")
    assert info.value.expected == TAG_VALUE
    assert info.value.field == "tags[k]"
    with pytest.raises(Invalid):
        validate_tags({"k": 1}, limit=10, operation="PutObject")  # type: ignore[dict-item]


def test_metadata_rules() -> None:
    assert validate_metadata({"content-type": "text/csv"}, operation="PutObject")
    with pytest.raises(Invalid) as info:
        validate_metadata({"bad name": "x"}, operation="PutObject")
    assert info.value.expected == METADATA_NAME
    with pytest.raises(Invalid) as info:
        validate_metadata({"big": "x" * 2048}, operation="PutObject")
    assert info.value.expected == METADATA_SIZE
    with pytest.raises(Invalid):
        validate_metadata({"k": "a\nb"}, operation="PutObject")


SEGMENT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\"),
    min_size=1,
    max_size=12,
).filter(lambda s: s != "..")


@settings(max_examples=200)
@given(st.lists(SEGMENT, min_size=1, max_size=6))
def test_keys_built_from_safe_segments_are_accepted(segments: list[str]) -> None:
    key = "/".join(segments)
    assert validate_object_key(key, max_length=4096, operation="PutObject") == key


@settings(max_examples=200)
@given(
    st.lists(SEGMENT, min_size=0, max_size=3),
    st.sampled_from(["..", "\\", "\x00", "\x1f", "\n", "\x7f"]),
    st.lists(SEGMENT, min_size=0, max_size=3),
)
def test_keys_with_a_bad_part_are_refused(before: list[str], bad: str, after: list[str]) -> None:
    key = "/".join([*before, bad, *after])
    with pytest.raises(Invalid) as info:
        validate_object_key(key, max_length=4096, operation="PutObject")
    assert info.value.field == "key"
