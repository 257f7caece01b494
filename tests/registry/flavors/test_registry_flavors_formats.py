"""detect_format decides by content: the pickle family under any name, the safe formats, and
never an exception for any bytes."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import zlib
from collections.abc import Callable
from pathlib import Path

import cloudpickle  # type: ignore[import-untyped]
import joblib  # type: ignore[import-untyped]
import lightgbm as lgb
import onnx
import pandas as pd
import pytest
import skops.io as sio  # type: ignore[import-untyped]
import xgboost as xgb
from flavor_helpers import zip_of
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]

from bastion.errors import Invalid
from bastion.registry.flavors import UNSAFE_FORMATS, ModelFormat, detect_format


class ScoresWithALambda:
    """A model whose predict is a lambda: only cloudpickle can pickle it."""

    def __init__(self) -> None:
        self.score: Callable[[pd.DataFrame], pd.Series] = lambda frame: frame.sum(axis=1)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.score(frame)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_of_every_protocol_are_pickles(sk_pipeline: Pipeline, protocol: int) -> None:
    assert detect_format(pickle.dumps(sk_pipeline, protocol=protocol)) is ModelFormat.PICKLE


def test_a_pickle_named_like_a_safe_format_is_still_a_pickle(
    sk_pipeline: Pipeline, tmp_path: Path
) -> None:
    for name in ("model.onnx", "model.skops", "model.json", "model.txt", "MLmodel"):
        (tmp_path / name).write_bytes(pickle.dumps(sk_pipeline))
        assert detect_format(tmp_path / name) is ModelFormat.PICKLE


def test_joblib_files_plain_and_compressed(sk_pipeline: Pipeline, tmp_path: Path) -> None:
    for compress in (0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
        target = tmp_path / "model.onnx"
        joblib.dump(sk_pipeline, target, compress=compress)
        assert detect_format(target) is ModelFormat.JOBLIB, compress


def test_compressed_plain_pickles_count_as_joblib(sk_pipeline: Pipeline) -> None:
    raw = pickle.dumps(sk_pipeline)
    for packed in (gzip.compress(raw), bz2.compress(raw), lzma.compress(raw), zlib.compress(raw)):
        assert detect_format(packed) is ModelFormat.JOBLIB


def test_cloudpickle_is_recognised_by_its_module() -> None:
    assert detect_format(cloudpickle.dumps(ScoresWithALambda())) is ModelFormat.CLOUDPICKLE


def test_module_names_in_data_do_not_change_the_kind() -> None:
    data = pickle.dumps(["torch", "cloudpickle.cloudpickle", "joblib.numpy_pickle"])
    assert detect_format(data) is ModelFormat.PICKLE


def test_torch_zip_and_legacy_pickles() -> None:
    archive = zip_of({"archive/data.pkl": pickle.dumps({"w": 1}), "archive/version": b"3\n"})
    assert detect_format(archive) is ModelFormat.TORCH
    magic = 0x1950A86A20F9469CFC6C
    legacy = pickle.dumps(magic, protocol=2) + pickle.dumps({"w": 1}, protocol=2)
    assert detect_format(legacy) is ModelFormat.TORCH


def test_the_safe_formats(
    sk_pipeline: Pipeline,
    lgb_booster: lgb.Booster,
    xgb_classifier: xgb.XGBClassifier,
    onnx_model: onnx.ModelProto,
) -> None:
    booster = xgb_classifier.get_booster()
    assert detect_format(sio.dumps(sk_pipeline)) is ModelFormat.SKOPS
    assert detect_format(onnx_model.SerializeToString()) is ModelFormat.ONNX
    assert detect_format(lgb_booster.model_to_string().encode()) is ModelFormat.LIGHTGBM_TEXT
    assert detect_format(bytes(booster.save_raw("json"))) is ModelFormat.XGBOOST_JSON
    assert detect_format(bytes(booster.save_raw("ubj"))) is ModelFormat.XGBOOST_UBJSON
    assert not any(f.unsafe for f in (ModelFormat.SKOPS, ModelFormat.ONNX, ModelFormat.UNKNOWN))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x80", b"\x80\x04", b"PK\x03\x04broken", b"tree\n", b"{}", b"\x08\x07", b"N", b"."],
)
def test_fragments_are_unknown(data: bytes) -> None:
    assert detect_format(data) is ModelFormat.UNKNOWN


def test_a_folder_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="regular model file"):
        detect_format(tmp_path)
    with pytest.raises(Invalid, match="regular model file"):
        detect_format(tmp_path / "absent.pkl")


def test_unsafe_formats_are_the_pickle_family() -> None:
    assert {f.value for f in UNSAFE_FORMATS} == {"pickle", "joblib", "cloudpickle", "torch"}
    assert all(f.unsafe and f.description for f in UNSAFE_FORMATS)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_get_a_format_and_never_an_exception(data: bytes) -> None:
    assert isinstance(detect_format(data), ModelFormat)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    ),
    st.integers(min_value=0, max_value=pickle.HIGHEST_PROTOCOL),
)
def test_any_pickled_value_is_seen_as_a_pickle(value: object, protocol: int) -> None:
    assert detect_format(pickle.dumps(value, protocol=protocol)) is ModelFormat.PICKLE
