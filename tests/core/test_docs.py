"""Docs that cannot drift: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from bastion.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _env_names(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    missing = [n for n in _env_names(Settings, "BASTION_") if f"`{n}`" not in text]
    assert not missing, f"undocumented settings in docs/settings.md: {missing}"
