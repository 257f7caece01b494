"""Principals, accounts and the authorization port (policies arrive with the access issue)."""

from bastion.access._decide import Authorizer, Decision, RootOnlyAuthorizer
from bastion.access._models import PARTITION, Principal, PrincipalType
from bastion.access._service import AccessService

__all__ = [
    "PARTITION",
    "AccessService",
    "Authorizer",
    "Decision",
    "Principal",
    "PrincipalType",
    "RootOnlyAuthorizer",
]
