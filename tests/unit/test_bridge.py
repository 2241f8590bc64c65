"""The worker bridge on CPython: what the JS side relies on."""

import numpy as np
import pytest

from ruvllm_web import __version__, bridge


def test_version_info() -> None:
    info = bridge.version_info()
    assert info["ruvllm_web"] == __version__ and info["numpy"] == np.__version__


def test_l2_normalize_returns_unit_float32() -> None:
    out = bridge.l2_normalize(np.array([3, 4], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ([0.0, 0.0], ValueError, "all zeros"),
        ([], ValueError, "length must be >= 1"),
        ("abc", TypeError, "array of numbers"),
        ([1.0, float("inf")], ValueError, "NaN or Inf"),
    ],
)
def test_l2_normalize_refuses_bad_vectors(bad, error, message) -> None:
    with pytest.raises(error, match=message):
        bridge.l2_normalize(bad)
