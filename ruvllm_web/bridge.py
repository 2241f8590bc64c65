"""The worker's view of the engine: plain functions the JS side calls by name.

This module is the only one written for the worker. It receives numpy arrays
and Python scalars (the worker converts JS values before the call) and returns
numpy arrays, dicts and scalars (the worker converts them back), so it runs
and is tested on CPython as well.
"""

from __future__ import annotations

import sys

import numpy as np

from ruvllm_web._version import __version__
from ruvllm_web.validation import as_int, as_vector

#: Longest vector the bridge accepts, a guard against a runaway caller.
MAX_VECTOR_LENGTH = 1 << 20


def version_info() -> dict[str, str]:
    """Versions of the engine, numpy and Python, and the platform it runs on."""
    return {
        "ruvllm_web": __version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


def l2_normalize(vector: object) -> np.ndarray:
    """Return ``vector / ||vector||_2`` as float32.

    Parameters
    ----------
    vector : array-like of shape (n,)
        Finite values, not all zero, ``1 <= n <= MAX_VECTOR_LENGTH``.

    Raises
    ------
    TypeError, ValueError
        For a non-numeric, empty, oversized, non-finite or zero vector.
    """
    length = len(vector) if hasattr(vector, "__len__") and not isinstance(vector, (str, bytes)) else 0
    values = as_vector(vector, length, "vector")
    as_int(length, "vector length", 1, MAX_VECTOR_LENGTH)
    norm = float(np.linalg.norm(values))
    if norm == 0.0:
        raise ValueError("vector is all zeros and has no direction")
    return values / np.float32(norm)
