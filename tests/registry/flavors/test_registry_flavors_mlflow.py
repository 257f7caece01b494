"""MLflow model folders written by the real mlflow-skinny: onnx, lightgbm, xgboost and sklearn
(skops) import; sklearn's (cloud)pickle is refused unless trusted; MLmodel is hostile input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import lightgbm as lgb
import mlflow.lightgbm
import mlflow.models
import mlflow.onnx
import mlflow.sklearn
import mlflow.xgboost
import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
import pandas as pd
import pytest
import xgboost as xgb
import yaml  # type: ignore[import-untyped]
from conftest import LOAN_FEATURES
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from bastion.errors import Invalid, UnsafeModelFormat
from bastion.registry.flavors import flavor_for, load_model

# mlflow's save_model warns about its own type hints; that is mlflow's business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:mlflow")
# Naming the requirements spares mlflow inferring them in a subprocess (a minute per save).
PIP = {"pip_requirements": ["bastion-test"]}


def _mlmodel(folder: Path) -> dict[str, object]:
    document: dict[str, object] = yaml.safe_load((folder / "MLmodel").read_text())
    return document


def _write_mlmodel(folder: Path, document: object) -> None:
    (folder / "MLmodel").write_text(yaml.safe_dump(document))


def _set_artifact(folder: Path, flavor: str, key: str, value: object) -> None:
    document = _mlmodel(folder)
    flavors = document["flavors"]
    assert isinstance(flavors, dict)
    flavors[flavor][key] = value
    _write_mlmodel(folder, document)


@pytest.fixture
def mlflow_onnx(onnx_model: onnx.ModelProto, tmp_path: Path) -> Path:
    folder = tmp_path / "onnx-model"
    mlflow.onnx.save_model(onnx_model, folder, **PIP)
    return folder


def test_onnx_imports_and_predicts_the_same(
    mlflow_onnx: Path, onnx_model: onnx.ModelProto, loans_x: pd.DataFrame
) -> None:
    assert flavor_for(mlflow_onnx).name == "mlflow"
    model = load_model(mlflow_onnx)
    assert (model.flavor, model.framework) == ("mlflow", "onnxruntime")
    assert set(model.files) == {"MLmodel", "model.onnx"}
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, {"X": loans_x.to_numpy(np.float32)})
    np.testing.assert_array_equal(model.predict(loans_x), labels)
    np.testing.assert_array_equal(model.predict_proba(loans_x), probabilities)


def test_lightgbm_imports_with_its_signature(
    lgb_booster: lgb.Booster, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    signature = mlflow.models.infer_signature(loans_x, lgb_booster.predict(loans_x))
    mlflow.lightgbm.save_model(lgb_booster, tmp_path / "m", signature=signature, **PIP)
    model = load_model(tmp_path / "m")
    assert model.framework == "lightgbm"
    assert model.input_schema.names == tuple(LOAN_FEATURES)
    assert {f.dtype for f in model.input_schema.features} <= {"long", "double"}
    np.testing.assert_array_equal(model.predict(loans_x), lgb_booster.predict(loans_x))


def test_xgboost_imports(
    xgb_classifier: xgb.XGBClassifier, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    mlflow.xgboost.save_model(xgb_classifier.get_booster(), tmp_path / "m", **PIP)
    model = load_model(tmp_path / "m")
    assert model.framework == "xgboost" and any(f.endswith(".ubj") for f in model.files)
    np.testing.assert_array_equal(
        model.predict_proba(loans_x), xgb_classifier.predict_proba(loans_x)
    )


def test_sklearn_skops_imports(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    mlflow.sklearn.save_model(sk_pipeline, tmp_path / "m", serialization_format="skops", **PIP)
    model = load_model(tmp_path / "m")
    assert model.framework == "scikit-learn"
    np.testing.assert_array_equal(model.predict_proba(loans_x), sk_pipeline.predict_proba(loans_x))


def test_the_mlmodel_cannot_trust_skops_types_for_itself(
    loans_x: pd.DataFrame, loans_y: pd.Series, tmp_path: Path
) -> None:
    classifier = lgb.LGBMClassifier(n_estimators=5, num_leaves=7, verbose=-1).fit(loans_x, loans_y)
    mlflow.lightgbm.save_model(classifier, tmp_path / "m", **PIP)
    flavors = _mlmodel(tmp_path / "m")["flavors"]
    assert isinstance(flavors, dict) and flavors["lightgbm"]["skops_trusted_types"]
    with pytest.raises(UnsafeModelFormat) as caught:
        load_model(tmp_path / "m")
    wanted = caught.value.untrusted_types
    assert "lightgbm.sklearn.LGBMClassifier" in wanted
    model = load_model(tmp_path / "m", trusted_types=wanted)
    np.testing.assert_array_equal(model.predict_proba(loans_x), classifier.predict_proba(loans_x))


@pytest.mark.parametrize("serialization", ["cloudpickle", "pickle"])
def test_sklearn_pickles_are_refused_until_trusted(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path, serialization: str
) -> None:
    folder = tmp_path / "m"
    mlflow.sklearn.save_model(sk_pipeline, folder, serialization_format=serialization, **PIP)
    with pytest.raises(UnsafeModelFormat) as caught:
        load_model(folder)
    assert caught.value.artifact == "model.pkl" and "pickle" in caught.value.detected
    digest = hashlib.sha256((folder / "model.pkl").read_bytes()).hexdigest()
    assert caught.value.sha256 == digest
    model = load_model(folder, trusted_sha256={digest})
    np.testing.assert_array_equal(model.predict(loans_x), sk_pipeline.predict(loans_x))


@pytest.mark.parametrize("path", ["../outside.onnx", "/etc/hostname", "sub/../../outside.onnx", 7])
def test_artifact_paths_must_stay_inside(mlflow_onnx: Path, path: object) -> None:
    (mlflow_onnx.parent / "outside.onnx").write_bytes((mlflow_onnx / "model.onnx").read_bytes())
    _set_artifact(mlflow_onnx, "onnx", "data", path)
    with pytest.raises(Invalid, match=r"'MLmodel flavors\.onnx\.data'"):
        load_model(mlflow_onnx)


def test_artifact_symlinks_are_refused(mlflow_onnx: Path) -> None:
    (mlflow_onnx / "model.onnx").rename(mlflow_onnx.parent / "outside.onnx")
    os.symlink(mlflow_onnx.parent / "outside.onnx", mlflow_onnx / "model.onnx")
    with pytest.raises(Invalid, match="symbolic link"):
        load_model(mlflow_onnx)


def test_an_artifact_must_be_what_its_flavor_says(
    mlflow_onnx: Path, lgb_booster: lgb.Booster
) -> None:
    (mlflow_onnx / "model.onnx").write_text(lgb_booster.model_to_string())
    with pytest.raises(Invalid, match="as its MLflow flavor 'onnx' says"):
        load_model(mlflow_onnx)


def test_flavors_that_run_code_are_refused(mlflow_onnx: Path) -> None:
    document = _mlmodel(mlflow_onnx)
    flavors = document["flavors"]
    assert isinstance(flavors, dict)
    del flavors["onnx"]
    _write_mlmodel(mlflow_onnx, document)
    with pytest.raises(Invalid, match="python_function"):
        load_model(mlflow_onnx)


def test_code_paths_are_never_imported(mlflow_onnx: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (mlflow_onnx / "code").mkdir()
    (mlflow_onnx / "code" / "evil.py").write_text(f"open({str(marker)!r}, 'w')\n")
    _set_artifact(mlflow_onnx, "onnx", "code", "code")
    assert load_model(mlflow_onnx).flavor == "mlflow"
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        "flavors: !!python/object/apply:os.system ['touch ran']\n",
        "flavors: [unclosed\n",
        "- just\n- a list\n",
        "flavors: 3\n",
        "a: &x [*x]\n",
        "\xff\xfe",
    ],
)
def test_hostile_mlmodel_files_are_refused(mlflow_onnx: Path, text: str) -> None:
    (mlflow_onnx / "MLmodel").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(Invalid, match="MLmodel"):
        load_model(mlflow_onnx)


def test_oversized_mlmodel_is_refused(mlflow_onnx: Path) -> None:
    (mlflow_onnx / "MLmodel").write_text("flavors: {}\n" + "# padding\n" * 200_000)
    with pytest.raises(Invalid, match="at most 1048576 bytes"):
        load_model(mlflow_onnx)
