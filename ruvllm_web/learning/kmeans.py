"""Seeded spherical k-means for the SONA deep loop.

Rows are unit vectors; a row's score against a centroid is their dot product
(cosine similarity). Initialisation is k-means++ (Arthur & Vassilvitskii,
2007) with distance ``1 - cos``; each Lloyd iteration assigns every row to its
most similar centroid and sets each centroid to the normalised mean of its
rows, until no assignment changes or ``max_iter`` is reached. Cost per
iteration is one ``(n, dim) @ (dim, k)`` product.
"""

from __future__ import annotations

import numpy as np


def spherical_kmeans(
    rows: np.ndarray, k: int, seed: int = 0, max_iter: int = 20, n_init: int = 3
) -> tuple[np.ndarray, np.ndarray, int]:
    """Cluster unit rows into ``k`` groups.

    Parameters
    ----------
    rows : ndarray of shape (n, dim), float32, unit norm
    k : int
        Number of clusters, clamped to ``1..n``.
    seed : int
        Seed of the k-means++ draws.
    max_iter : int
        Upper bound on Lloyd iterations per restart.
    n_init : int
        Number of restarts.

    Returns
    -------
    labels : ndarray of shape (n,), int64
    centroids : ndarray of shape (k, dim), float32, unit norm
    iterations : int
        Lloyd iterations run, over all restarts.
    """
    n = rows.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, rows.shape[1]), dtype=np.float32), 0
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    total_iterations = 0
    for _ in range(max(1, n_init)):
        labels, centroids, iterations = _lloyd(rows, _plus_plus(rows, k, rng), max_iter)
        total_iterations += iterations
        objective = float((rows @ centroids.T).max(axis=1).sum())
        if best is None or objective > best[0]:
            best = (objective, labels, centroids)
    return best[1], best[2], total_iterations


def _plus_plus(rows: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding with distance ``1 - cos``; returns ``(k, dim)`` initial centroids."""
    n = rows.shape[0]
    chosen = [int(rng.integers(n))]
    distance = 1.0 - rows @ rows[chosen[0]]
    for _ in range(1, k):
        weights = np.clip(distance, 0.0, None).astype(np.float64)
        total = weights.sum()
        pick = int(rng.choice(n, p=weights / total)) if total > 0 else int(rng.integers(n))
        chosen.append(pick)
        np.minimum(distance, 1.0 - rows @ rows[pick], out=distance)
    return rows[chosen].copy()


def _lloyd(rows: np.ndarray, centroids: np.ndarray, max_iter: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Lloyd iterations from ``centroids``; returns labels, unit centroids and iterations run."""
    n = rows.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    iterations = 0
    for iterations in range(1, max_iter + 1):
        new_labels = np.argmax(rows @ centroids.T, axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        sums = _cluster_sums(rows, labels, centroids.shape[0])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        filled = norms[:, 0] > 0
        centroids[filled] = sums[filled] / norms[filled]
    return labels, centroids.astype(np.float32, copy=False), iterations


def _cluster_sums(rows: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """``(k, dim)`` sums of the rows of each label (zero for an empty cluster), in one sorted pass."""
    order = np.argsort(labels, kind="stable")
    present, starts = np.unique(labels[order], return_index=True)
    sums = np.zeros((k, rows.shape[1]), dtype=rows.dtype)
    sums[present] = np.add.reduceat(rows[order], starts, axis=0)
    return sums
