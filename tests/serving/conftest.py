"""Fixtures for the serving tests: an Approved fraud model in the registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from bastion.sdk import Bastion

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "lending_club.csv.gz"
FEATURES = ["funded_amnt", "int_rate", "annual_inc", "inq_last_6mths"]
GROUP = "fraud"


@pytest.fixture(scope="session")
def rows() -> pd.DataFrame:
    return pd.read_csv(DATA, usecols=[*FEATURES, "label"], nrows=1500).dropna()


@pytest.fixture(scope="session")
def model(rows: pd.DataFrame) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(
        rows[FEATURES], rows["label"]
    )


@pytest.fixture
def approved(bastion: Bastion, model: Pipeline, rows: pd.DataFrame) -> Bastion:
    """``bastion`` with versions 1 (Approved) and 2 (Pending) of group ``fraud``."""
    bastion.registry.create_model_package_group(GROUP)
    bastion.registry.register_model(GROUP, model=model, training_data=rows[FEATURES])
    bastion.registry.approve(GROUP, 1, reason="ok")
    bastion.registry.register_model(GROUP, model=model, training_data=rows[FEATURES])
    return bastion
