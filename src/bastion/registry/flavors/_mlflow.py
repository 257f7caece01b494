"""Import of an MLflow model folder whose flavor is one Bastion loads safely.

``MLmodel`` is read with ``yaml.safe_load``; the first of its flavors onnx, lightgbm, xgboost,
sklearn names the artifact (``data`` or ``pickled_model``), which must be a regular file inside
the folder. The artifact's content then decides the loader: MLflow's sklearn and lightgbm
flavors write skops or (cloud)pickle, so a pickle is refused unless trusted, like any other.
MLflow code (``code`` paths, ``python_function`` loaders, environments) is never imported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

from bastion.errors import Invalid
from bastion.registry.flavors._base import FileFlavor
from bastion.registry.flavors._files import inside, model_root, read_artifact, unreadable
from bastion.registry.flavors._formats import ModelFormat, detect_format
from bastion.registry.flavors._lightgbm import LightGBMFlavor
from bastion.registry.flavors._model import Feature, InputSchema, LoadedModel
from bastion.registry.flavors._onnx import OnnxFlavor
from bastion.registry.flavors._skops import SkopsFlavor
from bastion.registry.flavors._unsafe import load_unsafe
from bastion.registry.flavors._xgboost import XGBoostFlavor

MLMODEL = "MLmodel"
MAX_MLMODEL_BYTES = 1 << 20
# MLflow flavor -> (key naming the artifact, Bastion flavor for each content format).
_SKOPS = SkopsFlavor()
_SUPPORTED: dict[str, tuple[str, dict[ModelFormat, FileFlavor]]] = {
    "onnx": ("data", {ModelFormat.ONNX: OnnxFlavor()}),
    "lightgbm": ("data", {ModelFormat.LIGHTGBM_TEXT: LightGBMFlavor(), ModelFormat.SKOPS: _SKOPS}),
    "xgboost": (
        "data",
        {ModelFormat.XGBOOST_JSON: XGBoostFlavor(), ModelFormat.XGBOOST_UBJSON: XGBoostFlavor()},
    ),
    "sklearn": ("pickled_model", {ModelFormat.SKOPS: _SKOPS}),
}
FLAVORS_EXPECTED = f"an MLmodel with one of the flavors {', '.join(_SUPPORTED)}"


class MlflowFlavor:
    """An MLflow model folder (``MLmodel`` at its top), imported; never written."""

    name: ClassVar[str] = "mlflow"

    def accepts(self, model: object) -> bool:
        return False

    def save(self, model: object, directory: Path) -> list[str]:
        raise Invalid(
            "flavor", got=self.name, expected="a flavor to save with (mlflow is import only)"
        )

    def detect(self, path: Path) -> bool:
        file = Path(path) / MLMODEL
        return Path(path).is_dir() and not file.is_symlink() and file.is_file()

    def load(
        self,
        path: Path,
        *,
        trusted_sha256: Collection[str] = frozenset(),
        trusted_types: Collection[str] = (),
    ) -> LoadedModel:
        root = model_root(Path(path))
        if not self.detect(root):
            raise Invalid(
                "path", got=root.name, expected=f"an MLflow model folder ({MLMODEL} at its top)"
            )
        mlmodel, mlmodel_sha = _read_mlmodel(root / MLMODEL)
        flavors = mlmodel["flavors"]
        chosen = next((f for f in _SUPPORTED if f in flavors), None)
        if chosen is None:
            raise Invalid(
                f"{MLMODEL} flavors", got=sorted(map(str, flavors)), expected=FLAVORS_EXPECTED
            )
        key, loaders = _SUPPORTED[chosen]
        spec = flavors[chosen]
        field = f"{MLMODEL} flavors.{chosen}.{key}"
        if not isinstance(spec, Mapping) or key not in spec:
            raise Invalid(field, got=None, expected="the artifact's path in the folder")
        file = inside(root, spec[key], field=field)
        artifact = read_artifact(file, root)
        fmt = detect_format(file)
        if fmt.unsafe:
            inner = load_unsafe(artifact, fmt, trusted_sha256)
        elif fmt in loaders:
            inner = loaders[fmt].load_artifact(
                artifact, root, trusted_sha256=trusted_sha256, trusted_types=trusted_types
            )
        else:
            kinds = " or ".join(sorted({f.description for f in loaders}))
            raise unreadable(
                artifact.name,
                f"{kinds}, as its MLflow flavor '{chosen}' says",
                f"it is {fmt.description}",
            )
        return dataclasses.replace(
            inner,
            flavor=self.name,
            input_schema=_signature(mlmodel) or inner.input_schema,
            sha256={MLMODEL: mlmodel_sha, **inner.sha256},
        )


def _read_mlmodel(file: Path) -> tuple[dict[str, Any], str]:
    import yaml  # type: ignore[import-untyped]

    data = file.read_bytes()
    if len(data) > MAX_MLMODEL_BYTES:
        raise Invalid(
            MLMODEL, got=f"{len(data)} bytes", expected=f"at most {MAX_MLMODEL_BYTES} bytes"
        )
    try:
        document = yaml.safe_load(data)
    except Exception as exc:  # YAMLError, RecursionError on absurd nesting, bad UTF-8
        raise unreadable(MLMODEL, "an MLmodel file of YAML", exc) from exc
    if not isinstance(document, dict) or not isinstance(document.get("flavors"), dict):
        raise Invalid(
            MLMODEL, got=type(document).__name__, expected="a YAML mapping with 'flavors'"
        )
    return document, hashlib.sha256(data).hexdigest()


def _signature(mlmodel: Mapping[str, Any]) -> InputSchema | None:
    """The column-based input signature MLflow recorded (a JSON string), if any."""
    signature = mlmodel.get("signature")
    if not isinstance(signature, Mapping) or not isinstance(signature.get("inputs"), str):
        return None
    try:
        columns = json.loads(signature["inputs"])
        features = tuple(
            Feature(name=str(c["name"]), dtype=str(c["type"]))
            for c in columns
            if isinstance(c, dict) and "name" in c and c.get("type") != "tensor"
        )
    except (ValueError, TypeError, KeyError):
        return None
    return InputSchema(features=features, n_features=len(features)) if features else None


__all__ = ["MlflowFlavor"]
