"""Argument checks shared by every public entry point.

Each function either returns the argument in canonical form (a contiguous
float32 array, a Python ``float``/``int``/``str``) or raises ``TypeError``
(wrong kind of value) or ``ValueError`` (right kind, wrong value) with a
message that names the argument, says what was wrong and what was expected.
None of them has side effects, so a caller that validates every argument
before touching its own state leaves that state exactly as it was on error.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: Longest string accepted for agent names, task types, descriptions, context.
MAX_TEXT_LENGTH = 4096
#: Largest magnitude of an embedding value the learning engine accepts (:func:`as_embedding`).
#: Real embeddings are unit vectors or pooled activations in the tens to thousands, far inside it;
#: at the largest dimension (65536) it bounds ``||x||^2`` by ~6.6e16, so the squares and products
#: of the learning loops stay far from float32's ~3.4e38.
MAX_EMBEDDING_VALUE = 1e6
_F32 = np.dtype(np.float32)


def as_vector(value: object, dim: int, name: str = "embedding") -> np.ndarray:
    """Return ``value`` as a contiguous float32 vector of shape ``(dim,)``.

    Parameters
    ----------
    value : array-like
        A 1-D sequence of real numbers (list, tuple, numpy array, buffer).
    dim : int
        The required length.
    name : str
        Argument name used in error messages.

    Raises
    ------
    TypeError
        If ``value`` is not a numeric 1-D array-like (strings, dicts, None,
        booleans, complex and object arrays are refused).
    ValueError
        If its length is not ``dim`` or it contains NaN or +-Inf.
    """
    return _vector(value, dim, name, math.inf)


def as_embedding(value: object, dim: int, name: str = "embedding") -> np.ndarray:
    """:func:`as_vector`, and every value within ``[-MAX_EMBEDDING_VALUE, MAX_EMBEDDING_VALUE]``.

    The check of what the learning engine (``IntelligentLLM``, ``HnswRouter``,
    ``SonaInstant``) is given: finite float32 values beyond this range pass
    :func:`as_vector` but are no embedding (see :data:`MAX_EMBEDDING_VALUE`).

    Raises
    ------
    TypeError, ValueError
        As :func:`as_vector`; ``ValueError`` also for a value outside the range.
    """
    return _vector(value, dim, name, MAX_EMBEDDING_VALUE)


def as_matrix(value: object, dim: int, name: str = "vectors") -> np.ndarray:
    """Return ``value`` as a contiguous float32 matrix of shape ``(n, dim)``.

    A single vector of length ``dim`` is accepted as ``(1, dim)``. Errors as
    :func:`as_vector`.
    """
    array = _as_real_array(value, name)
    if array.ndim == 1 and array.shape[0] == dim:
        array = array.reshape(1, dim)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a matrix of shape (n, {dim}), got shape {array.shape}")
    if array.shape[1] != dim:
        raise ValueError(f"{name} rows have {array.shape[1]} values, expected {dim}")
    return _finite_float32(array, name)


def as_float(value: object, name: str, low: float = -math.inf, high: float = math.inf) -> float:
    """Return ``value`` as a finite float in the closed interval ``[low, high]``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (``bool`` is refused too).
    ValueError
        If it is NaN, infinite or outside ``[low, high]``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:  # an int beyond float range
        result = math.inf if value > 0 else -math.inf
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    if not low <= result <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {result:g}")
    return result


def as_quality(value: object, name: str = "quality") -> float:
    """Return a quality score, a finite float in ``[0, 1]``."""
    return as_float(value, name, 0.0, 1.0)


def as_int(value: object, name: str, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]`` (either bound optional).

    Integral numpy scalars are accepted; ``bool`` and floats are refused
    with ``TypeError``; out-of-range values raise ``ValueError``.
    """
    if type(value) is int:  # the common case, without the ABC check below (slow in Pyodide after a search)
        result = value
    elif isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    else:
        result = int(value)
    if low is not None and result < low:
        raise ValueError(f"{name} must be >= {low}, got {result}")
    if high is not None and result > high:
        raise ValueError(f"{name} must be <= {high}, got {result}")
    return result


def as_bool(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (numpy bools included), else ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a boolean, got {type(value).__name__}")
    return bool(value)


def as_text(value: object, name: str, max_length: int = MAX_TEXT_LENGTH, allow_empty: bool = True) -> str:
    """Return ``value`` if it is a ``str`` of at most ``max_length`` characters.

    Raises
    ------
    TypeError
        If ``value`` is not a ``str``.
    ValueError
        If it is longer than ``max_length`` or empty when ``allow_empty`` is false.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > max_length:
        raise ValueError(f"{name} has {len(value)} characters, at most {max_length} allowed")
    if not allow_empty and not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _as_real_array(value: object, name: str) -> np.ndarray:
    """Convert ``value`` to a numpy array of a real (int or float) dtype."""
    if value is None or isinstance(value, (str, bytes, dict, set, bool, numbers.Number)):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    return array


def _vector(value: object, dim: int, name: str, limit: float) -> np.ndarray:
    """:func:`as_vector` with every value within ``[-limit, limit]``."""
    if type(value) is np.ndarray and value.dtype == _F32 and value.shape == (dim,):
        return _finite_float32(value, name, limit)  # the engine's own vectors and the worker's: no conversion
    array = _as_real_array(value, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector of {dim} values, got an array of shape {array.shape}")
    if array.shape[0] != dim:
        raise ValueError(f"{name} has {array.shape[0]} values, expected {dim}")
    return _finite_float32(array, name, limit)


def _finite_float32(array: np.ndarray, name: str, limit: float = math.inf) -> np.ndarray:
    """Return a contiguous float32 copy-or-view of ``array``, refusing NaN/Inf and values beyond ``+-limit``.

    Values too large for float32 become Inf on conversion and are refused too;
    the error names the first offending position. A contiguous float32
    array is checked as it is (no conversion, so nothing can overflow).
    """
    if array.dtype == _F32 and array.flags.c_contiguous:
        result = array
    else:
        with np.errstate(over="ignore"):
            result = np.ascontiguousarray(array, dtype=np.float32)
    # A finite sum of squares proves every value finite (NaN and +-Inf propagate) in one call, and
    # vdot raises no floating-point warnings; one that overflowed is told apart by the exact check.
    # A sum of squares within limit^2 proves every value within the limit, in the same call.
    square = float(np.vdot(result, result))
    if not math.isfinite(square) and not np.isfinite(result).all():
        where = _first(~np.isfinite(result))
        raise ValueError(f"{name} contains NaN or Inf, or a value beyond float32 range (at index {where})")
    if square > limit * limit and (np.abs(result) > limit).any():
        where = _first(np.abs(result) > limit)
        raise ValueError(
            f"{name} has the value {float(result[where]):.9g} at index {where}, outside the accepted range "
            f"[{-limit:g}, {limit:g}] of embedding values"
        )
    return result


def _first(mask: np.ndarray) -> int | tuple[int, ...]:
    """The index of the first true entry of ``mask`` (a tuple for more than one dimension)."""
    position = tuple(int(i) for i in np.argwhere(mask)[0])
    return position[0] if len(position) == 1 else position
