"""Settings: env names follow the path; defaults give the embedded deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bastion.settings import Settings


def test_defaults_are_the_embedded_deployment(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'bastion.db'}"
    assert s.resolved_store_url == (tmp_path.resolve() / "store").as_uri()
    assert s.keys.rotation_period_days == 365


def test_environment_names_follow_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BASTION_HOME", str(tmp_path))
    monkeypatch.setenv("BASTION_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("BASTION_STORE_URL", "s3://bucket/prefix")
    monkeypatch.setenv("BASTION_KEYS__ROTATION_PERIOD_DAYS", "400")
    s = Settings()
    assert s.home == tmp_path
    assert s.resolved_database_url == "postgresql://u@h/db"
    assert s.resolved_store_url == "s3://bucket/prefix"
    assert s.keys.rotation_period_days == 400


def test_bad_setting_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_KEYS__ROTATION_PERIOD_DAYS", "5")
    with pytest.raises(ValidationError, match="rotation_period_days"):
        Settings()


def test_secrets_are_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_ROOT_PASSPHRASE", "correct horse")
    s = Settings()
    assert "correct horse" not in repr(s)
