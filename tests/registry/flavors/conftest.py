"""Small real models trained on Lending Club loans, one per flavor, and helpers to save them."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnx
import pandas as pd
import pytest
import xgboost as xgb
from skl2onnx import to_onnx  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline, make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "lending_club.csv.gz"
LOAN_FEATURES = [
    "funded_amnt",
    "int_rate",
    "annual_inc",
    "delinq_2yrs",
    "inq_last_6mths",
    "revol_util",
    "open_il_12m",
    "total_bal_il",
    "all_util",
    "inq_last_12m",
]


@pytest.fixture(scope="session")
def loans_frame() -> pd.DataFrame:
    """3,000 real loans: ten numeric features and the 0/1 ``label`` (5 % bad)."""
    return pd.read_csv(DATA, usecols=[*LOAN_FEATURES, "label"], nrows=3000)


@pytest.fixture(scope="session")
def loans_x(loans_frame: pd.DataFrame) -> pd.DataFrame:
    return loans_frame[LOAN_FEATURES]


@pytest.fixture(scope="session")
def loans_y(loans_frame: pd.DataFrame) -> pd.Series:
    return loans_frame["label"]


@pytest.fixture(scope="session")
def sk_pipeline(loans_x: pd.DataFrame, loans_y: pd.Series) -> Pipeline:
    """Scaler + logistic regression: every type in skops's default trusted list."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(loans_x, loans_y)


@pytest.fixture(scope="session")
def lgb_booster(loans_x: pd.DataFrame, loans_y: pd.Series) -> lgb.Booster:
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 1}
    return lgb.train(params, lgb.Dataset(loans_x, loans_y), num_boost_round=15)


@pytest.fixture(scope="session")
def xgb_classifier(loans_x: pd.DataFrame, loans_y: pd.Series) -> xgb.XGBClassifier:
    model = xgb.XGBClassifier(n_estimators=15, max_depth=3, random_state=1, n_jobs=1)
    return model.fit(loans_x, loans_y)


@pytest.fixture(scope="session")
def onnx_model(sk_pipeline: Pipeline, loans_x: pd.DataFrame) -> onnx.ModelProto:
    """The scikit-learn pipeline converted by skl2onnx (one float matrix input)."""
    sample = loans_x.iloc[:1].to_numpy(np.float32)
    model: onnx.ModelProto = to_onnx(sk_pipeline, sample, options={"zipmap": False})
    return model
