"""Every event a room declares is documented in docs/events.md (in a clean process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"

_LIST = """
import json, bastion.sdk, bastion.cli
from bastion.events import declared_events
print(json.dumps([e.kind for e in declared_events()]))
"""


def test_every_declared_event_is_documented() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _LIST], check=True, capture_output=True, text=True
    ).stdout
    kinds = json.loads(out)
    assert "store.ObjectCreated" in kinds
    text = DOCS.read_text()
    missing = [k for k in kinds if f"`{k}`" not in text]
    assert missing == [], f"document these events in docs/events.md: {missing}"
