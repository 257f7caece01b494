"""Accounts and principals: the owner created at ``bastion init``, and principals by ARN."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from bastion.access._changes import ChangeLog
from bastion.access._models import Principal, PrincipalType, root_arn
from bastion.access._org import OrgService
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
        """Return the management account id, creating it, its root and the organisation on first
        use (and the organisation of a home made before it existed)."""
        with self.db.write() as conn:
            row = conn.execute(
                sa.select(accounts.c.account_id).where(accounts.c.management.is_(True))
            ).first()
            created = row is None
            if row is not None:
                account_id = AccountId(row.account_id)
            else:
                account_id = AccountId(f"{secrets.randbelow(10**12):012d}")
                now = self.clock.now()
                conn.execute(
                    accounts.insert().values(
                        account_id=account_id, created_at=now, name="management", management=True
                    )
                )
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
            OrgService(db=self.db, clock=self.clock, changes=ChangeLog()).ensure(conn)
        return account_id, created

    def account_id(self) -> AccountId:
        """The id of the installation's (management) account."""
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(accounts.c.account_id).where(accounts.c.management.is_(True))
            ).first()
        if row is None:
            raise NotFound("No account exists yet; run 'bastion init' first")
        return AccountId(row.account_id)

    def get_principal(self, arn: str) -> Principal:
        """Load the account root or an IAM user by ARN (roles act through sessions)."""
        with self.db.read() as conn:
            row = conn.execute(sa.select(principals).where(principals.c.arn == arn)).first()
        if row is None or row.type not in (PrincipalType.ROOT.value, PrincipalType.IAM_USER.value):
            raise NotFound(
                f"Principal '{arn}' not found (a role acts through a session: assume_role)"
            )
        return Principal(
            arn=Arn(row.arn),
            principal_id=row.principal_id,
            account_id=AccountId(row.account_id),
            type=PrincipalType(row.type),
            name=row.name,
        )

    def root(self, account_id: str | None = None) -> Principal:
        """The root principal of ``account_id`` (default: the owner, the management root)."""
        return self.get_principal(root_arn(account_id or self.account_id()))
