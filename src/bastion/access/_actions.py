"""The access room's actions: ``iam:*``, ``sts:*``, ``organizations:*`` and ``bastion:*``.

Named as AWS names them where the operation is AWS's; API tokens, request explanations and
policy validation are Bastion's own (``bastion:*``).
"""

from bastion.access._catalogue import (
    TAG_ON_CREATE_KEYS,
    Action,
    ResourceType,
    register_actions,
    register_resource_types,
)

USER = "AWS::IAM::User"
GROUP = "AWS::IAM::Group"
ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
GUARDRAIL = "AWS::Organizations::Policy"
ACCOUNT = "AWS::Organizations::Account"
OU = "AWS::Organizations::OrganizationalUnit"
ANY = "*"

BOUNDARY_KEY = ("iam:PermissionsBoundary",)
POLICY_ARN_KEY = ("iam:PolicyARN",)

register_resource_types(
    [
        ResourceType(
            name=USER,
            arn="arn:${Partition}:iam::${Account}:user/${UserNameWithPath}",
            condition_keys=("aws:ResourceTag/${TagKey}",),
        ),
        ResourceType(name=GROUP, arn="arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}"),
        ResourceType(
            name=ROLE,
            arn="arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
            condition_keys=("aws:ResourceTag/${TagKey}",),
        ),
        ResourceType(
            name=POLICY, arn="arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}"
        ),
        ResourceType(
            name=GUARDRAIL,
            arn="arn:${Partition}:organizations::${Account}:policy/service_control_policy/${PolicyId}",
        ),
        ResourceType(
            name=ACCOUNT,
            arn="arn:${Partition}:organizations::${ManagementAccount}:account/${AccountId}",
        ),
        ResourceType(
            name=OU, arn="arn:${Partition}:organizations::${ManagementAccount}:ou/${OuId}"
        ),
        ResourceType(name=ANY, arn="*"),
    ]
)


def _a(
    name: str,
    resource: str,
    doc: str,
    *,
    read: bool = False,
    keys: tuple[str, ...] = (),
    arn: str = "",
) -> Action:
    return Action(
        name=name, resource=resource, doc=doc, read_only=read, condition_keys=keys, resource_arn=arn
    )


