"""One error tree for the whole of Bastion.

::

    BastionError                      (HTTP status, stable code, AWS-style error code)
    ├── Invalid(field, got, expected) 400 invalid            a parameter has a wrong value
    │   └── UnsafeModelFormat         400 unsafe-model-format  a model file could run code on load
    ├── InvalidCiphertext             400 invalid-ciphertext ciphertext/context do not authenticate
    ├── InvalidSignature              400 invalid-signature  a signature does not verify
    ├── InvalidKeyUsage               400 invalid-key-usage  the key's KeyUsage does not allow it
    ├── UnsupportedOperation          400 unsupported-operation  not possible for this kind of key
    ├── AccessDenied(reason)          403 access-denied      the gate refused the call
    ├── NotFound                      404 not-found          the named thing does not exist
    ├── Conflict                      409 conflict           the thing exists / is in the way
    │   ├── Disabled                  409 disabled           a key is disabled
    │   └── InvalidState              409 invalid-state      the thing is in the wrong state
    ├── PayloadTooLarge               413 payload-too-large  a request body over its limit
    ├── Tampered                      422 tampered           stored data failed an integrity check
    │   └── SignatureMismatch         422 signature-mismatch files differ from their signed manifest
    ├── ModelError                    424 model-error        the model raised on this request
    ├── Throttled(retry_after)        429 throttled          over a concurrency or rate limit
    └── StorageFailure                507 storage-failure    the store or disk refused a write

Every error carries a message that says what was wrong and what to do, and knows its HTTP status,
its stable ``code`` (for the JSON error shape) and the AWS error code recorded in the audit trail.
Domain errors never subclass ``BaseException`` directly and never come from a web framework.
"""

from __future__ import annotations

from typing import Any, ClassVar

INVALID_TEMPLATE = "The '{field}' parameter of {operation} must be {expected}. Got {got!r} instead."
INVALID_TEMPLATE_NO_OP = "The '{field}' parameter must be {expected}. Got {got!r} instead."


class BastionError(Exception):
    """Base of every error Bastion raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    aws_code: ClassVar[str] = "InternalFailure"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape of the API and of ``--json`` CLI output."""
        return {
            "ok": False,
            "status": self.status,
            "code": self.code,
            "error": self.message,
            "field": self.field,
        }


class Invalid(BastionError):
    """A parameter has a wrong value; names the field, what came and what is expected."""

    status = 400
    code = "invalid"
    aws_code = "ValidationException"

    def __init__(
        self, field: str, *, got: Any, expected: str, operation: str | None = None
    ) -> None:
        template = INVALID_TEMPLATE if operation else INVALID_TEMPLATE_NO_OP
        shown = got if not isinstance(got, bytes | bytearray) else f"<{len(got)} bytes>"
        super().__init__(
            template.format(field=field, operation=operation, expected=expected, got=shown),
            field=field,
        )
        self.got = got
        self.expected = expected
        self.operation = operation


class UnsafeModelFormat(Invalid):
    """A model file could run code when loaded: a pickle (joblib, cloudpickle, torch) or a skops
    file naming types nobody trusted. ``artifact`` names the file, ``detected`` what its content
    is, ``sha256`` the digest a trust decision (``bastion:TrustUnsafeModelFormat``) would name."""

    code = "unsafe-model-format"

    def __init__(
        self,
        artifact: str,
        *,
        detected: str,
        sha256: str,
        expected: str,
        untrusted_types: tuple[str, ...] = (),
        operation: str | None = None,
    ) -> None:
        super().__init__(
            "artifact", got=f"{artifact} ({detected})", expected=expected, operation=operation
        )
        self.artifact = artifact
        self.detected = detected
        self.sha256 = sha256
        self.untrusted_types = untrusted_types


class InvalidCiphertext(BastionError):
    """A ciphertext did not authenticate: wrong key, wrong encryption context, or tampered."""

    status = 400
    code = "invalid-ciphertext"
    aws_code = "InvalidCiphertextException"


class InvalidSignature(BastionError):
    """A signature does not verify with the key, algorithm and message given (KMS Verify)."""

    status = 400
    code = "invalid-signature"
    aws_code = "KMSInvalidSignatureException"


class InvalidKeyUsage(BastionError):
    """The key's usage does not allow the operation (signing with an encryption key, …)."""

    status = 400
    code = "invalid-key-usage"
    aws_code = "InvalidKeyUsageException"


class UnsupportedOperation(BastionError):
    """The operation is not possible for this kind of key (rotating an asymmetric key, …)."""

    status = 400
    code = "unsupported-operation"
    aws_code = "UnsupportedOperationException"


class AccessDenied(BastionError):
    """The gate refused the call; ``reason`` is kept for the audit record."""

    status = 403
    code = "access-denied"
    aws_code = "AccessDenied"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class NotFound(BastionError):
    """The named thing does not exist (or the caller may not know that it does)."""

    status = 404
    code = "not-found"
    aws_code = "NotFoundException"


class Conflict(BastionError):
    """The thing already exists or is in the way of the operation."""

    status = 409
    code = "conflict"
    aws_code = "ConflictException"


class Disabled(Conflict):
    """A key is disabled; enable it first."""

    code = "disabled"
    aws_code = "DisabledException"


class InvalidState(Conflict):
    """The thing is in a state that does not allow the operation (e.g. pending deletion)."""

    code = "invalid-state"
    aws_code = "KMSInvalidStateException"


class Tampered(BastionError):
    """Stored data failed an integrity check (hash, signature or authentication tag)."""

    status = 422
    code = "tampered"
    aws_code = "IntegrityCheckFailed"


class SignatureMismatch(Tampered):
    """Files do not match their signed manifest, or the manifest's signature does not verify.

    ``path`` names the first file that differs, is missing or is extra (``None`` when the
    signature itself is at fault); ``problem`` says which: ``modified``, ``missing``, ``extra``,
    ``not-a-file`` or ``signature``.
    """

    code = "signature-mismatch"

    def __init__(self, message: str, *, path: str | None, problem: str) -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


class PayloadTooLarge(BastionError):
    """A request body is over its limit (InvokeEndpoint: 6 MB)."""

    status = 413
    code = "payload-too-large"
    aws_code = "ValidationError"


class ModelError(BastionError):
    """The model raised while scoring this request; the message is the model's (SageMaker 424)."""

    status = 424
    code = "model-error"
    aws_code = "ModelError"


class Throttled(BastionError):
    """Over a concurrency or rate limit; retry after ``retry_after`` seconds (HTTP 429)."""

    status = 429
    code = "throttled"
    aws_code = "ThrottlingException"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageFailure(BastionError):
    """The object store or the disk refused a write; nothing half-written was kept."""

    status = 507
    code = "storage-failure"
    aws_code = "ServiceUnavailable"


__all__ = [
    "INVALID_TEMPLATE",
    "AccessDenied",
    "BastionError",
    "Conflict",
    "Disabled",
    "Invalid",
    "InvalidCiphertext",
    "InvalidKeyUsage",
    "InvalidSignature",
    "InvalidState",
    "ModelError",
    "NotFound",
    "PayloadTooLarge",
    "SignatureMismatch",
    "StorageFailure",
    "Tampered",
    "Throttled",
    "UnsafeModelFormat",
    "UnsupportedOperation",
]
