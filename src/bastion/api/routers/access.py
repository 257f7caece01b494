"""``/iam`` and ``/sts``: users, groups, roles, policies, API tokens, access keys, the simulator.

Bodies use the field names of AWS IAM (``UserName``, ``PolicyDocument``, ``PolicyArn`` …); times
travel as ISO 8601 (UTC). A managed policy is named in the path by its ARN. The secret of a new
API token or access key is in the create response only and never again. Each route is one
:class:`~bastion.access.AccessClient` call through the gate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from bastion.access import AccessKey, ApiToken, Group, ManagedPolicy, Role, Simulation, User
from bastion.api._app import AccessDep
from bastion.api._auth import CallerDep
from bastion.api._errors import error_responses
from bastion.api.routers._common import RequestModel, ResponseModel, Timestamp
from bastion.errors import Invalid

router = APIRouter(tags=["iam"], responses=error_responses(403, 404, 409))

EntityPath = Literal["users", "groups", "roles"]
_KIND: dict[str, Literal["user", "group", "role"]] = {
    "users": "user",
    "groups": "group",
    "roles": "role",
}
NamePath = Annotated[str, Path(max_length=128, description="A user, group or role name")]
PolicyArnPath = Annotated[str, Path(max_length=2048, description="A managed policy ARN")]
UserQuery = Annotated[
    str | None,
    Query(alias="user-name", max_length=128, description="Another user (default: the caller)"),
]


# ------------------------------------------------------------------------------------ models


class Tag(RequestModel):
    Key: str
    Value: str


class CreateUserBody(RequestModel):
    UserName: str
    Path: str = "/"
    Tags: list[Tag] | None = None
    PermissionsBoundary: str | None = None


class UserOut(ResponseModel):
    UserName: str
    UserId: str
    Arn: str
    Path: str
    CreateDate: Timestamp
    PermissionsBoundary: str | None
    Tags: list[dict[str, str]]


class UserResponse(ResponseModel):
    User: UserOut


class UsersResponse(ResponseModel):
    Users: list[UserOut]


class CreateGroupBody(RequestModel):
    GroupName: str
    Path: str = "/"


class GroupOut(ResponseModel):
    GroupName: str
    GroupId: str
    Arn: str
    Path: str
    CreateDate: Timestamp


class GroupResponse(ResponseModel):
    Group: GroupOut


class GroupsResponse(ResponseModel):
    Groups: list[GroupOut]


class GroupMembersResponse(ResponseModel):
    GroupName: str
    UserNames: list[str]


class CreateRoleBody(RequestModel):
    RoleName: str
    AssumeRolePolicyDocument: str
    Path: str = "/"
    Description: str = ""
    MaxSessionDuration: int = 3600
    Tags: list[Tag] | None = None
    PermissionsBoundary: str | None = None


class RoleOut(ResponseModel):
    RoleName: str
    RoleId: str
    Arn: str
    Path: str
    CreateDate: Timestamp
    AssumeRolePolicyDocument: str
    MaxSessionDuration: int
    Description: str
    PermissionsBoundary: str | None
    Tags: list[dict[str, str]]


class RoleResponse(ResponseModel):
    Role: RoleOut


class RolesResponse(ResponseModel):
    Roles: list[RoleOut]


class CreatePolicyBody(RequestModel):
    PolicyName: str
    PolicyDocument: str
    Path: str = "/"
    Description: str = ""


class PolicyOut(ResponseModel):
    PolicyName: str
    PolicyId: str
    Arn: str
    Path: str
    Description: str
    DefaultVersionId: str
    AttachmentCount: int
    CreateDate: Timestamp
    UpdateDate: Timestamp


class PolicyResponse(ResponseModel):
    Policy: PolicyOut


class PoliciesResponse(ResponseModel):
    Policies: list[PolicyOut]


class AttachBody(RequestModel):
    PolicyArn: str


class AttachedPoliciesResponse(ResponseModel):
    AttachedPolicies: list[dict[str, str]]


class InlinePolicyBody(RequestModel):
    PolicyDocument: str


class InlinePolicyResponse(ResponseModel):
    PolicyName: str
    PolicyDocument: str


class InlinePolicyNamesResponse(ResponseModel):
    PolicyNames: list[str]


class CreateTokenBody(RequestModel):
    UserName: str | None = None
    Description: str = ""
    ExpiresInDays: int | None = 90


class TokenOut(ResponseModel):
    TokenId: str
    PrincipalArn: str
    Description: str
    CreateDate: Timestamp
    ExpirationDate: Timestamp | None
    RevokedDate: Timestamp | None
    LastUsedDate: Timestamp | None


class NewTokenResponse(ResponseModel):
    Token: str
    """The bearer token itself: shown in this response only."""
    ApiToken: TokenOut


class TokenResponse(ResponseModel):
    ApiToken: TokenOut


class TokensResponse(ResponseModel):
    ApiTokens: list[TokenOut]


class CreateAccessKeyBody(RequestModel):
    UserName: str | None = None


class AccessKeyOut(ResponseModel):
    AccessKeyId: str
    PrincipalArn: str
    Status: str
    CreateDate: Timestamp
    LastUsedDate: Timestamp | None


class NewAccessKeyResponse(ResponseModel):
    AccessKeyId: str
    SecretAccessKey: str
    """The signing secret: shown in this response only."""
    AccessKey: AccessKeyOut


class AccessKeyResponse(ResponseModel):
    AccessKey: AccessKeyOut


class AccessKeysResponse(ResponseModel):
    AccessKeyMetadata: list[AccessKeyOut]


class UpdateAccessKeyBody(RequestModel):
    Status: str
    UserName: str | None = None


class SimulateBody(RequestModel):
    PolicySourceArn: str
    ActionName: str
    ResourceArn: str = "*"
    ContextEntries: dict[str, Any] | None = None


class StatementOut(ResponseModel):
    Policy: str
    PolicyType: str
    Sid: str | None
    Index: int
    Effect: str
    Applies: bool
    Reason: str


class SimulateResponse(ResponseModel):
    PolicySourceArn: str
    ActionName: str
    ResourceArn: str
    EvalDecision: str
    Allowed: bool
    Reason: str
    MatchedStatements: list[StatementOut]


class CallerIdentityResponse(ResponseModel):
    Account: str
    UserId: str
    Arn: str


# ------------------------------------------------------------------------------------ helpers


def _tags(tags: list[Tag] | None, operation: str) -> dict[str, str] | None:
    if tags is None:
        return None
    result: dict[str, str] = {}
    for tag in tags:
        if tag.Key in result:
            raise Invalid(
                "Tags", got=tag.Key, expected="tags with distinct Key", operation=operation
            )
        result[tag.Key] = tag.Value
    return result


def _tag_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(dict(tags).items())]


def _user(user: User) -> UserOut:
    return UserOut(
        UserName=user.name,
        UserId=user.user_id,
        Arn=user.arn,
        Path=user.path,
        CreateDate=user.created_at,
        PermissionsBoundary=user.permissions_boundary,
        Tags=_tag_list(user.tags),
    )


def _group(group: Group) -> GroupOut:
    return GroupOut(
        GroupName=group.name,
        GroupId=group.group_id,
        Arn=group.arn,
        Path=group.path,
        CreateDate=group.created_at,
    )


def _role(role: Role) -> RoleOut:
    return RoleOut(
        RoleName=role.name,
        RoleId=role.role_id,
        Arn=role.arn,
        Path=role.path,
        CreateDate=role.created_at,
        AssumeRolePolicyDocument=role.trust_policy,
        MaxSessionDuration=role.max_session_duration,
        Description=role.description,
        PermissionsBoundary=role.permissions_boundary,
        Tags=_tag_list(role.tags),
    )


def _policy(policy: ManagedPolicy) -> PolicyOut:
    return PolicyOut(
        PolicyName=policy.name,
        PolicyId=policy.policy_id,
        Arn=policy.arn,
        Path=policy.path,
        Description=policy.description,
        DefaultVersionId=policy.default_version,
        AttachmentCount=policy.attachment_count,
        CreateDate=policy.created_at,
        UpdateDate=policy.updated_at,
    )


def _token(token: ApiToken) -> TokenOut:
    return TokenOut(
        TokenId=token.token_id,
        PrincipalArn=token.principal_arn,
        Description=token.description,
        CreateDate=token.created_at,
        ExpirationDate=token.expires_at,
        RevokedDate=token.revoked_at,
        LastUsedDate=token.last_used_at,
    )


def _access_key(key: AccessKey) -> AccessKeyOut:
    return AccessKeyOut(
        AccessKeyId=key.access_key_id,
        PrincipalArn=key.principal_arn,
        Status=key.status,
        CreateDate=key.created_at,
        LastUsedDate=key.last_used_at,
    )


def _simulation(result: Simulation) -> SimulateResponse:
    return SimulateResponse(
        PolicySourceArn=result.principal_arn,
        ActionName=result.action,
        ResourceArn=result.resource,
        EvalDecision=result.decision,
        Allowed=result.allowed,
        Reason=result.reason,
        MatchedStatements=[
            StatementOut(
                Policy=s.policy,
                PolicyType=s.policy_type,
                Sid=s.sid,
                Index=s.index,
                Effect=s.effect,
                Applies=s.applies,
                Reason=s.reason,
            )
            for s in result.deciding
        ],
    )


# ------------------------------------------------------------------------------------ users


@router.post("/iam/users", name="CreateUser")
def create_user(body: CreateUserBody, access: AccessDep, caller: CallerDep) -> UserResponse:
    """Create a user (no permissions until a policy allows something)."""
    user = access.create_user(
        body.UserName,
        path=body.Path,
        tags=_tags(body.Tags, "CreateUser"),
        permissions_boundary=body.PermissionsBoundary,
        context=caller.context,
    )
    return UserResponse(User=_user(user))


@router.get("/iam/users", name="ListUsers")
def list_users(
    access: AccessDep,
    caller: CallerDep,
    path_prefix: Annotated[str, Query(alias="path-prefix", max_length=512)] = "/",
) -> UsersResponse:
    """Every user whose path starts with ``path-prefix``."""
    users = access.list_users(path_prefix=path_prefix, context=caller.context)
    return UsersResponse(Users=[_user(u) for u in users])


@router.get("/iam/users/{user_name}", name="GetUser")
def get_user(user_name: NamePath, access: AccessDep, caller: CallerDep) -> UserResponse:
    """One user."""
    return UserResponse(User=_user(access.get_user(user_name, context=caller.context)))


@router.delete("/iam/users/{user_name}", name="DeleteUser", status_code=204)
def delete_user(user_name: NamePath, access: AccessDep, caller: CallerDep) -> Response:
    """Delete a user (Conflict while it has policies, groups or credentials)."""
    access.delete_user(user_name, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ groups


@router.post("/iam/groups", name="CreateGroup")
def create_group(body: CreateGroupBody, access: AccessDep, caller: CallerDep) -> GroupResponse:
    """Create a group."""
    group = access.create_group(body.GroupName, path=body.Path, context=caller.context)
    return GroupResponse(Group=_group(group))


@router.get("/iam/groups", name="ListGroups")
def list_groups(access: AccessDep, caller: CallerDep) -> GroupsResponse:
    """Every group."""
    return GroupsResponse(Groups=[_group(g) for g in access.list_groups(context=caller.context)])


@router.get("/iam/groups/{group_name}", name="GetGroup")
def get_group(group_name: NamePath, access: AccessDep, caller: CallerDep) -> GroupMembersResponse:
    """The group's members."""
    members = access.get_group(group_name, context=caller.context)
    return GroupMembersResponse(GroupName=group_name, UserNames=list(members))


