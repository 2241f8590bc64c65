"""The top of an HNSW graph, scored exactly where that is cheaper than walking it.

A query's greedy descent spends at least one step (one numpy product and a
handful of other calls, each with a fixed cost inside Pyodide) on every
upper layer, even on the top layers that hold only a few nodes. Scoring all
nodes of the lowest layer ``L >= 1`` that holds at most
:data:`TOP_EXACT_ROWS` nodes (every node whose level is ``>= L``) in one
product gives the best node of layer ``L`` exactly, where the greedy walk
through layers ``max .. L`` gives a local optimum of it, for one call
instead of several. The walk then goes on greedily below ``L``.

The set is a function of the node levels only: it is cached and dropped
whenever a node of level ``>= L`` is inserted (``L`` or the set may change)
or any node is removed (``L`` may drop), so a search never depends on the
history of the index (an index loaded from a snapshot searches the same).
Inserting a node below ``L`` leaves both unchanged: it adds to the counts of
layers below ``L`` only, which already exceed the limit.
"""

from __future__ import annotations

import numpy as np

#: Most nodes scored exactly at the top: about as many gathered rows as one
#: product scores in the time of one greedy step inside Pyodide (BENCHMARKS.md,
#: bench_hnsw).
TOP_EXACT_ROWS = 64


class TopLayers:
    """Cache of ``(L, slots with level >= L)`` for levels ``levels[:high]`` (-1 = free)."""

    def __init__(self) -> None:
        self._layer = 0
        self._slots: np.ndarray | None = None

    def get(self, levels: np.ndarray) -> tuple[int, np.ndarray]:
        """Return ``(L, slots)``: the lowest ``L >= 1`` with at most :data:`TOP_EXACT_ROWS` nodes at level ``>= L``.

        ``slots`` (ascending, int64) are those nodes; with no such layer (no
        upper layer, or more nodes than that share the top level) ``slots``
        is empty.
        """
        if self._slots is None:
            counts = np.bincount(levels[levels >= 1]) if levels.shape[0] else np.zeros(0, dtype=np.int64)
            at_or_above = np.cumsum(counts[::-1])[::-1]
            fitting = np.flatnonzero(at_or_above[1:] <= TOP_EXACT_ROWS)
            if fitting.shape[0]:
                self._layer = int(fitting[0]) + 1
                self._slots = np.flatnonzero(levels >= self._layer)
            else:  # a new node above the top level is the first that could make a layer fit
                self._layer = max(1, counts.shape[0])
                self._slots = np.zeros(0, dtype=np.int64)
        return self._layer, self._slots

    def inserted(self, level: int) -> None:
        """Note that a node of ``level`` was inserted."""
        if level >= self._layer:
            self._slots = None

    def removed(self) -> None:
        """Note that a node was removed."""
        self._slots = None
