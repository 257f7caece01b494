"""Settings: one root model, a section per room; only this package reads the environment."""

from bastion.settings._model import AuditSettings, KeysSettings, Settings, StoreSettings

__all__ = ["AuditSettings", "KeysSettings", "Settings", "StoreSettings"]
