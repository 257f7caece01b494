"""Signatures: inferred from training data, overridable, round-tripped, checked against requests."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.errors import Invalid
from bastion.registry import FeatureType, ModelSignature, infer_signature


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": [10.5, 20.0, 35.25, 5.0],
            "term": [36, 60, 36, 36],
            "grade": ["A", "B", "A", "C"],
            "verified": [True, False, True, True],
            "dti": [1.0, np.nan, 3.5, 2.0],
        }
    )


def test_inference_types_ranges_categories(frame: pd.DataFrame) -> None:
    sig = infer_signature(frame, predictions=np.array([0, 1, 0, 0]))
    by = {f.name: f for f in sig.inputs}
    assert sig.feature_names == ["amount", "term", "grade", "verified", "dti"]
    assert by["amount"].type is FeatureType.FLOAT and not by["amount"].nullable
    assert (by["amount"].minimum, by["amount"].maximum) == (5.0, 35.25)
    assert by["term"].type is FeatureType.INTEGER and (by["term"].minimum, by["term"].maximum) == (
        36.0,
        60.0,
    )
    assert by["grade"].type is FeatureType.STRING and by["grade"].categories == ("A", "B", "C")
    assert by["verified"].type is FeatureType.BOOLEAN
    assert by["dti"].type is FeatureType.FLOAT and by["dti"].nullable
    assert [o.name for o in sig.outputs] == ["prediction"]
    assert sig.outputs[0].type is FeatureType.INTEGER


def test_many_distinct_texts_get_no_category_list() -> None:
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(60)]})
    assert infer_signature(frame, max_categories=50).inputs[0].categories is None
    assert infer_signature(frame, max_categories=60).inputs[0].categories is not None


def test_round_trip_and_overrides(frame: pd.DataFrame) -> None:
    sig = infer_signature(frame)
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    wider = sig.with_overrides({"amount": {"maximum": 1e6}, "grade": {"categories": None}})
    by = {f.name: f for f in wider.inputs}
    assert by["amount"].maximum == 1e6 and by["amount"].minimum == 5.0
    assert by["grade"].categories is None
    with pytest.raises(Invalid, match=r"SignatureOverrides\.nope"):
        sig.with_overrides({"nope": {"maximum": 1}})


def test_check_frame_names_field_and_row(frame: pd.DataFrame) -> None:
    sig = infer_signature(frame)
    assert sig.check_frame(frame) == []
    bad = frame.copy()
    bad["amount"] = bad["amount"].astype(object)
    bad.loc[2, "amount"] = "lots"
    bad["term"] = bad["term"].astype(float)
    bad.loc[1, "term"] = 36.5
    bad.loc[3, "grade"] = None
    problems = [str(p) for p in sig.check_frame(bad)]
    assert "amount (row 2): expected a number (float)" in problems
    assert "term (row 1): expected an integer" in problems
    assert "grade (row 3): missing value (NaN/null) where the model saw none" in problems
    assert "dti" not in " ".join(problems), "dti was nullable in training"


def test_check_frame_columns(frame: pd.DataFrame) -> None:
    sig = infer_signature(frame)
    problems = [str(p) for p in sig.check_frame(frame.drop(columns=["term"]).assign(extra=1))]
    assert problems == ["term: missing feature", "extra: unknown feature (not in signature)"]


def test_ranges_and_categories_only_when_asked(frame: pd.DataFrame) -> None:
    sig = infer_signature(frame)
    odd = frame.copy()
    odd.loc[0, "amount"] = 1e9
    odd.loc[1, "grade"] = "Z"
    assert sig.check_frame(odd) == []
    problems = [str(p) for p in sig.check_frame(odd, check_ranges=True)]
    assert "amount (row 0): above the allowed maximum 35.25" in problems
    assert "grade (row 1): not one of the 3 categories seen in training" in problems


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ([], "Signature"),
        ({"kind": "other@1", "inputs": []}, "Signature.kind"),
        ({"inputs": []}, "Signature.inputs"),
        ({"inputs": [{"name": "a"}]}, "Signature.inputs[0].type"),
        ({"inputs": [{"name": "", "type": "float"}]}, "Signature.inputs[0].name"),
        ({"inputs": [{"name": "a", "type": "float", "minimum": 2, "maximum": 1}]}, "minimum"),
        ({"inputs": [{"name": "a", "type": "float", "maximum": math.inf}]}, "maximum"),
        ({"inputs": [{"name": "a", "type": "float", "nullable": "yes"}]}, "nullable"),
        ({"inputs": [{"name": "a", "type": "string", "categories": [1]}]}, "categories"),
        (
            {"inputs": [{"name": "a", "type": "float"}, {"name": "a", "type": "float"}]},
            "Signature.inputs",
        ),
    ],
)
def test_hostile_signatures_name_the_path(document: object, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        ModelSignature.from_dict(document)
    assert field in caught.value.message


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_any_json_is_parsed_or_refused_cleanly(document: object) -> None:
    with contextlib.suppress(Invalid):
        ModelSignature.from_dict({"inputs": document})
