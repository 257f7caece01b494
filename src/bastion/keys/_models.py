"""Values the key service hands out: key metadata, aliases, data keys, results of crypto calls.

Every value is a frozen, keyword-only dataclass. Fields that hold secret bytes (a data key's
plaintext, a decrypted payload) are left out of ``repr`` so they never reach a log by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography.hazmat.primitives import serialization

from bastion.types import Arn, KeyId


class KeyState(StrEnum):
    """KMS ``KeyState`` values that Bastion uses."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"


class RotationType(StrEnum):
    """How a key's material version came about (KMS ``RotationType``)."""

    AUTOMATIC = "AUTOMATIC"
    ON_DEMAND = "ON_DEMAND"


KEY_SPEC = "SYMMETRIC_DEFAULT"
KEY_USAGE = "ENCRYPT_DECRYPT"
ENCRYPTION_ALGORITHM = "SYMMETRIC_DEFAULT"
KEY_MANAGER = "CUSTOMER"


@dataclass(frozen=True, kw_only=True)
class KeyMetadata:
    """What DescribeKey returns (KMS ``KeyMetadata``, snake_case)."""

    key_id: KeyId
    arn: Arn
    aws_account_id: str
    description: str
    creation_date: datetime
    key_state: KeyState
    key_usage: str = KEY_USAGE
    key_spec: str = KEY_SPEC
    key_manager: str = KEY_MANAGER
    origin: str
    backend: str
    deletion_date: datetime | None = None
    pending_deletion_window_in_days: int | None = None
    current_version: int
    encryption_algorithms: tuple[str, ...] = (ENCRYPTION_ALGORITHM,)
    signing_algorithms: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """True when the key can be used for cryptographic operations."""
        return self.key_state is KeyState.ENABLED


@dataclass(frozen=True, kw_only=True)
class AliasEntry:
    """One alias (KMS ``AliasListEntry``)."""

    alias_name: str
    alias_arn: Arn
    target_key_id: KeyId
    creation_date: datetime
    last_updated_date: datetime


@dataclass(frozen=True, kw_only=True)
class RotationStatus:
    """What GetKeyRotationStatus returns."""

    key_id: Arn
    key_rotation_enabled: bool
    rotation_period_in_days: int | None
    next_rotation_date: datetime | None


@dataclass(frozen=True, kw_only=True)
class Rotation:
    """One completed rotation (KMS ``RotationsListEntry``), newest material last."""

    key_id: Arn
    version: int
    rotation_date: datetime
    rotation_type: RotationType


@dataclass(frozen=True, kw_only=True)
class ScheduledDeletion:
    """What ScheduleKeyDeletion returns."""

    key_id: Arn
    deletion_date: datetime
    key_state: KeyState
    pending_window_in_days: int


@dataclass(frozen=True, kw_only=True)
class DataKey:
    """A fresh data key: use ``plaintext`` once, keep ``ciphertext_blob`` beside the data."""

    plaintext: bytes = field(repr=False)
    ciphertext_blob: bytes
    key_id: Arn


@dataclass(frozen=True, kw_only=True)
class EncryptedDataKey:
    """What GenerateDataKeyWithoutPlaintext returns."""

    ciphertext_blob: bytes
    key_id: Arn


@dataclass(frozen=True, kw_only=True)
class EncryptResult:
    """What Encrypt returns."""

    ciphertext_blob: bytes
    key_id: Arn
    encryption_algorithm: str = ENCRYPTION_ALGORITHM


@dataclass(frozen=True, kw_only=True)
class DecryptResult:
    """What Decrypt returns; ``key_id`` is the ARN of the key that decrypted."""

    plaintext: bytes = field(repr=False)
    key_id: Arn
    encryption_algorithm: str = ENCRYPTION_ALGORITHM


@dataclass(frozen=True, kw_only=True)
class ReEncryptResult:
    """What ReEncrypt returns."""

    ciphertext_blob: bytes
    key_id: Arn
    source_key_id: Arn
    encryption_algorithm: str = ENCRYPTION_ALGORITHM


@dataclass(frozen=True, kw_only=True)
class SignResult:
    """What Sign returns: the signature (ECDSA: DER; Ed25519: 64 bytes; RSA: modulus bytes)."""

    key_id: Arn
    signature: bytes
    signing_algorithm: str


@dataclass(frozen=True, kw_only=True)
class VerifyResult:
    """What Verify returns for a valid signature (an invalid one raises InvalidSignature)."""

    key_id: Arn
    signature_valid: bool
    signing_algorithm: str


@dataclass(frozen=True, kw_only=True)
class PublicKeyResult:
    """What GetPublicKey returns: the DER ``SubjectPublicKeyInfo`` and how the key may be used."""

    key_id: Arn
    public_key: bytes
    key_spec: str
    key_usage: str
    signing_algorithms: tuple[str, ...]

    @property
    def pem(self) -> str:
        """The public key as PEM text (``-----BEGIN PUBLIC KEY-----``)."""
        key = serialization.load_der_public_key(self.public_key)
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


@dataclass(frozen=True, kw_only=True)
class MaintenanceReport:
    """What one maintenance pass did: keys rotated on schedule and keys deleted."""

    rotated: tuple[Arn, ...] = ()
    deleted: tuple[Arn, ...] = ()


__all__ = [
    "ENCRYPTION_ALGORITHM",
    "KEY_SPEC",
    "KEY_USAGE",
    "AliasEntry",
    "DataKey",
    "DecryptResult",
    "EncryptResult",
    "EncryptedDataKey",
    "KeyMetadata",
    "KeyState",
    "MaintenanceReport",
    "PublicKeyResult",
    "ReEncryptResult",
    "Rotation",
    "RotationStatus",
    "RotationType",
    "ScheduledDeletion",
    "SignResult",
    "VerifyResult",
]
