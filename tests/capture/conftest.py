"""Fixtures of the capture tests: a home with a capture bucket, writers on a switchable store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from capture_helpers import BUCKET, CAPTURE_KEY, Switch

from bastion.capture import CaptureWriter, StoreSink
from bastion.gate import RequestContext
from bastion.sdk import Bastion


@pytest.fixture
def capture_key(bastion: Bastion) -> str:
    """A customer key aliased alias/fraud-capture; returns its ARN."""
    meta = bastion.keys.create_key(description="capture")
    bastion.keys.create_alias(CAPTURE_KEY, meta.key_id)
    return str(meta.arn)


@pytest.fixture
def capture_bucket(bastion: Bastion) -> str:
    bastion.store.create_bucket(BUCKET)
    return BUCKET


@pytest.fixture
def make_writer(
    bastion: Bastion, capture_bucket: str, tmp_path: Path
) -> Iterator[Callable[..., tuple[CaptureWriter, Switch]]]:
    """``make_writer(**options)``: a writer whose log is under tmp_path/wal, shipping through
    the home's store behind a :class:`Switch`; its drops go to the home's metrics."""
    made: list[CaptureWriter] = []
    context = RequestContext(invoked_by="sagemaker.amazonaws.com")

    def publish(namespace: str, data: Any) -> object:
        return bastion.metrics.put_metric_data(namespace, list(data), context=context)

    def make(**options: Any) -> tuple[CaptureWriter, Switch]:
        sink = Switch(StoreSink(bastion.store, context=context))
        options.setdefault("ship_interval_seconds", 3600.0)
        writer = CaptureWriter(
            wal_dir=tmp_path / "wal",
            sink=sink,
            clock=bastion.runtime.clock,
            publish=publish,
            **options,
        )
        made.append(writer)
        return writer, sink

    yield make
    for writer in made:
        writer.close(ship=False)
