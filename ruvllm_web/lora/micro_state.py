"""MicroLoRA's saved form: what :meth:`MicroLoRA.to_state` writes, how :meth:`MicroLoRA.from_state` checks it.

A state is ``(meta, arrays)``:

- ``meta``: the constructor's settings ``dim``, ``rank`` (``1..4``), ``alpha``,
  ``learning_rate``, ``seed``, ``max_grad_norm`` and ``max_weight_norm``; the
  counts ``adapt_count`` and ``pending_count`` (within ``[0, snapshot.MAX_COUNT]``);
  ``has_input``, a bool;
- ``arrays`` (:data:`ARRAYS`): the weights ``a`` (dim, r) and ``b`` (r, dim)
  float32, ``last_input`` (dim,) float32 and ``pending`` (2 r dim,) float64,
  the accumulated gradient sum.

Loading checks all of it: every field present, of its type and in its range,
every array of its dtype and shape and finite, the weights within
``||(A, B)|| <= max_weight_norm`` (up to float32 rounding), and no pending
gradient without a pending count.

The JSON form (:func:`to_dict`) is ``meta`` with each array as a flat list of
floats. float32 and float64 values convert to Python floats exactly, and JSON
round-trips Python floats exactly, so the JSON form is bit-exact too.

These functions read and write the adapter's internal arrays: the saved form
lives apart from the learning rule, not from the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.validation import as_int

if TYPE_CHECKING:
    from ruvllm_web.lora.micro import MicroLoRA

#: The arrays of a state and their dtypes.
ARRAYS = {"a": np.float32, "b": np.float32, "last_input": np.float32, "pending": np.float64}


def to_state(lora: MicroLoRA) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` of ``lora``, the arrays copies (see the module docstring)."""
    meta = {
        "dim": lora.dim, "rank": lora.rank, "alpha": lora.alpha, "learning_rate": lora.learning_rate,
        "seed": lora.seed, "max_grad_norm": lora.max_grad_norm, "max_weight_norm": lora.max_weight_norm,
        "adapt_count": snapshot.capped(lora._adapt_count), "pending_count": snapshot.capped(lora._pending_count),
        "has_input": lora._has_input,
    }
    arrays = {"a": lora._at.T.copy(), "b": lora._b.copy(), "last_input": lora._last.copy(),
              "pending": lora._pending.copy()}
    return meta, arrays


def from_state(
    cls: type[MicroLoRA], meta: dict[str, Any], arrays: dict[str, np.ndarray], ranks: tuple[int, int]
) -> MicroLoRA:
    """A new ``cls`` adapter from :func:`to_state` output, every part checked (``ValueError``).

    ``ranks`` is the adapter's ``(MIN_RANK, MAX_RANK)``: the constructor clamps
    a rank into it, a state must already hold one inside it.
    """
    try:
        if not isinstance(meta, dict) or not isinstance(arrays, dict):
            raise ValueError("meta and arrays must be dicts")
        rank = as_int(_field(meta, "rank"), "rank", *ranks)
        lora = cls(_field(meta, "dim"), _field(meta, "alpha"), _field(meta, "learning_rate"), rank=rank,
                   seed=_field(meta, "seed"), max_grad_norm=_field(meta, "max_grad_norm"),
                   max_weight_norm=_field(meta, "max_weight_norm"))
        adapt_count = as_int(_field(meta, "adapt_count"), "adapt_count", 0, snapshot.MAX_COUNT)
        pending_count = as_int(_field(meta, "pending_count"), "pending_count", 0, snapshot.MAX_COUNT)
        has_input = _field(meta, "has_input")
        if not isinstance(has_input, bool):
            raise ValueError("has_input must be a boolean")
        dim = lora.dim
        a = _array(arrays, "a", np.float32, (dim, rank))
        b = _array(arrays, "b", np.float32, (rank, dim))
        last_input = _array(arrays, "last_input", np.float32, (dim,))
        pending = _array(arrays, "pending", np.float64, (2 * rank * dim,))
    except (TypeError, ValueError) as error:
        raise ValueError(f"invalid MicroLoRA state: {error}") from None
    lora._at[...] = a.T
    lora._b[...] = b
    weight_sq = float(np.dot(lora._flat.astype(np.float64), lora._flat.astype(np.float64)))
    if weight_sq > (lora.max_weight_norm * (1 + 1e-5)) ** 2:
        raise ValueError("invalid MicroLoRA state: weights exceed max_weight_norm")
    if pending_count == 0 and pending.any():
        raise ValueError("invalid MicroLoRA state: pending gradients without a pending count")
    lora._b_changed()
    lora._last[...] = last_input
    lora._has_input = has_input
    lora._pending[...] = pending
    lora._pending_count = pending_count
    lora._adapt_count = adapt_count
    return lora


def to_dict(lora: MicroLoRA) -> dict[str, Any]:
    """The JSON form of ``lora``'s state: ``meta`` with each array as a flat list of floats."""
    meta, arrays = to_state(lora)
    return {**meta, **{name: array.ravel().tolist() for name, array in arrays.items()}}


def from_dict(cls: type[MicroLoRA], data: dict[str, Any], ranks: tuple[int, int]) -> MicroLoRA:
    """A new ``cls`` adapter from :func:`to_dict` output, checked as :func:`from_state` (``ValueError``)."""
    if not isinstance(data, dict):
        raise ValueError(f"invalid MicroLoRA state: expected a dict, got {type(data).__name__}")
    meta = {key: value for key, value in data.items() if key not in ARRAYS}
    arrays = {}
    for name, dtype in ARRAYS.items():
        values = data.get(name)
        if not isinstance(values, list) or not all(type(v) in (float, int) for v in values):
            raise ValueError(f"invalid MicroLoRA state: {name} must be a list of numbers")
        arrays[name] = np.array(values, dtype=dtype)
    rank, dim = data.get("rank"), data.get("dim")
    if type(rank) is int and type(dim) is int and 0 < rank and 0 < dim:
        for name, shape in (("a", (dim, rank)), ("b", (rank, dim))):
            if arrays[name].size == dim * rank:
                arrays[name] = arrays[name].reshape(shape)
    return from_state(cls, meta, arrays, ranks)


def _field(meta: dict[str, Any], name: str) -> Any:
    if name not in meta:
        raise ValueError(f"missing field {name!r}")
    return meta[name]


def _array(arrays: dict[str, np.ndarray], name: str, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    """``arrays[name]`` checked for presence, dtype, shape and finiteness."""
    array = arrays.get(name)
    if not isinstance(array, np.ndarray):
        raise ValueError(f"missing array {name!r}")
    if array.dtype != dtype or array.shape != shape:
        raise ValueError(f"array {name!r} is {array.dtype} {array.shape}, expected {np.dtype(dtype)} {shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"array {name!r} contains NaN or Inf")
    return array
