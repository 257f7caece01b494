"""Master keys (versions, rotation, policies, pending deletion), data keys and envelopes."""

from bastion.keys._client import KeysClient

__all__ = ["KeysClient"]
