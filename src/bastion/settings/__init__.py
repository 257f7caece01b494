"""Settings: one root model, a section per room; only this package reads the environment."""

from bastion.settings._model import (
    ApiSettings,
    AuditSettings,
    KeysSettings,
    Settings,
    StoreSettings,
)

__all__ = ["ApiSettings", "AuditSettings", "KeysSettings", "Settings", "StoreSettings"]
