"""Mergeable sketches: KLL quantile sketches (Apache DataSketches) and a HyperLogLog counter.

A ``Kll`` keeps the compactor levels of a KLL sketch, level 0 first, where an item on level ``h``
stands for ``2**h`` values: exactly the ``sketch.data`` shape of SageMaker's statistics.json.
Sketches are built in bulk from a sorted column (``Kll.from_sorted``: one vectorised compaction of
sorted data per level, the tightest compaction KLL allows) and merged by Apache DataSketches'
``kll_doubles_sketch.merge``; the two meet through DataSketches' serialised form, which this
module writes and reads (``_to_bytes``/``_from_bytes``). Queries (ranks, CDFs, quantiles) run on
the weighted items directly, so sketches written by SageMaker (Deequ's KLL, ``c = 0.64``) answer
them too.

``Hll`` is a HyperLogLog with 2**12 registers over 64-bit hashes (Pandas' stable SipHash), used
for the distinct count of a text column once it has more values than a profile tracks exactly.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import datasketches
import numpy as np
import numpy.typing as npt
import pandas as pd

from bastion.errors import Invalid

F64 = npt.NDArray[np.float64]

KLL_K = 2048
"""Sketch size: Deequ's default (SageMaker's files carry ``k = 2048``)."""
DATASKETCHES_C = 2.0 / 3.0
"""Capacity shrink factor of Apache DataSketches' KLL (Deequ's is 0.64)."""
_M = 8  # DataSketches' minimum level width
_FAMILY = 15
_EMPTY, _SORTED, _SINGLE = 1, 2, 4


def _level_capacity(k: int, num_levels: int, height: int) -> int:
    depth = num_levels - height - 1
    # DataSketches' int_cap_aux: round(k * (2/3)**depth), computed in integers.
    cap = _cap(k, depth) if depth <= 30 else _cap(_cap(k, depth // 2), depth - depth // 2)
    return max(_M, cap)


def _cap(k: int, depth: int) -> int:
    power: int = 3**depth
    return ((((2 * k) << depth) // power) + 1) >> 1


@functools.lru_cache(maxsize=4096)
def _total_capacity(k: int, num_levels: int) -> int:
    return sum(_level_capacity(k, num_levels, h) for h in range(num_levels))


@dataclass(frozen=True, kw_only=True, eq=False)
class Kll:
    """A KLL quantile sketch: compactor ``levels`` (level 0 first) and its ``k`` and ``c``."""

    k: int = KLL_K
    c: float = DATASKETCHES_C
    levels: tuple[F64, ...] = ()

    @property
    def n(self) -> int:
        """How many values the sketch stands for (the sum of the item weights)."""
        return sum(len(level) << h for h, level in enumerate(self.levels))

    @property
    def num_retained(self) -> int:
        """How many items the sketch keeps."""
        return sum(len(level) for level in self.levels)

    @property
    def is_exact(self) -> bool:
        """True while every item weighs 1 (no compaction yet): queries are exact."""
        return all(len(level) == 0 for level in self.levels[1:])

    @property
    def rank_error(self) -> float:
        """DataSketches' single-sided normalised rank error bound (99 % confidence); 0 if exact."""
        if self.is_exact:
            return 0.0
        return float(2.296 / self.k**0.9723)

    @classmethod
    def from_sorted(cls, values: F64, *, k: int = KLL_K, rng: np.random.Generator) -> Kll:
        """Build a sketch from sorted finite values in one vectorised pass.

        Each step halves the whole sorted level with a random offset (an odd item out stays on
        its level), as a KLL compactor does, until the top level holds at most ``k`` items.
        """
        levels: list[F64] = []
        current = np.asarray(values, dtype=np.float64)
        while len(current) > k:
            if len(current) % 2:
                levels.append(current[:1].copy())
                current = current[1:]
            else:
                levels.append(np.empty(0, dtype=np.float64))
            current = current[int(rng.integers(0, 2)) :: 2]
        levels.append(np.array(current, dtype=np.float64))
        return cls(k=k, c=DATASKETCHES_C, levels=tuple(levels))

    @classmethod
    def from_levels(cls, levels: Sequence[Sequence[float]], *, k: int, c: float) -> Kll:
        """A sketch from stored levels (e.g. SageMaker's ``sketch.data``); items must be finite."""
        arrays = tuple(np.sort(np.asarray(level, dtype=np.float64)) for level in levels)
        return cls(k=k, c=c, levels=arrays)

    def merge(self, other: Kll) -> Kll:
        """The sketch of both streams, merged by Apache DataSketches."""
        return merge_all([self, other])

    # -- DataSketches' serialised form -------------------------------------------------------

    def _to_bytes(self) -> bytes:
        levels = list(self.levels)
        while levels and len(levels[-1]) == 0:
            levels.pop()
        if not levels:
            return struct.pack("<BBBBHBB", 2, 1, _FAMILY, _EMPTY, self.k, _M, 0)
        k = max(_M, min(self.k, 65535))
        num_levels = len(levels)
        retained = sum(len(level) for level in levels)
        if _total_capacity(k, num_levels) < retained:
            # A stored sketch (another KLL's shrink factor) may hold more items than DataSketches
            # allows for its k: a larger k gives the room, and changes no weight.
            k = min(65535, retained)
            if _total_capacity(k, num_levels) < retained:
                raise Invalid(
                    "sketch.data",
                    got=f"{retained} items",
                    expected="a KLL sketch of at most 65535 items per level",
                )
        capacity = _total_capacity(k, num_levels)
        offsets = [capacity - retained]
        for level in levels[:-1]:
            offsets.append(offsets[-1] + len(level))
        items = np.concatenate([np.sort(level) for level in levels])
        header = struct.pack(
            "<BBBBHBBQHBB", 5, 1, _FAMILY, _SORTED, k, _M, 0, self.n, k, num_levels, 0
        )
        return b"".join(
            [
                header,
                struct.pack(f"<{num_levels}I", *offsets),
                struct.pack("<dd", float(items.min()), float(items.max())),
                items.astype("<f8").tobytes(),
            ]
        )

    # -- queries ---------------------------------------------------------------------------

    @cached_property
    def _sorted(self) -> tuple[F64, F64, F64]:
        """Items sorted, their weights, and cumulative weights as fractions of ``n``."""
        if self.num_retained == 0:
            return np.empty(0), np.empty(0), np.empty(0)
        items = np.concatenate(self.levels)
        weights = np.concatenate(
            [np.full(len(level), float(1 << h)) for h, level in enumerate(self.levels)]
        )
        order = np.argsort(items, kind="stable")
        cumulative = np.cumsum(weights[order])
        return items[order], weights[order], cumulative / cumulative[-1]

    @property
    def items(self) -> F64:
        """The retained items in ascending order."""
        return self._sorted[0]

    @property
    def weights(self) -> F64:
        """The weight (values stood for) of each item of ``items``."""
        return self._sorted[1]

    def weight_at_or_below(self, points: F64) -> F64:
        """How many values are ``<= points`` (exact sums of item weights)."""
        items, weights, _ = self._sorted
        cumulative = np.concatenate([[0.0], np.cumsum(weights)])
        index = np.searchsorted(items, np.asarray(points, dtype=np.float64), side="right")
        return np.asarray(cumulative[index], dtype=np.float64)

    def cdf(self, points: F64, *, inclusive: bool = True) -> F64:
        """Fraction of values ``<= points`` (``< points`` when not inclusive)."""
        items, _, fractions = self._sorted
        if len(items) == 0:
            return np.full(np.shape(points), np.nan)
        side: Literal["left", "right"] = "right" if inclusive else "left"
        index = np.searchsorted(items, np.asarray(points, dtype=np.float64), side=side)
        padded = np.concatenate([[0.0], fractions])
        return np.asarray(padded[index], dtype=np.float64)

    def quantiles(self, fractions: F64) -> F64:
        """The smallest items whose inclusive rank reaches each fraction."""
        items, _, cumulative = self._sorted
        if len(items) == 0:
            return np.full(np.shape(fractions), np.nan)
        index = np.searchsorted(cumulative, np.asarray(fractions) - 1e-12, side="left")
        return np.asarray(items[np.minimum(index, len(items) - 1)], dtype=np.float64)


