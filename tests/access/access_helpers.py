"""Helpers for the access tests: policies as dicts, gate calls as a principal, test actions."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from bastion.access import lookup_action
from bastion.gate import Action, RequestContext, register_actions
from bastion.sdk import Bastion

# sagemaker:* actions do not exist yet: declared here only (and only while no room declares
# them), so the seed policies can be tested through the real gate, authorizer and trail with a
# stand-in handler.
_SAGEMAKER = [
    Action(
        name="sagemaker:InvokeEndpoint",
        resource="AWS::SageMaker::Endpoint",
        doc="test only",
        read_only=True,
    ),
    Action(name="sagemaker:DeleteEndpoint", resource="AWS::SageMaker::Endpoint", doc="test only"),
    Action(name="sagemaker:CreateEndpoint", resource="AWS::SageMaker::Endpoint", doc="test only"),
    Action(
        name="sagemaker:CreateTrainingJob",
        resource="AWS::SageMaker::TrainingJob",
        doc="test only",
        condition_keys=("sagemaker:NetworkIsolation", "sagemaker:VolumeKmsKey"),
    ),
]
register_actions(a for a in _SAGEMAKER if lookup_action(a.name) is None)


def policy(*statements: Mapping[str, Any]) -> str:
    """An IAM policy document from statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: str | list[str], *, actions: list[str] | None = None, **extra: Any) -> str:
    """A role trust policy naming ``principal`` (an ARN or account id)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": actions or ["sts:AssumeRole"],
                    **extra,
                }
            ],
        }
    )


def call(
    client: Bastion,
    action: str,
    resource: str,
    *,
    extra: Mapping[str, Any] | None = None,
    handler: Callable[[], Any] = lambda: "ran",
) -> Any:
    """One gate call as ``client``'s principal with a stand-in handler."""
    runtime = client.runtime
    return runtime.gate.call(
        runtime.principal,
        action,
        resource,
        {},
        handler,
        context=RequestContext(extra=dict(extra or {})),
    )


def last_event(owner: Bastion, name: str) -> dict[str, Any]:
    """The newest audit record of event ``name``."""
    events = owner.audit.lookup(event_name=name, max_results=1).events
    assert events, f"no {name} event recorded"
    return events[0].cloudtrail_event()


ConnectAs = Callable[[str], Bastion]
"""``connect_as(token)``: another connection to the owner's home, as the token's principal."""
UserSession = Callable[..., Bastion]
"""``user_session(name, *statements)``: a new user with those statements, connected."""
