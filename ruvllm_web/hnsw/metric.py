"""How each HNSW metric turns vectors into stored rows, queries and scores.

The graph only ever ranks by an *internal score* ``stored_row @ query_row``
(higher is better), so the search loop is the same for every metric:

``cosine``
    stored row = x / |x|, query row = q / |q|; internal score = cosine
    similarity, which is also the returned score. Zero vectors are refused.
``dot``
    stored row = x, query row = q; score = x . q.
``l2``
    stored row = [x, -|x|^2 / 2], query row = [q, 1] (one extra column), so
    the internal score x . q - |x|^2 / 2 = (|q|^2 - |x - q|^2) / 2 ranks by
    Euclidean distance. The returned score is the negative Euclidean
    distance -|x - q|, recomputed exactly for the returned rows.

The neighbour-selection heuristic compares "how close is e to q" with "how
close is e to r" for stored rows r. :meth:`Metric.as_query` gives the query
row of a stored row plus a constant ``offset`` so that
``stored_e @ query_row + offset`` is on one common scale for every r and q
(similarity for cosine/dot, -squared distance / 2 for l2).
"""

from __future__ import annotations

import math

import numpy as np

from ruvllm_web.hnsw.row_scores import row_dots

METRICS = ("cosine", "dot", "l2")


class Metric:
    """One of :data:`METRICS` for vectors of ``dim`` values."""

    def __init__(self, name: str, dim: int) -> None:
        if name not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {name!r}")
        self.name = name
        self.dim = dim
        #: Columns of a stored row: ``dim``, plus one for l2.
        self.width = dim + 1 if name == "l2" else dim

    def stored_rows(self, vectors: np.ndarray, what: str = "vectors") -> np.ndarray:
        """Return the stored rows of validated ``vectors`` ``(n, dim)`` as ``(n, width)``.

        Raises
        ------
        ValueError
            Under cosine, if a vector has zero length (its direction is undefined).
        """
        if self.name == "cosine":
            norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64))
            zero = np.flatnonzero(norms == 0.0)
            if zero.size:
                raise ValueError(f"{what} row {int(zero[0])} is a zero vector, which has no cosine similarity")
            return (vectors / norms[:, None]).astype(np.float32)
        if self.name == "dot":
            return np.array(vectors, dtype=np.float32, copy=True)
        rows = np.empty((vectors.shape[0], self.width), dtype=np.float32)
        rows[:, : self.dim] = vectors
        rows[:, self.dim] = -0.5 * np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)
        return rows

    def query_row(self, vector: np.ndarray, what: str = "query") -> tuple[np.ndarray, float]:
        """Return ``(query_row (width,), offset)`` for a validated query vector ``(dim,)``.

        ``offset`` puts ``stored @ query_row + offset`` on the heuristic's
        common scale: 0 for cosine/dot, ``-|q|^2 / 2`` for l2.
        """
        if self.name == "cosine":
            wide = vector.astype(np.float64)
            norm = math.sqrt(float(wide.dot(wide)))
            if norm == 0.0:
                raise ValueError(f"{what} is a zero vector, which has no cosine similarity")
            return vector / norm, 0.0  # float32: a Python float does not widen the array (NEP 50)
        if self.name == "dot":
            return vector, 0.0
        row = np.empty(self.width, dtype=np.float32)
        row[: self.dim] = vector
        row[self.dim] = 1.0
        return row, -0.5 * float(np.dot(vector.astype(np.float64), vector))

    def as_query(self, stored: np.ndarray) -> tuple[np.ndarray, float]:
        """Return ``(query_row, offset)`` for a stored row ``(width,)`` used as a query."""
        if self.name != "l2":
            return stored, 0.0
        row = stored.copy()
        row[self.dim] = 1.0
        return row, float(stored[self.dim])

    def pair_scores(self, stored: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        """Scores of stored rows ``(n, width)`` against stored row ``anchor`` on the common scale."""
        row, offset = self.as_query(anchor)
        scores = row_dots(stored, row)
        if offset:
            scores += np.float32(offset)
        return scores

    def final_results(
        self, stored: np.ndarray, slots: np.ndarray, internal: np.ndarray, query: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Turn result slots in internal order into ``(slots, scores)`` as :meth:`HnswIndex.search` returns them.

        Parameters
        ----------
        stored : ndarray, shape (capacity, width)
            All stored rows.
        slots : ndarray, shape (k,)
            The result slots, best first by internal score.
        internal : ndarray, shape (k,), float32
            Their internal scores.
        query : ndarray, shape (dim,)
            The validated query vector as given.

        For cosine and dot the internal score is the returned one, so both
        arrays come back as they are. For l2 the distances ``|x - q|`` are
        recomputed exactly from the rows, which may swap near-ties of the
        internal order; the results are re-sorted by them (stably).
        """
        if self.name != "l2":
            return slots, internal
        diff = stored[slots, : self.dim] - query
        scores = (-np.sqrt(np.einsum("ij,ij->i", diff, diff))).astype(np.float32)
        order = np.argsort(-scores, kind="stable")
        return slots[order], scores[order]
