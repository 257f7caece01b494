"""LightGBM boosters in LightGBM's own text format, checked before LightGBM parses them.

LightGBM's C++ parser trusts its input: a truncated file makes it read past the buffer and abort
the whole process (``terminate called without an active exception``), and out-of-range child or
feature indices are followed at prediction time. So the text is checked here first, as LightGBM
writes it: the header's counts, ``tree_sizes`` offsets that land on ``Tree=i`` lines inside the
file, every array of every tree with exactly its length, indices that form a tree, and the
``[name: value]`` lines of the parameters section (a cut-off one crashes the process too).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bastion.errors import Invalid
from bastion.registry.flavors._base import FileFlavor, write_new
from bastion.registry.flavors._files import Artifact, unreadable
from bastion.registry.flavors._formats import ModelFormat
from bastion.registry.flavors._model import Feature, InputSchema, LoadedModel

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from bastion.registry.flavors._model import Prediction

WHAT = "a LightGBM text model"
MAX_TREE_LINES = 22  # LightGBM's Tree parser reads at most this many key=value lines
PROBA_OBJECTIVES = frozenset({"binary", "cross_entropy", "multiclass", "multiclassova"})
_PARAMETER = re.compile(rb"\[[A-Za-z0-9_]+: [^\n]*\]")
_REQUIRED_HEADER = ("version", "num_class", "label_index", "max_feature_idx")
# What LightGBM's number parsers (Atoi, fast_double_parser then strtod) accept, a little stricter;
# atomic groups and possessive quantifiers keep the scan linear and quick.
_INT_TOKEN = rb"[-+]?+[0-9]++"
_FLOAT_TOKEN = (
    rb"(?>[-+]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][-+]?+[0-9]++)?+"
    rb"|[-+]?+(?i:inf(?:inity)?|nan))"
)
_INT = re.compile(_INT_TOKEN)
_FLOATS = re.compile(_FLOAT_TOKEN)
_INT_LIST = re.compile(rb"%s(?: %s)*+" % (_INT_TOKEN, _INT_TOKEN))
_FLOAT_LIST = re.compile(rb"%s(?: %s)*+" % (_FLOAT_TOKEN, _FLOAT_TOKEN))
# Every array a tree may hold: per leaf or per split node, numbers or integers.
_ARRAYS = {
    "leaf_value": ("leaf", True),
    "leaf_weight": ("leaf", True),
    "leaf_count": ("leaf", False),
    "leaf_const": ("leaf", True),
    "split_feature": ("node", False),
    "split_gain": ("node", True),
    "threshold": ("node", True),
    "decision_type": ("node", False),
    "left_child": ("node", False),
    "right_child": ("node", False),
    "internal_value": ("node", True),
    "internal_weight": ("node", True),
    "internal_count": ("node", False),
}
_SPLIT_ARRAYS = frozenset({"split_feature", "threshold", "left_child", "right_child"})


class LightGBMFlavor(FileFlavor):
    """``lightgbm.Booster`` (or a fitted ``LGBMModel``'s booster) as LightGBM model text."""

    name: ClassVar[str] = "lightgbm"
    formats: ClassVar[frozenset[ModelFormat]] = frozenset({ModelFormat.LIGHTGBM_TEXT})
    what: ClassVar[str] = WHAT
    file_name: ClassVar[str] = "model.lgb"

    def accepts(self, model: object) -> bool:
        module = type(model).__module__
        return module.startswith("lightgbm") and (
            type(model).__name__ == "Booster" or hasattr(model, "booster_")
        )

    def _save(self, model: object, directory: Path) -> list[str]:
        native: Any = model
        booster = native if type(model).__name__ == "Booster" else native.booster_
        text: str = booster.model_to_string()
        return [write_new(directory, self.file_name, text.encode("utf-8"))]

    def load_artifact(
        self,
        artifact: Artifact,
        root: Path,
        *,
        trusted_sha256: Collection[str],
        trusted_types: Collection[str],
    ) -> LoadedModel:
        import lightgbm as lgb

        try:
            header = check_model_text(artifact.data)
            booster = lgb.Booster(model_str=artifact.data.decode("utf-8"))
        except Invalid as exc:
            raise unreadable(artifact.name, WHAT, exc.expected) from exc
        except Exception as exc:  # LightGBMError, UnicodeDecodeError
            raise unreadable(artifact.name, WHAT, exc) from exc
        infos = header["feature_infos"].split(" ")
        features = tuple(
            Feature(name=n, dtype=None if i.startswith("[") or i == "none" else "category")
            for n, i in zip(booster.feature_name(), infos, strict=True)
        )
        return LoadedModel(
            flavor=self.name,
            framework="lightgbm",
            framework_version=str(lgb.__version__),
            producer=f"lightgbm model text {header['version']}",
            input_schema=InputSchema(features=features, n_features=len(features)),
            sha256={artifact.name: artifact.sha256},
            predictor=LightGBMPredictor(booster, header.get("objective", "")),
        )


class LightGBMPredictor:
    """``Booster.predict`` (probabilities for classification objectives, values otherwise)."""

    def __init__(self, booster: Any, objective: str) -> None:
        self.native: object = booster
        self._booster = booster
        self.has_proba = (objective.split() or [""])[0] in PROBA_OBJECTIVES

    def predict(self, frame: pd.DataFrame) -> Prediction:
        import numpy as np

        return np.asarray(self._booster.predict(frame))

    def predict_proba(self, frame: pd.DataFrame) -> Prediction:
        import numpy as np

        p = np.asarray(self._booster.predict(frame))
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p


def _bad(what: str) -> Invalid:
    return Invalid("artifact", got="", expected=what)


def check_model_text(data: bytes) -> dict[str, str]:
    """Check LightGBM model text as LightGBM's loader will walk it; the header's key=values.

    Raises :class:`Invalid` whose ``expected`` says what is wrong."""
    if b"\x00" in data or b"\r" in data:
        raise _bad("text without NUL or carriage-return bytes")
    first_tree = data.find(b"\nTree=")
    head = data[: first_tree + 1] if first_tree >= 0 else data
    header: dict[str, str] = {}
    for raw in head.split(b"\n"):
        key, _, value = raw.decode("utf-8", "replace").partition("=")
        header[key] = value
    missing = [k for k in (*_REQUIRED_HEADER, "feature_names", "feature_infos") if k not in header]
    if missing:
        raise _bad(f"a header with {', '.join(missing)}")
    num_class = _int(header["num_class"], "num_class", low=1)
    per_iteration = _int(header.get("num_tree_per_iteration", str(num_class)), "trees", low=1)
    max_feature = _int(header["max_feature_idx"], "max_feature_idx", low=0)
    _int(header["label_index"], "label_index", low=0)
    if per_iteration != num_class:
        raise _bad("num_tree_per_iteration equal to num_class")
    for objective_param in header.get("objective", "").split()[1:]:
        if objective_param.startswith("num_class:") and objective_param[10:] != str(num_class):
            raise _bad("an objective with the header's num_class")
    for key in ("feature_names", "feature_infos"):
        if len(header[key].split(" ")) != max_feature + 1:
            raise _bad(f"{key} for max_feature_idx + 1 features")
    start = first_tree + 1 if first_tree >= 0 else len(data)
    for block in _tree_blocks(data, start, header):
        _check_tree(block, max_feature)
    _check_parameters(data[start:])
    return header


def _check_parameters(body: bytes) -> None:
    """LightGBM re-reads the ``parameters:`` section as ``[name: value]`` lines and indexes past
    the ``:`` without looking: every line up to ``end of parameters`` must have that shape."""
    lines = body.split(b"\n")
    try:
        first = lines.index(b"parameters:")
    except ValueError:
        return
    for line in lines[first + 1 :]:
        if line == b"end of parameters":
            return
        if line and not _PARAMETER.fullmatch(line):
            raise _bad("parameters as '[name: value]' lines")
    raise _bad("a parameters section closed by 'end of parameters'")


def _tree_blocks(data: bytes, start: int, header: dict[str, str]) -> list[bytes]:
    """The key=value part of every tree, located as LightGBM locates it."""
    blocks: list[bytes] = []
    if "tree_sizes" in header:
        sizes = [_int(s, "tree_sizes", low=1) for s in header["tree_sizes"].split()]
        offset = start
        for index, size in enumerate(sizes):
            block = data[offset : offset + size]
            if offset + size > len(data) or not block.startswith(b"Tree=%d\n" % index):
                raise _bad(f"tree_sizes that end inside the file at 'Tree={index}' lines")
            blocks.append(block[block.index(b"\n") + 1 :])
            offset += size
        return blocks
    rest = data[start:]
    while rest.startswith(b"Tree="):
        body_start = rest.index(b"\n") + 1 if b"\n" in rest else len(rest)
        end = rest.find(b"\n\n", body_start)
        if end < 0:
            raise _bad("trees that each end with an empty line")
        blocks.append(rest[body_start : end + 2])
        rest = rest[end + 2 :].lstrip(b"\n")
    return blocks


def _check_tree(block: bytes, max_feature: int) -> None:
    end = block.find(b"\n\n")
    if end < 0:
        raise _bad("trees that each end with an empty line")
    lines = block[:end].split(b"\n")
    if len(lines) > MAX_TREE_LINES or any(b"=" not in line for line in lines):
        raise _bad(f"trees of at most {MAX_TREE_LINES} key=value lines")
    tree: dict[str, bytes] = {}
    for line in lines:
        name, _, value = line.partition(b"=")
        tree[name.decode("utf-8", "replace")] = value
    leaves = _scalar(tree, "num_leaves", low=1)
    num_cat = _scalar(tree, "num_cat", low=0)
    linear = _scalar(tree, "is_linear", low=0, default=0) != 0
    if "shrinkage" in tree and not _FLOATS.fullmatch(tree["shrinkage"]):
        raise _bad("a number in shrinkage")
    nodes = leaves - 1
    for key, (per, floats) in _ARRAYS.items():
        required = key == "leaf_value" or (key in _SPLIT_ARRAYS and (nodes > 0 or linear))
        _values(tree, key, leaves if per == "leaf" else nodes, floats=floats, required=required)
    if linear:
        _check_linear(tree, leaves, max_feature)
    if not nodes:
        return
    _check_children(_ints(tree, "left_child", nodes), _ints(tree, "right_child", nodes), leaves)
    features = _ints(tree, "split_feature", nodes)
    if features.min() < 0 or features.max() > max_feature:
        raise _bad("split_feature indices within max_feature_idx")
    decision = _ints(tree, "decision_type", nodes) if "decision_type" in tree else None
    if decision is not None and (decision.min() < 0 or decision.max() > 127):
        raise _bad("decision_type values of one byte")
    categorical = (decision & 1).astype(bool) if decision is not None else None
    if num_cat or (categorical is not None and categorical.any()):
        _check_categories(tree, num_cat, categorical)


def _check_children(left: np.ndarray[Any, Any], right: np.ndarray[Any, Any], leaves: int) -> None:
    """Children name nodes 1..n-2 or leaves ~0..~(n-1), each exactly once (so a tree)."""
    import numpy as np

    children = np.concatenate([left, right])
    if children.min() < -leaves or children.max() > leaves - 2:
        raise _bad("child indices within the tree")
    nodes = np.sort(children[children >= 0])
    tips = np.sort(~children[children < 0])
    if not (
        np.array_equal(nodes, np.arange(1, leaves - 1)) and np.array_equal(tips, np.arange(leaves))
    ):
        raise _bad("children that form a tree (each node and leaf reached once)")


def _check_categories(
    tree: dict[str, bytes], num_cat: int, categorical: np.ndarray[Any, Any] | None
) -> None:
    import numpy as np

    if num_cat == 0 or "cat_boundaries" not in tree or "cat_threshold" not in tree:
        raise _bad("categorical splits with num_cat, cat_boundaries and cat_threshold")
    bounds = _ints(tree, "cat_boundaries", num_cat + 1)
    if bounds[0] != 0 or (np.diff(bounds) < 0).any():
        raise _bad("cat_boundaries rising from 0")
    words = _ints(tree, "cat_threshold", int(bounds[-1]))
    if words.size and (words.min() < 0 or words.max() >= 2**32):
        raise _bad("cat_threshold words of 32 bits")
    if categorical is not None and categorical.any():
        thresholds = np.array(tree["threshold"].split()).astype(np.float64)[categorical]
        if not (np.isfinite(thresholds) & (thresholds >= 0) & (thresholds < num_cat)).all():
            raise _bad("categorical thresholds naming one of num_cat category sets")


def _check_linear(tree: dict[str, bytes], leaves: int, max_feature: int) -> None:
    if "num_features" not in tree:
        return
    counts = _ints(tree, "num_features", leaves)
    if counts.min() < 0:
        raise _bad("num_features of at least 0")
    total = int(counts.sum())
    _values(tree, "leaf_coeff", total, floats=True, required=False)
    if "leaf_features" in tree:
        features = _ints(tree, "leaf_features", total)
        if total and (features.min() < 0 or features.max() > max_feature):
            raise _bad("leaf_features indices within max_feature_idx")


def _values(
    tree: dict[str, bytes], key: str, expected: int, *, floats: bool, required: bool = True
) -> None:
    """``key`` holds exactly ``expected`` numbers, one space apart (LightGBM reads that many)."""
    value = tree.get(key)
    if value is None:
        if required:
            raise _bad(f"trees with {key}")
        return
    if value and not (_FLOAT_LIST if floats else _INT_LIST).fullmatch(value):
        raise _bad(f"{'numbers' if floats else 'integers'} in {key}, one space apart")
    if (value.count(b" ") + 1 if value else 0) != expected:
        raise _bad(f"{key} with {expected} values")


def _ints(tree: dict[str, bytes], key: str, expected: int) -> np.ndarray[Any, Any]:
    import numpy as np

    _values(tree, key, expected, floats=False)
    # Checked above, so every token parses; values past int64 saturate and fail range checks.
    return np.fromstring(tree[key], dtype=np.int64, sep=" ")


def _scalar(tree: dict[str, bytes], key: str, *, low: int, default: int | None = None) -> int:
    if key not in tree and default is not None:
        return default
    if key not in tree:
        raise _bad(f"trees with {key}")
    return _int(tree[key], key, low=low)


def _int(text: str | bytes, key: str, *, low: int) -> int:
    raw = text.encode() if isinstance(text, str) else text
    if not _INT.fullmatch(raw):
        raise _bad(f"an integer {key}")
    value = int(raw)
    if not low <= value < 2**31:
        raise _bad(f"{key} of at least {low}")
    return value


__all__ = ["LightGBMFlavor", "check_model_text"]
