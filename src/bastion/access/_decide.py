"""The authorization port, and the port through which rooms describe their resources.

The gate asks an :class:`Authorizer` about every call. ``RootOnlyAuthorizer`` is the minimal
one (the account root may do everything; used by tests of other rooms);
:class:`~bastion.access.PolicyAuthorizer` is the real one.

A room whose resources carry a resource-based policy or tags registers a provider for its service
with :class:`ResourceProviders` (``runtime.gate.register_resource_provider("kms", fn)``): the
authorizer calls it with the resource ARN and gets the policy text and tags back. Results are
cached for a second and dropped at once when a write call on the resource succeeds through the
same gate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bastion.access._changes import ChangeLog
from bastion.access._models import Principal, PrincipalType

RESOURCE_CACHE_SECONDS = 1.0
_MAX_CACHED_RESOURCES = 4096


@dataclass(frozen=True, kw_only=True)
class Decision:
    """An allow or deny with the reason the audit record keeps."""

    allowed: bool
    reason: str
    """The full reason, with the deciding policy and Sid: for the audit trail."""
    summary: str = ""
    """What the caller may be told (AWS-style, without policy names)."""


class Authorizer(Protocol):
    """Decides whether ``principal`` may run ``action`` on ``resource``.

    ``context`` holds the request's condition keys (``aws:SourceIp``, ``kms:EncryptionContext:…``).
    """

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


@dataclass(frozen=True, kw_only=True)
class ResourceInfo:
    """What a room knows about one resource that authorization needs.

    ``policy`` is the resource-based policy (JSON text) or ``None``. ``policy_required`` says the
    policy must allow in every case, as a KMS key policy or a role's trust policy does.
    ``policy_actions`` limits the actions the policy speaks to (prefixes such as ``"sts:"``);
    ``tags`` become ``aws:ResourceTag/<key>``; ``context`` adds other keys the service defines
    (``s3:ExistingObjectTag/<key>``).
    """

    policy: str | None = None
    policy_name: str = "resource policy"
    policy_required: bool = False
    policy_actions: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)

    def policy_applies(self, action: str) -> bool:
        """Whether the resource policy speaks to ``action``."""
        if self.policy is None:
            return False
        if not self.policy_actions:
            return True
        lowered = action.lower()
        return any(lowered.startswith(p.lower()) for p in self.policy_actions)


ResourceProvider = Callable[[str], "ResourceInfo | None"]
"""Given a resource ARN of its service, what the room knows about it (``None``: nothing)."""


def arn_service(arn: str) -> str | None:
    """The service field of an ARN (``kms`` in ``arn:bastion:kms:…``), else ``None``."""
    parts = arn.split(":", 3)
    if len(parts) < 4 or parts[0] != "arn" or not parts[2]:
        return None
    return parts[2]


def arn_resource_type(arn: str) -> str | None:
    """The resource type of an ARN (``model-package`` in ``arn:…:model-package/fraud/1``)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    kind, sep, _ = parts[5].partition("/")
    return kind if sep and kind else None


class ResourceProviders:
    """The per-service providers of one runtime, with a short cache in front of them."""

    def __init__(self, *, changes: ChangeLog | None = None) -> None:
        self._providers: dict[str, ResourceProvider] = {}
        self._cache: dict[str, tuple[float, tuple[int, int], ResourceInfo | None]] = {}
        self._changes = changes if changes is not None else ChangeLog()
        self._lock = threading.Lock()

    def register(self, service: str, provider: ResourceProvider) -> None:
        """Use ``provider`` for resources whose ARN names ``service`` — or, for
        ``service:type`` (``sagemaker:model-package``), only that resource type, so rooms sharing
        a service each answer for their own resources. Replaces an earlier one; clients built per
        request re-register theirs, so the cache is kept."""
        self._providers[service] = provider

    def lookup(self, resource: str) -> ResourceInfo | None:
        """The info for ``resource`` (cached for a second), or ``None`` without a provider."""
        service = arn_service(resource)
        if not service:
            return None
        provider = self._providers.get(f"{service}:{arn_resource_type(resource)}")
        provider = provider or self._providers.get(service)
        if provider is None:
            return None
        now = time.monotonic()
        version = self._changes.resource_version(resource)
        hit = self._cache.get(resource)
        if hit is not None and now - hit[0] < RESOURCE_CACHE_SECONDS and hit[1] == version:
            return hit[2]
        info = provider(resource)
        with self._lock:
            if len(self._cache) >= _MAX_CACHED_RESOURCES:
                self._cache.clear()
            self._cache[resource] = (now, version, info)
        return info

    def written(self, resource: str) -> None:
        """A write call on ``resource`` succeeded: every cache in the process forgets it."""
        self._changes.resource_written(resource)


__all__ = [
    "Authorizer",
    "Decision",
    "ResourceInfo",
    "ResourceProvider",
    "ResourceProviders",
    "RootOnlyAuthorizer",
    "arn_service",
]
