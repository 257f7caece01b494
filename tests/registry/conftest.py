"""Fixtures for the registry tests: real Lending Club rows and a small real model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "lending_club.csv.gz"
FEATURES = ["funded_amnt", "int_rate", "annual_inc", "delinq_2yrs", "inq_last_6mths", "revol_util"]


@pytest.fixture(scope="session")
def loans() -> pd.DataFrame:
    """Real loans (the first 2,000 rows without missing values): six numeric features and the
    0/1 ``label``."""
    return pd.read_csv(DATA, usecols=[*FEATURES, "label"], nrows=2200).dropna().head(2000)


@pytest.fixture(scope="session")
def features(loans: pd.DataFrame) -> pd.DataFrame:
    return loans[FEATURES]


@pytest.fixture(scope="session")
def sk_model(loans: pd.DataFrame) -> Pipeline:
    """A scikit-learn pipeline (scale, logistic regression) fitted on the loans."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return model.fit(loans[FEATURES], loans["label"])
