"""Validation of what callers name: buckets, object keys, tags, user metadata.

Each rule is a constant (the ``expected`` part of the :class:`~bastion.errors.Invalid` message), so
tests and docs use the same words as the error.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from bastion._text import has_control
from bastion.errors import Invalid
from bastion.types import Arn, BucketName, ObjectKey

BUCKET_LENGTH = "between 3 and 63 characters long"
BUCKET_CHARACTERS = "made of lowercase letters, digits, dots (.) and hyphens (-) only"
BUCKET_EDGES = "a name that begins and ends with a lowercase letter or a digit"
BUCKET_DOTS = "a name without two adjacent dots (..)"
BUCKET_IP = "a name that is not formatted as an IP address (e.g. 192.168.5.4)"
BUCKET_RESERVED = "a name that neither starts with 'xn--' nor ends with '-s3alias' or '--ol-s3'"

KEY_EMPTY = "a non-empty object key"
KEY_TEXT = "valid Unicode text (no lone surrogates)"
KEY_ABSOLUTE = "a relative key (no leading '/')"
KEY_BACKSLASH = "a key without backslashes; separate folders with '/'"
KEY_CONTROL = "a key without NUL or other control characters"
KEY_TRAVERSAL = "a key without '..' path segments"


def key_too_long(limit: int) -> str:
    """The rule for over-long keys (the limit comes from ``settings.store.max_key_length``)."""
    return f"at most {limit} bytes of UTF-8 (settings.store.max_key_length)"


MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
TAG_KEY = "a tag key of 1 to 128 characters of text without control characters"
TAG_VALUE = "a tag value of at most 256 characters of text without control characters"
METADATA_NAME = "a metadata name of 1 to 128 letters, digits, '-', '_' or '.'"
METADATA_VALUE = "a metadata value of text without control characters"
METADATA_SIZE = "user metadata of at most 2048 bytes (names and values, UTF-8)"

_BUCKET_CHARS = re.compile(r"[a-z0-9.-]+")
_METADATA_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")


def bucket_arn(bucket: str) -> Arn:
    """``arn:bastion:s3:::<bucket>``."""
    return Arn(f"arn:bastion:s3:::{bucket}")


def object_arn(bucket: str, key: str) -> Arn:
    """``arn:bastion:s3:::<bucket>/<key>`` (also the object's encryption context)."""
    return Arn(f"arn:bastion:s3:::{bucket}/{key}")


def validate_bucket_name(name: object, *, operation: str) -> BucketName:
    """Return ``name`` if it follows S3's bucket naming rules, else Invalid naming the rule."""
    if not isinstance(name, str):
        raise Invalid("bucket", got=name, expected="a string", operation=operation)

    def bad(rule: str) -> Invalid:
        return Invalid("bucket", got=name, expected=rule, operation=operation)

    if not 3 <= len(name) <= 63:
        raise bad(BUCKET_LENGTH)
    if not _BUCKET_CHARS.fullmatch(name):
        raise bad(BUCKET_CHARACTERS)
    if not (name[0].isalnum() and name[-1].isalnum()):
        raise bad(BUCKET_EDGES)
    if ".." in name:
        raise bad(BUCKET_DOTS)
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        raise bad(BUCKET_IP)
    if name.startswith("xn--") or name.endswith(("-s3alias", "--ol-s3")):
        raise bad(BUCKET_RESERVED)
    return BucketName(name)


def validate_object_key(key: object, *, max_length: int, operation: str) -> ObjectKey:
    """Return ``key`` if it is a safe object key, else raise Invalid naming ``key`` and the rule.

    Refused: empty keys, keys over ``max_length`` UTF-8 bytes, a leading ``/``, backslashes,
    NUL and other control characters, and ``..`` path segments.
    """
    if not isinstance(key, str):
        raise Invalid("key", got=key, expected="a string", operation=operation)

    def bad(rule: str, shown: object = key) -> Invalid:
        return Invalid("key", got=shown, expected=rule, operation=operation)

    if not key:
        raise bad(KEY_EMPTY)
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise bad(KEY_TEXT, key.encode("utf-8", "backslashreplace").decode("ascii")) from None
    if size > max_length:
        raise bad(key_too_long(max_length), f"{size} bytes")
    if key.startswith("/"):
        raise bad(KEY_ABSOLUTE)
    if "\\" in key:
        raise bad(KEY_BACKSLASH)
    if has_control(key):
        raise bad(KEY_CONTROL)
    if ".." in key.split("/"):
        raise bad(KEY_TRAVERSAL)
    return ObjectKey(key)


def validate_key_fragment(value: object, *, field: str, max_length: int, operation: str) -> str:
    """A listing prefix or start key: text that could begin a valid key (may be empty)."""
    if not isinstance(value, str):
        raise Invalid(field, got=value, expected="a string", operation=operation)
    if has_control(value):
        raise Invalid(field, got=value, expected=KEY_CONTROL, operation=operation)
    if len(value.encode()) > max_length:
        raise Invalid(
            field,
            got=f"{len(value.encode())} bytes",
            expected=key_too_long(max_length),
            operation=operation,
        )
    return value


def validate_tags(tags: Mapping[str, str] | None, *, limit: int, operation: str) -> dict[str, str]:
    """Return a plain copy of ``tags`` if they follow S3's tag rules."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise Invalid("tags", got=tags, expected="a mapping of str to str", operation=operation)
    if len(tags) > limit:
        raise Invalid(
            "tags", got=f"{len(tags)} tags", expected=f"at most {limit} tags", operation=operation
        )
    for name, value in tags.items():
        if not isinstance(name, str) or not 1 <= len(name) <= 128 or has_control(name):
            raise Invalid("tags", got=name, expected=TAG_KEY, operation=operation)
        if not isinstance(value, str) or len(value) > 256 or has_control(value):
            raise Invalid(f"tags[{name}]", got=value, expected=TAG_VALUE, operation=operation)
    return dict(tags)


def validate_metadata(metadata: Mapping[str, str] | None, *, operation: str) -> dict[str, str]:
    """Return a plain copy of user metadata (S3's ``x-amz-meta-*``) if it is well formed."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise Invalid(
            "metadata", got=metadata, expected="a mapping of str to str", operation=operation
        )
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not _METADATA_NAME.fullmatch(name):
            raise Invalid("metadata", got=name, expected=METADATA_NAME, operation=operation)
        if not isinstance(value, str) or has_control(value):
            raise Invalid(
                f"metadata[{name}]", got=value, expected=METADATA_VALUE, operation=operation
            )
        total += len(name.encode()) + len(value.encode())
    if total > 2048:
        raise Invalid("metadata", got=f"{total} bytes", expected=METADATA_SIZE, operation=operation)
    return dict(metadata)
