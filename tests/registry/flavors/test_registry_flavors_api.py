"""The package's surface: which flavor a path is, which saves a model, what loading checks."""

from __future__ import annotations

import os
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

import bastion.registry.flavors as flavors
from bastion.errors import Conflict, Invalid
from bastion.registry.flavors import (
    FLAVORS,
    Flavor,
    flavor_for,
    flavor_for_model,
    flavor_named,
    load_model,
    save_model,
)

PUBLIC = [
    "FLAVORS",
    "UNSAFE_FORMATS",
    "Feature",
    "Flavor",
    "InputSchema",
    "LoadedModel",
    "ModelFormat",
    "SavedModel",
    "detect_format",
    "flavor_for",
    "flavor_for_model",
    "flavor_named",
    "load_model",
    "save_model",
]


def test_public_surface_is_pinned() -> None:
    assert sorted(flavors.__all__) == sorted(PUBLIC)
    assert all(hasattr(flavors, name) for name in PUBLIC)


@pytest.mark.parametrize("name", sorted(FLAVORS))
def test_every_flavor_follows_the_port(name: str, tmp_path: Path) -> None:
    flavor: Flavor = FLAVORS[name]
    assert flavor.name == name and flavor_named(name) is flavor
    assert not flavor.detect(tmp_path) and not flavor.accepts(object())
    with pytest.raises(Invalid):
        flavor.load(tmp_path)
    with pytest.raises(Invalid):
        flavor.save(object(), tmp_path / "out")


def test_unknown_flavor_names_list_the_known_ones() -> None:
    with pytest.raises(Invalid, match="skops, onnx"):
        flavor_named("pickle5")


def test_the_saver_is_chosen_by_the_model(sk_pipeline: Pipeline, lgb_booster: lgb.Booster) -> None:
    assert flavor_for_model(sk_pipeline).name == "skops"
    assert flavor_for_model(lgb_booster).name == "lightgbm"
    with pytest.raises(Invalid, match="estimator with predict"):
        flavor_for_model({"not": "a model"})


def test_save_never_overwrites(sk_pipeline: Pipeline, tmp_path: Path) -> None:
    save_model(sk_pipeline, tmp_path)
    with pytest.raises(Conflict, match=r"model\.skops already exists"):
        save_model(sk_pipeline, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops"]


def test_an_explicit_flavor_must_accept_the_model(sk_pipeline: Pipeline, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="lightgbm flavor saves"):
        save_model(sk_pipeline, tmp_path, flavor="lightgbm")
    for never in ("pickle", "mlflow"):
        with pytest.raises(Invalid, match="flavor"):
            save_model(sk_pipeline, tmp_path, flavor=never)


def test_folders_hold_one_model(
    sk_pipeline: Pipeline, lgb_booster: lgb.Booster, tmp_path: Path
) -> None:
    with pytest.raises(Invalid, match="safe format"):
        flavor_for(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(Invalid, match="safe format"):
        load_model(tmp_path)
    save_model(sk_pipeline, tmp_path)
    save_model(lgb_booster, tmp_path)
    with pytest.raises(Invalid, match=r"model.lgb \(lightgbm\), model.skops \(skops\)"):
        flavor_for(tmp_path)
    with pytest.raises(Invalid, match="safe format"):
        flavor_for(tmp_path / "notes.txt")


def test_symlinks_are_never_followed(sk_pipeline: Pipeline, tmp_path: Path) -> None:
    save_model(sk_pipeline, tmp_path / "real")
    (tmp_path / "linked").mkdir()
    os.symlink(tmp_path / "real" / "model.skops", tmp_path / "linked" / "model.skops")
    with pytest.raises(Invalid, match="safe format"):
        load_model(tmp_path / "linked")
    with pytest.raises(Invalid, match="not a symbolic link"):
        load_model(tmp_path / "linked" / "model.skops")
    with pytest.raises(Invalid, match="existing model file"):
        load_model(tmp_path / "absent")


def test_predict_checks_its_input(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    save_model(sk_pipeline, tmp_path)
    model = load_model(tmp_path)
    assert model.native is not None and model.has_predict_proba
    with pytest.raises(Invalid, match="pandas DataFrame"):
        model.predict(loans_x.to_numpy())
    with pytest.raises(Invalid, match="int_rate"):
        model.predict(loans_x.drop(columns=["int_rate"]))
    text = loans_x.astype(str).assign(int_rate="high")
    with pytest.raises(Invalid, match="input the model can predict on"):
        model.predict(text)


def test_regressors_have_no_probabilities(
    loans_x: pd.DataFrame, loans_y: pd.Series, tmp_path: Path
) -> None:
    regression = LinearRegression().fit(loans_x, loans_y)
    save_model(regression, tmp_path)
    model = load_model(tmp_path)
    assert not model.has_predict_proba
    np.testing.assert_array_equal(model.predict(loans_x), regression.predict(loans_x))
    with pytest.raises(Invalid, match="class probabilities"):
        model.predict_proba(loans_x)
