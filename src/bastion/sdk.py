"""The Python SDK: ``bastion.connect(home=…)`` returns a client with one attribute per room."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import bastion.monitor
import bastion.serving  # noqa: F401  (declares its actions)
from bastion._runtime import InitResult, Runtime, initialise, open_runtime
from bastion.access import AccessClient, Principal
from bastion.audit import AuditClient
from bastion.clock import Clock
from bastion.keys import KeysClient
from bastion.metrics import MetricsClient
from bastion.registry.lineage import LineageClient
from bastion.settings import Settings
from bastion.store import StoreClient

if TYPE_CHECKING:
    from bastion.monitor import MonitorClient
    from bastion.registry import RegistryClient
    from bastion.registry.cards import ModelCardsClient
    from bastion.serving import EndpointsClient


class Bastion:
    """A connection to one Bastion home, acting as one principal.

    >>> bastion = connect(home=".bastion")            # doctest: +SKIP
    >>> key = bastion.keys.create_key(description="fraud data")  # doctest: +SKIP
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keys = KeysClient(runtime)
        self.store = StoreClient(runtime, keys=self.keys)
        self.audit = AuditClient(runtime)
        self.access = AccessClient(runtime)
        self.lineage = LineageClient(runtime)
        self.metrics = MetricsClient(runtime)

    @functools.cached_property
    def registry(self) -> RegistryClient:
        """The model registry (loaded on first use: it brings the ML frameworks' loaders)."""
        from bastion.registry import RegistryClient

        return RegistryClient(self.runtime, keys=self.keys, store=self.store)

    @functools.cached_property
    def cards(self) -> ModelCardsClient:
        """Model cards, drafted from the registry."""
        from bastion.registry.cards import ModelCardsClient

        return ModelCardsClient(self.runtime, keys=self.keys, sources=self.registry)

    @functools.cached_property
    def endpoints(self) -> EndpointsClient:
        """Endpoints: deploy registry versions and invoke them (models load on first use)."""
        from bastion.capture import capture_writer
        from bastion.serving import (
            EndpointsClient,
            InvocationMeter,
            ModelHosts,
            registry_loader,
            service_publisher,
        )

        hosts = ModelHosts(registry_loader(self.runtime))
        meter = InvocationMeter(service_publisher(self.runtime))
        return EndpointsClient(
            self.runtime,
            registry=self.registry,
            hosts=hosts,
            meter=meter,
            capture=capture_writer(self.runtime),
        )

    @functools.cached_property
    def monitor(self) -> MonitorClient:
        """Data-quality monitoring (loaded on first use: it brings DuckDB, SciPy and Arrow)."""
        from bastion.monitor import MonitorClient

        return MonitorClient(self.runtime, store=self.store, metrics=self.metrics)

    @property
    def account_id(self) -> str:
        return self.runtime.account_id

    def close(self) -> None:
        """Publish pending endpoint metrics, ship captured records, release the database."""
        if "endpoints" in self.__dict__ and self.endpoints.meter is not None:
            self.endpoints.meter.flush()
        if "endpoints" in self.__dict__ and self.endpoints.capture is not None:
            self.endpoints.capture.close()
        self.runtime.trail.flush()
        self.runtime.db.dispose()

    def __enter__(self) -> Bastion:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _settings(home: str | Path | None, settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    return Settings(home=Path(home)) if home is not None else Settings()


def init(
    home: str | Path | None = None, *, settings: Settings | None = None, clock: Clock | None = None
) -> InitResult:
    """Initialise a home (``bastion init``); safe to run again."""
    return initialise(_settings(home, settings), clock=clock)


def connect(
    home: str | Path | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    principal: Principal | None = None,
    token: str | None = None,
) -> Bastion:
    """Open an initialised home as its owner, as ``principal``, or as the user or role session
    whose bearer ``token`` is given (an API token or a session token from ``assume_role``).

    >>> alice = connect(home=".bastion", token=api_token)      # doctest: +SKIP
    """
    runtime = open_runtime(_settings(home, settings), clock=clock, principal=principal)
    if token is not None:
        try:
            runtime = runtime.acting_as(runtime.authenticator.authenticate_bearer(token))
        except BaseException:
            runtime.db.dispose()
            raise
    return Bastion(runtime)
