"""Master keys (versions, rotation, policies, pending deletion), data keys and small ciphertexts,
and asymmetric signing keys (sign, verify, public key).

``KeysClient`` is the SDK face (every call through the gate); ``KeyService`` the raw operations
behind it; ``bastion.keys.backends`` the port where key material lives.
"""

from bastion.keys._client import KeysClient
from bastion.keys._models import (
    AliasEntry,
    DataKey,
    DecryptResult,
    EncryptedDataKey,
    EncryptResult,
    KeyMetadata,
    KeyState,
    MaintenanceReport,
    PublicKeyResult,
    ReEncryptResult,
    Rotation,
    RotationStatus,
    RotationType,
    ScheduledDeletion,
    SignResult,
    VerifyResult,
)
from bastion.keys._service import KeyService

__all__ = [
    "AliasEntry",
    "DataKey",
    "DecryptResult",
    "EncryptResult",
    "EncryptedDataKey",
    "KeyMetadata",
    "KeyService",
    "KeyState",
    "KeysClient",
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
