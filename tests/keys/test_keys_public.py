"""The keys room's public surface and action catalogue are pinned and documented."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bastion.gate import declared_actions
from bastion.keys._actions import ACTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "keys.md"

PUBLIC = {
    "bastion.keys": [
        "AliasEntry",
        "DataKey",
        "DecryptResult",
        "EncryptResult",
        "EncryptedDataKey",
        "KeyMetadata",
        "KeyService",
        "KeyState",
        "KeysClient",
        "MaintenanceReport",
        "PublicKeyResult",
        "ReEncryptResult",
        "Rotation",
        "RotationStatus",
        "RotationType",
        "ScheduledDeletion",
        "SignResult",
        "VerifyResult",
    ],
    "bastion.keys.backends": ["FakeKms", "KeyBackend", "LocalKeystore", "MaterialRef"],
}

READ_ONLY = {
    "DescribeKey",
    "ListKeys",
    "ListAliases",
    "GetKeyRotationStatus",
    "ListKeyRotations",
    "GetKeyPolicy",
    "ListResourceTags",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "Sign",
    "Verify",
    "GetPublicKey",
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_surface_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name)


def test_every_action_is_declared_and_marked_like_cloudtrail() -> None:
    declared = declared_actions()
    for action in ACTIONS:
        assert declared[action.name] == action
        assert action.read_only is (action.operation in READ_ONLY), action.name


def test_every_client_method_has_a_declared_action() -> None:
    from bastion.keys import KeysClient

    operations = {a.operation for a in ACTIONS}
    for name in dir(KeysClient):
        if name.startswith("_") or name in {"run_maintenance", "runtime"}:
            continue
        camel = "".join(part.capitalize() for part in name.split("_"))
        assert camel in operations, f"KeysClient.{name} has no action kms:{camel}"


def test_every_action_is_documented() -> None:
    text = DOCS.read_text()
    missing = [a.name for a in ACTIONS if f"`{a.name}`" not in text]
    assert missing == [], f"docs/keys.md does not document {missing}"
