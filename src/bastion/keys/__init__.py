"""Master keys (versions, rotation, policies, pending deletion), data keys and small ciphertexts.

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
    ReEncryptResult,
    Rotation,
    RotationStatus,
    RotationType,
    ScheduledDeletion,
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
    "ReEncryptResult",
    "Rotation",
    "RotationStatus",
    "RotationType",
    "ScheduledDeletion",
]
