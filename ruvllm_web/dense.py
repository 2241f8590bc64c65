"""Which numpy routine computes dense products fastest in this numpy build.

The answer depends on how numpy was built, not on where it runs:

- with a BLAS library (CPython wheels), ``matmul`` calls BLAS (``sgemv``,
  ``sgemm``);
- without one (Pyodide's numpy 2.0.2 has no BLAS and no SIMD), ``matmul``
  falls back to a generic strided loop, while ``einsum`` uses its unrolled
  sum-of-products kernels, which are faster (BENCHMARKS.md, bench_hnsw and
  bench_encoder).

``einsum`` is called through numpy's C entry point :func:`c_einsum`: the
public ``np.einsum`` only adds argument dispatch in Python, which inside
Pyodide costs as much as a small product itself. The choice is made once from
numpy's build configuration, so results are deterministic for a given numpy
build. Users: the HNSW index's row scores (:mod:`ruvllm_web.hnsw.row_scores`)
and the sentence encoder's dense layers.
"""

from __future__ import annotations

import numpy as np

try:  # numpy >= 2: the C implementation behind np.einsum
    from numpy._core.multiarray import c_einsum
except ImportError:  # pragma: no cover - numpy 1.x keeps it under numpy.core
    from numpy.core.multiarray import c_einsum

__all__ = ["USES_BLAS", "c_einsum"]


def _numpy_has_blas() -> bool:
    """Whether this numpy build links a BLAS library."""
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return False
    return bool(blas.get("found", False))


#: True when dense products should use BLAS-backed ``matmul``; False when they should use :func:`c_einsum`.
USES_BLAS = _numpy_has_blas()
