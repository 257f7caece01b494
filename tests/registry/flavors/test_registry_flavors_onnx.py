"""ONNX through onnxruntime: round trips, per-column inputs, external data inside the folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
import pandas as pd
import pytest
from flavor_helpers import cuts
from onnx import TensorProto, helper, numpy_helper
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from bastion.errors import Invalid
from bastion.registry.flavors import flavor_for, load_model, save_model


def _session_outputs(model: onnx.ModelProto, frame: pd.DataFrame) -> list[Any]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs: list[Any] = session.run(None, {"X": frame.to_numpy(np.float32)})
    return outputs


@pytest.fixture(scope="module")
def linear_onnx(loans_x: pd.DataFrame) -> onnx.ModelProto:
    """X @ W + b with W and b as initializers (tensors that can live in external data)."""
    width = loans_x.shape[1]
    weights = numpy_helper.from_array(np.linspace(-1, 1, width).reshape(-1, 1), "W")
    bias = numpy_helper.from_array(np.array([0.5]), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["X", "W"], ["XW"]),
            helper.make_node("Add", ["XW", "b"], ["y"]),
        ],
        "linear",
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, width])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [None, 1])],
        initializer=[weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _linear(frame: pd.DataFrame) -> Any:
    return frame.to_numpy() @ np.linspace(-1, 1, frame.shape[1]).reshape(-1, 1) + 0.5


def _external(model: onnx.ModelProto, folder: Path) -> Path:
    """Save ``model`` with its weights in ``weights.bin`` next to it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "model.onnx"
    copy = onnx.ModelProto()
    copy.CopyFrom(model)  # saving with external data rewrites the proto it is given
    onnx.save_model(
        copy, target, save_as_external_data=True, location="weights.bin", size_threshold=0
    )
    return target


def _relocate(target: Path, location: str) -> None:
    """Point every external tensor of the saved model at ``location``."""
    proto = onnx.load_model(target, load_external_data=False)
    for tensor in proto.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    target.write_bytes(proto.SerializeToString())


def test_round_trip_predicts_the_same(
    onnx_model: onnx.ModelProto, sk_pipeline: Pipeline, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    saved = save_model(onnx_model, tmp_path)
    assert (saved.flavor, saved.files) == ("onnx", ("model.onnx",))
    assert flavor_for(tmp_path).name == "onnx"
    model = load_model(tmp_path)
    assert (model.flavor, model.framework) == ("onnx", "onnxruntime")
    assert model.producer is not None and model.producer.startswith("skl2onnx")
    assert model.input_schema.n_features == loans_x.shape[1] and not model.input_schema.features
    labels, probabilities = _session_outputs(onnx_model, loans_x)
    np.testing.assert_array_equal(model.predict(loans_x), labels)
    np.testing.assert_array_equal(model.predict_proba(loans_x), probabilities)
    np.testing.assert_allclose(probabilities, sk_pipeline.predict_proba(loans_x), atol=1e-5)


def test_the_column_count_is_checked(
    onnx_model: onnx.ModelProto, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    save_model(onnx_model, tmp_path)
    with pytest.raises(Invalid, match=f"{loans_x.shape[1]} columns"):
        load_model(tmp_path).predict(loans_x.iloc[:, :3])


def test_one_input_per_column_is_fed_by_name(loans_x: pd.DataFrame, tmp_path: Path) -> None:
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.DOUBLE, [None, 1])
        for name in ("int_rate", "annual_inc")
    ]
    output = helper.make_tensor_value_info("total", TensorProto.DOUBLE, [None, 1])
    graph = helper.make_graph(
        [helper.make_node("Add", ["int_rate", "annual_inc"], ["total"])], "add", inputs, [output]
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    save_model(proto, tmp_path)
    model = load_model(tmp_path)
    assert model.input_schema.names == ("int_rate", "annual_inc")
    assert [f.dtype for f in model.input_schema.features] == ["tensor(double)"] * 2
    expected = (loans_x["int_rate"] + loans_x["annual_inc"]).to_numpy()
    np.testing.assert_allclose(model.predict(loans_x[::-1]).ravel(), expected[::-1])
    assert not model.has_predict_proba
    with pytest.raises(Invalid, match="annual_inc"):
        model.predict(loans_x[["int_rate"]])


def test_external_data_inside_the_folder_loads(
    linear_onnx: onnx.ModelProto, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    _external(linear_onnx, tmp_path)
    assert (tmp_path / "weights.bin").is_file()
    np.testing.assert_allclose(load_model(tmp_path).predict(loans_x), _linear(loans_x))


@pytest.mark.parametrize(
    "location",
    ["../outside.bin", "sub/../../outside.bin", "/etc/passwd", "..\\outside.bin", "C:/w.bin", ""],
)
def test_external_data_escaping_the_folder_is_refused(
    linear_onnx: onnx.ModelProto, tmp_path: Path, location: str
) -> None:
    target = _external(linear_onnx, tmp_path / "model")
    (tmp_path / "outside.bin").write_bytes((tmp_path / "model" / "weights.bin").read_bytes())
    _relocate(target, location)
    with pytest.raises(Invalid, match="external_data location") as caught:
        load_model(tmp_path / "model")
    assert "relative path inside the model directory" in caught.value.message


def test_external_data_through_a_symlink_is_refused(
    linear_onnx: onnx.ModelProto, tmp_path: Path
) -> None:
    target = _external(linear_onnx, tmp_path / "model")
    (tmp_path / "model" / "weights.bin").rename(tmp_path / "outside.bin")
    os.symlink(tmp_path / "outside.bin", tmp_path / "model" / "weights.bin")
    with pytest.raises(Invalid, match="symbolic link"):
        load_model(target.parent)
    (tmp_path / "model" / "weights.bin").unlink()
    (tmp_path / "model" / "data").symlink_to(tmp_path, target_is_directory=True)
    _relocate(target, "data/outside.bin")
    with pytest.raises(Invalid, match="symbolic link"):
        load_model(target.parent)


def test_missing_external_data_is_refused(linear_onnx: onnx.ModelProto, tmp_path: Path) -> None:
    _external(linear_onnx, tmp_path)
    (tmp_path / "weights.bin").unlink()
    with pytest.raises(Invalid, match="naming an existing file"):
        load_model(tmp_path)


def test_damaged_files_get_a_clear_error(onnx_model: onnx.ModelProto, tmp_path: Path) -> None:
    data = onnx_model.SerializeToString()
    target = tmp_path / "model.onnx"
    damaged = [*cuts(data)[1:], data[:4] + bytes(range(256)) * 4]
    for content in damaged:
        target.write_bytes(content)
        with pytest.raises(Invalid):
            load_model(target)


def test_custom_operators_are_not_loaded(tmp_path: Path) -> None:
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 2])
    node = helper.make_node("RunShell", ["X"], ["Y"], domain="evil.ops")
    proto = helper.make_model(
        helper.make_graph([node], "g", [x], [y]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("evil.ops", 1)],
    )
    proto.ir_version = 8
    save_model(proto, tmp_path)
    with pytest.raises(Invalid, match="onnxruntime can run"):
        load_model(tmp_path)
