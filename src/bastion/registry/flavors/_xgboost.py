"""XGBoost boosters in XGBoost's JSON or UBJSON model format, trees checked before use.

XGBoost's readers trust their input: a truncated UBJSON file crashes the process, and child
indices are followed at prediction time unchecked (out of range: a hang or stray reads; a cycle:
a crash). So the file is parsed here first (``json``, or the strict UBJSON reader, both refusing
repeated keys), every tree is checked (children name existing non-root nodes at most once, split
features, category segments and output groups in range), and only then does XGBoost read the
same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bastion.errors import Invalid
from bastion.registry.flavors import _ubjson as ubjson
from bastion.registry.flavors._base import FileFlavor, write_new
from bastion.registry.flavors._files import Artifact, unreadable
from bastion.registry.flavors._formats import ModelFormat, detect_format
from bastion.registry.flavors._model import Feature, InputSchema, LoadedModel

if TYPE_CHECKING:
    import pandas as pd

    from bastion.registry.flavors._model import Prediction

WHAT = "an XGBoost JSON or UBJSON model"
PROBA_OBJECTIVES = frozenset({"binary:logistic", "multi:softprob"})
# Per-node arrays of a (scalar-leaf) tree: each has exactly num_nodes entries.
_NODE_ARRAYS = (
    "left_children",
    "right_children",
    "parents",
    "split_indices",
    "split_conditions",
    "split_type",
    "default_left",
    "base_weights",
    "loss_changes",
    "sum_hessian",
)


class XGBoostFlavor(FileFlavor):
    """``xgboost.Booster`` (or a fitted ``XGBModel``'s booster) saved as XGBoost JSON."""

    name: ClassVar[str] = "xgboost"
    formats: ClassVar[frozenset[ModelFormat]] = frozenset(
        {ModelFormat.XGBOOST_JSON, ModelFormat.XGBOOST_UBJSON}
    )
    what: ClassVar[str] = WHAT
    file_name: ClassVar[str] = "model.json"

    def accepts(self, model: object) -> bool:
        module = type(model).__module__
        return module.startswith("xgboost") and (
            type(model).__name__ == "Booster" or hasattr(model, "get_booster")
        )

    def _save(self, model: object, directory: Path) -> list[str]:
        native: Any = model
        booster = native if type(model).__name__ == "Booster" else native.get_booster()
        return [write_new(directory, self.file_name, bytes(booster.save_raw("json")))]

    def load_artifact(
        self,
        artifact: Artifact,
        root: Path,
        *,
        trusted_sha256: Collection[str],
        trusted_types: Collection[str],
    ) -> LoadedModel:
        import xgboost as xgb

        try:
            if detect_format(artifact.data) is ModelFormat.XGBOOST_UBJSON:
                model = ubjson.decode(artifact.data)
            else:
                model = json.loads(artifact.data.decode("utf-8"), object_pairs_hook=_unique)
            check_model_json(model)
            booster = xgb.Booster()
            booster.load_model(bytearray(artifact.data))  # the very bytes just checked
            config = json.loads(booster.save_config())
        except Invalid as exc:
            raise unreadable(artifact.name, WHAT, exc.expected) from exc
        except Exception as exc:  # XGBoostError, ValueError
            raise unreadable(artifact.name, WHAT, exc) from exc
        names = booster.feature_names or []
        recorded = booster.feature_types
        types: list[str | None] = list(recorded) if recorded else [None] * len(names)
        features = tuple(Feature(name=n, dtype=t) for n, t in zip(names, types, strict=True))
        count = int(model["learner"]["learner_model_param"]["num_feature"])
        version = ".".join(str(v) for v in model.get("version", []))
        return LoadedModel(
            flavor=self.name,
            framework="xgboost",
            framework_version=str(xgb.__version__),
            producer=f"xgboost {version}" if version else None,
            input_schema=InputSchema(features=features, n_features=count or None),
            sha256={artifact.name: artifact.sha256},
            predictor=XGBoostPredictor(booster, config["learner"]["objective"]["name"]),
        )


class XGBoostPredictor:
    """``Booster.predict`` over a DMatrix of the frame (categorical columns allowed)."""

    def __init__(self, booster: Any, objective: str) -> None:
        self.native: object = booster
        self._booster = booster
        self.has_proba = objective in PROBA_OBJECTIVES

    def predict(self, frame: pd.DataFrame) -> Prediction:
        import numpy as np
        import xgboost as xgb

        return np.asarray(self._booster.predict(xgb.DMatrix(frame, enable_categorical=True)))

    def predict_proba(self, frame: pd.DataFrame) -> Prediction:
        import numpy as np

        p = np.asarray(self.predict(frame))
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique (so XGBoost and this check read the same trees)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _bad("JSON objects without repeated keys")
    return result


def _bad(what: str) -> Invalid:
    return Invalid("artifact", got="", expected=what)


def check_model_json(model: Any) -> None:
    """Check the trees of an XGBoost model as dumped to JSON; raises :class:`Invalid` whose
    ``expected`` says what is wrong."""
    try:
        learner = model["learner"]
        params = learner["learner_model_param"]
        features = int(params["num_feature"])
        groups = max(int(params.get("num_class", "0")), int(params.get("num_target", "1")), 1)
        booster = learner["gradient_booster"]
        name = booster["name"]
    except (KeyError, TypeError, ValueError):
        raise _bad("a learner with learner_model_param and gradient_booster") from None
    if name == "gblinear":
        return
    forest = booster["gbtree"]["model"] if name == "dart" else booster.get("model")
    if not isinstance(forest, dict) or not isinstance(forest.get("trees"), list):
        raise _bad("a gbtree or dart booster with trees")
    trees = forest["trees"]
    try:
        declared = int(forest["gbtree_model_param"]["num_trees"])
        info = [int(g) for g in forest.get("tree_info", [])]
        indptr = [int(i) for i in forest.get("iteration_indptr", [0, len(trees)])]
    except (KeyError, TypeError, ValueError):
        raise _bad("gbtree_model_param, tree_info and iteration_indptr of integers") from None
    if declared != len(trees) or len(info) != len(trees) or any(not 0 <= g < groups for g in info):
        raise _bad("num_trees trees, each with an output group in tree_info")
    if indptr[0] != 0 or indptr[-1] != len(trees) or any(a > b for a, b in pairwise(indptr)):
        raise _bad("iteration_indptr rising from 0 to the number of trees")
    for tree in trees:
        _check_tree(tree, features)


def _check_tree(tree: Any, features: int) -> None:
    import numpy as np

    try:
        param = tree["tree_param"]
        n = int(param["num_nodes"])
        shape = (int(param.get("num_feature", features)), int(param.get("size_leaf_vector", 1)))
        deleted = int(param.get("num_deleted", 0))
        arrays = {k: np.asarray(tree[k]) for k in _NODE_ARRAYS if k in tree}
        left = np.asarray(tree["left_children"], dtype=np.int64)
        right = np.asarray(tree["right_children"], dtype=np.int64)
        split = np.asarray(tree["split_indices"], dtype=np.int64)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _bad("trees with num_nodes, children and split_indices") from None
    if shape[0] != features or shape[1] not in (0, 1):
        raise _bad("trees of num_feature features with one value per leaf (no vector leaves)")
    if n < 1 or not 0 <= deleted < n or any(a.shape != (n,) for a in arrays.values()):
        raise _bad("trees whose arrays have num_nodes entries")
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        raise _bad("nodes with two children or none")
    children = np.concatenate([left[~leaf], right[~leaf]])
    if children.size and (children.min() < 1 or children.max() >= n):
        raise _bad("child indices naming non-root nodes of the tree")
    if np.unique(children).size != children.size:
        raise _bad("children that form a tree (each node reached once)")
    inner = split[~leaf]
    if inner.size and (inner.min() < 0 or inner.max() >= max(features, 1)):
        raise _bad("split_indices within num_feature")
    _check_categories(tree, leaf)


def _check_categories(tree: Any, leaf: Any) -> None:
    import numpy as np

    kinds = np.asarray(tree.get("split_type", []), dtype=np.int64)
    if kinds.size not in (0, leaf.size):
        raise _bad("split_type for every node")
    categorical = np.flatnonzero((kinds == 1) & ~leaf) if kinds.size else kinds
    if not categorical.size:
        return
    try:
        nodes = [int(v) for v in tree["categories_nodes"]]
        segments = [int(v) for v in tree["categories_segments"]]
        sizes = [int(v) for v in tree["categories_sizes"]]
        values = np.asarray(tree["categories"], dtype=np.int64)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _bad("categorical splits with their categories") from None
    if not len(nodes) == len(segments) == len(sizes):
        raise _bad("categories_nodes, _segments and _sizes of one length")
    if any(s < 0 or z < 0 or s + z > values.size for s, z in zip(segments, sizes, strict=True)):
        raise _bad("category segments inside categories")
    if (values.size and values.min() < 0) or not set(categorical.tolist()) <= set(nodes):
        raise _bad("categorical splits listed in categories_nodes with categories of at least 0")


__all__ = ["XGBoostFlavor", "check_model_json"]