def merge_all(sketches: Sequence[Kll]) -> Kll:
    """One sketch of all the streams, merged by Apache DataSketches."""
    filled = [s for s in sketches if s.levels and s.n]
    if not filled:
        return sketches[0] if sketches else Kll()
    if len(filled) == 1:
        return filled[0]
    union = datasketches.kll_doubles_sketch.deserialize(filled[0]._to_bytes())
    for sketch in filled[1:]:
        union.merge(datasketches.kll_doubles_sketch.deserialize(sketch._to_bytes()))
    return _from_bytes(union.serialize())


def _from_bytes(blob: bytes) -> Kll:
    preamble, serial, family, flags, k, _m, _ = struct.unpack_from("<BBBBHBB", blob, 0)
    if family != _FAMILY:
        raise ValueError("not a KLL sketch")
    if flags & _EMPTY:
        return Kll(k=k, c=DATASKETCHES_C, levels=())
    if flags & _SINGLE:
        (item,) = struct.unpack_from("<d", blob, 8)
        return Kll(k=k, c=DATASKETCHES_C, levels=(np.array([item]),))
    _n, _min_k, num_levels, _ = struct.unpack_from("<QHBB", blob, 8)
    offsets = list(struct.unpack_from(f"<{num_levels}I", blob, 20))
    start = 20 + 4 * num_levels + 16
    items = np.frombuffer(blob, dtype="<f8", offset=start).astype(np.float64)
    bounds = [o - offsets[0] for o in offsets] + [len(items)]
    levels = tuple(np.sort(items[bounds[h] : bounds[h + 1]]) for h in range(num_levels))
    del preamble, serial
    return Kll(k=k, c=DATASKETCHES_C, levels=levels)


