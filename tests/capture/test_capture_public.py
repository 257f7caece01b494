"""The capture room's public surface."""

from __future__ import annotations

import bastion.capture


def test_public_surface_is_pinned() -> None:
    assert sorted(bastion.capture.__all__) == sorted(
        [
            "DROPPED_METRIC",
            "NAMESPACE",
            "ON_FAILURE",
            "REDACTED",
            "CaptureSink",
            "CaptureSpec",
            "CaptureWriter",
            "ShipReport",
            "StoreSink",
            "capture_record",
            "capture_writer",
            "part_key",
            "payload",
            "sampled",
        ]
    )
    assert all(hasattr(bastion.capture, name) for name in bastion.capture.__all__)


def test_serving_config_is_a_capture_spec() -> None:
    from bastion.serving import DataCaptureConfig

    config: bastion.capture.CaptureSpec = DataCaptureConfig(destination_s3_uri="s3://b/p")
    assert config.on_failure in bastion.capture.ON_FAILURE
