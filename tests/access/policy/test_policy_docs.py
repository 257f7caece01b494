"""docs/policies.md cannot drift: every operator and every lint code is documented."""

from __future__ import annotations

from pathlib import Path

from bastion.access.policy import OPERATORS
from bastion.access.policy._lint import CODES

DOC = (Path(__file__).resolve().parents[3] / "docs" / "policies.md").read_text()


def test_every_operator_is_documented() -> None:
    assert [op for op in OPERATORS if f"`{op}`" not in DOC] == []


def test_every_lint_code_is_documented() -> None:
    assert [code for code in CODES if f"`{code}`" not in DOC] == []
