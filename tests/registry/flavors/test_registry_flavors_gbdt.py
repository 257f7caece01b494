"""LightGBM text and XGBoost JSON/UBJSON: round trips, and hostile or damaged files refused
before the native libraries (which crash on them) ever parse them."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from conftest import DATA, LOAN_FEATURES
from flavor_helpers import cuts, flip_digits
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.errors import BastionError, Invalid
from bastion.registry.flavors import _ubjson as ubjson
from bastion.registry.flavors import flavor_for, load_model, save_model

_UBJ_SAMPLE = bytes(
    xgb.train({"max_depth": 2}, xgb.DMatrix(np.eye(4), label=[0, 1, 0, 1]), 2).save_raw("ubj")
)


@pytest.fixture(scope="module")
def graded_loans() -> pd.DataFrame:
    """Loans with a categorical ``grade`` column (A..G) and a three-class label."""
    frame = pd.read_csv(DATA, usecols=[*LOAN_FEATURES, "sub_grade"], nrows=2000)
    frame["grade"] = frame.pop("sub_grade").str[0].astype("category")
    return frame


def _grade_class(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(np.digitize(frame["int_rate"], [10.0, 15.0]), index=frame.index)


def _lgb_text(booster: lgb.Booster) -> bytes:
    return booster.model_to_string().encode()


def _edit_lgb_tree(text: bytes, key: bytes, edit: Any) -> bytes:
    """Apply ``edit`` to the values of ``key`` in the first tree, keeping tree_sizes right."""
    lines = text.split(b"\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(key + b"="))
    values = lines[at].split(b"=", 1)[1].split(b" ")
    edit(values)
    lines[at] = key + b"=" + b" ".join(values)
    edited = b"\n".join(lines)
    sizes = re.search(rb"tree_sizes=([0-9 ]+)", text)
    assert sizes is not None
    first = [int(s) for s in sizes.group(1).split()]
    first[0] += len(edited) - len(text)
    new_sizes = b"tree_sizes=" + b" ".join(str(s).encode() for s in first)
    return edited.replace(sizes.group(0), new_sizes, 1)


def _refused(target: Path, content: bytes) -> BastionError:
    target.write_bytes(content)
    with pytest.raises(Invalid) as caught:
        load_model(target)
    return caught.value


# ---------------------------------------------------------------------------------- LightGBM


def test_lightgbm_round_trip(
    lgb_booster: lgb.Booster, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    saved = save_model(lgb_booster, tmp_path)
    assert (saved.flavor, saved.files) == ("lightgbm", ("model.lgb",))
    assert flavor_for(tmp_path).name == "lightgbm"
    model = load_model(tmp_path)
    assert (model.flavor, model.framework) == ("lightgbm", "lightgbm")
    assert model.input_schema.names == tuple(LOAN_FEATURES)
    expected = lgb_booster.predict(loans_x)
    np.testing.assert_array_equal(model.predict(loans_x), expected)
    np.testing.assert_array_equal(model.predict_proba(loans_x)[:, 1], expected)
    shuffled = loans_x[list(reversed(LOAN_FEATURES))].assign(extra=1)
    np.testing.assert_array_equal(model.predict(shuffled), expected)


def test_lightgbm_sklearn_api_multiclass_and_categories(
    graded_loans: pd.DataFrame, tmp_path: Path
) -> None:
    classifier = lgb.LGBMClassifier(n_estimators=8, num_leaves=7, verbose=-1, random_state=0)
    classifier.fit(graded_loans, _grade_class(graded_loans))
    save_model(classifier, tmp_path)
    model = load_model(tmp_path)
    assert dict((f.name, f.dtype) for f in model.input_schema.features)["grade"] == "category"
    np.testing.assert_array_equal(
        model.predict_proba(graded_loans), classifier.predict_proba(graded_loans)
    )


def test_lightgbm_damaged_files_are_refused(lgb_booster: lgb.Booster, tmp_path: Path) -> None:
    text = _lgb_text(lgb_booster)
    target = tmp_path / "model.lgb"
    for content in cuts(text, parts=40)[1:]:
        if b"end of parameters" not in content:  # a cut after it loses only pandas_categorical
            _refused(target, content)
    for seed in range(40):
        target.write_bytes(flip_digits(text, seed=seed))
        with contextlib.suppress(BastionError):  # loading or refusing: both fine, crashing not
            load_model(target).predict(pd.DataFrame(np.ones((3, 10)), columns=LOAN_FEATURES))


@pytest.mark.parametrize(
    ("key", "edit", "reason"),
    [
        (b"left_child", lambda v: v.__setitem__(0, b"40"), "child indices within the tree"),
        (b"left_child", lambda v: v.__setitem__(1, b"0"), "form a tree"),
        (b"right_child", lambda v: v.__setitem__(0, v[1]), "form a tree"),
        (b"split_feature", lambda v: v.__setitem__(0, b"99"), "split_feature indices"),
        (b"leaf_value", lambda v: v.pop(), "leaf_value with 7 values"),
        (b"leaf_value", lambda v: v.__setitem__(0, b"S0.5"), "numbers in leaf_value"),
        (b"threshold", lambda v: v.__setitem__(0, b"1e"), "numbers in threshold"),
        (b"decision_type", lambda v: v.__setitem__(0, b"1"), "categorical splits"),
    ],
)
def test_lightgbm_hostile_trees_are_refused(
    lgb_booster: lgb.Booster, tmp_path: Path, key: bytes, edit: Any, reason: str
) -> None:
    content = _edit_lgb_tree(_lgb_text(lgb_booster), key, edit)
    error = _refused(tmp_path / "model.lgb", content)
    assert reason in error.message and "model.lgb" in error.message


def test_lightgbm_header_and_sections_are_checked(lgb_booster: lgb.Booster, tmp_path: Path) -> None:
    text = _lgb_text(lgb_booster)
    target = tmp_path / "model.lgb"
    wrong_size = re.sub(rb"tree_sizes=(\d+)", lambda m: b"tree_sizes=%d" % (int(m[1]) + 7), text)
    assert "tree_sizes" in _refused(target, wrong_size).message
    assert (
        "feature_names"
        in _refused(target, text.replace(b"feature_names=", b"feature_nameX=")).message
    )
    bad_param = text.replace(b"[num_leaves: 7]", b"[num_leaves 7]")
    assert "parameters" in _refused(target, bad_param).message
    assert "NUL" in _refused(target, text.replace(b"num_cat=0", b"num_cat=0\x00", 1)).message


# ---------------------------------------------------------------------------------- XGBoost


def _xgb_json(classifier: xgb.XGBClassifier) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(bytes(classifier.get_booster().save_raw("json")))
    return document


def _first_tree(document: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = document["learner"]["gradient_booster"]["model"]["trees"][0]
    return tree


def test_xgboost_round_trip_json_and_ubjson(
    xgb_classifier: xgb.XGBClassifier, loans_x: pd.DataFrame, tmp_path: Path
) -> None:
    saved = save_model(xgb_classifier, tmp_path / "json")
    assert (saved.flavor, saved.files) == ("xgboost", ("model.json",))
    expected = xgb_classifier.predict_proba(loans_x)
    model = load_model(tmp_path / "json")
    assert (model.flavor, model.framework) == ("xgboost", "xgboost")
    assert model.input_schema.names == tuple(LOAN_FEATURES)
    assert {f.dtype for f in model.input_schema.features} <= {"int", "float"}
    np.testing.assert_array_equal(model.predict_proba(loans_x), expected)
    (tmp_path / "ubj").mkdir()
    (tmp_path / "ubj" / "model.ubj").write_bytes(xgb_classifier.get_booster().save_raw("ubj"))
    assert flavor_for(tmp_path / "ubj").name == "xgboost"
    np.testing.assert_array_equal(load_model(tmp_path / "ubj").predict_proba(loans_x), expected)


def test_xgboost_multiclass_with_categories(graded_loans: pd.DataFrame, tmp_path: Path) -> None:
    classifier = xgb.XGBClassifier(
        n_estimators=6, max_depth=3, enable_categorical=True, tree_method="hist", n_jobs=1
    )
    classifier.fit(graded_loans, _grade_class(graded_loans))
    save_model(classifier, tmp_path)
    model = load_model(tmp_path)
    assert dict((f.name, f.dtype) for f in model.input_schema.features)["grade"] == "c"
    np.testing.assert_array_equal(
        model.predict_proba(graded_loans), classifier.predict_proba(graded_loans)
    )


def test_xgboost_damaged_files_are_refused(
    xgb_classifier: xgb.XGBClassifier, tmp_path: Path
) -> None:
    booster = xgb_classifier.get_booster()
    for name, data in (
        ("model.json", booster.save_raw("json")),
        ("model.ubj", booster.save_raw("ubj")),
    ):
        target = tmp_path / name
        for content in cuts(bytes(data), parts=30)[1:]:
            _refused(target, content)
        for seed in range(25):
            target.write_bytes(flip_digits(bytes(data), seed=seed, count=2))
            with contextlib.suppress(BastionError):
                load_model(target).predict(pd.DataFrame(np.ones((3, 10)), columns=LOAN_FEATURES))


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda t: t["left_children"].__setitem__(0, 99999), "child indices"),
        (lambda t: t["left_children"].__setitem__(1, 0), "child indices"),
        (lambda t: t["right_children"].__setitem__(0, t["left_children"][0]), "form a tree"),
        (lambda t: t["split_indices"].__setitem__(0, 99999), "split_indices within num_feature"),
        (lambda t: t["tree_param"].__setitem__("size_leaf_vector", "6"), "no vector leaves"),
        (lambda t: t["left_children"].pop(), "num_nodes entries"),
    ],
)
def test_xgboost_hostile_trees_are_refused(
    xgb_classifier: xgb.XGBClassifier, tmp_path: Path, edit: Any, reason: str
) -> None:
    document = _xgb_json(xgb_classifier)
    edit(_first_tree(document))
    error = _refused(tmp_path / "model.json", json.dumps(document).encode())
    assert reason in error.message


def test_xgboost_forest_bookkeeping_is_checked(
    xgb_classifier: xgb.XGBClassifier, tmp_path: Path
) -> None:
    document = _xgb_json(xgb_classifier)
    document["learner"]["gradient_booster"]["model"]["tree_info"][0] = 5
    assert (
        "output group" in _refused(tmp_path / "model.json", json.dumps(document).encode()).message
    )


def test_xgboost_repeated_keys_are_refused(
    xgb_classifier: xgb.XGBClassifier, tmp_path: Path
) -> None:
    text = bytes(xgb_classifier.get_booster().save_raw("json"))
    twice = text.replace(b'"left_children":[', b'"left_children":[99999],"left_children":[', 1)
    assert "repeated keys" in _refused(tmp_path / "model.json", twice).message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.integers(min_value=0, max_value=400))
def test_the_ubjson_reader_ends_in_a_value_or_a_value_error(tail: bytes, keep: int) -> None:
    head = _UBJ_SAMPLE[:keep]
    with contextlib.suppress(ValueError):  # UnicodeDecodeError is a ValueError too
        ubjson.decode(head + tail)
