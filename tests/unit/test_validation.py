"""Shared argument checks: canonical results and error messages that name the problem."""

import warnings

import numpy as np
import pytest

from ruvllm_web.validation import (
    MAX_EMBEDDING_VALUE,
    as_bool,
    as_embedding,
    as_float,
    as_int,
    as_matrix,
    as_quality,
    as_text,
    as_vector,
)


def test_vectors_become_contiguous_float32() -> None:
    out = as_vector([1, 2, 3], 3)
    assert out.dtype == np.float32 and out.flags.c_contiguous and out.tolist() == [1, 2, 3]
    assert as_matrix(np.ones((2, 3)), 3).shape == (2, 3)
    assert as_matrix(np.ones(3), 3).shape == (1, 3)


@pytest.mark.parametrize(
    "value, error, message",
    [
        ([1.0, 2.0], ValueError, "has 2 values, expected 3"),
        ([1.0, float("nan"), 0.0], ValueError, "NaN or Inf.*index 1"),
        ([1e39, 0.0, 0.0], ValueError, "NaN or Inf"),
        ("abc", TypeError, "array of numbers"),
        (None, TypeError, "array of numbers"),
        (np.zeros(3, dtype=complex), TypeError, "real numbers"),
        (np.zeros((3, 1)), ValueError, "1-D"),
        # float32 arrays of the right shape take a path without conversion; it refuses alike
        (np.array([0.0, 1.0, np.inf], dtype=np.float32), ValueError, "NaN or Inf.*index 2"),
        (np.array([np.inf, -np.inf, 0.0], dtype=np.float32), ValueError, "NaN or Inf.*index 0"),
        (np.zeros(4, dtype=np.float32), ValueError, "has 4 values, expected 3"),
    ],
)
def test_bad_vectors_are_named(value, error, message) -> None:
    with pytest.raises(error, match=message):
        as_vector(value, 3, "embedding")


def test_float32_vectors_are_returned_as_they_are_or_made_contiguous() -> None:
    vector = np.arange(3, dtype=np.float32)
    assert as_vector(vector, 3) is vector
    strided = np.arange(6, dtype=np.float32)[::2]
    out = as_vector(strided, 3)
    assert out.flags.c_contiguous and out.tolist() == [0.0, 2.0, 4.0]


def test_finiteness_check_overflows_and_warns_never() -> None:
    # The check sums squares first: a sum that overflows float32 must not be taken for an Inf value,
    # and neither huge nor non-finite input may raise numpy's floating-point warnings.
    vector = np.array([3e38, 3e38, -1.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_vector(vector, 3) is vector
        assert as_matrix(np.full((2, 3), -3e38, dtype=np.float32), 3).shape == (2, 3)
        with pytest.raises(ValueError, match="NaN or Inf.*index 1"):
            as_vector(np.array([1.0, np.nan, -np.inf], dtype=np.float32), 3)


def test_embeddings_accept_every_value_within_the_range_and_name_the_first_beyond_it() -> None:
    edge = np.full(4, MAX_EMBEDDING_VALUE, dtype=np.float32)
    edge[1] = -MAX_EMBEDDING_VALUE
    assert as_embedding(edge, 4) is edge  # its norm is beyond the limit, every value within it
    assert as_embedding([1e-45, 0.0, 3.0, -2.0], 4).dtype == np.float32
    beyond = np.nextafter(np.float32(MAX_EMBEDDING_VALUE), np.float32(np.inf))
    for value in (edge.tolist()[:3] + [-float(beyond)], np.array([0.0, 0.0, 0.0, 3e38], dtype=np.float32)):
        with pytest.raises(ValueError, match=r"input has the value .* at index 3, outside the accepted range "
                                             r"\[-1e\+06, 1e\+06\] of embedding values"):
            as_embedding(value, 4, "input")
    with pytest.raises(ValueError, match="NaN or Inf"):
        as_embedding([0.0, 0.0, 0.0, np.nan], 4)
    with pytest.raises(ValueError, match="expected 4"):
        as_embedding([1e7], 4)


def test_scalars() -> None:
    assert as_quality(1) == 1.0
    assert as_int(np.int64(4), "k", low=1) == 4
    assert as_bool(np.bool_(True), "flag") is True
    with pytest.raises(ValueError, match=r"quality must be in \[0, 1\], got 1.5"):
        as_quality(1.5)
    with pytest.raises(ValueError, match="finite"):
        as_float(float("inf"), "x")
    with pytest.raises(TypeError, match="must be a number"):
        as_quality(True)
    with pytest.raises(TypeError, match="integer"):
        as_int(2.0, "k")
    with pytest.raises(TypeError, match="k must be an integer, got bool"):
        as_int(True, "k")
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        as_int(0, "k", low=1)


def test_text() -> None:
    assert as_text("coder", "agent") == "coder"
    with pytest.raises(ValueError, match="at most 4 allowed"):
        as_text("toolong", "agent", max_length=4)
    with pytest.raises(TypeError, match="agent must be a string"):
        as_text(3, "agent")
    with pytest.raises(ValueError, match="must not be empty"):
        as_text("", "agent", allow_empty=False)
