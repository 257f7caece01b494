"""Where a call comes from: recorded in the audit trail; the source of request condition keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class RequestContext:
    """Where a call comes from (recorded in the audit trail, usable in conditions).

    ``source_ip`` and ``secure_transport`` become ``aws:SourceIp`` and ``aws:SecureTransport``;
    ``invoked_by`` names a Bastion service calling on the principal's behalf (``s3.amazonaws.com``)
    and becomes ``kms:ViaService``/``aws:CalledVia``; ``extra`` holds the condition keys a room
    supplies for one action (``kms:EncryptionContext:<key>``, ``aws:RequestTag/<key>`` …).
    A front end fills the first three from the connection and never copies ``invoked_by`` or
    ``extra`` from client input.
    """

    source_ip: str = "127.0.0.1"
    user_agent: str = "bastion-sdk/0.1"
    secure_transport: bool = True
    invoked_by: str | None = None
    event_type: str = "AwsApiCall"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def condition_keys(self, region: str) -> dict[str, Any]:
        """The room's keys with the connection's keys on top (a room cannot forge those)."""
        keys: dict[str, Any] = dict(self.extra)
        keys["aws:SourceIp"] = self.source_ip
        keys["aws:SecureTransport"] = self.secure_transport
        keys["aws:UserAgent"] = self.user_agent
        keys["aws:RequestedRegion"] = region
        if self.invoked_by:
            service = self.invoked_by.removesuffix(".amazonaws.com")
            keys["aws:CalledVia"] = [self.invoked_by]
            keys["aws:ViaAWSService"] = True
            keys["kms:ViaService"] = f"{service}.{region}.amazonaws.com"
        else:
            keys["aws:ViaAWSService"] = False
        return keys


def request_tag_keys(tags: Mapping[str, str] | None) -> dict[str, Any]:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` for an action that sets ``tags``.

    A room passes these in ``RequestContext.extra`` for every action that creates or tags a
    resource, so tag-based policies can require or forbid tags.
    """
    if not tags:
        return {}
    keys: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    keys["aws:TagKeys"] = sorted(tags)
    return keys


__all__ = ["RequestContext", "request_tag_keys"]
