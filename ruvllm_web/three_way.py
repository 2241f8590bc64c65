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

_Number = TypeVar("_Number", int, float)


def three_way(mine: _Number, theirs: _Number, base: _Number) -> _Number:
    """``mine + theirs - base``: both changes since ``base``; exactly the changed one when only one changed."""
    if mine == base:
        return theirs
    if theirs == base:
        return mine
    return mine + theirs - base
