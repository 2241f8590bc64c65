"""EWC++ penalty and spherical k-means: the math the SONA loops rely on."""

import numpy as np
import pytest

from ruvllm_web.ewc import EwcPlusPlus
from ruvllm_web.kmeans import spherical_kmeans


def test_ewc_penalty_is_zero_until_consolidated_then_pulls_back() -> None:
    ewc = EwcPlusPlus(3, strength=2.0, decay=0.5)
    ewc.observe(np.array([1.0, 0.0, 2.0], dtype=np.float32))
    params = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    assert not ewc.penalty_gradient(params).any() and ewc.penalty(params) == 0.0
    ewc.consolidate(params)
    moved = params + np.float32(0.5)
    fisher = np.array([0.5, 0.0, 2.0])  # (1 - 0.5) * g^2
    expected = 2.0 / fisher.mean() * fisher * 0.5
    np.testing.assert_allclose(ewc.penalty_gradient(moved), expected, rtol=1e-6)
    assert ewc.penalty(moved) == pytest.approx(0.5 * 2.0 / fisher.mean() * (fisher * 0.25).sum())
    assert ewc.tasks == 1


def test_ewc_state_round_trip_and_validation() -> None:
    ewc = EwcPlusPlus(4)
    ewc.observe(np.arange(4, dtype=np.float32))
    ewc.consolidate(np.ones(4, dtype=np.float32))
    meta, arrays = ewc.to_state()
    back = EwcPlusPlus.from_state(meta, arrays, 4)
    np.testing.assert_array_equal(back.fisher, ewc.fisher)
    np.testing.assert_array_equal(back.anchor, ewc.anchor)
    with pytest.raises(ValueError, match="fisher"):
        EwcPlusPlus.from_state(meta, {**arrays, "fisher": np.zeros(3, dtype=np.float32)}, 4)
    with pytest.raises(ValueError, match="negative"):
        EwcPlusPlus.from_state(meta, {**arrays, "fisher": -np.ones(4, dtype=np.float32)}, 4)


def test_kmeans_recovers_separated_clusters() -> None:
    rng = np.random.default_rng(3)
    centres = np.eye(16, dtype=np.float32)[:4]
    truth = np.repeat(np.arange(4), 25)
    rows = centres[truth] + rng.normal(0, 0.05, (100, 16)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    labels, centroids, iterations = spherical_kmeans(rows, 4, seed=0)
    # Every found cluster is pure: the partition equals the true one up to renaming.
    for label in range(4):
        assert len(set(truth[labels == label])) == 1
    assert len(set(labels)) == 4 and 1 <= iterations <= 3 * 20
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, rtol=1e-5)


def test_kmeans_edge_cases() -> None:
    assert spherical_kmeans(np.zeros((0, 3), dtype=np.float32), 2)[0].shape == (0,)
    one = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    labels, centroids, _ = spherical_kmeans(one, 5)
    assert labels.tolist() == [0] and centroids.shape == (1, 3)
