"""scikit-learn through skops: round trips, untrusted types refused and listed, trust admitted."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio  # type: ignore[import-untyped]
from conftest import LOAN_FEATURES
from flavor_helpers import cuts
from sklearn.ensemble import RandomForestClassifier  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from bastion.errors import Invalid, UnsafeModelFormat
from bastion.registry.flavors import flavor_for, load_model, save_model

TREE = "sklearn.tree._tree.Tree"


class ThresholdModel:
    """A model class of our own: skops can save it, but nobody trusted its type."""

    def __init__(self, threshold: float = 15.0) -> None:
        self.threshold = threshold

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return (frame["int_rate"] > self.threshold).astype(int)


CUSTOM = f"{ThresholdModel.__module__}.ThresholdModel"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_predicts_the_same(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    saved = save_model(sk_pipeline, tmp_path / "m")
    assert (saved.flavor, saved.files) == ("skops", ("model.skops",))
    assert flavor_for(tmp_path / "m").name == "skops"
    model = load_model(tmp_path / "m")
    assert (model.flavor, model.framework) == ("skops", "scikit-learn")
    assert model.producer is not None and model.producer.startswith("scikit-learn ")
    assert model.input_schema.names == tuple(LOAN_FEATURES)
    assert model.files == ("model.skops",)
    assert model.sha256["model.skops"] == _digest(tmp_path / "m" / "model.skops")
    np.testing.assert_array_equal(model.predict(loans_x), sk_pipeline.predict(loans_x))
    np.testing.assert_array_equal(model.predict_proba(loans_x), sk_pipeline.predict_proba(loans_x))


def test_the_file_alone_loads_too(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    save_model(sk_pipeline, tmp_path)
    model = load_model(tmp_path / "model.skops")
    np.testing.assert_array_equal(model.predict(loans_x), sk_pipeline.predict(loans_x))


def test_a_type_of_our_own_is_refused_and_listed(tmp_path: Path) -> None:
    save_model(ThresholdModel(), tmp_path)
    with pytest.raises(UnsafeModelFormat) as caught:
        load_model(tmp_path)
    err = caught.value
    assert err.untrusted_types == (CUSTOM,)
    assert err.sha256 == _digest(tmp_path / "model.skops")
    assert err.status == 400 and err.code == "unsafe-model-format" and err.field == "artifact"
    assert CUSTOM in err.message and "model.skops" in err.message
    assert "settings.registry.trusted_skops_types" in err.message
    assert f"bastion:TrustUnsafeModelFormat record a trust decision for sha256 {err.sha256}" in (
        err.message
    )


def test_an_allowed_type_loads(loans_x: pd.DataFrame, tmp_path: Path) -> None:
    save_model(ThresholdModel(), tmp_path)
    model = load_model(tmp_path, trusted_types=(CUSTOM,))
    np.testing.assert_array_equal(model.predict(loans_x), ThresholdModel().predict(loans_x))
    assert not model.has_predict_proba
    with pytest.raises(Invalid, match="predict_proba"):
        model.predict_proba(loans_x)


def test_a_trusted_digest_trusts_every_type_in_that_file(tmp_path: Path) -> None:
    save_model(ThresholdModel(), tmp_path)
    digest = _digest(tmp_path / "model.skops")
    assert load_model(tmp_path, trusted_sha256={digest.upper()}).flavor == "skops"
    with pytest.raises(UnsafeModelFormat):
        load_model(tmp_path, trusted_sha256={"0" * 64})


def test_crafted_file_naming_eval_and_os_system_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.skops").write_bytes(sio.dumps({"run": os.system, "go": eval}))
    with pytest.raises(UnsafeModelFormat) as caught:
        load_model(tmp_path)
    assert set(caught.value.untrusted_types) == {"builtins.eval", f"{os.name}.system"}
    assert "builtins.eval" in caught.value.message


def test_a_schema_edited_to_build_os_system_is_refused(
    sk_pipeline: Pipeline, tmp_path: Path
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(sio.dumps(sk_pipeline)))
    members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    schema["__module__"], schema["__class__"] = "os", "system"
    members["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)
    (tmp_path / "model.skops").write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeModelFormat, match=r"os\.system"):
        load_model(tmp_path)


def test_tree_models_need_the_tree_type_allowed(
    loans_x: pd.DataFrame, loans_y: pd.Series, tmp_path: Path
) -> None:
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(
        loans_x, loans_y
    )
    save_model(forest, tmp_path)
    with pytest.raises(UnsafeModelFormat) as caught:
        load_model(tmp_path)
    assert caught.value.untrusted_types == (TREE,)
    model = load_model(tmp_path, trusted_types=[TREE])
    np.testing.assert_array_equal(model.predict_proba(loans_x), forest.predict_proba(loans_x))


def test_damaged_files_get_a_clear_error(sk_pipeline: Pipeline, tmp_path: Path) -> None:
    data = sio.dumps(sk_pipeline)
    target = tmp_path / "model.skops"
    for damaged in [*cuts(data), data.replace(b"schema.json", b"schema.jsox")]:
        target.write_bytes(damaged)
        with pytest.raises(Invalid) as caught:
            load_model(target)
        assert "model.skops" in caught.value.message or "model file" in caught.value.message


def test_a_skops_file_without_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.skops").write_bytes(sio.dumps({"weights": np.arange(3)}))
    with pytest.raises(Invalid, match="predict method"):
        load_model(tmp_path)
