"""Access control: identities, credentials, authentication, the policy authorizer, the simulator.

* :class:`AccessClient` — the SDK face (``bastion.access``): users, groups, roles, managed and
  inline policies, boundaries, guardrails, API tokens, access keys, AssumeRole, simulate, explain;
  every operation through the gate.
* :class:`Authenticator` — bearer tokens and SigV4 into a :class:`Principal` (for front ends).
* :class:`PolicyAuthorizer` — the gate's authorizer: IAM evaluation on every call.
* the action catalogue (:class:`Action`, :func:`register_actions`) and :class:`RequestContext`,
  re-exported by :mod:`bastion.gate`.
* :mod:`bastion.access.policy` — the IAM policy language itself (pure).
"""

from bastion.access._authn import Authenticator
from bastion.access._authorizer import PolicyAuthorizer
from bastion.access._catalogue import (
    Action,
    ResourceType,
    actions_markdown,
    declared_actions,
    lookup_action,
    register_actions,
    register_resource_types,
)
from bastion.access._changes import change_log
from bastion.access._client import AccessClient
from bastion.access._context import RequestContext, request_tag_keys
from bastion.access._credentials import CredentialService
from bastion.access._decide import (
    Authorizer,
    Decision,
    ResourceInfo,
    ResourceProvider,
    ResourceProviders,
    RootOnlyAuthorizer,
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
    SessionInfo,
    User,
)
from bastion.access._resources import IamResources
from bastion.access._service import AccessService
from bastion.access._simulate import Explanation, PolicyVerdict, Simulation, StatementVerdict

__all__ = [
    "PARTITION",
    "AccessClient",
    "AccessKey",
    "AccessService",
    "Account",
    "Action",
    "ApiToken",
    "Authenticator",
    "Authorizer",
    "CredentialService",
    "Decision",
    "Explanation",
    "Group",
    "Guardrail",
    "IamResources",
    "InlinePolicy",
    "ManagedPolicy",
    "NewAccessKey",
    "NewApiToken",
    "OrganizationalUnit",
    "PolicyAuthorizer",
    "PolicyVerdict",
    "PolicyVersion",
    "Principal",
    "PrincipalType",
    "RequestContext",
    "ResourceInfo",
    "ResourceProvider",
    "ResourceProviders",
    "ResourceType",
    "Role",
    "RootOnlyAuthorizer",
    "SessionCredentials",
    "SessionInfo",
    "Simulation",
    "StatementVerdict",
    "User",
    "actions_markdown",
    "change_log",
    "declared_actions",
    "lookup_action",
    "register_actions",
    "register_resource_types",
    "request_tag_keys",
]
