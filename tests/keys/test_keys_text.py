"""Hostile text in the keys room: NUL and lone surrogates are refused as Invalid, never stored.

PostgreSQL refuses NUL in text columns and neither database encodes a lone surrogate; the keys
room must say which field is wrong before either database sees the value (both databases here).
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.errors import Invalid
from bastion.keys import KeysClient

BAD = ["\x00", "\ud800", "\udfff", "a\x00b", "x\udc80y"]
EXAMPLES = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Any code point, lone surrogates and NUL included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)


def _hostile(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def _control(text: str) -> bool:
    """Tags refuse every control character (NUL included) and lone surrogates."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _field(exc: pytest.ExceptionInfo[Invalid]) -> str | None:
    return exc.value.field


@EXAMPLES
@given(description=ANY_TEXT)
def test_description_is_stored_or_refused_by_field(keys: KeysClient, description: str) -> None:
    if _hostile(description):
        with pytest.raises(Invalid) as exc:
            keys.create_key(description=description)
        assert _field(exc) == "description"
    else:
        key = keys.create_key(description=description)
        assert keys.describe_key(key.key_id).description == description


@EXAMPLES
@given(
    tag_key=ANY_TEXT.filter(lambda t: len(t) >= 1 and not t.lower().startswith("aws:")),
    tag_value=ANY_TEXT,
)
def test_tags_are_stored_or_refused_by_field(
    keys: KeysClient, tag_key: str, tag_value: str
) -> None:
    key = keys.create_key()
    tags = {tag_key: tag_value}
    if _control(tag_key) or _control(tag_value):
        with pytest.raises(Invalid) as exc:
            keys.tag_resource(key.key_id, tags)
        assert _field(exc) == "tags"
        with pytest.raises(Invalid) as exc:
            keys.create_key(tags=tags)
        assert _field(exc) == "tags"
        assert keys.list_resource_tags(key.key_id) == {}
    else:
        keys.tag_resource(key.key_id, tags)
        assert keys.list_resource_tags(key.key_id) == tags


@pytest.mark.parametrize("bad", BAD)
def test_identifiers_with_unstorable_text_are_refused(keys: KeysClient, bad: str) -> None:
    key = keys.create_key()
    for identifier in (bad, f"alias/{bad}", key.key_id + bad):
        with pytest.raises(Invalid) as exc:
            keys.describe_key(identifier)
        assert _field(exc) == "key_id"
        with pytest.raises(Invalid) as exc:
            keys.encrypt(identifier, b"x")
        assert _field(exc) == "key_id"
    with pytest.raises(Invalid) as exc:
        keys.create_alias(f"alias/ok{bad}", key.key_id)
    assert _field(exc) == "alias_name"
    with pytest.raises(Invalid) as exc:
        keys.create_alias("alias/ok", key.key_id + bad)
    assert _field(exc) == "target_key_id"
    keys.create_alias("alias/ok", key.key_id)
    with pytest.raises(Invalid) as exc:
        keys.update_alias("alias/ok", bad)
    assert _field(exc) == "target_key_id"
    with pytest.raises(Invalid) as exc:
        keys.delete_alias(f"alias/{bad}")
    assert _field(exc) == "alias_name"
    with pytest.raises(Invalid) as exc:
        keys.untag_resource(key.key_id, ["ok", bad])
    assert _field(exc) == "tag_keys"
    with pytest.raises(Invalid) as exc:
        keys.create_key(description=f"fine{bad}")
    assert _field(exc) == "description"
    assert [a.alias_name for a in keys.list_aliases(key_id=key.key_id)] == ["alias/ok"]


@pytest.mark.parametrize("bad", ["\ud800", "\x00"])
def test_policy_with_unstorable_text_is_refused(keys: KeysClient, bad: str) -> None:
    key = keys.create_key()
    before = keys.get_key_policy(key.key_id)
    statement = {"Sid": f"s{bad}", "Effect": "Allow", "Principal": "*", "Action": "kms:*"}
    raw = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, ensure_ascii=False)
    raw = raw.replace("\\u0000", "\x00")  # json.dumps escapes NUL; send it raw
    with pytest.raises(Invalid) as exc:
        keys.put_key_policy(key.key_id, raw)
    assert _field(exc) is not None and _field(exc).startswith("policy")  # type: ignore[union-attr]
    assert keys.get_key_policy(key.key_id) == before
