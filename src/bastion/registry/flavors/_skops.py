"""scikit-learn (and other estimators) through skops: only types someone trusted are built.

skops trusts its own defaults (most scikit-learn estimators, numpy, builtins); the registry adds
``settings.registry.trusted_skops_types``; a trust decision for the file's SHA-256 trusts every
type in that file. Anything else is refused with the untrusted types listed.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any, ClassVar

from bastion.errors import Invalid, UnsafeModelFormat
from bastion.registry.flavors._base import FileFlavor, write_new
from bastion.registry.flavors._estimator import (
    EstimatorPredictor,
    estimator_schema,
    framework_of,
    has_predict,
)
from bastion.registry.flavors._files import Artifact, unreadable
from bastion.registry.flavors._formats import ModelFormat
from bastion.registry.flavors._model import LoadedModel
from bastion.registry.flavors._unsafe import PREDICTS, TRUST_ACTION, is_trusted

WHAT = "a skops file"


def skops_fix(types: Collection[str], sha256: str) -> str:
    """The ``expected`` part of the refusal of untrusted skops types."""
    return (
        f"a skops file whose types are all trusted: review {', '.join(types)} and add the safe "
        f"ones to settings.registry.trusted_skops_types, or have a principal allowed "
        f"{TRUST_ACTION} record a trust decision for sha256 {sha256}"
    )


class SkopsFlavor(FileFlavor):
    """Estimators with ``predict`` saved by ``skops.io`` (a zip of JSON and .npy, no pickle)."""

    name: ClassVar[str] = "skops"
    formats: ClassVar[frozenset[ModelFormat]] = frozenset({ModelFormat.SKOPS})
    what: ClassVar[str] = WHAT
    file_name: ClassVar[str] = "model.skops"

    def accepts(self, model: object) -> bool:
        return has_predict(model)

    def _save(self, model: object, directory: Path) -> list[str]:
        import skops.io as sio  # type: ignore[import-untyped]

        try:
            data = sio.dumps(model)
        except Exception as exc:  # skops has no serialiser for something inside the model
            raise Invalid(
                "model", got=type(model).__name__, expected=f"a model skops can save ({exc})"
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
        import skops.io as sio

        try:
            found: list[str] = sio.get_untrusted_types(data=artifact.data)
        except Exception as exc:  # not a zip, no schema.json, bad JSON: skops raises many kinds
            raise unreadable(artifact.name, WHAT, exc) from exc
        allowed = set(trusted_types)
        if is_trusted(artifact.sha256, trusted_sha256):
            allowed |= set(found)
        refused = sorted(t for t in found if t not in allowed)
        if refused:
            raise UnsafeModelFormat(
                artifact.name,
                detected=f"{WHAT} with untrusted types: {', '.join(refused)}",
                sha256=artifact.sha256,
                expected=skops_fix(refused, artifact.sha256),
                untrusted_types=tuple(refused),
            )
        try:
            model = sio.loads(artifact.data, trusted=[t for t in found if t in allowed])
        except Exception as exc:  # a damaged array or schema node
            raise unreadable(artifact.name, WHAT, exc) from exc
        if not has_predict(model):
            raise Invalid(
                "artifact", got=f"{artifact.name} ({type(model).__name__})", expected=PREDICTS
            )
        framework, version = framework_of(model)
        return LoadedModel(
            flavor=self.name,
            framework=framework,
            framework_version=version,
            producer=_producer(artifact.data),
            input_schema=estimator_schema(model),
            sha256={artifact.name: artifact.sha256},
            predictor=EstimatorPredictor(model),
        )


def _producer(data: bytes) -> str | None:
    """``scikit-learn 1.5.2`` as recorded in the file's schema, else the skops version."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema: Any = json.loads(archive.read("schema.json"))
        recorded = schema["content"]["content"].get("_sklearn_version")
        if recorded and recorded.get("is_json"):
            return f"scikit-learn {json.loads(recorded['content'])}"
        return f"skops {schema['_skops_version']}"
    except (KeyError, TypeError, AttributeError, ValueError, zipfile.BadZipFile):
        return None


__all__ = ["SkopsFlavor", "skops_fix"]
