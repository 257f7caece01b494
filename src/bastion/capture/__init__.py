"""Data capture: SageMaker capture records, made durable before the response, shipped to the store.

Serving calls :meth:`CaptureWriter.capture` once per invocation; the record (request and response
in one SageMaker capture line, sampled by inference id, redacted) is in the process's write-ahead
log before the call returns, and a background shipper puts hourly parts under the endpoint's
DestinationS3Uri (``{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/{part}.jsonl``, encrypted) —
exactly what the monitor's capture reader reads. See docs/capture.md.
"""

from bastion.capture._models import ON_FAILURE, CaptureSpec
from bastion.capture._record import REDACTED, capture_record, part_key, payload, sampled
from bastion.capture._shipper import CaptureSink, ShipReport, StoreSink
from bastion.capture._writer import (
    DROPPED_METRIC,
    NAMESPACE,
    CaptureWriter,
    capture_writer,
)

__all__ = [
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
