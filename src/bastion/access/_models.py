"""Principals as the gate and the audit trail see them, and the identities the access room keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bastion.clock import iso_z
from bastion.types import AccountId, Arn

PARTITION = "bastion"


class PrincipalType(StrEnum):
    """CloudTrail's userIdentity.type values that Bastion uses."""

    ROOT = "Root"
    IAM_USER = "IAMUser"
    ASSUMED_ROLE = "AssumedRole"
    UNKNOWN = "Unknown"
    """A caller whose credentials failed authentication (only in refused-call records)."""


@dataclass(frozen=True, kw_only=True)
class SessionInfo:
    """What a role session carries: the role behind it, its name, lifetime and chaining."""

    session_id: str
    role_arn: Arn
    role_id: str
    role_name: str
    session_name: str
    created_at: datetime
    expires_at: datetime
    source_arn: Arn
    """Who assumed the role (a user, the account root, or another role session)."""
    chained: bool = False
    """Assumed with the credentials of another role session (role chaining: 1 hour at most)."""


@dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller."""

    arn: Arn
    principal_id: str
    account_id: AccountId
    type: PrincipalType
    name: str
    access_key_id: str | None = None
    session: SessionInfo | None = None
    """Set for ``AssumedRole`` callers."""

    def user_identity(self) -> dict[str, object]:
        """CloudTrail ``userIdentity`` for this principal."""
        identity: dict[str, object] = {"type": str(self.type)}
        if self.principal_id:
            identity["principalId"] = self.principal_id
        if self.arn:
            identity["arn"] = self.arn
        identity["accountId"] = self.account_id
        if self.type in (PrincipalType.IAM_USER, PrincipalType.UNKNOWN) and self.name:
            identity["userName"] = self.name
        if self.access_key_id:
            identity["accessKeyId"] = self.access_key_id
        if self.session is not None:
            s = self.session
            identity["sessionContext"] = {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": s.role_id,
                    "arn": s.role_arn,
                    "accountId": self.account_id,
                    "userName": s.role_name,
                },
                "attributes": {
                    "creationDate": iso_z(s.created_at),
                    "mfaAuthenticated": "false",
                },
            }
        return identity


def root_arn(account_id: str) -> Arn:
    """The ARN of an account's root principal."""
    return Arn(f"arn:{PARTITION}:iam::{account_id}:root")


# -- identities -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class User:
    """An IAM user."""

    arn: Arn
    user_id: str
    account_id: AccountId
    name: str
    path: str
    created_at: datetime
    permissions_boundary: Arn | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Group:
    """An IAM group: its policies apply to every member."""

    arn: Arn
    group_id: str
    account_id: AccountId
    name: str
    path: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Role:
    """An IAM role: principals its trust policy names may assume it."""

    arn: Arn
    role_id: str
    account_id: AccountId
    name: str
    path: str
    created_at: datetime
    trust_policy: str
    max_session_duration: int
    """Seconds, 3600-43200 (the longest session AssumeRole may ask for)."""
    description: str = ""
    permissions_boundary: Arn | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ManagedPolicy:
    """A managed policy: versioned, attachable to users, groups and roles."""

    arn: Arn
    policy_id: str
    account_id: AccountId
    name: str
    path: str
    description: str
    default_version: str
    """``v<N>``."""
    attachment_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class PolicyVersion:
    """One version of a managed policy."""

    policy_arn: Arn
    version_id: str
    document: str
    is_default: bool
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class InlinePolicy:
    """A policy embedded in one user, group or role."""

    entity_arn: Arn
    name: str
    document: str


@dataclass(frozen=True, kw_only=True)
class Account:
    """An account of the organisation (12-digit id)."""

    account_id: AccountId
    name: str
    parent_id: str
    """The organisation root (``r-…``) or the organisational unit (``ou-…``) it sits in."""
    management: bool
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrganizationalUnit:
    """A folder of accounts; guardrails attached to it bound every account below it."""

    ou_id: str
    name: str
    parent_id: str | None
    """``None`` for the organisation root itself."""
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Guardrail:
    """An organisation policy (SCP): the most any principal below its targets may do."""

    guardrail_id: str
    arn: Arn
    name: str
    description: str
    document: str
    targets: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


# -- credentials ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ApiToken:
    """A bearer API token's record (never the secret)."""

    token_id: str
    principal_arn: Arn
    description: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        """``Active``, ``Expired`` or ``Revoked``."""
        if self.revoked_at is not None:
            return "Revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "Expired"
        return "Active"


@dataclass(frozen=True, kw_only=True)
class NewApiToken:
    """A token just created: ``token`` is shown this once and never stored."""

    token: str
    info: ApiToken

    def __repr__(self) -> str:
        return f"NewApiToken(token=<hidden>, info={self.info!r})"


@dataclass(frozen=True, kw_only=True)
class AccessKey:
    """An access key pair's record (never the secret)."""

    access_key_id: str
    principal_arn: Arn
    status: str
    """``Active`` or ``Inactive``."""
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class NewAccessKey:
    """An access key pair just created: ``secret_access_key`` is shown this once."""

    access_key_id: str
    secret_access_key: str
    info: AccessKey

    def __repr__(self) -> str:
        return f"NewAccessKey(access_key_id={self.access_key_id!r}, secret_access_key=<hidden>)"


@dataclass(frozen=True, kw_only=True)
class SessionCredentials:
    """Temporary credentials of a role session (AssumeRole): sign with the key pair and send the
    session token (``X-Amz-Security-Token``), or send the session token alone as a bearer token."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    assumed_role_arn: Arn
    assumed_role_id: str
    packed_policy_size: int = 0
    """Percent of the allowed size the session policy and tags use (as STS reports)."""

    def __repr__(self) -> str:
        return (
            f"SessionCredentials(access_key_id={self.access_key_id!r}, secret_access_key=<hidden>,"
            f" session_token=<hidden>, expiration={self.expiration!r},"
            f" assumed_role_arn={self.assumed_role_arn!r})"
        )


__all__ = [
    "PARTITION",
    "AccessKey",
    "Account",
    "ApiToken",
    "Group",
    "Guardrail",
    "InlinePolicy",
    "ManagedPolicy",
    "NewAccessKey",
    "NewApiToken",
    "OrganizationalUnit",
    "PolicyVersion",
    "Principal",
    "PrincipalType",
    "Role",
    "SessionCredentials",
    "SessionInfo",
    "User",
    "root_arn",
]
