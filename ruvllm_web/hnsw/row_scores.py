"""Scores of many stored rows against one query: the index's inner kernel.

``row_dots(rows, query)`` returns ``rows @ query`` through the routine this
numpy build computes fastest (:mod:`ruvllm_web.dense`): BLAS ``matmul`` where
numpy links BLAS, else ``einsum``'s C kernel.
"""

from __future__ import annotations

import numpy as np

from ruvllm_web.dense import USES_BLAS, c_einsum


def row_dots(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Return the dot product of every row with ``query``.

    Parameters
    ----------
    rows : ndarray, shape (n, width), float32
    query : ndarray, shape (width,), float32

    Returns
    -------
    ndarray, shape (n,), float32
        ``rows @ query``.
    """
    if USES_BLAS:
        return rows @ query
    return c_einsum("ij,j->i", rows, query)