HLL_P = 12
_HLL_M = 1 << HLL_P


def hash_strings(values: Sequence[str] | npt.NDArray[np.object_]) -> npt.NDArray[np.uint64]:
    """Stable 64-bit hashes of strings (Pandas' SipHash with its fixed key)."""
    array = np.asarray(values, dtype=object)
    return np.asarray(pd.util.hash_array(array, categorize=False), dtype=np.uint64)


@dataclass(frozen=True, kw_only=True, eq=False)
class Hll:
    """HyperLogLog registers (``2**12`` of them, standard error about 1.6 %)."""

    registers: npt.NDArray[np.uint8] = field(
        default_factory=lambda: np.zeros(_HLL_M, dtype=np.uint8)
    )

    @classmethod
    def from_hashes(cls, hashes: npt.NDArray[np.uint64]) -> Hll:
        """Registers for a set of 64-bit hashes."""
        registers = np.zeros(_HLL_M, dtype=np.uint8)
        if len(hashes):
            index = (hashes & np.uint64(_HLL_M - 1)).astype(np.intp)
            rest = hashes >> np.uint64(HLL_P)  # 52 bits, exact in a float64
            _, exponent = np.frexp(rest.astype(np.float64))  # bit length (0 for rest == 0)
            rho = (64 - HLL_P) - exponent + 1
            np.maximum.at(registers, index, rho.astype(np.uint8))
        return cls(registers=registers)

    @classmethod
    def from_strings(cls, values: Sequence[str] | npt.NDArray[np.object_]) -> Hll:
        """Registers for a set of strings."""
        return cls.from_hashes(hash_strings(values))

    def merge(self, other: Hll) -> Hll:
        """The union of both sets."""
        return Hll(registers=np.maximum(self.registers, other.registers))

    def estimate(self) -> float:
        """Estimated number of distinct items (with linear counting for small sets)."""
        m = float(_HLL_M)
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.exp2(-self.registers.astype(np.float64))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            return m * float(np.log(m / zeros))
        return raw
