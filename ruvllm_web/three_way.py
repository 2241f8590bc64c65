"""Three-way merges of values that two copies of one state changed since their common ancestor.

A value held as ``m`` by this copy, ``t`` by the other and ``b`` by the
state both copies started from merges to::

    v = m + (t - b) = t + (m - b)

each copy's change since ``b``, applied once. The rules here give exactly
``m`` where ``t == b`` (the other copy left the value alone) and exactly ``t``
where ``m == b``, so merging an unchanged copy changes nothing, bit for bit;
elsewhere ``(m + t) - b`` is computed, whose rounding does not depend on
which copy is "mine": two copies merging each other reach the same values.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from ruvllm_web import snapshot

_Number = TypeVar("_Number", int, float)


def three_way(mine: _Number, theirs: _Number, base: _Number) -> _Number:
    """``mine + theirs - base``: both changes since ``base``; exactly the changed one when only one changed."""
    if mine == base:
        return theirs
    if theirs == base:
        return mine
    return mine + theirs - base


def three_way_count(mine: int, theirs: int, base: int) -> int:
    """:func:`three_way` of a counter, within ``[0, snapshot.MAX_COUNT]`` (what a snapshot holds exactly)."""
    return snapshot.capped(max(0, three_way(mine, theirs, base)))


def three_way_array(mine: np.ndarray, theirs: np.ndarray, base: np.ndarray) -> np.ndarray:
    """:func:`three_way` elementwise, as float64 (exact for float32 inputs wherever one copy kept ``base``)."""
    m, t, b = (np.asarray(value, dtype=np.float64) for value in (mine, theirs, base))
    return np.where(m == b, t, np.where(t == b, m, (m + t) - b))
