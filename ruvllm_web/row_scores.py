"""Scores of many stored rows against one query: the index's inner kernel.

``row_dots(rows, query)`` returns ``rows @ query``. Which numpy routine
computes it fastest depends on how numpy was built, not on where it runs:

- with a BLAS library (CPython wheels), ``matmul`` calls BLAS ``sgemv``;
- without one (Pyodide's numpy 2.0.2 has no BLAS and no SIMD), ``matmul``
  falls back to a generic strided loop, while ``einsum`` uses its unrolled
  sum-of-products kernels and is about twice as fast: 1.45 ms against
  3.0 ms for 10,000 x 384 float32, 7.8 us against 11 us for 32 rows,
  measured inside Pyodide 0.27.7 on Node.

``einsum`` is called through numpy's C entry point ``c_einsum``: the public
``np.einsum`` only adds argument dispatch in Python, which inside Pyodide
costs as much as scoring 32 rows (about 20 us against 9 us a call, measured
in the same run). The choice is made once from numpy's build configuration,
so results are deterministic for a given numpy build.
"""

from __future__ import annotations

import numpy as np

try:  # numpy >= 2: the C implementation behind np.einsum
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # pragma: no cover - numpy 1.x keeps it under numpy.core
    from numpy.core.multiarray import c_einsum as _einsum


def _numpy_has_blas() -> bool:
    """Whether this numpy build links a BLAS library."""
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return False
    return bool(blas.get("found", False))


#: True when ``row_dots`` uses BLAS-backed ``matmul``; False when it uses ``einsum``.
USES_BLAS = _numpy_has_blas()


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
    return _einsum("ij,j->i", rows, query)
