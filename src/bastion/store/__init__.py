"""Encrypted objects over fsspec (SSE-KMS semantics)."""

from bastion.store._client import StoreClient

__all__ = ["StoreClient"]
