"""The authorization port. This release ships root-only; the access issue plugs in policies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bastion.access._models import Principal, PrincipalType


@dataclass(frozen=True, kw_only=True)
class Decision:
    """An allow or deny with the reason the audit record keeps."""

    allowed: bool
    reason: str


class Authorizer(Protocol):
    """Decides whether ``principal`` may run ``action`` on ``resource``."""

    def decide(
        self, principal: Principal, action: str, resource: str, context: Mapping[str, Any]
    ) -> Decision: ...


class RootOnlyAuthorizer:
    """The account root may do everything in its own account; everyone else nothing."""

    def decide(
        self, principal: Principal, action: str, resource: str, context: Mapping[str, Any]
    ) -> Decision:
        if principal.type is PrincipalType.ROOT:
            return Decision(allowed=True, reason="account root: implicitly allowed")
        return Decision(allowed=False, reason="implicit deny: no policy allows this action")
