"""ONNX models run by onnxruntime on the CPU provider, with no custom-op library registered.

Tensors kept as external data name a file by a path; each must be a regular file inside the
model's folder, reached without ``..``, absolute paths, backslashes or symbolic links (the ONNX
path-traversal class of bugs), else the model is refused before onnxruntime opens anything.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bastion.errors import Invalid
from bastion.registry.flavors._base import FileFlavor, write_new
from bastion.registry.flavors._files import Artifact, inside, unreadable
from bastion.registry.flavors._formats import ModelFormat
from bastion.registry.flavors._model import Feature, InputSchema, LoadedModel

if TYPE_CHECKING:
    import onnx
    import pandas as pd

    from bastion.registry.flavors._model import Prediction

WHAT = "an ONNX model"
PROVIDERS = ["CPUExecutionProvider"]
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int16)": "int16",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


class OnnxFlavor(FileFlavor):
    """``onnx.ModelProto`` saved as one ``.onnx`` file (external data only when it came so)."""

    name: ClassVar[str] = "onnx"
    formats: ClassVar[frozenset[ModelFormat]] = frozenset({ModelFormat.ONNX})
    what: ClassVar[str] = WHAT
    file_name: ClassVar[str] = "model.onnx"

    def accepts(self, model: object) -> bool:
        return type(model).__module__.startswith("onnx") and type(model).__name__ == "ModelProto"

    def _save(self, model: object, directory: Path) -> list[str]:
        proto: Any = model
        try:
            data = proto.SerializeToString()
        except ValueError as exc:  # protobuf's 2 GB limit
            raise Invalid(
                "model", got=type(model).__name__, expected=f"an ONNX model under 2 GB ({exc})"
            ) from exc
        return [write_new(directory, self.file_name, data)]

    def load_artifact(
        self,
        artifact: Artifact,
        root: Path,
        *,
        trusted_sha256: Collection[str],
        trusted_types: Collection[str],
    ) -> LoadedModel:
        import onnx
        import onnxruntime as ort  # type: ignore[import-untyped]

        try:
            proto = onnx.load_model_from_string(artifact.data)
        except Exception as exc:  # protobuf DecodeError and friends
            raise unreadable(artifact.name, WHAT, exc) from exc
        externals = sorted(set(_external_locations(proto)))
        for location in externals:
            inside(artifact.path.parent, location, field=f"{artifact.name} external_data location")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        source: str | bytes = str(artifact.path) if externals else artifact.data
        try:
            session = ort.InferenceSession(source, sess_options=options, providers=PROVIDERS)
        except Exception as exc:  # InvalidGraph, NotImplemented (unknown or custom op), Fail
            raise unreadable(artifact.name, f"{WHAT} onnxruntime can run", exc) from exc
        predictor = OnnxPredictor(session)
        producer = f"{proto.producer_name} {proto.producer_version}".strip()
        return LoadedModel(
            flavor=self.name,
            framework="onnxruntime",
            framework_version=str(ort.__version__),
            producer=producer or None,
            input_schema=predictor.schema,
            sha256={artifact.name: artifact.sha256},
            predictor=predictor,
        )


class OnnxPredictor:
    """Feeds a DataFrame to the session: one matrix input, or one input per named column."""

    def __init__(self, session: Any) -> None:
        self.native: object = session
        self._session = session
        self._inputs = [(i.name, i.type, list(i.shape)) for i in session.get_inputs()]
        self._outputs = [o.name for o in session.get_outputs()]
        self._matrix = len(self._inputs) == 1 and len(self._inputs[0][2]) == 2
        probas = [n for n in self._outputs if "prob" in n.lower()]
        proba = probas[0] if probas else (self._outputs[1] if len(self._outputs) > 1 else None)
        self._proba = proba
        self.has_proba = proba is not None
        if self._matrix:
            width = self._inputs[0][2][1]
            self.schema = InputSchema(n_features=width if isinstance(width, int) else None)
        else:
            self.schema = InputSchema(
                features=tuple(Feature(name=n, dtype=t) for n, t, _ in self._inputs)
            )

    def predict(self, frame: pd.DataFrame) -> Prediction:
        return _plain(self._session.run([self._outputs[0]], self._feeds(frame))[0])

    def predict_proba(self, frame: pd.DataFrame) -> Prediction:
        return _plain(self._session.run([self._proba], self._feeds(frame))[0])

    def _feeds(self, frame: pd.DataFrame) -> dict[str, Any]:
        if self._matrix:
            name, kind, _ = self._inputs[0]
            return {name: _column(frame, kind)}
        feeds = {}
        for name, kind, shape in self._inputs:
            values = _column(frame[[name]], kind)
            feeds[name] = values if len(shape) == 2 else values.reshape(-1)
        return feeds


def _column(frame: pd.DataFrame, kind: str) -> Any:
    dtype = _DTYPES.get(kind)
    if dtype is None:
        raise Invalid("frame", got=kind, expected=f"inputs of types {', '.join(_DTYPES)}")
    if dtype == "object":
        return frame.astype(str).to_numpy(dtype=object)
    return frame.to_numpy(dtype=dtype)


def _plain(result: Any) -> Prediction:
    """ZipMap outputs (a list of {class: probability}) become a matrix."""
    import numpy as np
    import pandas as pd

    if isinstance(result, list) and result and isinstance(result[0], dict):
        return pd.DataFrame(result).to_numpy()
    return np.asarray(result)


def _external_locations(proto: onnx.ModelProto) -> Iterator[str]:
    """The ``location`` of every tensor kept outside the file, anywhere in the model."""
    graphs = [proto.graph]
    graphs += [g for info in proto.training_info for g in (info.initialization, info.algorithm)]
    nodes = [n for f in proto.functions for n in f.node]
    for tensor in _tensors(graphs, nodes):
        for entry in tensor.external_data:
            if entry.key == "location":
                yield entry.value
        if tensor.data_location == 1 and not any(e.key == "location" for e in tensor.external_data):
            yield ""  # EXTERNAL without a location: refused as an empty path


def _tensors(graphs: list[Any], nodes: list[Any]) -> Iterator[Any]:
    """Every TensorProto of the graphs (subgraphs included) and of the extra nodes."""
    pending_graphs, pending_nodes = list(graphs), list(nodes)
    while pending_graphs or pending_nodes:
        if pending_graphs:
            graph = pending_graphs.pop()
            yield from graph.initializer
            for sparse in graph.sparse_initializer:
                yield from (sparse.values, sparse.indices)
            pending_nodes += list(graph.node)
            continue
        for attribute in pending_nodes.pop().attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("sparse_tensor"):
                yield from (attribute.sparse_tensor.values, attribute.sparse_tensor.indices)
            for sparse in attribute.sparse_tensors:
                yield from (sparse.values, sparse.indices)
            if attribute.HasField("g"):
                pending_graphs.append(attribute.g)
            pending_graphs += list(attribute.graphs)


__all__ = ["OnnxFlavor", "OnnxPredictor"]