@router.delete("/iam/groups/{group_name}", name="DeleteGroup", status_code=204)
def delete_group(group_name: NamePath, access: AccessDep, caller: CallerDep) -> Response:
    """Delete a group."""
    access.delete_group(group_name, context=caller.context)
    return Response(status_code=204)


@router.put("/iam/groups/{group_name}/users/{user_name}", name="AddUserToGroup", status_code=204)
def add_user_to_group(
    group_name: NamePath, user_name: NamePath, access: AccessDep, caller: CallerDep
) -> Response:
    """Make the user a member of the group."""
    access.add_user_to_group(group_name, user_name, context=caller.context)
    return Response(status_code=204)


@router.delete(
    "/iam/groups/{group_name}/users/{user_name}", name="RemoveUserFromGroup", status_code=204
)
def remove_user_from_group(
    group_name: NamePath, user_name: NamePath, access: AccessDep, caller: CallerDep
) -> Response:
    """Remove the user from the group."""
    access.remove_user_from_group(group_name, user_name, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ roles


@router.post("/iam/roles", name="CreateRole")
def create_role(body: CreateRoleBody, access: AccessDep, caller: CallerDep) -> RoleResponse:
    """Create a role with its trust policy (who may assume it)."""
    role = access.create_role(
        body.RoleName,
        body.AssumeRolePolicyDocument,
        path=body.Path,
        description=body.Description,
        max_session_duration=body.MaxSessionDuration,
        tags=_tags(body.Tags, "CreateRole"),
        permissions_boundary=body.PermissionsBoundary,
        context=caller.context,
    )
    return RoleResponse(Role=_role(role))


@router.get("/iam/roles", name="ListRoles")
def list_roles(access: AccessDep, caller: CallerDep) -> RolesResponse:
    """Every role."""
    return RolesResponse(Roles=[_role(r) for r in access.list_roles(context=caller.context)])


@router.get("/iam/roles/{role_name}", name="GetRole")
def get_role(role_name: NamePath, access: AccessDep, caller: CallerDep) -> RoleResponse:
    """One role with its trust policy."""
    return RoleResponse(Role=_role(access.get_role(role_name, context=caller.context)))


@router.delete("/iam/roles/{role_name}", name="DeleteRole", status_code=204)
def delete_role(role_name: NamePath, access: AccessDep, caller: CallerDep) -> Response:
    """Delete a role."""
    access.delete_role(role_name, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ policies


@router.post("/iam/policies", name="CreatePolicy")
def create_policy(body: CreatePolicyBody, access: AccessDep, caller: CallerDep) -> PolicyResponse:
    """Create a managed policy (validated; version v1 is the default)."""
    made = access.create_policy(
        body.PolicyName,
        body.PolicyDocument,
        path=body.Path,
        description=body.Description,
        context=caller.context,
    )
    return PolicyResponse(Policy=_policy(made))


@router.get("/iam/policies", name="ListPolicies")
def list_policies(
    access: AccessDep,
    caller: CallerDep,
    only_attached: Annotated[bool, Query(alias="only-attached")] = False,
) -> PoliciesResponse:
    """Managed policies (``only-attached``: those attached to something)."""
    found = access.list_policies(only_attached=only_attached, context=caller.context)
    return PoliciesResponse(Policies=[_policy(p) for p in found])


@router.get("/iam/policies/{policy_arn:path}", name="GetPolicy")
def get_policy(policy_arn: PolicyArnPath, access: AccessDep, caller: CallerDep) -> PolicyResponse:
    """One managed policy."""
    return PolicyResponse(Policy=_policy(access.get_policy(policy_arn, context=caller.context)))


@router.delete("/iam/policies/{policy_arn:path}", name="DeletePolicy", status_code=204)
def delete_policy(policy_arn: PolicyArnPath, access: AccessDep, caller: CallerDep) -> Response:
    """Delete a managed policy (Conflict while attached)."""
    access.delete_policy(policy_arn, context=caller.context)
    return Response(status_code=204)


@router.get("/iam/{kind}/{name}/attached-policies", name="ListAttachedPolicies")
def list_attached(
    kind: EntityPath, name: NamePath, access: AccessDep, caller: CallerDep
) -> AttachedPoliciesResponse:
    """The managed policies attached to a user, group or role."""
    found = access.list_attached_policies(_KIND[kind], name, context=caller.context)
    return AttachedPoliciesResponse(
        AttachedPolicies=[{"PolicyName": p.name, "PolicyArn": p.arn} for p in found]
    )


@router.post("/iam/{kind}/{name}/attached-policies", name="AttachPolicy", status_code=204)
def attach_policy(
    kind: EntityPath, name: NamePath, body: AttachBody, access: AccessDep, caller: CallerDep
) -> Response:
    """Attach a managed policy to a user, group or role."""
    access.attach_policy(_KIND[kind], name, body.PolicyArn, context=caller.context)
    return Response(status_code=204)


@router.delete(
    "/iam/{kind}/{name}/attached-policies/{policy_arn:path}",
    name="DetachPolicy",
    status_code=204,
)
def detach_policy(
    kind: EntityPath,
    name: NamePath,
    policy_arn: PolicyArnPath,
    access: AccessDep,
    caller: CallerDep,
) -> Response:
    """Detach a managed policy from a user, group or role."""
    access.detach_policy(_KIND[kind], name, policy_arn, context=caller.context)
    return Response(status_code=204)


@router.get("/iam/{kind}/{name}/policies", name="ListInlinePolicies")
def list_inline(
    kind: EntityPath, name: NamePath, access: AccessDep, caller: CallerDep
) -> InlinePolicyNamesResponse:
    """The names of a user's, group's or role's inline policies."""
    names = access.list_inline_policies(_KIND[kind], name, context=caller.context)
    return InlinePolicyNamesResponse(PolicyNames=list(names))


@router.put("/iam/{kind}/{name}/policies/{policy_name}", name="PutInlinePolicy", status_code=204)
def put_inline(
    kind: EntityPath,
    name: NamePath,
    policy_name: NamePath,
    body: InlinePolicyBody,
    access: AccessDep,
    caller: CallerDep,
) -> Response:
    """Create or replace an inline policy (validated)."""
    access.put_inline_policy(
        _KIND[kind], name, policy_name, body.PolicyDocument, context=caller.context
    )
    return Response(status_code=204)


@router.get("/iam/{kind}/{name}/policies/{policy_name}", name="GetInlinePolicy")
def get_inline(
    kind: EntityPath, name: NamePath, policy_name: NamePath, access: AccessDep, caller: CallerDep
) -> InlinePolicyResponse:
    """One inline policy document."""
    found = access.get_inline_policy(_KIND[kind], name, policy_name, context=caller.context)
    return InlinePolicyResponse(PolicyName=found.name, PolicyDocument=found.document)


@router.delete(
    "/iam/{kind}/{name}/policies/{policy_name}", name="DeleteInlinePolicy", status_code=204
)
def delete_inline(
    kind: EntityPath, name: NamePath, policy_name: NamePath, access: AccessDep, caller: CallerDep
) -> Response:
    """Delete an inline policy."""
    access.delete_inline_policy(_KIND[kind], name, policy_name, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ credentials


@router.post("/iam/tokens", name="CreateApiToken")
def create_token(
    access: AccessDep, caller: CallerDep, body: CreateTokenBody | None = None
) -> NewTokenResponse:
    """A bearer token for a user (default: the caller); the token is shown here only."""
    spec = body or CreateTokenBody()
    made = access.create_api_token(
        user_name=spec.UserName,
        description=spec.Description,
        expires_in_days=spec.ExpiresInDays,
        context=caller.context,
    )
    return NewTokenResponse(Token=made.token, ApiToken=_token(made.info))


@router.get("/iam/tokens", name="ListApiTokens")
def list_tokens(
    access: AccessDep, caller: CallerDep, user_name: UserQuery = None
) -> TokensResponse:
    """A user's tokens (never the secrets)."""
    found = access.list_api_tokens(user_name=user_name, context=caller.context)
    return TokensResponse(ApiTokens=[_token(t) for t in found])


@router.post("/iam/tokens/{token_id}/revoke", name="RevokeApiToken")
def revoke_token(
    token_id: Annotated[str, Path(max_length=128)], access: AccessDep, caller: CallerDep
) -> TokenResponse:
    """Revoke a token: it stops authenticating at once."""
    return TokenResponse(ApiToken=_token(access.revoke_api_token(token_id, context=caller.context)))


@router.post("/iam/access-keys", name="CreateAccessKey")
def create_access_key(
    access: AccessDep, caller: CallerDep, body: CreateAccessKeyBody | None = None
) -> NewAccessKeyResponse:
    """A SigV4 access key for a user (default: the caller); the secret is shown here only."""
    made = access.create_access_key(
        user_name=(body or CreateAccessKeyBody()).UserName, context=caller.context
    )
    return NewAccessKeyResponse(
        AccessKeyId=made.access_key_id,
        SecretAccessKey=made.secret_access_key,
        AccessKey=_access_key(made.info),
    )


@router.get("/iam/access-keys", name="ListAccessKeys")
def list_access_keys(
    access: AccessDep, caller: CallerDep, user_name: UserQuery = None
) -> AccessKeysResponse:
    """A user's access keys (never the secrets)."""
    found = access.list_access_keys(user_name=user_name, context=caller.context)
    return AccessKeysResponse(AccessKeyMetadata=[_access_key(k) for k in found])


@router.put("/iam/access-keys/{access_key_id}", name="UpdateAccessKey")
def update_access_key(
    access_key_id: Annotated[str, Path(max_length=128)],
    body: UpdateAccessKeyBody,
    access: AccessDep,
    caller: CallerDep,
) -> AccessKeyResponse:
    """Set an access key ``Active`` or ``Inactive``."""
    key = access.update_access_key(
        access_key_id, body.Status, user_name=body.UserName, context=caller.context
    )
    return AccessKeyResponse(AccessKey=_access_key(key))


@router.delete("/iam/access-keys/{access_key_id}", name="DeleteAccessKey", status_code=204)
def delete_access_key(
    access_key_id: Annotated[str, Path(max_length=128)],
    access: AccessDep,
    caller: CallerDep,
    user_name: UserQuery = None,
) -> Response:
    """Delete an access key."""
    access.delete_access_key(access_key_id, user_name=user_name, context=caller.context)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ decisions


@router.post("/iam/simulate", name="SimulatePrincipalPolicy")
def simulate(body: SimulateBody, access: AccessDep, caller: CallerDep) -> SimulateResponse:
    """Would the principal be allowed the action on the resource? With the deciding statements."""
    result = access.simulate(
        body.PolicySourceArn,
        body.ActionName,
        body.ResourceArn,
        body.ContextEntries,
        context=caller.context,
    )
    return _simulation(result)


@router.get("/sts/caller-identity", name="GetCallerIdentity")
def whoami(access: AccessDep, caller: CallerDep) -> CallerIdentityResponse:
    """Who the caller is: account, principal id and ARN."""
    return CallerIdentityResponse(**access.get_caller_identity(context=caller.context))
