"""How an HNSW index finds the nodes nearest a query: the exact scan, the greedy descent, the beam.

Every function ranks by the internal score ``stored_row @ query_row``
(:mod:`ruvllm_web.hnsw.metric`), higher is better, and works on the index's
arrays as given: ``stored`` ``(capacity, width)`` float32 rows, the links
(:class:`~ruvllm_web.hnsw.links.HnswLinks`, rows padded with -1) and the
``unvisited`` marks (:func:`unvisited_mask`).

The loop is designed for Pyodide, where each numpy call costs microseconds
whatever its size: the few nodes of the top layers are scored with one
product (:mod:`ruvllm_web.hnsw.top`), the layers below them are walked
greedily (one product over a node's link row per step). On the bottom layer
each step takes up to :func:`expansion_batch` unexpanded nodes that still
beat the worst kept result, gathers their padded link rows at once, drops
visited nodes with one gather from a boolean "unvisited" mask (the padding -1
indexes a sentinel slot that is never unvisited; a search clears the marks it
set, all at once, when it ends), scores the rest with one
``(n, width) @ (width,)`` product against the negated query, keeps those
below the worst kept negated score, and merges them into the kept list (a
sorted list of ``(-score, slot)`` trimmed to ``ef``) and the frontier (the
kept entries not yet expanded) with C-level list operations.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable

import numpy as np

from ruvllm_web.hnsw.links import HnswLinks
from ruvllm_web.hnsw.row_scores import row_dots

#: A beam of width ``ef`` expands up to ``min(MAX_EXPANSION_BATCH, 3 + ef // 16)``
#: nodes per step: fewer steps cost fewer numpy calls, larger batches expand
#: nodes a smaller one would have dropped. Narrow search beams do best with a
#: few nodes per step, wide insert beams (``ef_construction >= 80``) with 8
#: (BENCHMARKS.md, bench_hnsw).
MAX_EXPANSION_BATCH = 8

#: A beam's entries and results: ``(-score, slot)``, so ascending order is best first.
Found = list[tuple[float, int]]


def expansion_batch(ef: int) -> int:
    """Nodes a beam of width ``ef`` expands together per step (see :data:`MAX_EXPANSION_BATCH`)."""
    return min(MAX_EXPANSION_BATCH, 3 + ef // 16)


def unvisited_mask(capacity: int) -> np.ndarray:
    """All of ``capacity`` slots unvisited, plus the sentinel slot (index -1, the links' padding), never unvisited."""
    mask = np.ones(capacity + 1, dtype=bool)
    mask[-1] = False
    return mask


def exact(
    stored: np.ndarray, ids: np.ndarray, query: np.ndarray, count: int, slots: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Score every live slot (or ``slots``) and return the best ``count`` ``(slots, scores)``, best first.

    ``stored`` and ``ids`` cover the slots in use (``ids`` -1 = free).
    """
    if slots is None:
        scores = row_dots(stored, query)
        scores[ids < 0] = -np.inf
        slots = np.arange(stored.shape[0])
    else:
        scores = row_dots(stored[slots], query)
    if count < scores.shape[0]:
        top = np.argpartition(-scores, count - 1)[:count]
    else:
        top = np.arange(scores.shape[0])
    top = top[np.argsort(-scores[top], kind="stable")]
    return slots[top], scores[top]


def descend(
    stored: np.ndarray,
    upper: dict[int, np.ndarray],
    top_layers: tuple[int, np.ndarray],
    entry: int,
    max_level: int,
    query: np.ndarray,
    floor: int,
) -> Found:
    """Find an entry to layer ``floor`` from the top; return ``[(-score, slot)]``.

    ``top_layers`` is ``(L, slots)`` of :meth:`~ruvllm_web.hnsw.top.TopLayers.get`:
    when ``L`` lies above ``floor`` those slots are scored exactly; below
    them, or from ``entry`` (at ``max_level``) when they do not, each layer
    is walked greedily: move to the best-scoring neighbour (``upper``: the
    links' blocks of layers >= 1) of the current node while it beats the
    current node, one product over the node's link row per step, no heaps, no
    visited marks.
    """
    top_layer, top = top_layers
    if top.shape[0] and top_layer > floor:
        scores = row_dots(stored.take(top, axis=0), query)
        best = int(scores.argmax())
        node, score, layer = int(top[best]), float(scores[best]), top_layer - 1
    else:
        node, layer = entry, max_level
        score = float(row_dots(stored[node : node + 1], query)[0])
    for layer in range(layer, floor, -1):
        while True:
            row = upper[node][layer - 1]
            # The padding -1 gathers the last stored row; its score is skipped below.
            scores = row_dots(stored.take(row, axis=0), query).tolist()
            current = node
            for link, value in zip(row.tolist(), scores):
                if link >= 0 and value > score:  # the first best link that beats the current node
                    node, score = link, value
            if node == current:
                break
    return [(-score, node)]


def beam(
    stored: np.ndarray,
    links: HnswLinks,
    unvisited: np.ndarray,
    query: np.ndarray,
    entries: Found,
    ef: int,
    layer: int,
    allowed: bytes | None,
) -> Found:
    """Beam search of width ``ef`` on ``layer`` from ``entries``; return up to ``ef`` ``(-score, slot)``, best first.

    Entries and results carry *negated* scores, so ascending order is
    best first. Each step expands up to ``expansion_batch(ef)``
    unexpanded nodes that still beat the worst kept score together (see
    ``expand`` below). Without a filter the candidates are the kept
    entries not yet expanded: a sorted Python list (the frontier) beside
    the kept one (at most ``ef`` entries), each step taking the first
    ones and cutting the frontier where the kept list ends, since a
    candidate that falls out of the kept list can never be expanded; no
    heap and no scan over expanded entries. With ``allowed`` (a byte
    per slot, nonzero = admitted) see :func:`_filtered_beam`. The
    ``unvisited`` marks it sets are cleared again before it returns.
    """
    if not entries:
        return []
    entry_slots = [slot for _, slot in entries]
    unvisited[entry_slots] = False
    marked: list[list[int] | np.ndarray] = [entry_slots]
    negated = -query
    layer0, upper = links.layer0, links.upper

    def expand(batch: list[int], worst: float) -> dict[int, float]:
        """Expand the nodes ``batch`` on ``layer``; return ``{slot: -score}`` of their new neighbours below ``worst``.

        One gather of the padded link rows, one gather of their unvisited
        marks (the padding -1 indexes the sentinel slot, never unvisited),
        marking the new ones visited (and appending them to ``marked``), one
        gather of the rows and one product with the negated query for all of them.
        A dict keyed by slot drops slots listed by two nodes of the batch (their
        two scores may differ in the last bit, e.g. under BLAS, so a set of
        ``(score, slot)`` pairs would keep both).
        """
        if layer == 0:
            neighbours = layer0.take(batch, axis=0).ravel()
        else:
            neighbours = np.concatenate([upper[node][layer - 1] for node in batch])
        neighbours = neighbours.compress(unvisited.take(neighbours))
        if not neighbours.shape[0]:
            return {}
        unvisited[neighbours] = False
        marked.append(neighbours)
        scores = row_dots(stored.take(neighbours, axis=0), negated).tolist()
        if worst < math.inf:
            return {slot: score for slot, score in zip(neighbours.tolist(), scores) if score < worst}
        return dict(zip(neighbours.tolist(), scores))

    try:
        if allowed is None:
            return _unfiltered_beam(entries, ef, expand)
        return _filtered_beam(entries, ef, allowed, expand)
    finally:
        unvisited[np.concatenate(marked)] = True


def _unfiltered_beam(entries: Found, ef: int, expand: Callable[[list[int], float], dict[int, float]]) -> Found:
    """The loop of :func:`beam` without a filter."""
    batch_size = expansion_batch(ef)
    kept = sorted(entries)
    del kept[ef:]
    frontier = list(kept)
    worst = kept[-1][0] if len(kept) >= ef else math.inf
    while frontier:
        batch = [slot for _, slot in frontier[:batch_size]]
        del frontier[:batch_size]
        found = expand(batch, worst)
        if found:
            items = list(zip(found.values(), found.keys()))
            kept.extend(items)
            kept.sort()
            del kept[ef:]
            frontier.extend(items)
            frontier.sort()
            if len(kept) >= ef:
                worst = kept[-1][0]
                del frontier[bisect.bisect_right(frontier, kept[-1]) :]
    return kept


def _filtered_beam(
    entries: Found, ef: int, allowed: bytes, expand: Callable[[list[int], float], dict[int, float]]
) -> Found:
    """The loop of :func:`beam` with a filter: every node is walked, only admitted ones are kept.

    Candidates live in a heap of their own, as non-admitted nodes are
    walked but never kept.
    """
    batch_size = expansion_batch(ef)
    candidates = list(entries)
    heapq.heapify(candidates)
    kept = sorted(item for item in entries if allowed[item[1]])
    del kept[ef:]
    worst = kept[-1][0] if len(kept) >= ef else math.inf
    pop = heapq.heappop
    while candidates and candidates[0][0] <= worst:
        batch = [pop(candidates)[1]]
        while candidates and len(batch) < batch_size and candidates[0][0] <= worst:
            batch.append(pop(candidates)[1])
        found = expand(batch, worst)
        for slot, negative in found.items():
            heapq.heappush(candidates, (negative, slot))
            if allowed[slot]:
                kept.append((negative, slot))
        if len(kept) >= ef:
            kept.sort()
            del kept[ef:]
            worst = kept[-1][0]
    kept.sort()
    return kept
