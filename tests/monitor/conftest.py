"""Fixtures of the monitoring tests (data helpers are in monitor_helpers)."""

from __future__ import annotations

import pytest
from monitor_helpers import BASELINE, BUCKET, csv_bytes, training

from bastion.sdk import Bastion


@pytest.fixture
def stored(bastion: Bastion) -> Bastion:
    """A home with bucket fraud-data holding train/train.csv and its baseline (no header rows
    for capture: the baseline is over the three features in capture order)."""
    bastion.store.create_bucket(BUCKET)
    bastion.store.put_object(BUCKET, "train/train.csv", csv_bytes(training()))
    bastion.monitor.suggest_baseline(f"s3://{BUCKET}/train/", output_uri=BASELINE)
    return bastion
