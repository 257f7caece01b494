"""The error tree: statuses, codes, the message grammar and the JSON shape."""

from __future__ import annotations

from bastion.errors import (
    INVALID_TEMPLATE,
    AccessDenied,
    BastionError,
    Conflict,
    Disabled,
    Invalid,
    InvalidCiphertext,
    InvalidState,
    NotFound,
    StorageFailure,
    Tampered,
    UnsafeModelFormat,
)


def test_invalid_message_grammar_is_exact() -> None:
    err = Invalid(
        "pending_window_in_days",
        got=31,
        expected="an integer in [7, 30]",
        operation="ScheduleKeyDeletion",
    )
    assert err.message == INVALID_TEMPLATE.format(
        field="pending_window_in_days",
        operation="ScheduleKeyDeletion",
        expected="an integer in [7, 30]",
        got=31,
    )
    assert err.message == (
        "The 'pending_window_in_days' parameter of ScheduleKeyDeletion must be an integer in "
        "[7, 30]. Got 31 instead."
    )
    assert err.to_dict() == {
        "ok": False,
        "status": 400,
        "code": "invalid",
        "error": err.message,
        "field": "pending_window_in_days",
    }


def test_invalid_never_echoes_raw_bytes() -> None:
    err = Invalid("plaintext", got=b"x" * 5000, expected="at most 4096 bytes")
    assert "<5000 bytes>" in err.message


def test_every_error_has_a_distinct_code_and_a_4xx_or_5xx_status() -> None:
    classes: list[type[BastionError]] = [
        Invalid,
        InvalidCiphertext,
        AccessDenied,
        NotFound,
        Conflict,
        Disabled,
        InvalidState,
        Tampered,
        StorageFailure,
        UnsafeModelFormat,
    ]
    codes = [c.code for c in classes]
    assert len(set(codes)) == len(codes)
    assert all(400 <= c.status < 600 for c in classes)
    assert all(issubclass(c, Exception) for c in classes)
