"""The HNSW neighbour-selection heuristic (Malkov & Yashunin, Algorithm 4).

Given candidates sorted best first by closeness to a base element b, walk
them in that order and keep candidate e only if e is closer to b than to
every candidate already kept. This keeps links that point in different
directions instead of many links into one cluster, which is what keeps the
graph navigable on clustered data. Neither of the paper's optional
extensions (extendCandidates, keepPrunedConnections) is used, as in hnswlib.

Duplicates of the base (candidates whose stored row equals the base's) are
the one case the paper's test gets wrong: such a candidate lies at the base,
so no other candidate can be closer to the base than to it, and keeping one
would reject every later candidate, leaving the base linked to its copies
only. A set of identical vectors then becomes a trap that a search entering
it cannot leave. So a copy of the base is kept without rejecting anyone, and
at most ``limit // 2`` copies are kept (at least one), leaving room for
links that lead elsewhere. When there are more copies than that, the ones
whose slots lie nearest the base's are kept: every copy then links to its
neighbours in slot order, a band in which each copy keeps in-links (keeping
the first copies found instead left the newest copy with none once a vector
had more copies than half a list). Without duplicates the choice is the
paper's.

Vectorised form: ``best_other[i]`` holds max over kept r of closeness(i, r).
Keeping r raises it for the candidates after r with one matrix-vector
product, so the cost is one ``(c, width) @ (width,)`` product per kept
neighbour rather than a Python loop over candidate pairs. A candidate once
rejected stays rejected, because ``best_other`` only grows.
"""

from __future__ import annotations

import numpy as np

from ruvllm_web.hnsw.metric import Metric


def select_neighbours(
    rows: np.ndarray,
    scores: np.ndarray,
    offset: float,
    limit: int,
    metric: Metric,
    base: np.ndarray,
    slots: np.ndarray,
    base_slot: int,
) -> np.ndarray:
    """Choose at most ``limit`` neighbours of a base element.

    Parameters
    ----------
    rows : ndarray, shape (c, width), float32
        Stored rows of the candidates, sorted best first.
    scores : ndarray, shape (c,), float32
        Their internal scores against the base (descending).
    offset : float
        The base's offset from :meth:`Metric.as_query`, which puts
        ``scores`` on the same scale as :meth:`Metric.pair_scores`.
    limit : int
        Most neighbours to keep.
    metric : Metric
    base : ndarray, shape (width,), float32
        The base's stored row (to recognise its exact duplicates).
    slots : ndarray, shape (c,), int
        The candidates' slots, and ``base_slot`` the base's: which copies
        of the base are kept when there are too many (the nearest slots).

    Returns
    -------
    ndarray, shape (<= limit,), int64
        Indices into ``rows`` of the kept candidates, best first. With at
        most ``limit`` candidates all are kept (nothing needs pruning).
    """
    count = scores.shape[0]
    if count <= limit:
        return np.arange(count)
    closeness_to_base = scores + np.float32(offset) if offset else scores
    best_other = np.full(count, -np.inf, dtype=np.float32)
    duplicate = copies_of(rows, base)
    kept_copy = _copies_to_keep(duplicate, max(1, limit // 2), slots, base_slot)
    kept: list[int] = []
    start = 0
    while len(kept) < limit and start < count:
        admissible = closeness_to_base[start:] > best_other[start:]
        first = int(admissible.argmax())
        if not admissible[first]:
            break
        chosen = start + first
        start = chosen + 1
        if duplicate[chosen]:  # at the base: kept (within its budget), rejects nobody
            if kept_copy[chosen]:
                kept.append(chosen)
            continue
        kept.append(chosen)
        if start < count:
            tail = best_other[start:]
            np.maximum(tail, metric.pair_scores(rows[start:], rows[chosen]), out=tail)
    return np.array(kept, dtype=np.int64)


def _copies_to_keep(duplicate: np.ndarray, quota: int, slots: np.ndarray, base_slot: int) -> np.ndarray:
    """``(c,)`` bool: the copies of the base that may be kept, at most ``quota``, nearest ``base_slot`` first."""
    copies = np.flatnonzero(duplicate)
    if copies.shape[0] <= quota:
        return duplicate
    nearest = copies[np.argsort(np.abs(slots[copies] - base_slot), kind="stable")[:quota]]
    keep = np.zeros_like(duplicate)
    keep[nearest] = True
    return keep


def copies_of(rows: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``(c,)`` bool: which ``rows`` equal ``base`` exactly (the first column screens, then whole rows)."""
    duplicate = np.zeros(rows.shape[0], dtype=bool)
    same_first = np.flatnonzero(rows[:, 0] == base[0])
    if same_first.shape[0]:
        duplicate[same_first] = (rows[same_first] == base).all(axis=1)
    return duplicate
