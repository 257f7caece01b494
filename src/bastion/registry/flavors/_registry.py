"""The flavors Bastion knows, which one a file or folder is, and which one saves a model."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from bastion.errors import Invalid
from bastion.registry.flavors._files import classify, model_root, no_model
from bastion.registry.flavors._formats import ModelFormat, detect_format
from bastion.registry.flavors._lightgbm import LightGBMFlavor
from bastion.registry.flavors._mlflow import MlflowFlavor
from bastion.registry.flavors._model import Flavor, LoadedModel
from bastion.registry.flavors._onnx import OnnxFlavor
from bastion.registry.flavors._pickle import PickleFlavor
from bastion.registry.flavors._skops import SkopsFlavor
from bastion.registry.flavors._xgboost import XGBoostFlavor

FLAVORS: Mapping[str, Flavor] = MappingProxyType(
    {
        f.name: f
        for f in (
            SkopsFlavor(),
            OnnxFlavor(),
            LightGBMFlavor(),
            XGBoostFlavor(),
            MlflowFlavor(),
            PickleFlavor(),
        )
    }
)
# The order savers claim a model in: skops takes anything with predict, so it comes last.
_SAVERS = tuple(FLAVORS[n] for n in ("onnx", "lightgbm", "xgboost", "skops"))
_BY_FORMAT = {
    ModelFormat.SKOPS: "skops",
    ModelFormat.ONNX: "onnx",
    ModelFormat.LIGHTGBM_TEXT: "lightgbm",
    ModelFormat.XGBOOST_JSON: "xgboost",
    ModelFormat.XGBOOST_UBJSON: "xgboost",
    ModelFormat.PICKLE: "pickle",
    ModelFormat.JOBLIB: "pickle",
    ModelFormat.CLOUDPICKLE: "pickle",
    ModelFormat.TORCH: "pickle",
}
ONE_MODEL = "a folder holding one model file"


@dataclass(frozen=True, kw_only=True)
class SavedModel:
    """What :func:`save_model` wrote: the flavor and the file names in the folder."""

    flavor: str
    files: tuple[str, ...]


def flavor_named(name: str) -> Flavor:
    """The flavor called ``name``; Invalid naming the known ones otherwise."""
    try:
        return FLAVORS[name]
    except KeyError:
        raise Invalid("flavor", got=name, expected=f"one of {', '.join(FLAVORS)}") from None


def flavor_for(path: str | os.PathLike[str]) -> Flavor:
    """The flavor of a model file or folder, by content: an MLflow folder (``MLmodel``), else
    the one model file at the folder's top. A pickle-family file gives the ``pickle`` flavor,
    whose ``load`` refuses it unless trusted."""
    path = Path(path)
    root = model_root(path)
    if path.is_file():
        name = _BY_FORMAT.get(detect_format(path))
        if name is None:
            raise no_model(path.name)
        return FLAVORS[name]
    mlflow = FLAVORS["mlflow"]
    if mlflow.detect(root):
        return mlflow
    found = {p.name: _BY_FORMAT[f] for p, f in classify(root).items() if f in _BY_FORMAT}
    names = set(found.values())
    if len(names) > 1:
        shown = ", ".join(f"{file} ({flavor})" for file, flavor in sorted(found.items()))
        raise Invalid("path", got=shown, expected=ONE_MODEL)
    if not names:
        raise no_model(root.name)
    return FLAVORS[names.pop()]


def flavor_for_model(model: object) -> Flavor:
    """The safe flavor that saves an in-memory model (ONNX proto, LightGBM, XGBoost, else any
    estimator with ``predict`` through skops)."""
    for flavor in _SAVERS:
        if flavor.accepts(model):
            return flavor
    raise Invalid(
        "model",
        got=type(model).__name__,
        expected="an onnx.ModelProto, a LightGBM or XGBoost model, or an estimator with predict",
    )


def save_model(
    model: object, directory: str | os.PathLike[str], *, flavor: str | None = None
) -> SavedModel:
    """Save ``model`` into ``directory`` with ``flavor`` (default: :func:`flavor_for_model`)."""
    chosen = flavor_for_model(model) if flavor is None else flavor_named(flavor)
    files = chosen.save(model, Path(directory))
    return SavedModel(flavor=chosen.name, files=tuple(files))


def load_model(
    path: str | os.PathLike[str],
    *,
    trusted_sha256: Collection[str] = frozenset(),
    trusted_types: Collection[str] = (),
) -> LoadedModel:
    """Load a model file or folder through its flavor (:func:`flavor_for`).

    ``trusted_sha256``: digests a principal allowed ``bastion:TrustUnsafeModelFormat`` trusted
    (a pickle with one of them is unpickled; a skops file with one loads all its types).
    ``trusted_types``: extra skops types to allow (``settings.registry.trusted_skops_types``).
    """
    return flavor_for(path).load(
        Path(path), trusted_sha256=trusted_sha256, trusted_types=trusted_types
    )


__all__ = [
    "FLAVORS",
    "SavedModel",
    "flavor_for",
    "flavor_for_model",
    "flavor_named",
    "load_model",
    "save_model",
]
