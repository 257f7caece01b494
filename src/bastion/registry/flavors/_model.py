"""The flavor port: what every flavor offers, and the loaded model callers score with."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from bastion.errors import BastionError, Invalid

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Prediction: TypeAlias = "np.ndarray[Any, Any] | pd.DataFrame"

FRAME = "a pandas DataFrame"
NO_PROBA = "a model with class probabilities (this one predicts values only)"


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One input the model reads; ``dtype`` as the format records it (None when it does not)."""

    name: str
    dtype: str | None = None


@dataclass(frozen=True, kw_only=True)
class InputSchema:
    """What a model says about its input: named features, or only their number.

    ONNX models with one tensor input record no feature names: ``features`` is empty and
    ``n_features`` says how many columns ``predict`` takes, in the frame's order.
    """

    features: tuple[Feature, ...] = ()
    n_features: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)


class Predictor(Protocol):
    """A flavor's adapter over the native model (estimator, session or booster)."""

    native: object
    has_proba: bool

    def predict(self, frame: pd.DataFrame) -> Prediction: ...

    def predict_proba(self, frame: pd.DataFrame) -> Prediction: ...


@dataclass(frozen=True, kw_only=True, eq=False)
class LoadedModel:
    """A model loaded by a safe flavor, ready to score DataFrames.

    ``flavor`` is the Bastion flavor that loaded it (``skops``, ``onnx``, ``lightgbm``,
    ``xgboost``, ``mlflow``, ``pickle``); ``framework`` and ``framework_version`` the library and
    version that run it here; ``producer`` what the file records about who wrote it;
    ``sha256`` the digest of every file read, by path relative to what was loaded.
    """

    flavor: str
    framework: str
    framework_version: str
    producer: str | None
    input_schema: InputSchema
    sha256: Mapping[str, str]
    predictor: Predictor = field(repr=False)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self.sha256)

    @property
    def native(self) -> object:
        """The underlying model object (estimator, InferenceSession, Booster)."""
        return self.predictor.native

    @property
    def has_predict_proba(self) -> bool:
        return self.predictor.has_proba

    def predict(self, frame: pd.DataFrame) -> Prediction:
        """Predictions for every row; columns are picked by the model's feature names when the
        format records them (extra columns are ignored), else taken in the frame's order."""
        return self._run(self.predictor.predict, frame, "predict")

    def predict_proba(self, frame: pd.DataFrame) -> Prediction:
        """Class probabilities, one column per class (binary models: [P(0), P(1)])."""
        if not self.predictor.has_proba:
            raise Invalid("method", got="predict_proba", expected=NO_PROBA)
        return self._run(self.predictor.predict_proba, frame, "predict_proba")

    def _run(self, method: Any, frame: object, name: str) -> Prediction:
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            raise Invalid("frame", got=type(frame).__name__, expected=FRAME)
        names = self.input_schema.names
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise Invalid(
                "frame",
                got=f"columns without {', '.join(missing[:10])}",
                expected=f"a DataFrame with the model's features: {', '.join(names)}",
            )
        count = self.input_schema.n_features
        if not names and count is not None and frame.shape[1] != count:
            raise Invalid(
                "frame", got=f"{frame.shape[1]} columns", expected=f"{count} columns, in order"
            )
        selected = frame[list(names)] if names else frame
        try:
            result: Prediction = method(selected)
        except BastionError:
            raise
        except Exception as exc:  # the native library's refusal of this input
            raise Invalid(
                "frame", got=_first_line(exc), expected=f"input the model can {name} on"
            ) from exc
        return result


class Flavor(Protocol):
    """A safe model format: save a model, recognise its files, load them back."""

    @property
    def name(self) -> str: ...

    def accepts(self, model: object) -> bool:
        """Whether :meth:`save` can write this in-memory model."""
        ...

    def save(self, model: object, directory: Path) -> list[str]:
        """Write the model into ``directory`` (made if missing); the file names written."""
        ...

    def detect(self, path: Path) -> bool:
        """Whether the file, or a file at the top of the directory, is in this flavor's format."""
        ...

    def load(
        self,
        path: Path,
        *,
        trusted_sha256: Collection[str] = frozenset(),
        trusted_types: Collection[str] = (),
    ) -> LoadedModel:
        """Load the model file (or the one model file of the directory) in this format."""
        ...


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


__all__ = ["Feature", "Flavor", "InputSchema", "LoadedModel", "Predictor"]
