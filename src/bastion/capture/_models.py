"""What capture reads from an endpoint's capture config (serving's ``DataCaptureConfig``)."""

from __future__ import annotations

from typing import Protocol

ON_FAILURE = ("backpressure", "drop")
"""What an invocation does when its record cannot be made durable: fail (after waiting up to
the bound for room) or go on and count the record in ``CaptureDropped``."""


class CaptureSpec(Protocol):
    """SageMaker's DataCaptureConfig, plus redaction and the failure policy."""

    @property
    def enable_capture(self) -> bool: ...

    @property
    def initial_sampling_percentage(self) -> int: ...

    @property
    def capture_input(self) -> bool: ...

    @property
    def capture_output(self) -> bool: ...

    @property
    def destination_s3_uri(self) -> str: ...

    @property
    def kms_key_id(self) -> str | None: ...

    @property
    def csv_content_types(self) -> tuple[str, ...]: ...

    @property
    def json_content_types(self) -> tuple[str, ...]: ...

    @property
    def redact_fields(self) -> tuple[str, ...]: ...

    @property
    def on_failure(self) -> str: ...
