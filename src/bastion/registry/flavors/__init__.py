"""Safe model flavors: save, recognise and load models without running code from the file.

skops (trusted types only), ONNX (onnxruntime, CPU), LightGBM text, XGBoost JSON/UBJSON, and
MLflow folders of those; pickle-family files are recognised by content and refused unless their
SHA-256 is trusted. This package is the only place in Bastion that may unpickle.

    from bastion.registry.flavors import load_model, save_model
    save_model(pipeline, folder)                    # skops
    model = load_model(folder, trusted_types=settings.registry.trusted_skops_types)
    model.predict(frame)
"""

from bastion.registry.flavors._formats import UNSAFE_FORMATS, ModelFormat, detect_format
from bastion.registry.flavors._model import Feature, Flavor, InputSchema, LoadedModel
from bastion.registry.flavors._registry import (
    FLAVORS,
    SavedModel,
    flavor_for,
    flavor_for_model,
    flavor_named,
    load_model,
    save_model,
)

__all__ = [
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
