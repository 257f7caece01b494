"""Accounts and principals (the owner created at ``bastion init``)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from bastion.access._models import Principal, PrincipalType, root_arn
from bastion.access._tables import accounts, principals
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import NotFound
from bastion.types import AccountId, Arn


class AccessService:
    """Reads and creates accounts and principals."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def ensure_account(self) -> tuple[AccountId, bool]:
        """Return the account id, creating the account and its root on first use."""
        with self.db.write() as conn:
            row = conn.execute(sa.select(accounts.c.account_id).limit(1)).first()
            if row is not None:
                return AccountId(row.account_id), False
            account_id = AccountId(f"{secrets.randbelow(10**12):012d}")
            now = self.clock.now()
            conn.execute(accounts.insert().values(account_id=account_id, created_at=now))
            conn.execute(
                principals.insert().values(
                    arn=root_arn(account_id),
                    principal_id=account_id,
                    account_id=account_id,
                    type=PrincipalType.ROOT.value,
                    name="root",
                    created_at=now,
                )
            )
            return account_id, True

    def account_id(self) -> AccountId:
        """The id of the (single) account of this installation."""
        with self.db.read() as conn:
            row = conn.execute(sa.select(accounts.c.account_id).limit(1)).first()
        if row is None:
            raise NotFound("No account exists yet; run 'bastion init' first")
        return AccountId(row.account_id)

    def get_principal(self, arn: str) -> Principal:
        """Load a principal by ARN."""
        with self.db.read() as conn:
            row = conn.execute(sa.select(principals).where(principals.c.arn == arn)).first()
        if row is None:
            raise NotFound(f"Principal '{arn}' not found")
        return Principal(
            arn=Arn(row.arn),
            principal_id=row.principal_id,
            account_id=AccountId(row.account_id),
            type=PrincipalType(row.type),
            name=row.name,
        )

    def root(self) -> Principal:
        """The account's root principal (the owner)."""
        return self.get_principal(root_arn(self.account_id()))
