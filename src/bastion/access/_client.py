"""The SDK face of access control: every operation goes through the gate.

Methods are the snake_case of IAM, STS and Organizations API calls, acting on the caller's
account; each takes an optional :class:`~bastion.access.RequestContext`. Secrets (API tokens,
secret access keys, session tokens) are returned once and never recorded.

>>> access = bastion.access                                            # doctest: +SKIP
>>> access.create_user("alice")                                        # doctest: +SKIP
>>> access.put_user_policy("alice", "ReadKeys", policy_json)           # doctest: +SKIP
>>> token = access.create_api_token(user_name="alice").token           # doctest: +SKIP
>>> as_alice = bastion_sdk.connect(home, token=token)                  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from bastion.access import _actions  # noqa: F401  (declares the access actions)
from bastion.access._authorizer import PolicyAuthorizer
from bastion.access._catalogue import declared_actions
from bastion.access._changes import ChangeLog, change_log
from bastion.access._context import RequestContext, request_tag_keys
from bastion.access._credentials import CredentialService, Sealer
from bastion.access._decide import Authorizer, ResourceProviders
from bastion.access._iam import (
    DEFAULT_SESSION_SECONDS,
    MIN_SESSION_SECONDS,
    EntityKind,
    IamService,
    check_document,
)
from bastion.access._models import (
    PARTITION,
    AccessKey,
    Account,
    ApiToken,
    Group,
    Guardrail,
    InlinePolicy,
    ManagedPolicy,
    NewAccessKey,
    NewApiToken,
    OrganizationalUnit,
    PolicyVersion,
    Principal,
    PrincipalType,
    Role,
    SessionCredentials,
    User,
)
from bastion.access._names import check_session_name, check_tags, shown
from bastion.access._org import OrgService
from bastion.access._simulate import Explanation, Simulation, Simulator, TrailReader
from bastion.access.policy import PolicyKind, PolicyWarning, lint_policy
from bastion.clock import Clock, iso_z
from bastion.db import Database
from bastion.errors import AccessDenied, Invalid, NotFound
from bastion.types import AccountId, Arn

T = TypeVar("T")
MAX_CHAINED_SECONDS = 3600


class GateLike(Protocol):
    """What the client needs from :class:`bastion.gate.Gate`."""

    authorizer: Authorizer
    resources: ResourceProviders

    def call(
        self,
        caller: Principal,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        *,
        context: RequestContext | None = None,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
    ) -> T: ...


class AccessRuntime(Protocol):
    """What the access client needs from :class:`bastion._runtime.Runtime`."""

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def sealer(self) -> Sealer: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def gate(self) -> GateLike: ...

    @property
    def principal(self) -> Principal: ...

    @property
    def trail(self) -> TrailReader: ...

    @property
    def region(self) -> str: ...


def _database_key(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


class AccessClient:
    """Users, groups, roles, policies, guardrails, credentials, AssumeRole and the simulator."""

    def __init__(self, runtime: AccessRuntime) -> None:
        self.runtime = runtime
        self.changes: ChangeLog = change_log(_database_key(runtime.db))
        caller = runtime.principal
        self._iam = IamService(
            db=runtime.db, clock=runtime.clock, account_id=caller.account_id, changes=self.changes
        )
        self._org = OrgService(db=runtime.db, clock=runtime.clock, changes=self.changes)
        self._credentials = CredentialService(
            db=runtime.db, clock=runtime.clock, sealer=runtime.sealer, changes=self.changes
        )

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _caller(self) -> Principal:
        return self.runtime.principal

    def _call(
        self,
        action: str,
        resource: str,
        params: Mapping[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        *,
        respond: Callable[[T], Mapping[str, Any] | None] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> T:
        ctx = context or RequestContext()
        if extra:
            ctx = replace(ctx, extra={**ctx.extra, **extra})
        return self.runtime.gate.call(
            self._caller, action, resource, shown(params), handler, context=ctx, respond=respond
        )

    def _arn(self, kind: EntityKind, name: object) -> str:
        """The ARN the gate authorizes for a named user, group or role (best effort)."""
        if not isinstance(name, str) or not name or not name.isprintable():
            return "*"
        try:
            return self._iam.entity_arn(kind, name, operation="lookup")
        except (NotFound, Invalid):
            return self._iam.arn(kind, name)

    def _self_or(self, user_name: str | None) -> tuple[str, Arn]:
        """The user named, or the caller itself (a user or the account root)."""
        if user_name is not None:
            return self._arn("user", user_name), Arn(self._arn("user", user_name))
        caller = self._caller
        if caller.type not in (PrincipalType.IAM_USER, PrincipalType.ROOT):
            raise Invalid(
                "user_name",
                got=None,
                expected="a user name (a role session has no long-term credentials of its own)",
            )
        return caller.arn, caller.arn

    def _boundary_of(self, kind: EntityKind, name: object) -> dict[str, Any]:
        if kind == "group" or not isinstance(name, str):
            return {}
        try:
            if kind == "user":
                boundary = self._iam.get_user(name).permissions_boundary
            else:
                boundary = self._iam.get_role(name).permissions_boundary
        except (NotFound, Invalid):
            return {}
        return {"iam:PermissionsBoundary": boundary} if boundary else {}

    # -- users ------------------------------------------------------------------------------

    def create_user(
        self,
        user_name: str,
        *,
        path: str = "/",
        tags: Mapping[str, str] | None = None,
        permissions_boundary: str | None = None,
        context: RequestContext | None = None,
    ) -> User:
        """Create a user (no permissions until a policy allows something)."""
        extra = request_tag_keys(tags if isinstance(tags, Mapping) else None)
        if permissions_boundary:
            extra["iam:PermissionsBoundary"] = permissions_boundary
        resource = (
            self._iam.arn("user", user_name, path)
            if isinstance(user_name, str) and isinstance(path, str)
            else "*"
        )
        return self._call(
            "iam:CreateUser",
            resource,
            {
                "userName": user_name,
                "path": path,
                "tags": _tag_list(tags),
                "permissionsBoundary": permissions_boundary,
            },
            lambda: self._iam.create_user(
                user_name, path=path, tags=tags, permissions_boundary=permissions_boundary
            ),
            context,
            respond=lambda u: {"user": {"userName": u.name, "userId": u.user_id, "arn": u.arn}},
            extra=extra,
        )

    def get_user(
        self, user_name: str | None = None, *, context: RequestContext | None = None
    ) -> User:
        """A user (the caller when no name is given)."""
        if user_name is None:
            if self._caller.type is not PrincipalType.IAM_USER:
                raise Invalid(
                    "user_name", got=None, expected="a user name (the caller is not a user)"
                )
            user_name = self._caller.name
        name = user_name
        return self._call(
            "iam:GetUser",
            self._arn("user", name),
            {"userName": name},
            lambda: self._iam.get_user(name),
            context,
        )

    def list_users(
        self, *, path_prefix: str = "/", context: RequestContext | None = None
    ) -> list[User]:
        return self._call(
            "iam:ListUsers",
            self._iam.arn("user", "*"),
            {"pathPrefix": path_prefix} if path_prefix != "/" else {},
            lambda: self._iam.list_users(path_prefix=path_prefix),
            context,
        )

    def delete_user(self, user_name: str, *, context: RequestContext | None = None) -> None:
        """Delete a user, its policies, tokens and access keys (they stop working at once)."""
        self._call(
            "iam:DeleteUser",
            self._arn("user", user_name),
            {"userName": user_name},
            lambda: self._iam.delete_user(user_name),
            context,
        )

    def tag_user(
        self, user_name: str, tags: Mapping[str, str], *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:TagUser",
            self._arn("user", user_name),
            {"userName": user_name, "tags": _tag_list(tags)},
            lambda: self._iam.tag("user", user_name, tags),
            context,
            extra=request_tag_keys(tags if isinstance(tags, Mapping) else None),
        )

    def untag_user(
        self, user_name: str, tag_keys: Sequence[str], *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:UntagUser",
            self._arn("user", user_name),
            {"userName": user_name, "tagKeys": list(tag_keys)},
            lambda: self._iam.untag("user", user_name, list(tag_keys)),
            context,
            extra={"aws:TagKeys": list(tag_keys)},
        )

    def list_user_tags(
        self, user_name: str, *, context: RequestContext | None = None
    ) -> dict[str, str]:
        return self._call(
            "iam:ListUserTags",
            self._arn("user", user_name),
            {"userName": user_name},
            lambda: self._iam.list_tags("user", user_name),
            context,
        )

    def put_user_permissions_boundary(
        self, user_name: str, permissions_boundary: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:PutUserPermissionsBoundary",
            self._arn("user", user_name),
            {"userName": user_name, "permissionsBoundary": permissions_boundary},
            lambda: self._iam.put_permissions_boundary("user", user_name, permissions_boundary),
            context,
            extra={"iam:PermissionsBoundary": permissions_boundary},
        )

    def delete_user_permissions_boundary(
        self, user_name: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:DeleteUserPermissionsBoundary",
            self._arn("user", user_name),
            {"userName": user_name},
            lambda: self._iam.delete_permissions_boundary("user", user_name),
            context,
            extra=self._boundary_of("user", user_name),
        )

    # -- groups -----------------------------------------------------------------------------

    def create_group(
        self, group_name: str, *, path: str = "/", context: RequestContext | None = None
    ) -> Group:
        resource = (
            self._iam.arn("group", group_name, path)
            if isinstance(group_name, str) and isinstance(path, str)
            else "*"
        )
        return self._call(
            "iam:CreateGroup",
            resource,
            {"groupName": group_name, "path": path},
            lambda: self._iam.create_group(group_name, path=path),
            context,
        )

    def get_group(self, group_name: str, *, context: RequestContext | None = None) -> list[str]:
        """The names of the group's members."""
        return self._call(
            "iam:GetGroup",
            self._arn("group", group_name),
            {"groupName": group_name},
            lambda: self._iam.group_members(group_name),
            context,
        )

    def list_groups(self, *, context: RequestContext | None = None) -> list[Group]:
        return self._call(
            "iam:ListGroups", self._iam.arn("group", "*"), {}, self._iam.list_groups, context
        )

    def delete_group(self, group_name: str, *, context: RequestContext | None = None) -> None:
        self._call(
            "iam:DeleteGroup",
            self._arn("group", group_name),
            {"groupName": group_name},
            lambda: self._iam.delete_group(group_name),
            context,
        )

    def add_user_to_group(
        self, group_name: str, user_name: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:AddUserToGroup",
            self._arn("group", group_name),
            {"groupName": group_name, "userName": user_name},
            lambda: self._iam.add_user_to_group(group_name, user_name),
            context,
        )

    def remove_user_from_group(
        self, group_name: str, user_name: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:RemoveUserFromGroup",
            self._arn("group", group_name),
            {"groupName": group_name, "userName": user_name},
            lambda: self._iam.remove_user_from_group(group_name, user_name),
            context,
        )

    def list_groups_for_user(
        self, user_name: str, *, context: RequestContext | None = None
    ) -> list[Group]:
        return self._call(
            "iam:ListGroupsForUser",
            self._arn("user", user_name),
            {"userName": user_name},
            lambda: self._iam.groups_for_user(user_name),
            context,
        )

    # -- roles ------------------------------------------------------------------------------

    def create_role(
        self,
        role_name: str,
        assume_role_policy_document: str | Mapping[str, Any],
        *,
        path: str = "/",
        description: str = "",
        max_session_duration: int = DEFAULT_SESSION_SECONDS,
        tags: Mapping[str, str] | None = None,
        permissions_boundary: str | None = None,
        context: RequestContext | None = None,
    ) -> Role:
        """Create a role; its trust policy names who may assume it."""
        document = _text(assume_role_policy_document)
        extra = request_tag_keys(tags if isinstance(tags, Mapping) else None)
        if permissions_boundary:
            extra["iam:PermissionsBoundary"] = permissions_boundary
        resource = (
            self._iam.arn("role", role_name, path)
            if isinstance(role_name, str) and isinstance(path, str)
            else "*"
        )
        return self._call(
            "iam:CreateRole",
            resource,
            {
                "roleName": role_name,
                "path": path,
                "description": description or None,
                "maxSessionDuration": max_session_duration,
                "assumeRolePolicyDocument": document,
                "tags": _tag_list(tags),
                "permissionsBoundary": permissions_boundary,
            },
            lambda: self._iam.create_role(
                role_name,
                document,
                path=path,
                description=description,
                max_session_duration=max_session_duration,
                tags=tags,
                permissions_boundary=permissions_boundary,
            ),
            context,
            respond=lambda r: {"role": {"roleName": r.name, "roleId": r.role_id, "arn": r.arn}},
            extra=extra,
        )

    def get_role(self, role_name: str, *, context: RequestContext | None = None) -> Role:
        return self._call(
            "iam:GetRole",
            self._arn("role", role_name),
            {"roleName": role_name},
            lambda: self._iam.get_role(role_name),
            context,
        )

    def list_roles(
        self, *, path_prefix: str = "/", context: RequestContext | None = None
    ) -> list[Role]:
        return self._call(
            "iam:ListRoles",
            self._iam.arn("role", "*"),
            {"pathPrefix": path_prefix} if path_prefix != "/" else {},
            lambda: self._iam.list_roles(path_prefix=path_prefix),
            context,
        )

    def delete_role(self, role_name: str, *, context: RequestContext | None = None) -> None:
        self._call(
            "iam:DeleteRole",
            self._arn("role", role_name),
            {"roleName": role_name},
            lambda: self._iam.delete_role(role_name),
            context,
        )

    def update_role(
        self,
        role_name: str,
        *,
        description: str | None = None,
        max_session_duration: int | None = None,
        context: RequestContext | None = None,
    ) -> Role:
        return self._call(
            "iam:UpdateRole",
            self._arn("role", role_name),
            {
                "roleName": role_name,
                "description": description,
                "maxSessionDuration": max_session_duration,
            },
            lambda: self._iam.update_role(
                role_name, description=description, max_session_duration=max_session_duration
            ),
            context,
        )

    def update_assume_role_policy(
        self,
        role_name: str,
        policy_document: str | Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> None:
        document = _text(policy_document)
        self._call(
            "iam:UpdateAssumeRolePolicy",
            self._arn("role", role_name),
            {"roleName": role_name, "policyDocument": document},
            lambda: self._iam.update_assume_role_policy(role_name, document),
            context,
        )

    def tag_role(
        self, role_name: str, tags: Mapping[str, str], *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:TagRole",
            self._arn("role", role_name),
            {"roleName": role_name, "tags": _tag_list(tags)},
            lambda: self._iam.tag("role", role_name, tags),
            context,
            extra=request_tag_keys(tags if isinstance(tags, Mapping) else None),
        )

    def untag_role(
        self, role_name: str, tag_keys: Sequence[str], *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:UntagRole",
            self._arn("role", role_name),
            {"roleName": role_name, "tagKeys": list(tag_keys)},
            lambda: self._iam.untag("role", role_name, list(tag_keys)),
            context,
            extra={"aws:TagKeys": list(tag_keys)},
        )

    def put_role_permissions_boundary(
        self, role_name: str, permissions_boundary: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:PutRolePermissionsBoundary",
            self._arn("role", role_name),
            {"roleName": role_name, "permissionsBoundary": permissions_boundary},
            lambda: self._iam.put_permissions_boundary("role", role_name, permissions_boundary),
            context,
            extra={"iam:PermissionsBoundary": permissions_boundary},
        )

    def delete_role_permissions_boundary(
        self, role_name: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:DeleteRolePermissionsBoundary",
            self._arn("role", role_name),
            {"roleName": role_name},
            lambda: self._iam.delete_permissions_boundary("role", role_name),
            context,
            extra=self._boundary_of("role", role_name),
        )

    # -- managed policies -------------------------------------------------------------------

    def _policy_arn(self, arn: object) -> str:
        return arn if isinstance(arn, str) and arn else "*"

    def create_policy(
        self,
        policy_name: str,
        policy_document: str | Mapping[str, Any],
        *,
        path: str = "/",
        description: str = "",
        context: RequestContext | None = None,
    ) -> ManagedPolicy:
        """Create a managed policy (version v1, the default)."""
        document = _text(policy_document)
        resource = (
            self._iam.arn("policy", policy_name, path)
            if isinstance(policy_name, str) and isinstance(path, str)
            else "*"
        )
        return self._call(
            "iam:CreatePolicy",
            resource,
            {
                "policyName": policy_name,
                "path": path,
                "description": description or None,
                "policyDocument": document,
            },
            lambda: self._iam.create_policy(
                policy_name, document, path=path, description=description
            ),
            context,
            respond=lambda p: {
                "policy": {"policyName": p.name, "policyId": p.policy_id, "arn": p.arn}
            },
        )

    def get_policy(
        self, policy_arn: str, *, context: RequestContext | None = None
    ) -> ManagedPolicy:
        return self._call(
            "iam:GetPolicy",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn},
            lambda: self._iam.get_policy(policy_arn),
            context,
        )

    def list_policies(
        self, *, only_attached: bool = False, context: RequestContext | None = None
    ) -> list[ManagedPolicy]:
        return self._call(
            "iam:ListPolicies",
            self._iam.arn("policy", "*"),
            {"onlyAttached": only_attached} if only_attached else {},
            lambda: self._iam.list_policies(only_attached=only_attached),
            context,
        )

    def delete_policy(self, policy_arn: str, *, context: RequestContext | None = None) -> None:
        self._call(
            "iam:DeletePolicy",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn},
            lambda: self._iam.delete_policy(policy_arn),
            context,
        )

    def create_policy_version(
        self,
        policy_arn: str,
        policy_document: str | Mapping[str, Any],
        *,
        set_as_default: bool = False,
        context: RequestContext | None = None,
    ) -> PolicyVersion:
        document = _text(policy_document)
        return self._call(
            "iam:CreatePolicyVersion",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn, "policyDocument": document, "setAsDefault": set_as_default},
            lambda: self._iam.create_policy_version(
                policy_arn, document, set_as_default=set_as_default
            ),
            context,
        )

    def get_policy_version(
        self,
        policy_arn: str,
        version_id: str | None = None,
        *,
        context: RequestContext | None = None,
    ) -> PolicyVersion:
        return self._call(
            "iam:GetPolicyVersion",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn, "versionId": version_id},
            lambda: self._iam.get_policy_version(policy_arn, version_id),
            context,
        )

    def list_policy_versions(
        self, policy_arn: str, *, context: RequestContext | None = None
    ) -> list[PolicyVersion]:
        return self._call(
            "iam:ListPolicyVersions",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn},
            lambda: self._iam.list_policy_versions(policy_arn),
            context,
        )

    def set_default_policy_version(
        self, policy_arn: str, version_id: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:SetDefaultPolicyVersion",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn, "versionId": version_id},
            lambda: self._iam.set_default_policy_version(policy_arn, version_id),
            context,
        )

    def delete_policy_version(
        self, policy_arn: str, version_id: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "iam:DeletePolicyVersion",
            self._policy_arn(policy_arn),
            {"policyArn": policy_arn, "versionId": version_id},
            lambda: self._iam.delete_policy_version(policy_arn, version_id),
            context,
        )

    # -- attachments ------------------------------------------------------------------------

    def _attach(
        self,
        verb: str,
        kind: EntityKind,
        name: str,
        policy_arn: str,
        context: RequestContext | None,
    ) -> None:
        noun = kind.capitalize()
        extra = {"iam:PolicyARN": policy_arn, **self._boundary_of(kind, name)}
        handler = self._iam.attach_policy if verb == "Attach" else self._iam.detach_policy
        self._call(
            f"iam:{verb}{noun}Policy",
            self._arn(kind, name),
            {f"{kind}Name": name, "policyArn": policy_arn},
            lambda: handler(kind, name, policy_arn),
            context,
            extra=extra,
        )

    def attach_policy(
        self, kind: EntityKind, name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        """AttachUserPolicy / AttachGroupPolicy / AttachRolePolicy."""
        self._attach("Attach", _kind(kind), name, policy_arn, context)

    def detach_policy(
        self, kind: EntityKind, name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        """DetachUserPolicy / DetachGroupPolicy / DetachRolePolicy."""
        self._attach("Detach", _kind(kind), name, policy_arn, context)

    def attach_user_policy(
        self, user_name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        self._attach("Attach", "user", user_name, policy_arn, context)

    def detach_user_policy(
        self, user_name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        self._attach("Detach", "user", user_name, policy_arn, context)

    def attach_group_policy(
        self, group_name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        self._attach("Attach", "group", group_name, policy_arn, context)

    def detach_group_policy(
        self, group_name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        self._attach("Detach", "group", group_name, policy_arn, context)

    def attach_role_policy(
        self, role_name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        self._attach("Attach", "role", role_name, policy_arn, context)

    def detach_role_policy(
        self, role_name: str, policy_arn: str, *, context: RequestContext | None = None
    ) -> None:
        self._attach("Detach", "role", role_name, policy_arn, context)

    def list_attached_policies(
        self, kind: EntityKind, name: str, *, context: RequestContext | None = None
    ) -> list[ManagedPolicy]:
        """The managed policies attached to a user, group or role."""
        if kind not in ("user", "group", "role"):
            raise Invalid("kind", got=kind, expected="'user', 'group' or 'role'")
        return self._call(
            f"iam:ListAttached{kind.capitalize()}Policies",
            self._arn(kind, name),
            {f"{kind}Name": name},
            lambda: self._iam.attached_policies(kind, name),
            context,
        )

    # -- inline policies --------------------------------------------------------------------

    def _inline(
        self,
        verb: str,
        kind: EntityKind,
        name: str,
        params: dict[str, Any],
        handler: Callable[[], T],
        context: RequestContext | None,
        *,
        write: bool,
    ) -> T:
        if kind not in ("user", "group", "role"):
            raise Invalid("kind", got=kind, expected="'user', 'group' or 'role'")
        return self._call(
            f"iam:{verb}{kind.capitalize()}Policy"
            if verb != "List"
            else f"iam:List{kind.capitalize()}Policies",
            self._arn(kind, name),
            {f"{kind}Name": name, **params},
            handler,
            context,
            extra=self._boundary_of(kind, name) if write else None,
        )

    def put_inline_policy(
        self,
        kind: EntityKind,
        name: str,
        policy_name: str,
        policy_document: str | Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> None:
        """PutUserPolicy / PutGroupPolicy / PutRolePolicy."""
        document = _text(policy_document)
        self._inline(
            "Put",
            kind,
            name,
            {"policyName": policy_name, "policyDocument": document},
            lambda: self._iam.put_inline_policy(kind, name, policy_name, document),
            context,
            write=True,
        )

    def put_user_policy(
        self,
        user_name: str,
        policy_name: str,
        policy_document: str | Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> None:
        self.put_inline_policy("user", user_name, policy_name, policy_document, context=context)

    def put_group_policy(
        self,
        group_name: str,
        policy_name: str,
        policy_document: str | Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> None:
        self.put_inline_policy("group", group_name, policy_name, policy_document, context=context)

    def put_role_policy(
        self,
        role_name: str,
        policy_name: str,
        policy_document: str | Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> None:
        self.put_inline_policy("role", role_name, policy_name, policy_document, context=context)

    def get_inline_policy(
        self,
        kind: EntityKind,
        name: str,
        policy_name: str,
        *,
        context: RequestContext | None = None,
    ) -> InlinePolicy:
        return self._inline(
            "Get",
            kind,
            name,
            {"policyName": policy_name},
            lambda: self._iam.get_inline_policy(kind, name, policy_name),
            context,
            write=False,
        )

    def delete_inline_policy(
        self,
        kind: EntityKind,
        name: str,
        policy_name: str,
        *,
        context: RequestContext | None = None,
    ) -> None:
        self._inline(
            "Delete",
            kind,
            name,
            {"policyName": policy_name},
            lambda: self._iam.delete_inline_policy(kind, name, policy_name),
            context,
            write=True,
        )

    def list_inline_policies(
        self, kind: EntityKind, name: str, *, context: RequestContext | None = None
    ) -> list[str]:
        return self._inline(
            "List",
            kind,
            name,
            {},
            lambda: self._iam.list_inline_policies(kind, name),
            context,
            write=False,
        )

    # -- API tokens and access keys ---------------------------------------------------------

    def create_api_token(
        self,
        *,
        user_name: str | None = None,
        description: str = "",
        expires_in_days: int | None = 90,
        context: RequestContext | None = None,
    ) -> NewApiToken:
        """A bearer token for ``user_name`` (default: the caller); the token is shown once."""
        resource, owner = self._self_or(user_name)

        def make() -> NewApiToken:
            principal = (
                owner
                if user_name is None
                else self._iam.entity_arn("user", user_name, operation="CreateApiToken")
            )
            return self._credentials.create_api_token(
                principal, description=description, expires_in_days=expires_in_days
            )

        return self._call(
            "bastion:CreateApiToken",
            resource,
            {
                "userName": user_name,
                "description": description or None,
                "expiresInDays": expires_in_days,
            },
            make,
            context,
            respond=lambda t: {
                "tokenId": t.info.token_id,
                "expiresAt": iso_z(t.info.expires_at) if t.info.expires_at else None,
            },
        )

    def list_api_tokens(
        self, *, user_name: str | None = None, context: RequestContext | None = None
    ) -> list[ApiToken]:
        resource, owner = self._self_or(user_name)
        return self._call(
            "bastion:ListApiTokens",
            resource,
            {"userName": user_name},
            lambda: self._credentials.list_api_tokens(
                owner
                if user_name is None
                else self._iam.entity_arn("user", user_name, operation="ListApiTokens")
            ),
            context,
        )

    def revoke_api_token(self, token_id: str, *, context: RequestContext | None = None) -> ApiToken:
        """Revoke a token by its id (``bst_…``, the part before the second ``_``)."""
        try:
            resource: str = self._credentials.token_owner(token_id)
        except (NotFound, Invalid):
            resource = "*"
        return self._call(
            "bastion:RevokeApiToken",
            resource,
            {"tokenId": token_id},
            lambda: self._credentials.revoke_api_token(token_id),
            context,
        )

    def create_access_key(
        self, *, user_name: str | None = None, context: RequestContext | None = None
    ) -> NewAccessKey:
        """An access key pair for SigV4 (default: for the caller); the secret is shown once."""
        resource, owner = self._self_or(user_name)
        return self._call(
            "iam:CreateAccessKey",
            resource,
            {"userName": user_name},
            lambda: self._credentials.create_access_key(
                owner
                if user_name is None
                else self._iam.entity_arn("user", user_name, operation="CreateAccessKey")
            ),
            context,
            respond=lambda k: {
                "accessKey": {"accessKeyId": k.access_key_id, "status": k.info.status}
            },
        )

    def list_access_keys(
        self, *, user_name: str | None = None, context: RequestContext | None = None
    ) -> list[AccessKey]:
        resource, owner = self._self_or(user_name)
        return self._call(
            "iam:ListAccessKeys",
            resource,
            {"userName": user_name},
            lambda: self._credentials.list_access_keys(
                owner
                if user_name is None
                else self._iam.entity_arn("user", user_name, operation="ListAccessKeys")
            ),
            context,
        )

    def update_access_key(
        self,
        access_key_id: str,
        status: str,
        *,
        user_name: str | None = None,
        context: RequestContext | None = None,
    ) -> AccessKey:
        resource, owner = self._self_or(user_name)
        return self._call(
            "iam:UpdateAccessKey",
            resource,
            {"userName": user_name, "accessKeyId": access_key_id, "status": status},
            lambda: self._credentials.update_access_key(
                owner
                if user_name is None
                else self._iam.entity_arn("user", user_name, operation="UpdateAccessKey"),
                access_key_id,
                status,
            ),
            context,
        )

    def delete_access_key(
        self,
        access_key_id: str,
        *,
        user_name: str | None = None,
        context: RequestContext | None = None,
    ) -> None:
        resource, owner = self._self_or(user_name)
        self._call(
            "iam:DeleteAccessKey",
            resource,
            {"userName": user_name, "accessKeyId": access_key_id},
            lambda: self._credentials.delete_access_key(
                owner
                if user_name is None
                else self._iam.entity_arn("user", user_name, operation="DeleteAccessKey"),
                access_key_id,
            ),
            context,
        )

    # -- STS --------------------------------------------------------------------------------

    def assume_role(
        self,
        role_arn: str,
        role_session_name: str,
        *,
        duration_seconds: int | None = None,
        policy: str | Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        external_id: str | None = None,
        context: RequestContext | None = None,
    ) -> SessionCredentials:
        """Short-lived credentials of a role whose trust policy lets the caller assume it.

        ``duration_seconds`` is 900 up to the role's longest session (default 3600); a role
        session assuming another role (role chaining) gets at most one hour. ``policy`` (a
        session policy) can only narrow the role's permissions; ``tags`` become session tags
        (``aws:PrincipalTag/…``) and need ``sts:TagSession`` in the trust policy.
        """
        op = "AssumeRole"
        check_session_name(role_session_name, operation=op)
        session_policy = (
            check_document(_text(policy), kind="session", field="policy", operation=op).text
            if policy is not None
            else None
        )
        session_tags = check_tags(tags, operation=op)
        caller = self._caller
        chained = caller.type is PrincipalType.ASSUMED_ROLE
        duration = _duration(duration_seconds, chained=chained)
        extra: dict[str, Any] = {
            "sts:RoleSessionName": role_session_name,
            **request_tag_keys(session_tags),
        }
        if external_id is not None:
            extra["sts:ExternalId"] = external_id
        params = {
            "roleArn": role_arn,
            "roleSessionName": role_session_name,
            "durationSeconds": duration_seconds,
            "policy": session_policy,
            "tags": _tag_list(session_tags or None),
            "externalId": external_id,
        }

        def handler() -> SessionCredentials:
            role = self._role_by_arn(role_arn)
            if duration > role.max_session_duration:
                raise Invalid(
                    "duration_seconds",
                    got=duration_seconds,
                    expected=f"at most the role's longest session, {role.max_session_duration} s",
                    operation=op,
                )
            if session_tags:
                self._check_tag_session(role.arn, extra, context)
            return self._credentials.create_session(
                role_arn=role.arn,
                role_id=role.role_id,
                session_name=role_session_name,
                source_arn=caller.arn,
                duration=timedelta(seconds=duration),
                policy=session_policy,
                tags=session_tags,
                chained=chained,
            )

        return self._call(
            "sts:AssumeRole",
            role_arn if isinstance(role_arn, str) and role_arn else "*",
            params,
            handler,
            context,
            respond=lambda c: {
                "credentials": {"accessKeyId": c.access_key_id, "expiration": iso_z(c.expiration)},
                "assumedRoleUser": {
                    "assumedRoleId": c.assumed_role_id,
                    "arn": _session_arn(c, role_session_name),
                },
            },
            extra=extra,
        )

    def _role_by_arn(self, role_arn: object) -> Role:
        if not isinstance(role_arn, str) or ":role/" not in role_arn:
            raise Invalid(
                "role_arn",
                got=role_arn,
                expected="a role ARN (arn:bastion:iam::<account>:role/<name>)",
                operation="AssumeRole",
            )
        account = role_arn.split(":")[4]
        name = role_arn.rsplit("/", 1)[-1]
        service = IamService(
            db=self.runtime.db,
            clock=self.runtime.clock,
            account_id=AccountId(account),
            changes=self.changes,
        )
        role = service.get_role(name)
        if role.arn != role_arn:
            raise NotFound(f"Role '{role_arn}' not found")
        return role

    def _check_tag_session(
        self, role_arn: str, extra: Mapping[str, Any], context: RequestContext | None
    ) -> None:
        ctx = context or RequestContext()
        keys = replace(ctx, extra={**ctx.extra, **extra}).condition_keys(self.runtime.region)
        decision = self.runtime.gate.authorizer.decide(
            self._caller, "sts:TagSession", role_arn, keys
        )
        if not decision.allowed:
            raise AccessDenied(
                f"{self._caller.arn} is not authorized to perform sts:TagSession on resource "
                f"{role_arn}",
                reason=decision.reason,
            )

    def get_caller_identity(self, *, context: RequestContext | None = None) -> dict[str, str]:
        """Who the caller is: ``Account``, ``UserId`` and ``Arn``, as STS answers."""
        caller = self._caller
        return self._call(
            "sts:GetCallerIdentity",
            "*",
            {},
            lambda: {
                "Account": caller.account_id,
                "UserId": caller.principal_id,
                "Arn": caller.arn,
            },
            context,
        )

    # -- organisation and guardrails --------------------------------------------------------

    def _org_arn(self, kind: str, ident: object) -> str:
        suffix = ident if isinstance(ident, str) and ident else "*"
        return f"arn:{PARTITION}:organizations::{self.runtime.account_id}:{kind}/{suffix}"

    def _guardrail_resource(self, ident: object) -> str:
        try:
            return self._org.get_guardrail(str(ident)).arn
        except (NotFound, Invalid):
            return self._org_arn("policy/service_control_policy", ident)

    def create_account(
        self,
        account_name: str,
        *,
        parent_id: str | None = None,
        context: RequestContext | None = None,
    ) -> Account:
        """A member account (owner only); its root can then be given tokens and roles."""
        return self._call(
            "organizations:CreateAccount",
            self._org_arn("account", "*"),
            {"accountName": account_name, "parentId": parent_id},
            lambda: self._org.create_account(account_name, parent_id=parent_id),
            context,
        )

    def list_accounts(self, *, context: RequestContext | None = None) -> list[Account]:
        return self._call(
            "organizations:ListAccounts",
            self._org_arn("account", "*"),
            {},
            self._org.list_accounts,
            context,
        )

    def move_account(
        self, account_id: str, parent_id: str, *, context: RequestContext | None = None
    ) -> Account:
        return self._call(
            "organizations:MoveAccount",
            self._org_arn("account", account_id),
            {"accountId": account_id, "destinationParentId": parent_id},
            lambda: self._org.move_account(account_id, parent_id),
            context,
        )

    def create_organizational_unit(
        self, name: str, *, parent_id: str | None = None, context: RequestContext | None = None
    ) -> OrganizationalUnit:
        return self._call(
            "organizations:CreateOrganizationalUnit",
            self._org_arn("ou", "*"),
            {"name": name, "parentId": parent_id},
            lambda: self._org.create_organizational_unit(name, parent_id=parent_id),
            context,
        )

    def list_organizational_units(
        self, *, context: RequestContext | None = None
    ) -> list[OrganizationalUnit]:
        return self._call(
            "organizations:ListOrganizationalUnitsForParent",
            self._org_arn("ou", "*"),
            {},
            self._org.list_organizational_units,
            context,
        )

    def delete_organizational_unit(
        self, ou_id: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "organizations:DeleteOrganizationalUnit",
            self._org_arn("ou", ou_id),
            {"organizationalUnitId": ou_id},
            lambda: self._org.delete_organizational_unit(ou_id),
            context,
        )

    def create_guardrail(
        self,
        name: str,
        content: str | Mapping[str, Any],
        *,
        description: str = "",
        context: RequestContext | None = None,
    ) -> Guardrail:
        """A guardrail (SCP); attach it to the root, an OU or an account to take effect."""
        document = _text(content)
        return self._call(
            "organizations:CreatePolicy",
            self._org_arn("policy/service_control_policy", "*"),
            {
                "name": name,
                "description": description or None,
                "content": document,
                "type": "SERVICE_CONTROL_POLICY",
            },
            lambda: self._org.create_guardrail(name, document, description=description),
            context,
        )

    def update_guardrail(
        self,
        guardrail: str,
        *,
        content: str | Mapping[str, Any] | None = None,
        description: str | None = None,
        context: RequestContext | None = None,
    ) -> Guardrail:
        document = _text(content) if content is not None else None
        return self._call(
            "organizations:UpdatePolicy",
            self._guardrail_resource(guardrail),
            {"policyId": guardrail, "content": document, "description": description},
            lambda: self._org.update_guardrail(
                guardrail, document=document, description=description
            ),
            context,
        )

    def delete_guardrail(self, guardrail: str, *, context: RequestContext | None = None) -> None:
        self._call(
            "organizations:DeletePolicy",
            self._guardrail_resource(guardrail),
            {"policyId": guardrail},
            lambda: self._org.delete_guardrail(guardrail),
            context,
        )

    def get_guardrail(self, guardrail: str, *, context: RequestContext | None = None) -> Guardrail:
        return self._call(
            "organizations:DescribePolicy",
            self._guardrail_resource(guardrail),
            {"policyId": guardrail},
            lambda: self._org.get_guardrail(guardrail),
            context,
        )

    def list_guardrails(self, *, context: RequestContext | None = None) -> list[Guardrail]:
        return self._call(
            "organizations:ListPolicies",
            self._org_arn("policy/service_control_policy", "*"),
            {"filter": "SERVICE_CONTROL_POLICY"},
            self._org.list_guardrails,
            context,
        )

    def attach_guardrail(
        self, guardrail: str, target_id: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "organizations:AttachPolicy",
            self._guardrail_resource(guardrail),
            {"policyId": guardrail, "targetId": target_id},
            lambda: self._org.attach_guardrail(guardrail, target_id),
            context,
        )

    def detach_guardrail(
        self, guardrail: str, target_id: str, *, context: RequestContext | None = None
    ) -> None:
        self._call(
            "organizations:DetachPolicy",
            self._guardrail_resource(guardrail),
            {"policyId": guardrail, "targetId": target_id},
            lambda: self._org.detach_guardrail(guardrail, target_id),
            context,
        )

    # -- simulator, explanations, validation ------------------------------------------------

    def _simulator(self) -> Simulator:
        authorizer = self.runtime.gate.authorizer
        if not isinstance(authorizer, PolicyAuthorizer):
            authorizer = PolicyAuthorizer(
                db=self.runtime.db,
                clock=self.runtime.clock,
                resources=self.runtime.gate.resources,
                changes=self.changes,
            )
        return Simulator(authorizer=authorizer, region=self.runtime.region)

    def simulate(
        self,
        principal_arn: str,
        action: str,
        resource: str = "*",
        context_keys: Mapping[str, Any] | None = None,
        *,
        context: RequestContext | None = None,
    ) -> Simulation:
        """Would ``principal_arn`` be allowed ``action`` on ``resource``? With the deciding
        statements (policy name and Sid) and why every other statement did not apply."""
        if context_keys is not None and not isinstance(context_keys, Mapping):
            raise Invalid(
                "context_keys",
                got=context_keys,
                expected="a mapping of condition keys to values",
                operation="SimulatePrincipalPolicy",
            )
        params = {
            "policySourceArn": principal_arn,
            "actionNames": [action],
            "resourceArns": [resource],
            "contextEntries": dict(context_keys or {}) or None,
        }
        target = principal_arn if isinstance(principal_arn, str) and principal_arn else "*"
        return self._call(
            "iam:SimulatePrincipalPolicy",
            target,
            params,
            lambda: self._simulator().simulate(principal_arn, action, resource, context_keys),
            context,
        )

    def explain(self, request_id: str, *, context: RequestContext | None = None) -> Explanation:
        """Find a recorded call (e.g. a denied one) by request id and explain its decision under
        the policies as they are now."""
        return self._call(
            "bastion:ExplainRequest",
            "*",
            {"requestId": request_id},
            lambda: self._simulator().explain(self.runtime.trail, request_id),
            context,
        )

    def validate_policy(
        self,
        policy_document: str | Mapping[str, Any],
        *,
        kind: PolicyKind = "identity",
        context: RequestContext | None = None,
    ) -> list[PolicyWarning]:
        """Parse a policy (``Invalid`` with a JSON path on error) and lint it against the action
        catalogue: unknown actions, resources no action uses, redundant statements …"""
        document = _text(policy_document)

        def run() -> list[PolicyWarning]:
            policy = check_document(
                document, kind=kind, field="policy_document", operation="ValidatePolicy"
            )
            actions = declared_actions()
            return lint_policy(
                policy,
                known_actions=list(actions),
                resource_types={name: a.arn_pattern for name, a in actions.items()},
            )

        return self._call("bastion:ValidatePolicy", "*", {"policyType": kind}, run, context)


def _kind(kind: object) -> EntityKind:
    if kind == "user" or kind == "group" or kind == "role":
        return kind
    raise Invalid("kind", got=kind, expected="'user', 'group' or 'role'")


def _text(document: object) -> str:
    if isinstance(document, Mapping):
        return json.dumps(document)
    return document  # type: ignore[return-value]  # validated by the operation


def _tag_list(tags: object) -> list[dict[str, str]] | None:
    if not isinstance(tags, Mapping) or not tags:
        return None
    return [{"key": str(k), "value": str(v)} for k, v in tags.items()]


def _duration(seconds: object, *, chained: bool) -> int:
    if seconds is None:
        return DEFAULT_SESSION_SECONDS
    top = MAX_CHAINED_SECONDS if chained else 43_200
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not MIN_SESSION_SECONDS <= seconds <= top
    ):
        why = " (role chaining allows 1 hour at most)" if chained else ""
        raise Invalid(
            "duration_seconds",
            got=seconds,
            expected=f"seconds in [{MIN_SESSION_SECONDS}, {top}]{why}",
            operation="AssumeRole",
        )
    return seconds


def _session_arn(credentials: SessionCredentials, session_name: str) -> str:
    role = credentials.assumed_role_arn
    account = role.split(":")[4]
    return f"arn:{PARTITION}:sts::{account}:assumed-role/{role.rsplit('/', 1)[-1]}/{session_name}"


__all__ = ["AccessClient", "AccessRuntime", "GateLike"]
