"""The public surface of bastion.access.policy and its independence from the rest of Bastion."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import bastion.access.policy as policy

PACKAGE = Path(policy.__file__).resolve().parent


def test_public_names_are_pinned() -> None:
    assert sorted(policy.__all__) == sorted(
        [
            "MAX_POLICY_CHARS",
            "OPERATORS",
            "Caller",
            "CallerType",
            "Condition",
            "ContextValue",
            "Evaluation",
            "Policy",
            "PolicyKind",
            "PolicyReport",
            "PolicyRole",
            "PolicySet",
            "PolicyWarning",
            "PrincipalSpec",
            "Request",
            "Statement",
            "StatementRef",
            "StatementResult",
            "evaluate",
            "lint_policy",
            "parse_policy",
        ]
    )
    for name in policy.__all__:
        assert getattr(policy, name) is not None


def test_the_library_imports_only_the_standard_library_and_bastion_errors() -> None:
    allowed_bastion = {"bastion.errors"}
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "bastion":
                    assert name in allowed_bastion or name.startswith("bastion.access.policy")
                else:
                    assert top in sys.stdlib_module_names or top == "__future__", (path, name)
