"""The organisation: accounts, organisational units and guardrails (service control policies).

There is one organisation per installation; the account made at ``bastion init`` manages it. As
on AWS, every target (the root, each OU, each account) starts with the built-in ``FullAccess``
guardrail attached, every level between the root and an account must allow a request, and the
last guardrail of a target cannot be detached. Unlike AWS, guardrails also bound the management
account (it is where Bastion's users work); its root — the owner — is the only principal that may
change the organisation, so no IAM policy, not even ``iam:*`` or ``*``, can lift a guardrail.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.access._changes import ChangeLog
from bastion.access._iam import aware, bump_generation, check_document
from bastion.access._models import (
    PARTITION,
    Account,
    Guardrail,
    OrganizationalUnit,
    PrincipalType,
    root_arn,
)
from bastion.access._names import check_description, check_name, iam_arn, org_id, unique_id
from bastion.access._tables import (
    accounts,
    iam_inline_policies,
    org_guardrail_targets,
    org_guardrails,
    org_units,
    principals,
)
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Conflict, Invalid, NotFound
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)

ACCESS_ROLE = "OrganizationAccountAccessRole"
FULL_ACCESS_ID = "p-FullAccess"
FULL_ACCESS_NAME = "FullAccess"
FULL_ACCESS = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)
MAX_GUARDRAILS_PER_TARGET = 5
MAX_OU_DEPTH = 5


class OrgService:
    """Organisation operations; the management account is the installation's first account."""

    def __init__(self, *, db: Database, clock: Clock, changes: ChangeLog) -> None:
        self.db = db
        self.clock = clock
        self.changes = changes

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.db.write() as conn:
            self.db.lock(conn, "iam")
            self.ensure(conn)
            yield conn
            bump_generation(conn)
        self.changes.iam_changed()

    # -- the organisation itself ------------------------------------------------------------

    def ensure(self, conn: Connection) -> str:
        """Create the organisation root (with ``FullAccess`` on every target) once; its id."""
        root = conn.execute(
            sa.select(org_units.c.ou_id).where(org_units.c.parent_id.is_(None))
        ).first()
        if root is not None:
            return str(root.ou_id)
        now = self.clock.now()
        root_id = org_id("r-", 4)
        conn.execute(
            org_units.insert().values(ou_id=root_id, name="Root", parent_id=None, created_at=now)
        )
        conn.execute(
            org_guardrails.insert().values(
                guardrail_id=FULL_ACCESS_ID,
                arn=self._guardrail_arn(conn, FULL_ACCESS_ID),
                name=FULL_ACCESS_NAME,
                description="Allows every action (attached to every target by default)",
                document=FULL_ACCESS,
                created_at=now,
                updated_at=now,
            )
        )
        targets = [root_id] + [
            str(r.account_id) for r in conn.execute(sa.select(accounts.c.account_id)).all()
        ]
        for target in targets:
            conn.execute(
                org_guardrail_targets.insert().values(guardrail_id=FULL_ACCESS_ID, target_id=target)
            )
        conn.execute(
            accounts.update().where(accounts.c.parent_id.is_(None)).values(parent_id=root_id)
        )
        log.info("access.org.create root=%s", root_id)
        return root_id

    def management_account(self, conn: Connection) -> AccountId:
        row = conn.execute(
            sa.select(accounts.c.account_id).where(accounts.c.management.is_(True))
        ).first()
        if row is None:
            raise NotFound("No account exists yet; run 'bastion init' first")
        return AccountId(str(row.account_id))

    def _guardrail_arn(self, conn: Connection, guardrail_id: str) -> Arn:
        return Arn(
            f"arn:{PARTITION}:organizations::{self.management_account(conn)}:policy/"
            f"service_control_policy/{guardrail_id}"
        )

    # -- accounts and OUs -------------------------------------------------------------------

    def _account(self, row: Row[tuple[object, ...]]) -> Account:
        return Account(
            account_id=AccountId(str(row.account_id)),
            name=str(row.name or row.account_id),
            parent_id=str(row.parent_id),
            management=bool(row.management),
            created_at=aware(row.created_at),
        )

    def create_account(self, name: str, *, parent_id: str | None = None) -> Account:
        """A new member account (12-digit id) under the root or ``parent_id``."""
        op = "CreateAccount"
        check_name(name, field="account_name", limit=50, operation=op)
        with self._write() as conn:
            parent = self._target_ou(conn, parent_id, operation=op)
            while True:
                account_id = f"{secrets.randbelow(10**12):012d}"
                taken = conn.execute(
                    sa.select(accounts.c.account_id).where(accounts.c.account_id == account_id)
                ).first()
                if taken is None:
                    break
            conn.execute(
                accounts.insert().values(
                    account_id=account_id,
                    name=name,
                    parent_id=parent,
                    management=False,
                    created_at=self.clock.now(),
                )
            )
            conn.execute(
                org_guardrail_targets.insert().values(
                    guardrail_id=FULL_ACCESS_ID, target_id=account_id
                )
            )
            self._create_root(conn, AccountId(account_id))
            self._create_access_role(conn, AccountId(account_id))
            row = conn.execute(sa.select(accounts).where(accounts.c.account_id == account_id)).one()
        log.info("access.account.create account=%s", account_id)
        return self._account(row)

    def _create_root(self, conn: Connection, account_id: AccountId) -> None:
        conn.execute(
            principals.insert().values(
                arn=root_arn(account_id),
                principal_id=account_id,
                account_id=account_id,
                type=PrincipalType.ROOT.value,
                name="root",
                created_at=self.clock.now(),
            )
        )

    def _create_access_role(self, conn: Connection, account_id: AccountId) -> None:
        """``OrganizationAccountAccessRole``: the management account may administer the member
        account by assuming it, as AWS Organizations sets up."""
        management = self.management_account(conn)
        arn = iam_arn(account_id, "role", "/", ACCESS_ROLE)
        conn.execute(
            principals.insert().values(
                arn=arn,
                principal_id=unique_id("AROA"),
                account_id=account_id,
                type="Role",
                name=ACCESS_ROLE,
                path="/",
                trust_policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": root_arn(management)},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    separators=(",", ":"),
                ),
                max_session_seconds=3600,
                description="Administer this account from the management account",
                created_at=self.clock.now(),
            )
        )
        conn.execute(
            iam_inline_policies.insert().values(
                entity_arn=arn, name="AdministratorAccess", document=FULL_ACCESS
            )
        )

    def list_accounts(self) -> list[Account]:
        with self.db.write() as conn:
            self.ensure(conn)
            rows = conn.execute(
                sa.select(accounts).order_by(accounts.c.created_at, accounts.c.account_id)
            ).all()
        return [self._account(r) for r in rows]

    def move_account(self, account_id: str, parent_id: str) -> Account:
        op = "MoveAccount"
        with self._write() as conn:
            self._account_row(conn, account_id, operation=op)
            parent = self._target_ou(conn, parent_id, operation=op)
            conn.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id)
                .values(parent_id=parent)
            )
            row = conn.execute(sa.select(accounts).where(accounts.c.account_id == account_id)).one()
        return self._account(row)

    def _account_row(
        self, conn: Connection, account_id: object, *, operation: str
    ) -> Row[tuple[object, ...]]:
        if not isinstance(account_id, str) or not account_id.isdigit() or len(account_id) != 12:
            raise Invalid(
                "account_id", got=account_id, expected="a 12-digit account id", operation=operation
            )
        row = conn.execute(sa.select(accounts).where(accounts.c.account_id == account_id)).first()
        if row is None:
            raise NotFound(f"Account '{account_id}' not found in the organisation")
        return row

    def _target_ou(self, conn: Connection, parent_id: str | None, *, operation: str) -> str:
        if parent_id is None:
            return self.ensure(conn)
        row = conn.execute(
            sa.select(org_units.c.ou_id).where(org_units.c.ou_id == parent_id)
        ).first()
        if row is None:
            raise NotFound(f"Organisational unit or root '{parent_id}' not found")
        return str(row.ou_id)

    def create_organizational_unit(
        self, name: str, *, parent_id: str | None = None
    ) -> OrganizationalUnit:
        op = "CreateOrganizationalUnit"
        check_name(name, field="name", limit=128, operation=op)
        with self._write() as conn:
            parent = self._target_ou(conn, parent_id, operation=op)
            if len(self._chain(conn, parent)) >= MAX_OU_DEPTH + 1:
                raise Invalid(
                    "parent_id",
                    got=parent,
                    expected=f"an OU at most {MAX_OU_DEPTH} levels deep",
                    operation=op,
                )
            root = self.ensure(conn)
            ou_id = f"ou-{root[2:]}-{org_id('', 8)}"
            now = self.clock.now()
            conn.execute(
                org_units.insert().values(ou_id=ou_id, name=name, parent_id=parent, created_at=now)
            )
            conn.execute(
                org_guardrail_targets.insert().values(guardrail_id=FULL_ACCESS_ID, target_id=ou_id)
            )
        return OrganizationalUnit(ou_id=ou_id, name=name, parent_id=parent, created_at=now)

    def list_organizational_units(self) -> list[OrganizationalUnit]:
        with self.db.write() as conn:
            self.ensure(conn)
            rows = conn.execute(
                sa.select(org_units).order_by(org_units.c.created_at, org_units.c.ou_id)
            ).all()
        return [
            OrganizationalUnit(
                ou_id=str(r.ou_id),
                name=str(r.name),
                parent_id=str(r.parent_id) if r.parent_id else None,
                created_at=aware(r.created_at),
            )
            for r in rows
        ]

    def delete_organizational_unit(self, ou_id: str) -> None:
        op = "DeleteOrganizationalUnit"
        with self._write() as conn:
            row = conn.execute(sa.select(org_units).where(org_units.c.ou_id == ou_id)).first()
            if row is None or row.parent_id is None:
                raise NotFound(
                    f"Organisational unit '{ou_id}' not found (the root cannot be deleted)"
                )
            child = conn.execute(
                sa.select(org_units.c.ou_id).where(org_units.c.parent_id == ou_id)
            ).first()
            member = conn.execute(
                sa.select(accounts.c.account_id).where(accounts.c.parent_id == ou_id)
            ).first()
            if child is not None or member is not None:
                raise Conflict(
                    f"Organisational unit '{ou_id}' is not empty; move its accounts and OUs out "
                    "first"
                )
            conn.execute(
                org_guardrail_targets.delete().where(org_guardrail_targets.c.target_id == ou_id)
            )
            conn.execute(org_units.delete().where(org_units.c.ou_id == ou_id))
        log.info("access.ou.delete ou=%s (%s)", ou_id, op)

    def _chain(self, conn: Connection, ou_id: str) -> list[str]:
        """``ou_id`` and its ancestors, root first."""
        chain: list[str] = []
        current: str | None = ou_id
        while current is not None and len(chain) <= MAX_OU_DEPTH + 1:
            chain.append(current)
            row = conn.execute(
                sa.select(org_units.c.parent_id).where(org_units.c.ou_id == current)
            ).first()
            current = str(row.parent_id) if row is not None and row.parent_id else None
        return list(reversed(chain))

    def levels(self, conn: Connection, account_id: str) -> list[tuple[str, list[tuple[str, str]]]]:
        """For each level from the root down to the account: (target id, [(name, document)]).

        Empty when the organisation does not exist yet (then no guardrail applies)."""
        row = conn.execute(
            sa.select(accounts.c.parent_id).where(accounts.c.account_id == account_id)
        ).first()
        if row is None or row.parent_id is None:
            return []
        targets = [*self._chain(conn, str(row.parent_id)), account_id]
        attached = conn.execute(
            sa.select(
                org_guardrail_targets.c.target_id, org_guardrails.c.name, org_guardrails.c.document
            )
            .join(
                org_guardrails,
                org_guardrails.c.guardrail_id == org_guardrail_targets.c.guardrail_id,
            )
            .where(org_guardrail_targets.c.target_id.in_(targets))
            .order_by(org_guardrails.c.name)
        ).all()
        by_target: dict[str, list[tuple[str, str]]] = {t: [] for t in targets}
        for r in attached:
            by_target[str(r.target_id)].append((str(r.name), str(r.document)))
        return [(t, by_target[t]) for t in targets]

    def organization_id(self, conn: Connection) -> str | None:
        """``o-<root suffix>`` (``aws:PrincipalOrgID``), or ``None`` before the organisation."""
        root = conn.execute(
            sa.select(org_units.c.ou_id).where(org_units.c.parent_id.is_(None))
        ).first()
        return f"o-{str(root.ou_id)[2:]}" if root is not None else None

    # -- guardrails -------------------------------------------------------------------------

    def _guardrail(self, conn: Connection, row: Row[tuple[object, ...]]) -> Guardrail:
        targets = conn.execute(
            sa.select(org_guardrail_targets.c.target_id)
            .where(org_guardrail_targets.c.guardrail_id == row.guardrail_id)
            .order_by(org_guardrail_targets.c.target_id)
        ).all()
        return Guardrail(
            guardrail_id=str(row.guardrail_id),
            arn=Arn(str(row.arn)),
            name=str(row.name),
            description=str(row.description),
            document=str(row.document),
            targets=tuple(str(t.target_id) for t in targets),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )

    def _guardrail_row(
        self, conn: Connection, ident: object, *, operation: str
    ) -> Row[tuple[object, ...]]:
        if not isinstance(ident, str) or not ident:
            raise Invalid(
                "guardrail",
                got=ident,
                expected="a guardrail id (p-…), name or ARN",
                operation=operation,
            )
        row = conn.execute(
            sa.select(org_guardrails).where(
                sa.or_(
                    org_guardrails.c.guardrail_id == ident,
                    org_guardrails.c.name == ident,
                    org_guardrails.c.arn == ident,
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"Guardrail '{ident}' not found")
        return row

    def create_guardrail(self, name: str, document: str, *, description: str = "") -> Guardrail:
        op = "CreatePolicy"
        check_name(name, field="name", limit=128, operation=op)
        check_description(description, operation=op)
        policy = check_document(document, kind="scp", field="content", operation=op)
        now = self.clock.now()
        with self._write() as conn:
            taken = conn.execute(
                sa.select(org_guardrails.c.name).where(org_guardrails.c.name == name)
            ).first()
            if taken is not None:
                raise Conflict(f"A guardrail named '{name}' already exists; choose another name")
            guardrail_id = org_id("p-", 8)
            conn.execute(
                org_guardrails.insert().values(
                    guardrail_id=guardrail_id,
                    arn=self._guardrail_arn(conn, guardrail_id),
                    name=name,
                    description=description,
                    document=policy.text,
                    created_at=now,
                    updated_at=now,
                )
            )
            found = self._guardrail(conn, self._guardrail_row(conn, guardrail_id, operation=op))
        log.info("access.guardrail.create id=%s", guardrail_id)
        return found

    def update_guardrail(
        self, ident: str, *, document: str | None = None, description: str | None = None
    ) -> Guardrail:
        op = "UpdatePolicy"
        values: dict[str, object] = {"updated_at": self.clock.now()}
        if document is not None:
            values["document"] = check_document(
                document, kind="scp", field="content", operation=op
            ).text
        if description is not None:
            values["description"] = check_description(description, operation=op)
        with self._write() as conn:
            row = self._guardrail_row(conn, ident, operation=op)
            if row.guardrail_id == FULL_ACCESS_ID:
                raise Conflict(
                    "The built-in FullAccess guardrail cannot be changed; detach it instead"
                )
            conn.execute(
                org_guardrails.update()
                .where(org_guardrails.c.guardrail_id == row.guardrail_id)
                .values(**values)
            )
            return self._guardrail(conn, self._guardrail_row(conn, ident, operation=op))

    def delete_guardrail(self, ident: str) -> None:
        op = "DeletePolicy"
        with self._write() as conn:
            row = self._guardrail_row(conn, ident, operation=op)
            if row.guardrail_id == FULL_ACCESS_ID:
                raise Conflict(
                    "The built-in FullAccess guardrail cannot be deleted; detach it instead"
                )
            attached = conn.execute(
                sa.select(org_guardrail_targets.c.target_id).where(
                    org_guardrail_targets.c.guardrail_id == row.guardrail_id
                )
            ).first()
            if attached is not None:
                raise Conflict(
                    f"Guardrail '{row.name}' is still attached to {attached.target_id}; detach it "
                    "first"
                )
            conn.execute(
                org_guardrails.delete().where(org_guardrails.c.guardrail_id == row.guardrail_id)
            )

    def get_guardrail(self, ident: str) -> Guardrail:
        with self.db.write() as conn:
            self.ensure(conn)
            return self._guardrail(
                conn, self._guardrail_row(conn, ident, operation="DescribePolicy")
            )

    def list_guardrails(self) -> list[Guardrail]:
        with self.db.write() as conn:
            self.ensure(conn)
            rows = conn.execute(sa.select(org_guardrails).order_by(org_guardrails.c.name)).all()
            return [self._guardrail(conn, r) for r in rows]

    def _check_target(self, conn: Connection, target: object, *, operation: str) -> str:
        if isinstance(target, str) and target:
            if target.isdigit():
                return str(self._account_row(conn, target, operation=operation).account_id)
            row = conn.execute(
                sa.select(org_units.c.ou_id).where(org_units.c.ou_id == target)
            ).first()
            if row is not None:
                return str(row.ou_id)
        raise Invalid(
            "target_id",
            got=target,
            expected="an account id, an organisational unit id (ou-…) or the root id (r-…)",
            operation=operation,
        )

    def attach_guardrail(self, ident: str, target_id: str) -> None:
        op = "AttachPolicy"
        with self._write() as conn:
            row = self._guardrail_row(conn, ident, operation=op)
            target = self._check_target(conn, target_id, operation=op)
            current = conn.execute(
                sa.select(org_guardrail_targets.c.guardrail_id).where(
                    org_guardrail_targets.c.target_id == target
                )
            ).all()
            if any(r.guardrail_id == row.guardrail_id for r in current):
                raise Conflict(f"Guardrail '{row.name}' is already attached to {target}")
            if len(current) >= MAX_GUARDRAILS_PER_TARGET:
                raise Conflict(
                    f"{target} already has {MAX_GUARDRAILS_PER_TARGET} guardrails; detach one first"
                )
            conn.execute(
                org_guardrail_targets.insert().values(
                    guardrail_id=row.guardrail_id, target_id=target
                )
            )
        log.info("access.guardrail.attach id=%s target=%s", row.guardrail_id, target)

    def detach_guardrail(self, ident: str, target_id: str) -> None:
        op = "DetachPolicy"
        with self._write() as conn:
            row = self._guardrail_row(conn, ident, operation=op)
            target = self._check_target(conn, target_id, operation=op)
            current = conn.execute(
                sa.select(org_guardrail_targets.c.guardrail_id).where(
                    org_guardrail_targets.c.target_id == target
                )
            ).all()
            if not any(r.guardrail_id == row.guardrail_id for r in current):
                raise NotFound(f"Guardrail '{row.name}' is not attached to {target}")
            if len(current) == 1:
                raise Conflict(
                    f"'{row.name}' is the last guardrail of {target}; a target always keeps one "
                    "(attach FullAccess or another guardrail first)"
                )
            conn.execute(
                org_guardrail_targets.delete().where(
                    org_guardrail_targets.c.guardrail_id == row.guardrail_id,
                    org_guardrail_targets.c.target_id == target,
                )
            )
        log.info("access.guardrail.detach id=%s target=%s", row.guardrail_id, target)


__all__ = ["ACCESS_ROLE", "FULL_ACCESS_ID", "FULL_ACCESS_NAME", "OrgService"]