ACTIONS = [
    # users
    _a("iam:CreateUser", USER, "Create a user.", keys=TAG_ON_CREATE_KEYS + BOUNDARY_KEY),
    _a("iam:GetUser", USER, "Show a user.", read=True),
    _a("iam:ListUsers", USER, "List the account's users.", read=True),
    _a("iam:DeleteUser", USER, "Delete a user with its policies, tokens and access keys."),
    _a("iam:TagUser", USER, "Add or change a user's tags.", keys=TAG_ON_CREATE_KEYS),
    _a("iam:UntagUser", USER, "Remove tags from a user.", keys=("aws:TagKeys",)),
    _a("iam:ListUserTags", USER, "List a user's tags.", read=True),
    _a(
        "iam:PutUserPermissionsBoundary",
        USER,
        "Set the managed policy that bounds a user's permissions.",
        keys=BOUNDARY_KEY,
    ),
    _a(
        "iam:DeleteUserPermissionsBoundary",
        USER,
        "Remove a user's permissions boundary.",
        keys=BOUNDARY_KEY,
    ),
    # groups
    _a("iam:CreateGroup", GROUP, "Create a group."),
    _a("iam:GetGroup", GROUP, "Show a group and its members.", read=True),
    _a("iam:ListGroups", GROUP, "List the account's groups.", read=True),
    _a("iam:DeleteGroup", GROUP, "Delete a group with its policies (members stay)."),
    _a("iam:AddUserToGroup", GROUP, "Make a user a member of a group."),
    _a("iam:RemoveUserFromGroup", GROUP, "Remove a user from a group."),
    _a("iam:ListGroupsForUser", USER, "List the groups a user belongs to.", read=True),
    # roles
    _a(
        "iam:CreateRole",
        ROLE,
        "Create a role with a trust policy.",
        keys=TAG_ON_CREATE_KEYS + BOUNDARY_KEY,
    ),
    _a("iam:GetRole", ROLE, "Show a role.", read=True),
    _a("iam:ListRoles", ROLE, "List the account's roles.", read=True),
    _a("iam:DeleteRole", ROLE, "Delete a role; its sessions stop working."),
    _a("iam:UpdateRole", ROLE, "Change a role's description or longest session."),
    _a("iam:UpdateAssumeRolePolicy", ROLE, "Replace a role's trust policy."),
    _a("iam:TagRole", ROLE, "Add or change a role's tags.", keys=TAG_ON_CREATE_KEYS),
    _a("iam:UntagRole", ROLE, "Remove tags from a role.", keys=("aws:TagKeys",)),
    _a("iam:ListRoleTags", ROLE, "List a role's tags.", read=True),
    _a(
        "iam:PutRolePermissionsBoundary",
        ROLE,
        "Set the managed policy that bounds a role's permissions.",
        keys=BOUNDARY_KEY,
    ),
    _a(
        "iam:DeleteRolePermissionsBoundary",
        ROLE,
        "Remove a role's permissions boundary.",
        keys=BOUNDARY_KEY,
    ),
    # managed policies
    _a("iam:CreatePolicy", POLICY, "Create a managed policy (version v1, the default)."),
    _a("iam:GetPolicy", POLICY, "Show a managed policy.", read=True),
    _a("iam:ListPolicies", POLICY, "List the account's managed policies.", read=True),
    _a("iam:DeletePolicy", POLICY, "Delete a managed policy attached nowhere."),
    _a("iam:CreatePolicyVersion", POLICY, "Add a version to a managed policy (5 at most)."),
    _a("iam:GetPolicyVersion", POLICY, "Show one version of a managed policy.", read=True),
    _a("iam:ListPolicyVersions", POLICY, "List a managed policy's versions.", read=True),
    _a("iam:DeletePolicyVersion", POLICY, "Delete a version that is not the default."),
    _a("iam:SetDefaultPolicyVersion", POLICY, "Choose the version that applies."),
    # attachments
    _a(
        "iam:AttachUserPolicy",
        USER,
        "Attach a managed policy to a user.",
        keys=POLICY_ARN_KEY + BOUNDARY_KEY,
    ),
    _a(
        "iam:DetachUserPolicy",
        USER,
        "Detach a managed policy from a user.",
        keys=POLICY_ARN_KEY + BOUNDARY_KEY,
    ),
    _a("iam:ListAttachedUserPolicies", USER, "List a user's managed policies.", read=True),
    _a("iam:AttachGroupPolicy", GROUP, "Attach a managed policy to a group.", keys=POLICY_ARN_KEY),
    _a(
        "iam:DetachGroupPolicy", GROUP, "Detach a managed policy from a group.", keys=POLICY_ARN_KEY
    ),
    _a("iam:ListAttachedGroupPolicies", GROUP, "List a group's managed policies.", read=True),
    _a(
        "iam:AttachRolePolicy",
        ROLE,
        "Attach a managed policy to a role.",
        keys=POLICY_ARN_KEY + BOUNDARY_KEY,
    ),
    _a(
        "iam:DetachRolePolicy",
        ROLE,
        "Detach a managed policy from a role.",
        keys=POLICY_ARN_KEY + BOUNDARY_KEY,
    ),
    _a("iam:ListAttachedRolePolicies", ROLE, "List a role's managed policies.", read=True),
    # inline policies
    _a("iam:PutUserPolicy", USER, "Add or replace a user's inline policy.", keys=BOUNDARY_KEY),
    _a("iam:GetUserPolicy", USER, "Show a user's inline policy.", read=True),
    _a("iam:DeleteUserPolicy", USER, "Delete a user's inline policy.", keys=BOUNDARY_KEY),
    _a("iam:ListUserPolicies", USER, "List a user's inline policy names.", read=True),
    _a("iam:PutGroupPolicy", GROUP, "Add or replace a group's inline policy."),
    _a("iam:GetGroupPolicy", GROUP, "Show a group's inline policy.", read=True),
    _a("iam:DeleteGroupPolicy", GROUP, "Delete a group's inline policy."),
    _a("iam:ListGroupPolicies", GROUP, "List a group's inline policy names.", read=True),
    _a("iam:PutRolePolicy", ROLE, "Add or replace a role's inline policy.", keys=BOUNDARY_KEY),
    _a("iam:GetRolePolicy", ROLE, "Show a role's inline policy.", read=True),
    _a("iam:DeleteRolePolicy", ROLE, "Delete a role's inline policy.", keys=BOUNDARY_KEY),
    _a("iam:ListRolePolicies", ROLE, "List a role's inline policy names.", read=True),
    # credentials
    _a("iam:CreateAccessKey", USER, "Make an access key pair for SigV4 (two per user at most)."),
    _a("iam:UpdateAccessKey", USER, "Make an access key Active or Inactive."),
    _a("iam:DeleteAccessKey", USER, "Delete an access key."),
    _a("iam:ListAccessKeys", USER, "List a user's access keys (never the secrets).", read=True),
    _a(
        "bastion:CreateApiToken",
        USER,
        "Make a bearer API token for a user or the account root (shown once).",
    ),
    _a(
        "bastion:ListApiTokens",
        USER,
        "List a principal's API tokens (never the secrets).",
        read=True,
    ),
    _a("bastion:RevokeApiToken", USER, "Revoke an API token; it stops working at once."),
    # decisions
    _a(
        "iam:SimulatePrincipalPolicy",
        USER,
        "Simulate a request of a user, role or root: decision, deciding statements, and why "
        "each other policy did not match.",
        read=True,
        arn="arn:${Partition}:iam::${Account}:${UserRoleOrRoot}",
    ),
    _a(
        "bastion:ExplainRequest",
        ANY,
        "Explain a recorded call by its request id: the decision under today's policies.",
        read=True,
    ),
    _a(
        "bastion:ValidatePolicy",
        ANY,
        "Check a policy document: errors with a JSON path, and warnings like IAM Access "
        "Analyzer's.",
        read=True,
    ),
    _a(
        "bastion:Authenticate",
        ANY,
        "Recorded when credentials are refused (unknown, expired, revoked, tampered, skewed or "
        "replayed); never allowed as a call of its own.",
        read=True,
    ),
    # sts
    _a(
        "sts:AssumeRole",
        ROLE,
        "Get short-lived credentials of a role (15 min - 12 h; 1 h when chained).",
        keys=(*TAG_ON_CREATE_KEYS, "sts:ExternalId", "sts:RoleSessionName"),
    ),
    _a(
        "sts:TagSession",
        ROLE,
        "Pass session tags when assuming a role (checked with sts:AssumeRole).",
        keys=TAG_ON_CREATE_KEYS,
    ),
    _a("sts:GetCallerIdentity", ANY, "Who am I: account, user id and ARN.", read=True),
    # organisations (guardrails)
    _a("organizations:CreateAccount", ACCOUNT, "Create a member account (owner only)."),
    _a("organizations:ListAccounts", ACCOUNT, "List the organisation's accounts.", read=True),
    _a("organizations:MoveAccount", ACCOUNT, "Move an account to another OU (owner only)."),
    _a("organizations:CreateOrganizationalUnit", OU, "Create an OU (owner only)."),
    _a(
        "organizations:ListOrganizationalUnitsForParent",
        OU,
        "List the organisation's OUs.",
        read=True,
    ),
    _a("organizations:DeleteOrganizationalUnit", OU, "Delete an empty OU (owner only)."),
    _a("organizations:CreatePolicy", GUARDRAIL, "Create a guardrail (owner only)."),
    _a("organizations:UpdatePolicy", GUARDRAIL, "Change a guardrail (owner only)."),
    _a("organizations:DeletePolicy", GUARDRAIL, "Delete a detached guardrail (owner only)."),
    _a("organizations:DescribePolicy", GUARDRAIL, "Show a guardrail.", read=True),
    _a("organizations:ListPolicies", GUARDRAIL, "List guardrails.", read=True),
    _a(
        "organizations:AttachPolicy",
        GUARDRAIL,
        "Attach a guardrail to the root, an OU or an account (owner only).",
    ),
    _a(
        "organizations:DetachPolicy",
        GUARDRAIL,
        "Detach a guardrail; a target keeps at least one (owner only).",
    ),
]

register_actions(ACTIONS)
