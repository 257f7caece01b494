"""The action catalogue: docs/actions.md is generated and current, every action is documented,
and the access room's public surface is pinned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bastion.access
from bastion.access import Action, declared_actions, lookup_action, register_actions
from bastion.gate import Action as GateAction

DOCS = Path(__file__).resolve().parents[2] / "docs"
GENERATE = (
    "import bastion.sdk; from bastion.access import actions_markdown as m; print(m(), end='')"
)


def test_docs_actions_md_is_current() -> None:
    """A clean process (no test-only actions) must produce exactly docs/actions.md; regenerate
    with `bastion access actions --markdown > docs/actions.md`."""
    fresh = subprocess.run(
        [sys.executable, "-c", GENERATE], capture_output=True, text=True, check=True
    ).stdout
    assert (DOCS / "actions.md").read_text() == fresh


def test_every_action_is_documented_and_named_like_aws() -> None:
    for name, action in declared_actions().items():
        assert action.doc.strip(), f"{name} has no doc"
        service, _, operation = name.partition(":")
        assert service and operation[:1].isupper(), f"{name} is not service:Operation"
        assert action.arn_pattern.startswith(("arn:${Partition}:", "*")), name


def test_access_actions_are_declared() -> None:
    for name in (
        "iam:CreateUser",
        "iam:PutUserPolicy",
        "iam:SimulatePrincipalPolicy",
        "sts:AssumeRole",
        "sts:TagSession",
        "organizations:AttachPolicy",
        "bastion:CreateApiToken",
        "bastion:Authenticate",
    ):
        assert lookup_action(name) is not None, name
    create_user = lookup_action("iam:CreateUser")
    assert create_user is not None
    assert "aws:RequestTag/${TagKey}" in create_user.all_condition_keys
    decrypt = lookup_action("kms:Decrypt")
    assert decrypt is not None and "kms:EncryptionContext:${EncryptionContextKey}" in (
        decrypt.all_condition_keys
    )


def test_catalogue_is_the_gates() -> None:
    assert GateAction is Action
    action = Action(name="test:Catalogued", resource="thing", doc="x")
    register_actions([action, action])  # the same spec twice is fine
    with pytest.raises(ValueError, match="declared twice"):
        register_actions([Action(name="test:Catalogued", resource="thing", doc="other")])


def test_public_surface_is_pinned() -> None:
    assert sorted(bastion.access.__all__) == sorted(
        [
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
    )
    for name in bastion.access.__all__:
        assert hasattr(bastion.access, name)
