"""Objects with scikit-learn manners (``predict``, maybe ``predict_proba``), from skops or a
trusted pickle."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

from bastion.registry.flavors._model import Feature, InputSchema

if TYPE_CHECKING:
    import pandas as pd

    from bastion.registry.flavors._model import Prediction

# Import name -> distribution name, where they differ.
_DISTRIBUTIONS = {"sklearn": "scikit-learn"}


class EstimatorPredictor:
    """Scores with the estimator's own ``predict`` / ``predict_proba``."""

    def __init__(self, estimator: Any) -> None:
        self.native: object = estimator
        self.has_proba = callable(getattr(estimator, "predict_proba", None))
        self._estimator = estimator

    def predict(self, frame: pd.DataFrame) -> Prediction:
        return _array(self._estimator.predict(frame))

    def predict_proba(self, frame: pd.DataFrame) -> Prediction:
        return _array(self._estimator.predict_proba(frame))


def has_predict(obj: object) -> bool:
    return callable(getattr(obj, "predict", None))


def estimator_schema(estimator: object) -> InputSchema:
    """Feature names (``feature_names_in_``) or count (``n_features_in_``) the estimator kept."""
    names = getattr(estimator, "feature_names_in_", None)
    count = getattr(estimator, "n_features_in_", None)
    features = tuple(Feature(name=str(n)) for n in names) if names is not None else ()
    n_features = len(features) if features else count if isinstance(count, int) else None
    return InputSchema(features=features, n_features=n_features)


def framework_of(obj: object) -> tuple[str, str]:
    """The distribution that defines the object's class, and its installed version."""
    root = type(obj).__module__.split(".")[0]
    name = _DISTRIBUTIONS.get(root, root)
    try:
        return name, metadata.version(name)
    except metadata.PackageNotFoundError:
        return name, "unknown"


def _array(result: Any) -> Prediction:
    import numpy as np
    import pandas as pd

    if isinstance(result, pd.DataFrame | np.ndarray):
        return result
    return np.asarray(result)


__all__ = ["EstimatorPredictor", "estimator_schema", "framework_of", "has_predict"]
