"""The wiring shared by the SDK, the CLI and (later) the HTTP API.

``initialise`` is ``bastion init``; ``open_runtime`` loads an initialised home. Nothing here holds
business rules: it builds the database, the root sealer, the trail and the gate, and hands them to
the rooms' clients.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bastion.access import (
    AccessService,
    Authenticator,
    CredentialService,
    IamResources,
    PolicyAuthorizer,
    Principal,
    ResourceProviders,
    change_log,
)
from bastion.audit import AuditTrail
from bastion.clock import Clock, SystemClock
from bastion.db import Database
from bastion.events import EventLog
from bastion.gate import Gate
from bastion.keys._root import RootSealer, load_root_sealer
from bastion.settings import Settings
from bastion.tls import ensure_local_ca
from bastion.types import AccountId


@dataclass(frozen=True, kw_only=True)
class Runtime:
    """Everything a room's client needs to serve one principal."""

    settings: Settings
    db: Database
    clock: Clock
    sealer: RootSealer
    account_id: AccountId
    gate: Gate
    trail: AuditTrail
    principal: Principal
    authenticator: Authenticator
    events: EventLog
    owner: Principal

    @property
    def region(self) -> str:
        return self.settings.region

    def acting_as(self, principal: Principal) -> Runtime:
        """This runtime, with calls made as ``principal`` (shares the database, gate, trail)."""
        return replace(self, principal=principal)


@dataclass(frozen=True, kw_only=True)
class InitResult:
    """What ``bastion init`` did."""

    home: str
    account_id: AccountId
    owner_arn: str
    root_key_source: str
    created_account: bool


def initialise(settings: Settings, *, clock: Clock | None = None) -> InitResult:
    """Create the home, root key, schema, account and owner; safe to run again."""
    clock = clock or SystemClock()
    settings.home.mkdir(parents=True, exist_ok=True)
    sealer, source = load_root_sealer(settings, create=True)
    ensure_local_ca(settings.home, sealer)
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        account_id, created = AccessService(db=db, clock=clock).ensure_account()
        AuditTrail(db=db, sealer=sealer, clock=clock, settings=settings).ensure_signing_key()
        owner = AccessService(db=db, clock=clock).root()
    finally:
        db.dispose()
    del sealer
    return InitResult(
        home=str(settings.home.resolve()),
        account_id=account_id,
        owner_arn=owner.arn,
        root_key_source=source,
        created_account=created,
    )


def open_runtime(
    settings: Settings, *, clock: Clock | None = None, principal: Principal | None = None
) -> Runtime:
    """Load an initialised home; the caller is the owner unless ``principal`` is given.

    The gate's authorizer is the :class:`~bastion.access.PolicyAuthorizer`: the owner (the
    management account's root) may do everything in its account that no guardrail denies;
    everyone else what their policies allow.
    """
    clock = clock or SystemClock()
    sealer, _ = load_root_sealer(settings, create=False)
    db = Database(settings.resolved_database_url)
    access = AccessService(db=db, clock=clock)
    account_id = access.account_id()
    owner = access.root()
    caller = principal or owner
    trail = AuditTrail(db=db, sealer=sealer, clock=clock, settings=settings)
    changes = change_log(db.url.render_as_string(hide_password=False))
    resources = ResourceProviders(changes=changes)
    resources.register("iam", IamResources(db))
    authorizer = PolicyAuthorizer(db=db, clock=clock, resources=resources, changes=changes)
    gate = Gate(
        authorizer=authorizer,
        trail=trail,
        clock=clock,
        region=settings.region,
        resources=resources,
    )
    authenticator = Authenticator(
        db=db,
        clock=clock,
        credentials=CredentialService(db=db, clock=clock, sealer=sealer, changes=changes),
        refuse=gate.refuse,
        account_id=account_id,
        region=settings.region,
    )
    return Runtime(
        settings=settings,
        db=db,
        clock=clock,
        sealer=sealer,
        account_id=account_id,
        gate=gate,
        trail=trail,
        principal=caller,
        authenticator=authenticator,
        events=EventLog(db=db, clock=clock),
        owner=owner,
    )
