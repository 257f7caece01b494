"""The pickle family: refused by content under any name, naming file, format and fix; loaded
only when its SHA-256 is trusted; nothing in a refused file ever runs."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cloudpickle  # type: ignore[import-untyped]
import joblib  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import pytest
from flavor_helpers import zip_of
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from bastion.errors import Invalid, UnsafeModelFormat
from bastion.registry.flavors import FLAVORS, flavor_for, load_model


class OpensAFile:
    """Unpickling this creates ``marker``: proof of code running at load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


class LambdaModel:
    """Only cloudpickle can pickle the lambda inside."""

    def __init__(self) -> None:
        self.score: Callable[[pd.DataFrame], Any] = lambda frame: frame["int_rate"] * 2

    def predict(self, frame: pd.DataFrame) -> Any:
        return self.score(frame)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_pickle_named_model_onnx_is_refused_with_the_fix(
    sk_pipeline: Pipeline, tmp_path: Path
) -> None:
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(pickle.dumps(sk_pipeline))
    assert flavor_for(tmp_path).name == "pickle"
    with pytest.raises(UnsafeModelFormat) as caught:
        load_model(tmp_path)
    err = caught.value
    assert isinstance(err, Invalid) and err.status == 400 and err.code == "unsafe-model-format"
    assert (err.artifact, err.detected, err.sha256) == (
        "model.onnx",
        "a Python pickle",
        _digest(artifact),
    )
    assert "'model.onnx (a Python pickle)'" in err.message
    assert "convert it to skops or ONNX" in err.message
    assert (
        f"have a principal allowed bastion:TrustUnsafeModelFormat record a trust decision for "
        f"sha256 {_digest(artifact)}" in err.message
    )


def test_every_flavor_refuses_a_pickle_hiding_in_its_folder(
    sk_pipeline: Pipeline, tmp_path: Path
) -> None:
    joblib.dump(sk_pipeline, tmp_path / "model.skops")
    for flavor in ("skops", "onnx", "lightgbm", "xgboost", "pickle"):
        with pytest.raises(UnsafeModelFormat, match="a joblib pickle"):
            FLAVORS[flavor].load(tmp_path)
        with pytest.raises(UnsafeModelFormat, match="a joblib pickle"):
            FLAVORS[flavor].load(tmp_path / "model.skops")


def test_cloudpickle_and_torch_are_named(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_bytes(cloudpickle.dumps(LambdaModel()))
    with pytest.raises(UnsafeModelFormat, match="a cloudpickle pickle"):
        load_model(tmp_path / "model.json")
    torch = tmp_path / "model.pt"
    torch.write_bytes(zip_of({"archive/data.pkl": pickle.dumps({"w": 1})}))
    with pytest.raises(UnsafeModelFormat, match=r"torch pickle \(torch.save\)"):
        load_model(torch)
    with pytest.raises(Invalid, match="export it to ONNX"):
        load_model(torch, trusted_sha256={_digest(torch)})


def test_nothing_runs_when_a_pickle_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(OpensAFile(marker)))
    for other in ({"0" * 64}, frozenset[str]()):
        with pytest.raises(UnsafeModelFormat):
            load_model(tmp_path, trusted_sha256=other)
    assert not marker.exists()


def test_a_trusted_pickle_loads_and_predicts_the_same(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(pickle.dumps(sk_pipeline))
    model = load_model(tmp_path, trusted_sha256={_digest(artifact).upper()})
    assert (model.flavor, model.framework) == ("pickle", "scikit-learn")
    assert model.sha256 == {"model.onnx": _digest(artifact)}
    np.testing.assert_array_equal(model.predict_proba(loans_x), sk_pipeline.predict_proba(loans_x))


def test_trusted_joblib_and_cloudpickle_load(
    sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    joblib.dump(sk_pipeline, tmp_path / "model.joblib", compress=("gzip", 3))
    model = load_model(
        tmp_path / "model.joblib", trusted_sha256=[_digest(tmp_path / "model.joblib")]
    )
    np.testing.assert_array_equal(model.predict(loans_x), sk_pipeline.predict(loans_x))
    (tmp_path / "lambda.pkl").write_bytes(cloudpickle.dumps(LambdaModel()))
    digest = _digest(tmp_path / "lambda.pkl")
    loaded = load_model(tmp_path / "lambda.pkl", trusted_sha256={digest})
    np.testing.assert_array_equal(loaded.predict(loans_x), loans_x["int_rate"] * 2)


def test_trusted_but_broken_or_modelless_pickles_get_a_clear_error(
    sk_pipeline: Pipeline, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(pickle.dumps(sk_pipeline)[:-40])
    with pytest.raises(Invalid, match="unpickles"):
        load_model(cut, trusted_sha256={_digest(cut)})
    plain = tmp_path / "weights.pkl"
    plain.write_bytes(pickle.dumps({"w": [1, 2]}))
    with pytest.raises(Invalid, match="predict method"):
        load_model(plain, trusted_sha256={_digest(plain)})
