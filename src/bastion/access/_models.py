"""Principals as the gate and the audit trail see them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bastion.types import AccountId, Arn

PARTITION = "bastion"


class PrincipalType(StrEnum):
    """CloudTrail's userIdentity.type values that Bastion uses."""

    ROOT = "Root"
    IAM_USER = "IAMUser"
    ASSUMED_ROLE = "AssumedRole"


@dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller."""

    arn: Arn
    principal_id: str
    account_id: AccountId
    type: PrincipalType
    name: str
    access_key_id: str | None = None

    def user_identity(self) -> dict[str, object]:
        """CloudTrail ``userIdentity`` for this principal."""
        identity: dict[str, object] = {
            "type": str(self.type),
            "principalId": self.principal_id,
            "arn": self.arn,
            "accountId": self.account_id,
        }
        if self.type is not PrincipalType.ROOT:
            identity["userName"] = self.name
        if self.access_key_id:
            identity["accessKeyId"] = self.access_key_id
        return identity


def root_arn(account_id: str) -> Arn:
    """The ARN of an account's root principal."""
    return Arn(f"arn:{PARTITION}:iam::{account_id}:root")
