"""The one place in Bastion that unpickles, and only content a principal has trusted.

A pickle-family file (pickle, joblib, cloudpickle, torch) runs code when loaded. It is refused
with :class:`~bastion.errors.UnsafeModelFormat` unless its SHA-256 is in ``trusted_sha256``: the
digests for which a principal allowed ``bastion:TrustUnsafeModelFormat`` recorded a trust
decision (the registry keeps and audits them; this module only checks the set). The digest is of
the very bytes unpickled, read once.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Collection

from bastion.errors import Invalid, UnsafeModelFormat
from bastion.registry.flavors._estimator import (
    EstimatorPredictor,
    estimator_schema,
    framework_of,
    has_predict,
)
from bastion.registry.flavors._files import Artifact, unreadable
from bastion.registry.flavors._formats import SAFE_FORMATS_TEXT, ModelFormat
from bastion.registry.flavors._model import LoadedModel

log = logging.getLogger(__name__)

TRUST_ACTION = "bastion:TrustUnsafeModelFormat"
NO_TORCH = "a model Bastion can run (torch is not one of its dependencies: export it to ONNX)"
PREDICTS = "an object with a predict method"


def unsafe_fix(sha256: str) -> str:
    """The ``expected`` part of the refusal: the safe formats and the two ways forward."""
    return (
        f"a model in a safe format ({SAFE_FORMATS_TEXT}): convert it to skops or ONNX, or have "
        f"a principal allowed {TRUST_ACTION} record a trust decision for sha256 {sha256}"
    )


def is_trusted(sha256: str, trusted_sha256: Collection[str]) -> bool:
    return sha256 in {d.strip().lower() for d in trusted_sha256}


def load_unsafe(
    artifact: Artifact, fmt: ModelFormat, trusted_sha256: Collection[str]
) -> LoadedModel:
    """Unpickle ``artifact`` if its digest is trusted, else refuse naming file, format and fix."""
    if not is_trusted(artifact.sha256, trusted_sha256):
        raise UnsafeModelFormat(
            artifact.name,
            detected=fmt.description,
            sha256=artifact.sha256,
            expected=unsafe_fix(artifact.sha256),
        )
    if fmt is ModelFormat.TORCH:
        raise Invalid("artifact", got=artifact.name, expected=NO_TORCH)
    import joblib  # type: ignore[import-untyped]  # plain, compressed and joblib pickles

    log.info("flavors.unpickle file=%s format=%s sha256=%s", artifact.name, fmt, artifact.sha256)
    try:
        model = joblib.load(io.BytesIO(artifact.data))
    except (
        Exception
    ) as exc:  # a trusted file that does not unpickle here (truncated, missing module)
        raise unreadable(artifact.name, f"{fmt.description} that unpickles", exc) from exc
    if not has_predict(model):
        raise Invalid(
            "artifact", got=f"{artifact.name} ({type(model).__name__})", expected=PREDICTS
        )
    framework, version = framework_of(model)
    return LoadedModel(
        flavor="pickle",
        framework=framework,
        framework_version=version,
        producer=None,
        input_schema=estimator_schema(model),
        sha256={artifact.name: artifact.sha256},
        predictor=EstimatorPredictor(model),
    )


__all__ = ["TRUST_ACTION", "is_trusted", "load_unsafe", "unsafe_fix"]
