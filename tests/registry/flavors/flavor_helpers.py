"""Helpers shared by the flavor tests: damaging files, writing crafted archives."""

from __future__ import annotations

import io
import zipfile

import numpy as np


def flip_digits(data: bytes, *, seed: int, count: int = 3) -> bytes:
    """``data`` with ``count`` ASCII digits replaced by other digits (indices, sizes, numbers)."""
    rng = np.random.default_rng(seed)
    buffer = bytearray(data)
    digits = [i for i, b in enumerate(buffer) if 48 <= b <= 57]
    for i in rng.choice(digits, size=count, replace=False):
        buffer[i] = 48 + (buffer[i] - 48 + int(rng.integers(1, 10))) % 10
    return bytes(buffer)


def cuts(data: bytes, *, parts: int = 12) -> list[bytes]:
    """``data`` cut short at ``parts`` places from the first byte to the last but one."""
    return [data[: len(data) * k // parts] for k in range(parts)] + [data[:-1]]


def zip_of(members: dict[str, bytes]) -> bytes:
    """A zip archive holding ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
