"""Loaded models, shared by every endpoint of one process.

A variant's model is loaded once (verified by the registry) the first time a request needs it and
kept until no endpoint config in use refers to it. Loading happens as the process's service
identity (the home's owner, audited with ``invokedBy: sagemaker.amazonaws.com``): whoever may
invoke an endpoint needs no permission on the registry, the store or the model key — the
deployer's permissions were checked when the endpoint was created.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bastion.access import Principal
from bastion.gate import RequestContext
from bastion.keys import KeysClient
from bastion.registry import ModelSignature, RegistryClient
from bastion.registry.flavors import LoadedModel
from bastion.store import StoreClient

Loader = Callable[[str, int], tuple[LoadedModel, ModelSignature]]


@dataclass(frozen=True, kw_only=True)
class HostedModel:
    """A verified, loaded version and its signature; ``setup_ms`` is how long loading took."""

    group: str
    version: int
    model: LoadedModel
    signature: ModelSignature
    setup_ms: float


class ModelHosts:
    """A thread-safe cache of loaded versions keyed by (group, version)."""

    def __init__(self, loader: Loader) -> None:
        self._loader = loader
        self._models: dict[tuple[str, int], HostedModel] = {}
        self._locks: dict[tuple[str, int], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, group: str, version: int) -> tuple[HostedModel, bool]:
        """The hosted model, and whether it was already loaded (a cache hit)."""
        key = (group.lower(), version)
        hosted = self._models.get(key)
        if hosted is not None:
            return hosted, True
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hosted = self._models.get(key)
            if hosted is not None:
                return hosted, True
            started = time.perf_counter()
            model, signature = self._loader(group, version)
            hosted = HostedModel(
                group=key[0],
                version=version,
                model=model,
                signature=signature,
                setup_ms=(time.perf_counter() - started) * 1000,
            )
            self._models[key] = hosted
            return hosted, False

    def unload(self, group: str, version: int) -> bool:
        """Forget a loaded version (it loads again on next use)."""
        return self._models.pop((group.lower(), version), None) is not None

    def loaded(self) -> list[tuple[str, int]]:
        """What is loaded now."""
        return sorted(self._models)


class HostRuntime(Protocol):
    """A runtime that can act as the home's owner (the service identity that loads models);
    ``acting_as`` returns a runtime every room's client accepts (``bastion._runtime.Runtime``)."""

    @property
    def owner(self) -> Principal: ...

    def acting_as(self, principal: Principal) -> Any: ...


SERVICE = RequestContext(invoked_by="sagemaker.amazonaws.com")


def registry_loader(runtime: HostRuntime) -> Loader:
    """Load versions as the service identity: verified by the registry, audited as invoked by
    ``sagemaker.amazonaws.com``."""
    service = runtime.acting_as(runtime.owner)
    keys = KeysClient(service)
    registry = RegistryClient(service, keys=keys, store=StoreClient(service, keys=keys))

    def load(group: str, version: int) -> tuple[LoadedModel, ModelSignature]:
        package = registry.describe_model_package(group, version, context=SERVICE)
        return registry.load_model(group, version, context=SERVICE), package.signature

    return load
