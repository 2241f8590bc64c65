"""TrajectoryBuffer: a ring buffer of executed operators and how much they improved on a baseline.

Each trajectory is ``(embedding, op_type, attention_type, exec_ms,
baseline_ms)`` with::

    improvement = baseline_ms / exec_ms - 1      (0.5: 50% better than baseline)
    success     = improvement > 0

The buffer keeps the last ``capacity`` trajectories in preallocated arrays
(``(capacity, dim)`` float32 embeddings, one ``(capacity, 5)`` float64 table
of the scalars and the improvement) and overwrites the oldest when full.
Statistics cover the trajectories currently held; ``total_count`` counts
every trajectory ever recorded.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.lora.operators import OPERATOR_COUNT, scope_name
from ruvllm_web.validation import as_float, as_int, as_vector

#: Largest accepted attention-mechanism number.
MAX_ATTENTION = 2**31 - 1
#: Largest accepted capacity.
MAX_CAPACITY = 10_000_000
#: Most embedding values (``capacity * dim`` float32, 64 MiB) a buffer holds, checked before it is
#: allocated: a page's constructor arguments must not make the worker allocate without bound. The
#: document's default (1,000 x 256) is 1.5% of it.
MAX_VALUES = 2**24
_F32 = np.dtype(np.float32)
_OP, _ATTENTION, _EXEC, _BASELINE, _IMPROVEMENT = range(5)


class Trajectories(NamedTuple):
    """A batch of trajectories, oldest first; ``n`` rows in every array."""

    embeddings: np.ndarray  #: (n, dim) float32
    op_types: np.ndarray  #: (n,) int64
    attention_types: np.ndarray  #: (n,) int64
    exec_ms: np.ndarray  #: (n,) float64
    baseline_ms: np.ndarray  #: (n,) float64
    improvements: np.ndarray  #: (n,) float64, baseline_ms / exec_ms - 1


class TrajectoryBuffer:
    """Ring buffer of the last ``capacity`` trajectories with success analytics.

    Parameters
    ----------
    capacity : int
        Trajectories kept, ``1..10_000_000``. Default 1000.
    dim : int
        Embedding dimension, ``1..65536``. Default 256.
    """

    def __init__(self, capacity: int = 1000, dim: int = 256) -> None:
        self.capacity = as_int(capacity, "capacity", 1, MAX_CAPACITY)
        self.dim = as_int(dim, "dim", 1, 65536)
        if self.capacity * self.dim > MAX_VALUES:
            raise ValueError(
                f"capacity {self.capacity} x embedding dim {self.dim} exceeds the buffer's {MAX_VALUES} values"
            )
        self._embeddings = np.zeros((self.capacity, self.dim), dtype=np.float32)
        self._records = np.zeros((self.capacity, 5), dtype=np.float64)
        self._shape = (self.dim,)
        self._next = 0
        self._size = 0
        self._total = 0

    # -------------------------------------------------------------- record
    def record(self, embedding: object, op_type: object, attention_type: object, exec_ms: object,
               baseline_ms: object) -> float:
        """Store one trajectory (overwriting the oldest when full) and return its improvement.

        Parameters
        ----------
        embedding : array-like
            ``(dim,)`` finite values whose squared norm fits float32 (norm below ~1.8e19).
        op_type : int
            Operator number, ``0..16`` (see :class:`~ruvllm_web.lora.operators.OperatorType`).
        attention_type : int
            Attention mechanism used, ``0..2**31-1``.
        exec_ms, baseline_ms : float
            Measured and baseline execution times in milliseconds, finite and ``> 0``.

        Raises
        ------
        TypeError, ValueError
            On any invalid argument, or if ``baseline_ms / exec_ms`` overflows;
            nothing is stored then.
        """
        # Exact Python types take a short path; everything else gets the generic checks.
        if type(op_type) is not int or not 0 <= op_type < OPERATOR_COUNT:
            op_type = as_int(op_type, "op_type", 0, OPERATOR_COUNT - 1)
        if type(attention_type) is not int or not 0 <= attention_type <= MAX_ATTENTION:
            attention_type = as_int(attention_type, "attention_type", 0, MAX_ATTENTION)
        if type(exec_ms) is not float or not 0.0 < exec_ms < math.inf:
            exec_ms = _milliseconds(exec_ms, "exec_ms")
        if type(baseline_ms) is not float or not 0.0 < baseline_ms < math.inf:
            baseline_ms = _milliseconds(baseline_ms, "baseline_ms")
        improvement = baseline_ms / exec_ms - 1.0
        if improvement == math.inf:
            raise ValueError(f"baseline_ms / exec_ms overflows ({baseline_ms:g} / {exec_ms:g})")
        if type(embedding) is np.ndarray and embedding.dtype is _F32 and embedding.shape == self._shape:
            vector = embedding
        else:
            vector = as_vector(embedding, self.dim, "embedding")
        if not math.isfinite(vector.dot(vector)):
            raise ValueError("embedding contains NaN or Inf, or its squared norm overflows float32")
        slot = self._next
        self._embeddings[slot] = vector
        self._records[slot] = (op_type, attention_type, exec_ms, baseline_ms, improvement)
        self._next = slot + 1 if slot + 1 < self.capacity else 0
        if self._size < self.capacity:
            self._size += 1
        self._total += 1
        return improvement

    # --------------------------------------------------------------- stats
    def __len__(self) -> int:
        """Trajectories currently held (at most ``capacity``)."""
        return self._size

    @property
    def total_count(self) -> int:
        """Trajectories ever recorded, including overwritten ones and those before :meth:`clear`."""
        return self._total

    def _column(self, index: int) -> np.ndarray:
        return self._records[: self._size, index]

    def success_rate(self) -> float:
        """Fraction of held trajectories with improvement > 0; 0.0 when empty."""
        if not self._size:
            return 0.0
        return np.count_nonzero(self._column(_IMPROVEMENT) > 0.0) / self._size

    def mean_improvement(self) -> float:
        """Mean improvement of the held trajectories; 0.0 when empty."""
        return float(self._column(_IMPROVEMENT).mean()) if self._size else 0.0

    def best_improvement(self) -> float:
        """Largest improvement held; 0.0 when empty."""
        return float(self._column(_IMPROVEMENT).max()) if self._size else 0.0

    def best_attention(self) -> int | None:
        """Attention type with the best mean improvement (the smallest number on ties); ``None`` when empty."""
        if not self._size:
            return None
        types, inverse = np.unique(self._column(_ATTENTION), return_inverse=True)
        sums = np.bincount(inverse, weights=self._column(_IMPROVEMENT))
        means = sums / np.bincount(inverse)
        return int(types[int(np.argmax(means))])

    def high_quality_count(self, threshold: object) -> int:
        """Held trajectories with improvement > ``threshold`` (0.5: more than 50% better)."""
        limit = as_float(threshold, "threshold")
        return int(np.count_nonzero(self._column(_IMPROVEMENT) > limit))

    def count_by_operator(self) -> dict[str, int]:
        """Held trajectories per operator, keyed by :func:`~ruvllm_web.lora.operators.scope_name`, all 17 keys."""
        counts = np.bincount(self._column(_OP).astype(np.intp), minlength=OPERATOR_COUNT)
        return {scope_name(op): int(counts[op]) for op in range(OPERATOR_COUNT)}

    def recent(self, n: object) -> Trajectories:
        """The last ``min(n, len(self))`` trajectories, oldest first, as fresh arrays.

        Copies only those rows, never the whole buffer.
        """
        count = min(as_int(n, "n", 0), self._size)
        rows = np.arange(self._next - count, self._next) % self.capacity
        records = self._records[rows]
        return Trajectories(
            embeddings=self._embeddings[rows],
            op_types=records[:, _OP].astype(np.int64),
            attention_types=records[:, _ATTENTION].astype(np.int64),
            exec_ms=records[:, _EXEC].copy(),
            baseline_ms=records[:, _BASELINE].copy(),
            improvements=records[:, _IMPROVEMENT].copy(),
        )

    def clear(self) -> None:
        """Forget the held trajectories (``total_count`` keeps counting)."""
        self._next = 0
        self._size = 0

    @property
    def memory_bytes(self) -> int:
        """Bytes of the preallocated arrays."""
        return self._embeddings.nbytes + self._records.nbytes

    # ------------------------------------------------------------- persist
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(meta, arrays)``: the held trajectories oldest first (``improvements`` are recomputed on load)."""
        batch = self.recent(self._size)
        meta = {"capacity": self.capacity, "dim": self.dim, "total_count": snapshot.capped(self._total)}
        arrays = {name: getattr(batch, name) for name in Trajectories._fields if name != "improvements"}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> TrajectoryBuffer:
        """Rebuild from :meth:`to_state` output; ``ValueError`` on anything inconsistent."""
        try:
            if not isinstance(meta, dict) or not isinstance(arrays, dict):
                raise ValueError("meta and arrays must be dicts")
            buffer = cls(meta.get("capacity"), meta.get("dim"))
            total = as_int(meta.get("total_count"), "total_count", 0, snapshot.MAX_COUNT)
            embeddings = arrays.get("embeddings")
            if not isinstance(embeddings, np.ndarray) or embeddings.dtype != np.float32 or embeddings.ndim != 2:
                raise ValueError("embeddings must be a float32 matrix")
            size = embeddings.shape[0]
            if embeddings.shape[1] != buffer.dim or size > buffer.capacity or size > total:
                raise ValueError(f"embeddings have shape {embeddings.shape}, inconsistent with the buffer")
            columns = [_state_column(arrays, name, dtype, size) for name, dtype in
                       (("op_types", np.int64), ("attention_types", np.int64), ("exec_ms", np.float64),
                        ("baseline_ms", np.float64))]
        except (TypeError, ValueError) as error:
            raise ValueError(f"invalid TrajectoryBuffer state: {error}") from None
        op_types, attention_types, exec_ms, baseline_ms = columns
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            improvements = baseline_ms / exec_ms - 1.0
            squares = np.einsum("ij,ij->i", embeddings, embeddings)
        problems = [
            (np.any((op_types < 0) | (op_types >= OPERATOR_COUNT)), "op_types out of range"),
            (np.any((attention_types < 0) | (attention_types > MAX_ATTENTION)), "attention_types out of range"),
            (not np.all((exec_ms > 0) & (baseline_ms > 0)), "times must be > 0"),
            (not np.isfinite(improvements).all(), "times must be finite"),
            (not np.isfinite(squares).all(), "embeddings must be finite"),
        ]
        for bad, message in problems:
            if bad:
                raise ValueError(f"invalid TrajectoryBuffer state: {message}")
        buffer._embeddings[:size] = embeddings
        buffer._records[:size] = np.column_stack((op_types, attention_types, exec_ms, baseline_ms, improvements))
        buffer._size = size
        buffer._next = size % buffer.capacity
        buffer._total = total
        return buffer

    def to_dict(self) -> dict[str, Any]:
        """The state as a JSON-able dict (arrays as nested lists; bit-exact)."""
        meta, arrays = self.to_state()
        return {**meta, **{name: array.tolist() for name, array in arrays.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrajectoryBuffer:
        """Rebuild from :meth:`to_dict` output (validated as :meth:`from_state`)."""
        if not isinstance(data, dict):
            raise ValueError(f"invalid TrajectoryBuffer state: expected a dict, got {type(data).__name__}")
        dtypes = {"embeddings": np.float32, "op_types": np.int64, "attention_types": np.int64,
                  "exec_ms": np.float64, "baseline_ms": np.float64}
        arrays = {}
        for name, dtype in dtypes.items():
            try:
                arrays[name] = np.array(data.get(name), dtype=dtype)
            except (TypeError, ValueError, OverflowError) as error:
                raise ValueError(f"invalid TrajectoryBuffer state: {name}: {error}") from None
        dim = data.get("dim")
        if arrays["embeddings"].size == 0 and type(dim) is int and dim > 0:
            arrays["embeddings"] = arrays["embeddings"].reshape(0, dim)  # JSON cannot say "0 rows of dim"
        meta = {key: value for key, value in data.items() if key not in dtypes}
        return cls.from_state(meta, arrays)

    def __repr__(self) -> str:
        return f"TrajectoryBuffer(capacity={self.capacity}, dim={self.dim}, len={self._size}, total={self._total})"


def _milliseconds(value: object, name: str) -> float:
    """A finite duration ``> 0``."""
    result = as_float(value, name, 0.0)
    if result == 0.0:
        raise ValueError(f"{name} must be > 0, got 0")
    return result


def _state_column(arrays: dict[str, np.ndarray], name: str, dtype: type, size: int) -> np.ndarray:
    array = arrays.get(name)
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != (size,):
        raise ValueError(f"{name} must be a {np.dtype(dtype)} array of shape ({size},)")
    return array
