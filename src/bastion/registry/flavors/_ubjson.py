"""A strict UBJSON reader for XGBoost's ``.ubj`` models, so XGBoost's own reader only ever sees
a file this reader has accepted whole (a truncated one crashes XGBoost with a segmentation fault).

Only what XGBoost writes is accepted: big-endian numbers, strings, booleans and null, objects
without a container header and unique keys, arrays plain, ``#`` counted, or ``$`` typed numeric
(which become numpy arrays). Every length is checked against the bytes left and nesting is
bounded, so any input ends in a value or a :class:`ValueError`.
"""

from __future__ import annotations

import struct
from typing import Any

MAX_DEPTH = 64
_NUMBERS = {  # marker -> struct code (numpy reads the same codes)
    ord("i"): ">b",
    ord("U"): ">B",
    ord("I"): ">h",
    ord("l"): ">i",
    ord("L"): ">q",
    ord("d"): ">f",
    ord("D"): ">d",
}
_SIZES = {marker: struct.calcsize(code) for marker, code in _NUMBERS.items()}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ValueError(f"UBJSON cut short at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def marker(self) -> int:
        return self.take(1)[0]

    def number(self, marker: int) -> int | float:
        code = _NUMBERS.get(marker)
        if code is None:
            raise ValueError(f"UBJSON marker {chr(marker)!r} is not a number at byte {self.pos}")
        value: int | float = struct.unpack(code, self.take(_SIZES[marker]))[0]
        return value

    def length(self, marker: int | None = None) -> int:
        value = self.number(self.marker() if marker is None else marker)
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"UBJSON length {value!r} at byte {self.pos}")
        return value

    def text(self) -> str:
        return self.take(self.length()).decode("utf-8")

    def value(self, marker: int, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(f"UBJSON nested deeper than {MAX_DEPTH}")
        if marker in _NUMBERS:
            return self.number(marker)
        if marker == ord("S"):
            return self.text()
        if marker in (ord("T"), ord("F"), ord("Z")):
            return {ord("T"): True, ord("F"): False, ord("Z"): None}[marker]
        if marker == ord("["):
            return self.array(depth)
        if marker == ord("{"):
            return self.object(depth)
        raise ValueError(f"UBJSON marker {chr(marker)!r} unknown at byte {self.pos - 1}")

    def header(self) -> tuple[int | None, int | None]:
        """A container's optional ``$type`` and ``#count``."""
        kind = count = None
        if self.data[self.pos : self.pos + 1] == b"$":
            self.pos += 1
            kind = self.marker()
            if self.marker() != ord("#"):
                raise ValueError("UBJSON typed container without a count")
            count = self.length()
        elif self.data[self.pos : self.pos + 1] == b"#":
            self.pos += 1
            count = self.length()
        return kind, count

    def array(self, depth: int) -> Any:
        import numpy as np

        kind, count = self.header()
        if kind is not None and count is not None:
            if kind not in _NUMBERS:
                raise ValueError("UBJSON typed arrays must hold numbers")
            raw = self.take(count * _SIZES[kind])
            dtype = np.dtype(_NUMBERS[kind])
            return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
        items: list[Any] = []
        if count is not None:
            if count > len(self.data) - self.pos:
                raise ValueError(f"UBJSON array of {count} items longer than the file")
            for _ in range(count):
                items.append(self.value(self.marker(), depth + 1))
            return items
        while (marker := self.marker()) != ord("]"):
            items.append(self.value(marker, depth + 1))
        return items

    def object(self, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while (marker := self.marker()) != ord("}"):
            key = self.take(self.length(marker)).decode("utf-8")
            if key in result:
                raise ValueError(f"UBJSON object repeats the key {key!r}")
            result[key] = self.value(self.marker(), depth + 1)
        return result


def decode(data: bytes) -> Any:
    """The value UBJSON ``data`` holds; ValueError (or UnicodeDecodeError) when it holds none."""
    reader = _Reader(data)
    value = reader.value(reader.marker(), 0)
    if reader.pos != len(data):
        raise ValueError(f"UBJSON has {len(data) - reader.pos} bytes after its value")
    return value


__all__ = ["decode"]
