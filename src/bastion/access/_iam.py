"""Users, groups, roles, managed and inline policies, boundaries and tags of one account (IAM).

Operations are named and shaped after IAM's API and are reached by users only through
:class:`~bastion.access.AccessClient` (the gate). Every write runs in one transaction that also
bumps the ``iam_state`` generation, so cached policy sets everywhere are rebuilt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.access._changes import ChangeLog
from bastion.access._models import (
    Group,
    InlinePolicy,
    ManagedPolicy,
    PolicyVersion,
    Role,
    User,
)
from bastion.access._names import (
    MAX_GROUP_NAME,
    MAX_POLICY_NAME,
    MAX_ROLE_NAME,
    MAX_USER_NAME,
    check_description,
    check_name,
    check_path,
    check_tag_keys,
    check_tags,
    iam_arn,
    unique_id,
)
from bastion.access._tables import (
    iam_attachments,
    iam_group_members,
    iam_groups,
    iam_inline_policies,
    iam_policies,
    iam_policy_versions,
    iam_state,
    iam_tags,
    principals,
)
from bastion.access.policy import Policy, PolicyKind, parse_policy
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Conflict, Invalid, NotFound
from bastion.types import AccountId, Arn

log = logging.getLogger(__name__)

USER = "IAMUser"
ROLE = "Role"
MAX_POLICY_VERSIONS = 5
MAX_ACCESS_KEYS = 2
MIN_SESSION_SECONDS = 900
DEFAULT_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43_200
EntityKind = Literal["user", "group", "role"]


@lru_cache(maxsize=4096)
def parsed(text: str, kind: PolicyKind) -> Policy:
    """A stored policy document, parsed once per process."""
    return parse_policy(text, kind=kind)


def check_document(document: object, *, kind: PolicyKind, field: str, operation: str) -> Policy:
    """Parse a policy given by a caller; ``Invalid`` names ``field`` and the JSON path inside."""
    if isinstance(document, Mapping):
        document = json.dumps(document)
    if not isinstance(document, str):
        raise Invalid(
            field, got=document, expected="an IAM policy as JSON text", operation=operation
        )
    try:
        return parse_policy(document, kind=kind)
    except Invalid as exc:
        raise Invalid(
            f"{field}.{exc.field}" if exc.field else field,
            got=exc.got,
            expected=exc.expected,
            operation=operation,
        ) from exc


def bump_generation(conn: Connection) -> None:
    """Mark IAM data as changed (inside the writing transaction)."""
    conn.execute(
        iam_state.update().where(iam_state.c.id == 1).values(generation=iam_state.c.generation + 1)
    )


class IamService:
    """IAM operations on the identities of one account."""

    def __init__(
        self, *, db: Database, clock: Clock, account_id: AccountId, changes: ChangeLog
    ) -> None:
        self.db = db
        self.clock = clock
        self.account_id = account_id
        self.changes = changes

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.db.write() as conn:
            self.db.lock(conn, "iam")
            yield conn
            bump_generation(conn)
        self.changes.iam_changed()

    # -- ARNs and lookups -------------------------------------------------------------------

    def arn(self, kind: str, name: str, path: str = "/") -> Arn:
        return iam_arn(self.account_id, kind, path, name)

    def _principal_row(
        self, conn: Connection, type_: str, name: object, *, operation: str
    ) -> Row[tuple[object, ...]]:
        what = "user" if type_ == USER else "role"
        if not isinstance(name, str) or not name:
            raise Invalid(f"{what}_name", got=name, expected=f"a {what} name", operation=operation)
        row = conn.execute(
            sa.select(principals).where(
                principals.c.account_id == self.account_id,
                principals.c.type == type_,
                sa.func.lower(principals.c.name) == name.lower(),
            )
        ).first()
        if row is None:
            noun = "User" if type_ == USER else "Role"
            raise NotFound(f"{noun} '{name}' not found in account {self.account_id}")
        return row

    def _group_row(
        self, conn: Connection, name: object, *, operation: str
    ) -> Row[tuple[object, ...]]:
        if not isinstance(name, str) or not name:
            raise Invalid("group_name", got=name, expected="a group name", operation=operation)
        row = conn.execute(
            sa.select(iam_groups).where(
                iam_groups.c.account_id == self.account_id,
                sa.func.lower(iam_groups.c.name) == name.lower(),
            )
        ).first()
        if row is None:
            raise NotFound(f"Group '{name}' not found in account {self.account_id}")
        return row

    def _policy_row(
        self, conn: Connection, arn: object, *, operation: str
    ) -> Row[tuple[object, ...]]:
        if not isinstance(arn, str) or not arn:
            raise Invalid(
                "policy_arn", got=arn, expected="a managed policy ARN", operation=operation
            )
        row = conn.execute(sa.select(iam_policies).where(iam_policies.c.arn == arn)).first()
        if row is None:
            raise NotFound(f"Policy '{arn}' not found; create it with create_policy first")
        return row

    def entity_arn(self, kind: EntityKind, name: str, *, operation: str) -> Arn:
        """The ARN of the named user, group or role (``NotFound`` when it does not exist)."""
        with self.db.read() as conn:
            return self._entity(conn, kind, name, operation=operation)

    def _entity(self, conn: Connection, kind: EntityKind, name: str, *, operation: str) -> Arn:
        if kind == "group":
            return Arn(str(self._group_row(conn, name, operation=operation).arn))
        type_ = USER if kind == "user" else ROLE
        return Arn(str(self._principal_row(conn, type_, name, operation=operation).arn))

    def _name_free(self, conn: Connection, type_: str, name: str) -> None:
        taken = conn.execute(
            sa.select(principals.c.name).where(
                principals.c.account_id == self.account_id,
                principals.c.type == type_,
                sa.func.lower(principals.c.name) == name.lower(),
            )
        ).first()
        if taken is not None:
            noun = "user" if type_ == USER else "role"
            raise Conflict(
                f"A {noun} named '{taken.name}' already exists in account {self.account_id} "
                "(names are case-insensitive); choose another name"
            )

    def _tags_of(self, conn: Connection, arn: str) -> dict[str, str]:
        rows = conn.execute(
            sa.select(iam_tags.c.tag_key, iam_tags.c.tag_value)
            .where(iam_tags.c.entity_arn == arn)
            .order_by(iam_tags.c.tag_key)
        ).all()
        return {r.tag_key: r.tag_value for r in rows}

    def _put_tags(
        self, conn: Connection, arn: str, tags: Mapping[str, str], operation: str
    ) -> None:
        current = self._tags_of(conn, arn)
        lowered = {k.lower(): k for k in current}
        for key, value in tags.items():
            old = lowered.get(key.lower())
            if old is not None:
                conn.execute(
                    iam_tags.delete().where(iam_tags.c.entity_arn == arn, iam_tags.c.tag_key == old)
                )
                current.pop(old)
            current[key] = value
            conn.execute(iam_tags.insert().values(entity_arn=arn, tag_key=key, tag_value=value))
        if len(current) > 50:
            raise Invalid(
                "tags", got=f"{len(current)} tags", expected="at most 50 tags", operation=operation
            )

    def _check_boundary(self, conn: Connection, boundary: object, *, operation: str) -> Arn | None:
        if boundary is None:
            return None
        row = self._policy_row(conn, boundary, operation=operation)
        return Arn(str(row.arn))

    # -- users ------------------------------------------------------------------------------

    def _user(self, conn: Connection, row: Row[tuple[object, ...]]) -> User:
        return User(
            arn=Arn(str(row.arn)),
            user_id=str(row.principal_id),
            account_id=AccountId(str(row.account_id)),
            name=str(row.name),
            path=str(row.path or "/"),
            created_at=aware(row.created_at),
            permissions_boundary=Arn(str(row.boundary_arn)) if row.boundary_arn else None,
            tags=self._tags_of(conn, str(row.arn)),
        )

    def create_user(
        self,
        name: str,
        *,
        path: str = "/",
        tags: Mapping[str, str] | None = None,
        permissions_boundary: str | None = None,
    ) -> User:
        op = "CreateUser"
        check_name(name, field="user_name", limit=MAX_USER_NAME, operation=op)
        check_path(path, operation=op)
        clean = check_tags(tags, operation=op)
        arn = self.arn("user", name, path)
        with self._write() as conn:
            self._name_free(conn, USER, name)
            boundary = self._check_boundary(conn, permissions_boundary, operation=op)
            conn.execute(
                principals.insert().values(
                    arn=arn,
                    principal_id=unique_id("AIDA"),
                    account_id=self.account_id,
                    type=USER,
                    name=name,
                    path=path,
                    boundary_arn=boundary,
                    created_at=self.clock.now(),
                )
            )
            self._put_tags(conn, arn, clean, op)
            row = self._principal_row(conn, USER, name, operation=op)
            user = self._user(conn, row)
        log.info("access.user.create arn=%s", arn)
        return user

    def get_user(self, name: str) -> User:
        with self.db.read() as conn:
            return self._user(conn, self._principal_row(conn, USER, name, operation="GetUser"))

    def list_users(self, *, path_prefix: str = "/") -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(principals)
                .where(principals.c.account_id == self.account_id, principals.c.type == USER)
                .order_by(principals.c.name)
            ).all()
            return [self._user(conn, r) for r in rows if str(r.path or "/").startswith(path_prefix)]

    def delete_user(self, name: str) -> Arn:
        """Delete a user with its inline policies, attachments, group memberships, tags, API
        tokens and access keys (which stop working at once)."""
        with self._write() as conn:
            row = self._principal_row(conn, USER, name, operation="DeleteUser")
            arn = str(row.arn)
            self._forget_entity(conn, arn)
            conn.execute(principals.delete().where(principals.c.arn == arn))
        log.info("access.user.delete arn=%s", arn)
        return Arn(arn)

    def _forget_entity(self, conn: Connection, arn: str) -> None:
        conn.execute(iam_inline_policies.delete().where(iam_inline_policies.c.entity_arn == arn))
        conn.execute(iam_attachments.delete().where(iam_attachments.c.entity_arn == arn))
        conn.execute(iam_tags.delete().where(iam_tags.c.entity_arn == arn))
        conn.execute(iam_group_members.delete().where(iam_group_members.c.user_arn == arn))

    # -- tags and boundaries ----------------------------------------------------------------

    def tag(self, kind: EntityKind, name: str, tags: Mapping[str, str]) -> None:
        op = "TagUser" if kind == "user" else "TagRole"
        clean = check_tags(tags, operation=op)
        with self._write() as conn:
            arn = self._entity(conn, kind, name, operation=op)
            self._put_tags(conn, arn, clean, op)

    def untag(self, kind: EntityKind, name: str, tag_keys: list[str]) -> None:
        op = "UntagUser" if kind == "user" else "UntagRole"
        keys = check_tag_keys(tag_keys, operation=op)
        with self._write() as conn:
            arn = self._entity(conn, kind, name, operation=op)
            lowered = [k.lower() for k in keys]
            conn.execute(
                iam_tags.delete().where(
                    iam_tags.c.entity_arn == arn, sa.func.lower(iam_tags.c.tag_key).in_(lowered)
                )
            )

    def list_tags(self, kind: EntityKind, name: str) -> dict[str, str]:
        op = "ListUserTags" if kind == "user" else "ListRoleTags"
        with self.db.read() as conn:
            return self._tags_of(conn, self._entity(conn, kind, name, operation=op))

    def put_permissions_boundary(self, kind: EntityKind, name: str, policy_arn: str) -> None:
        op = "PutUserPermissionsBoundary" if kind == "user" else "PutRolePermissionsBoundary"
        with self._write() as conn:
            arn = self._entity(conn, kind, name, operation=op)
            boundary = self._check_boundary(conn, policy_arn, operation=op)
            conn.execute(
                principals.update().where(principals.c.arn == arn).values(boundary_arn=boundary)
            )

    def delete_permissions_boundary(self, kind: EntityKind, name: str) -> None:
        op = "DeleteUserPermissionsBoundary" if kind == "user" else "DeleteRolePermissionsBoundary"
        with self._write() as conn:
            arn = self._entity(conn, kind, name, operation=op)
            conn.execute(
                principals.update().where(principals.c.arn == arn).values(boundary_arn=None)
            )

    # -- groups -----------------------------------------------------------------------------

    def _group(self, row: Row[tuple[object, ...]]) -> Group:
        return Group(
            arn=Arn(str(row.arn)),
            group_id=str(row.group_id),
            account_id=AccountId(str(row.account_id)),
            name=str(row.name),
            path=str(row.path),
            created_at=aware(row.created_at),
        )

    def create_group(self, name: str, *, path: str = "/") -> Group:
        op = "CreateGroup"
        check_name(name, field="group_name", limit=MAX_GROUP_NAME, operation=op)
        check_path(path, operation=op)
        arn = self.arn("group", name, path)
        with self._write() as conn:
            taken = conn.execute(
                sa.select(iam_groups.c.name).where(
                    iam_groups.c.account_id == self.account_id,
                    sa.func.lower(iam_groups.c.name) == name.lower(),
                )
            ).first()
            if taken is not None:
                raise Conflict(f"A group named '{taken.name}' already exists; choose another name")
            conn.execute(
                iam_groups.insert().values(
                    arn=arn,
                    group_id=unique_id("AGPA"),
                    account_id=self.account_id,
                    name=name,
                    path=path,
                    created_at=self.clock.now(),
                )
            )
            group = self._group(self._group_row(conn, name, operation=op))
        log.info("access.group.create arn=%s", arn)
        return group

    def delete_group(self, name: str) -> Arn:
        """Delete a group with its inline policies and attachments (members stay users)."""
        with self._write() as conn:
            arn = str(self._group_row(conn, name, operation="DeleteGroup").arn)
            conn.execute(
                iam_inline_policies.delete().where(iam_inline_policies.c.entity_arn == arn)
            )
            conn.execute(iam_attachments.delete().where(iam_attachments.c.entity_arn == arn))
            conn.execute(iam_group_members.delete().where(iam_group_members.c.group_arn == arn))
            conn.execute(iam_groups.delete().where(iam_groups.c.arn == arn))
        return Arn(arn)

    def list_groups(self) -> list[Group]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(iam_groups)
                .where(iam_groups.c.account_id == self.account_id)
                .order_by(iam_groups.c.name)
            ).all()
        return [self._group(r) for r in rows]

    def add_user_to_group(self, group_name: str, user_name: str) -> None:
        op = "AddUserToGroup"
        with self._write() as conn:
            group = str(self._group_row(conn, group_name, operation=op).arn)
            user = str(self._principal_row(conn, USER, user_name, operation=op).arn)
            exists = conn.execute(
                sa.select(iam_group_members.c.user_arn).where(
                    iam_group_members.c.group_arn == group, iam_group_members.c.user_arn == user
                )
            ).first()
            if exists is None:
                conn.execute(iam_group_members.insert().values(group_arn=group, user_arn=user))

    def remove_user_from_group(self, group_name: str, user_name: str) -> None:
        op = "RemoveUserFromGroup"
        with self._write() as conn:
            group = str(self._group_row(conn, group_name, operation=op).arn)
            user = str(self._principal_row(conn, USER, user_name, operation=op).arn)
            gone = conn.execute(
                iam_group_members.delete().where(
                    iam_group_members.c.group_arn == group, iam_group_members.c.user_arn == user
                )
            )
            if gone.rowcount == 0:
                raise NotFound(f"User '{user_name}' is not a member of group '{group_name}'")

    def group_members(self, name: str) -> list[str]:
        """The names of the group's users, sorted."""
        with self.db.read() as conn:
            arn = str(self._group_row(conn, name, operation="GetGroup").arn)
            rows = conn.execute(
                sa.select(principals.c.name)
                .join(iam_group_members, iam_group_members.c.user_arn == principals.c.arn)
                .where(iam_group_members.c.group_arn == arn)
                .order_by(principals.c.name)
            ).all()
        return [r.name for r in rows]

    def groups_for_user(self, user_name: str) -> list[Group]:
        with self.db.read() as conn:
            user = str(
                self._principal_row(conn, USER, user_name, operation="ListGroupsForUser").arn
            )
            rows = conn.execute(
                sa.select(iam_groups)
                .join(iam_group_members, iam_group_members.c.group_arn == iam_groups.c.arn)
                .where(iam_group_members.c.user_arn == user)
                .order_by(iam_groups.c.name)
            ).all()
        return [self._group(r) for r in rows]

    # -- roles ------------------------------------------------------------------------------

    def _role(self, conn: Connection, row: Row[tuple[object, ...]]) -> Role:
        return Role(
            arn=Arn(str(row.arn)),
            role_id=str(row.principal_id),
            account_id=AccountId(str(row.account_id)),
            name=str(row.name),
            path=str(row.path or "/"),
            created_at=aware(row.created_at),
            trust_policy=str(row.trust_policy),
            max_session_duration=int(row.max_session_seconds or DEFAULT_SESSION_SECONDS),
            description=str(row.description or ""),
            permissions_boundary=Arn(str(row.boundary_arn)) if row.boundary_arn else None,
            tags=self._tags_of(conn, str(row.arn)),
        )

    def create_role(
        self,
        name: str,
        trust_policy: str,
        *,
        path: str = "/",
        description: str = "",
        max_session_duration: int = DEFAULT_SESSION_SECONDS,
        tags: Mapping[str, str] | None = None,
        permissions_boundary: str | None = None,
    ) -> Role:
        op = "CreateRole"
        check_name(name, field="role_name", limit=MAX_ROLE_NAME, operation=op)
        check_path(path, operation=op)
        check_description(description, operation=op)
        trust = check_document(
            trust_policy, kind="resource", field="assume_role_policy_document", operation=op
        )
        _check_max_session(max_session_duration, operation=op)
        clean = check_tags(tags, operation=op)
        arn = self.arn("role", name, path)
        with self._write() as conn:
            self._name_free(conn, ROLE, name)
            boundary = self._check_boundary(conn, permissions_boundary, operation=op)
            conn.execute(
                principals.insert().values(
                    arn=arn,
                    principal_id=unique_id("AROA"),
                    account_id=self.account_id,
                    type=ROLE,
                    name=name,
                    path=path,
                    boundary_arn=boundary,
                    trust_policy=trust.text,
                    max_session_seconds=max_session_duration,
                    description=description,
                    created_at=self.clock.now(),
                )
            )
            self._put_tags(conn, arn, clean, op)
            role = self._role(conn, self._principal_row(conn, ROLE, name, operation=op))
        log.info("access.role.create arn=%s", arn)
        return role

    def get_role(self, name: str) -> Role:
        with self.db.read() as conn:
            return self._role(conn, self._principal_row(conn, ROLE, name, operation="GetRole"))

    def list_roles(self, *, path_prefix: str = "/") -> list[Role]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(principals)
                .where(principals.c.account_id == self.account_id, principals.c.type == ROLE)
                .order_by(principals.c.name)
            ).all()
            return [self._role(conn, r) for r in rows if str(r.path or "/").startswith(path_prefix)]

    def delete_role(self, name: str) -> Arn:
        """Delete a role with its policies and tags; its live sessions stop working at once."""
        with self._write() as conn:
            arn = str(self._principal_row(conn, ROLE, name, operation="DeleteRole").arn)
            self._forget_entity(conn, arn)
            conn.execute(principals.delete().where(principals.c.arn == arn))
        log.info("access.role.delete arn=%s", arn)
        return Arn(arn)

    def update_assume_role_policy(self, name: str, trust_policy: str) -> None:
        op = "UpdateAssumeRolePolicy"
        trust = check_document(trust_policy, kind="resource", field="policy_document", operation=op)
        with self._write() as conn:
            arn = str(self._principal_row(conn, ROLE, name, operation=op).arn)
            conn.execute(
                principals.update().where(principals.c.arn == arn).values(trust_policy=trust.text)
            )

    def update_role(
        self, name: str, *, description: str | None = None, max_session_duration: int | None = None
    ) -> Role:
        op = "UpdateRole"
        values: dict[str, object] = {}
        if description is not None:
            values["description"] = check_description(description, operation=op)
        if max_session_duration is not None:
            values["max_session_seconds"] = _check_max_session(max_session_duration, operation=op)
        with self._write() as conn:
            arn = str(self._principal_row(conn, ROLE, name, operation=op).arn)
            if values:
                conn.execute(principals.update().where(principals.c.arn == arn).values(**values))
            return self._role(conn, self._principal_row(conn, ROLE, name, operation=op))

    # -- managed policies -------------------------------------------------------------------

    def _managed(self, conn: Connection, row: Row[tuple[object, ...]]) -> ManagedPolicy:
        count = conn.execute(
            sa.select(sa.func.count()).where(iam_attachments.c.policy_arn == row.arn)
        ).scalar_one()
        return ManagedPolicy(
            arn=Arn(str(row.arn)),
            policy_id=str(row.policy_id),
            account_id=AccountId(str(row.account_id)),
            name=str(row.name),
            path=str(row.path),
            description=str(row.description),
            default_version=f"v{row.default_version}",
            attachment_count=int(count),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )

    def create_policy(
        self, name: str, document: str, *, path: str = "/", description: str = ""
    ) -> ManagedPolicy:
        op = "CreatePolicy"
        check_name(name, field="policy_name", limit=MAX_POLICY_NAME, operation=op)
        check_path(path, operation=op)
        check_description(description, operation=op)
        policy = check_document(document, kind="identity", field="policy_document", operation=op)
        arn = self.arn("policy", name, path)
        now = self.clock.now()
        with self._write() as conn:
            taken = conn.execute(
                sa.select(iam_policies.c.name).where(
                    iam_policies.c.account_id == self.account_id,
                    sa.func.lower(iam_policies.c.name) == name.lower(),
                )
            ).first()
            if taken is not None:
                raise Conflict(f"A policy named '{taken.name}' already exists; choose another name")
            conn.execute(
                iam_policies.insert().values(
                    arn=arn,
                    policy_id=unique_id("ANPA"),
                    account_id=self.account_id,
                    name=name,
                    path=path,
                    description=description,
                    default_version=1,
                    next_version=2,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                iam_policy_versions.insert().values(
                    policy_arn=arn, version=1, document=policy.text, created_at=now
                )
            )
            managed = self._managed(conn, self._policy_row(conn, arn, operation=op))
        log.info("access.policy.create arn=%s", arn)
        return managed

    def get_policy(self, arn: str) -> ManagedPolicy:
        with self.db.read() as conn:
            return self._managed(conn, self._policy_row(conn, arn, operation="GetPolicy"))

    def list_policies(self, *, only_attached: bool = False) -> list[ManagedPolicy]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(iam_policies)
                .where(iam_policies.c.account_id == self.account_id)
                .order_by(iam_policies.c.name)
            ).all()
            found = [self._managed(conn, r) for r in rows]
        return [p for p in found if p.attachment_count] if only_attached else found

    def delete_policy(self, arn: str) -> None:
        op = "DeletePolicy"
        with self._write() as conn:
            row = self._policy_row(conn, arn, operation=op)
            used = conn.execute(
                sa.select(iam_attachments.c.entity_arn).where(iam_attachments.c.policy_arn == arn)
            ).first()
            bounded = conn.execute(
                sa.select(principals.c.arn).where(principals.c.boundary_arn == arn)
            ).first()
            if used is not None or bounded is not None:
                who = used.entity_arn if used is not None else bounded.arn  # type: ignore[union-attr]
                raise Conflict(
                    f"Policy '{arn}' is still in use by {who}; detach it (or remove the "
                    "permissions boundary) everywhere first"
                )
            conn.execute(iam_policies.delete().where(iam_policies.c.arn == row.arn))

    def _version_row(
        self, conn: Connection, arn: str, version_id: object, *, operation: str
    ) -> Row[tuple[object, ...]]:
        number = _version_number(version_id, operation=operation)
        row = conn.execute(
            sa.select(iam_policy_versions).where(
                iam_policy_versions.c.policy_arn == arn, iam_policy_versions.c.version == number
            )
        ).first()
        if row is None:
            raise NotFound(f"Policy '{arn}' has no version '{version_id}'")
        return row

    def create_policy_version(
        self, arn: str, document: str, *, set_as_default: bool = False
    ) -> PolicyVersion:
        op = "CreatePolicyVersion"
        policy = check_document(document, kind="identity", field="policy_document", operation=op)
        now = self.clock.now()
        with self._write() as conn:
            row = self._policy_row(conn, arn, operation=op)
            count = conn.execute(
                sa.select(sa.func.count()).where(iam_policy_versions.c.policy_arn == arn)
            ).scalar_one()
            if count >= MAX_POLICY_VERSIONS:
                raise Conflict(
                    f"Policy '{arn}' already has {MAX_POLICY_VERSIONS} versions; delete a "
                    "non-default version first (delete_policy_version)"
                )
            number = int(row.next_version)
            conn.execute(
                iam_policy_versions.insert().values(
                    policy_arn=arn, version=number, document=policy.text, created_at=now
                )
            )
            values: dict[str, object] = {"next_version": number + 1, "updated_at": now}
            if set_as_default:
                values["default_version"] = number
            conn.execute(iam_policies.update().where(iam_policies.c.arn == arn).values(**values))
        return PolicyVersion(
            policy_arn=Arn(arn),
            version_id=f"v{number}",
            document=policy.text,
            is_default=set_as_default,
            created_at=now,
        )

    def set_default_policy_version(self, arn: str, version_id: str) -> None:
        op = "SetDefaultPolicyVersion"
        with self._write() as conn:
            self._policy_row(conn, arn, operation=op)
            version = self._version_row(conn, arn, version_id, operation=op)
            conn.execute(
                iam_policies.update()
                .where(iam_policies.c.arn == arn)
                .values(default_version=version.version, updated_at=self.clock.now())
            )

    def delete_policy_version(self, arn: str, version_id: str) -> None:
        op = "DeletePolicyVersion"
        with self._write() as conn:
            row = self._policy_row(conn, arn, operation=op)
            version = self._version_row(conn, arn, version_id, operation=op)
            if version.version == row.default_version:
                raise Conflict(
                    f"Version '{version_id}' is the default version of '{arn}'; make another "
                    "version the default first"
                )
            conn.execute(
                iam_policy_versions.delete().where(
                    iam_policy_versions.c.policy_arn == arn,
                    iam_policy_versions.c.version == version.version,
                )
            )

    def get_policy_version(self, arn: str, version_id: str | None = None) -> PolicyVersion:
        """One version (the default one when ``version_id`` is not given)."""
        op = "GetPolicyVersion"
        with self.db.read() as conn:
            row = self._policy_row(conn, arn, operation=op)
            wanted = version_id if version_id is not None else f"v{row.default_version}"
            version = self._version_row(conn, arn, wanted, operation=op)
        return PolicyVersion(
            policy_arn=Arn(arn),
            version_id=f"v{version.version}",
            document=str(version.document),
            is_default=version.version == row.default_version,
            created_at=aware(version.created_at),
        )

    def list_policy_versions(self, arn: str) -> list[PolicyVersion]:
        with self.db.read() as conn:
            row = self._policy_row(conn, arn, operation="ListPolicyVersions")
            versions = conn.execute(
                sa.select(iam_policy_versions)
                .where(iam_policy_versions.c.policy_arn == arn)
                .order_by(iam_policy_versions.c.version)
            ).all()
        return [
            PolicyVersion(
                policy_arn=Arn(arn),
                version_id=f"v{v.version}",
                document=str(v.document),
                is_default=v.version == row.default_version,
                created_at=aware(v.created_at),
            )
            for v in versions
        ]

    # -- attachments and inline policies ----------------------------------------------------

    def attach_policy(self, kind: EntityKind, name: str, policy_arn: str) -> None:
        op = f"Attach{kind.capitalize()}Policy"
        with self._write() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            self._policy_row(conn, policy_arn, operation=op)
            exists = conn.execute(
                sa.select(iam_attachments.c.entity_arn).where(
                    iam_attachments.c.entity_arn == entity,
                    iam_attachments.c.policy_arn == policy_arn,
                )
            ).first()
            if exists is None:
                conn.execute(
                    iam_attachments.insert().values(entity_arn=entity, policy_arn=policy_arn)
                )

    def detach_policy(self, kind: EntityKind, name: str, policy_arn: str) -> None:
        op = f"Detach{kind.capitalize()}Policy"
        with self._write() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            gone = conn.execute(
                iam_attachments.delete().where(
                    iam_attachments.c.entity_arn == entity,
                    iam_attachments.c.policy_arn == policy_arn,
                )
            )
            if gone.rowcount == 0:
                raise NotFound(f"Policy '{policy_arn}' is not attached to {kind} '{name}'")

    def attached_policies(self, kind: EntityKind, name: str) -> list[ManagedPolicy]:
        op = f"ListAttached{kind.capitalize()}Policies"
        with self.db.read() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            rows = conn.execute(
                sa.select(iam_policies)
                .join(iam_attachments, iam_attachments.c.policy_arn == iam_policies.c.arn)
                .where(iam_attachments.c.entity_arn == entity)
                .order_by(iam_policies.c.name)
            ).all()
            return [self._managed(conn, r) for r in rows]

    def put_inline_policy(
        self, kind: EntityKind, name: str, policy_name: str, document: str
    ) -> None:
        op = f"Put{kind.capitalize()}Policy"
        check_name(policy_name, field="policy_name", limit=MAX_POLICY_NAME, operation=op)
        policy = check_document(document, kind="identity", field="policy_document", operation=op)
        with self._write() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            conn.execute(
                iam_inline_policies.delete().where(
                    iam_inline_policies.c.entity_arn == entity,
                    iam_inline_policies.c.name == policy_name,
                )
            )
            conn.execute(
                iam_inline_policies.insert().values(
                    entity_arn=entity, name=policy_name, document=policy.text
                )
            )

    def get_inline_policy(self, kind: EntityKind, name: str, policy_name: str) -> InlinePolicy:
        op = f"Get{kind.capitalize()}Policy"
        with self.db.read() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            row = conn.execute(
                sa.select(iam_inline_policies).where(
                    iam_inline_policies.c.entity_arn == entity,
                    iam_inline_policies.c.name == policy_name,
                )
            ).first()
        if row is None:
            raise NotFound(f"The {kind} '{name}' has no inline policy '{policy_name}'")
        return InlinePolicy(entity_arn=entity, name=str(row.name), document=str(row.document))

    def delete_inline_policy(self, kind: EntityKind, name: str, policy_name: str) -> None:
        op = f"Delete{kind.capitalize()}Policy"
        with self._write() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            gone = conn.execute(
                iam_inline_policies.delete().where(
                    iam_inline_policies.c.entity_arn == entity,
                    iam_inline_policies.c.name == policy_name,
                )
            )
            if gone.rowcount == 0:
                raise NotFound(f"The {kind} '{name}' has no inline policy '{policy_name}'")

    def list_inline_policies(self, kind: EntityKind, name: str) -> list[str]:
        op = f"List{kind.capitalize()}Policies"
        with self.db.read() as conn:
            entity = self._entity(conn, kind, name, operation=op)
            rows = conn.execute(
                sa.select(iam_inline_policies.c.name)
                .where(iam_inline_policies.c.entity_arn == entity)
                .order_by(iam_inline_policies.c.name)
            ).all()
        return [r.name for r in rows]


def _version_number(version_id: object, *, operation: str) -> int:
    if (
        not isinstance(version_id, str)
        or not version_id.startswith("v")
        or not version_id[1:].isdigit()
    ):
        raise Invalid(
            "version_id", got=version_id, expected="a version id like 'v2'", operation=operation
        )
    return int(version_id[1:])


def _check_max_session(seconds: object, *, operation: str) -> int:
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not DEFAULT_SESSION_SECONDS <= seconds <= MAX_SESSION_SECONDS
    ):
        raise Invalid(
            "max_session_duration",
            got=seconds,
            expected=f"seconds in [{DEFAULT_SESSION_SECONDS}, {MAX_SESSION_SECONDS}] (1-12 hours)",
            operation=operation,
        )
    return seconds


def aware(moment: object) -> datetime:
    """Datetimes from SQLite come back naive; they were stored as UTC."""
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


__all__ = [
    "DEFAULT_SESSION_SECONDS",
    "MAX_ACCESS_KEYS",
    "MAX_SESSION_SECONDS",
    "MIN_SESSION_SECONDS",
    "EntityKind",
    "IamService",
    "aware",
    "bump_generation",
    "check_document",
    "parsed",
]
