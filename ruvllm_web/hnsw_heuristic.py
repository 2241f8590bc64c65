"""The HNSW neighbour-selection heuristic (Malkov & Yashunin, Algorithm 4).

Given candidates sorted best first by closeness to a base element b, walk
them in that order and keep candidate e only if e is closer to b than to
every candidate already kept. This keeps links that point in different
directions instead of many links into one cluster, which is what keeps the
graph navigable on clustered data. Neither of the paper's optional
extensions (extendCandidates, keepPrunedConnections) is used, as in hnswlib.

Vectorised form: ``best_other[i]`` holds max over kept r of closeness(i, r).
Keeping r raises it for the candidates after r with one matrix-vector
product, so the cost is one ``(c, width) @ (width,)`` product per kept
neighbour rather than a Python loop over candidate pairs. A candidate once
rejected stays rejected, because ``best_other`` only grows.
"""

from __future__ import annotations

import numpy as np

from ruvllm_web.hnsw_metric import Metric


def select_neighbours(rows: np.ndarray, scores: np.ndarray, offset: float, limit: int, metric: Metric) -> np.ndarray:
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
    kept: list[int] = []
    start = 0
    while len(kept) < limit and start < count:
        admissible = closeness_to_base[start:] > best_other[start:]
        first = int(admissible.argmax())
        if not admissible[first]:
            break
        chosen = start + first
        kept.append(chosen)
        start = chosen + 1
        if start < count:
            tail = best_other[start:]
            np.maximum(tail, metric.pair_scores(rows[start:], rows[chosen]), out=tail)
    return np.array(kept, dtype=np.int64)
