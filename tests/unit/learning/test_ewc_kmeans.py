"""EWC++ penalty and spherical k-means: the math the SONA loops rely on."""

import numpy as np
import pytest

from ruvllm_web.learning.ewc import EwcPlusPlus, penalised_least_squares
from ruvllm_web.learning.kmeans import spherical_kmeans


def test_ewc_penalty_is_zero_until_consolidated_then_pulls_back() -> None:
    ewc = EwcPlusPlus(3, strength=2.0, decay=0.5)
    ewc.observe(np.square(np.array([1.0, 0.0, 2.0], dtype=np.float32)))
    params = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    assert not ewc.stiffness().any() and ewc.penalty(params) == 0.0
    ewc.consolidate(params)
    moved = params + np.float32(0.5)
    fisher = np.array([0.5, 0.0, 2.0])  # (1 - 0.5) * g^2
    np.testing.assert_allclose(ewc.stiffness(), 2.0 / fisher.mean() * fisher, rtol=1e-6)
    assert ewc.penalty(moved) == pytest.approx(0.5 * 2.0 / fisher.mean() * (fisher * 0.25).sum())
    assert ewc.tasks == 1
    assert not EwcPlusPlus(3, strength=0.0).stiffness().any()


def test_ewc_fisher_stays_finite_and_saveable_whatever_it_observes() -> None:
    ewc = EwcPlusPlus(3, decay=0.5)
    ewc.observe(np.array([1e300, 4.0, 0.0]))
    ewc.observe(np.array([1e300, 4.0, 0.0]))
    top = np.finfo(np.float32).max
    np.testing.assert_array_equal(ewc.fisher, np.array([top, 3.0, 0.0], dtype=np.float32))
    ewc.consolidate(np.ones(3, dtype=np.float32))
    assert np.isfinite(ewc.stiffness()).all()
    meta, arrays = ewc.to_state()
    np.testing.assert_array_equal(EwcPlusPlus.from_state(meta, arrays, 3).fisher, ewc.fisher)


def _stacked_reference(
    h: np.ndarray, targets: np.ndarray, stiffness: np.ndarray, anchor: np.ndarray, ridge: float, start: np.ndarray
) -> np.ndarray:
    """The whole objective as one least-squares problem over vec(B), solved by np.linalg.lstsq.

    ``J(B) = ||H B - T||^2 / (2n) + sum W (B - B*)^2 / 2 + ridge ||B - B0||^2 / 2`` is half the squared
    norm of the stacked residual ``[kron(I, H) vec(B) - vec(T)] / sqrt(n)``, ``sqrt(W) (vec(B) - vec(B*))``,
    ``sqrt(ridge) (vec(B) - vec(B0))``, with vec stacking the columns of B.
    """
    n, r = h.shape
    dim = targets.shape[1]

    def vec(matrix: np.ndarray) -> np.ndarray:
        return matrix.ravel(order="F")

    rows = [np.kron(np.eye(dim), h) / np.sqrt(n), np.diag(np.sqrt(vec(stiffness))), np.sqrt(ridge) * np.eye(r * dim)]
    values = [vec(targets) / np.sqrt(n), np.sqrt(vec(stiffness)) * vec(anchor), np.sqrt(ridge) * vec(start)]
    solution = np.linalg.lstsq(np.vstack(rows), np.concatenate(values), rcond=None)[0]
    return solution.reshape((r, dim), order="F")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("penalised", [False, True])
def test_penalised_least_squares_matches_the_stacked_brute_force(seed: int, penalised: bool) -> None:
    rng = np.random.default_rng(seed)
    n, r, dim = 9, 1 + seed % 4, 7
    h = rng.standard_normal((n, r))
    targets = rng.standard_normal((n, dim))
    anchor, start = rng.standard_normal((r, dim)), rng.standard_normal((r, dim))
    stiffness = rng.exponential(size=(r, dim)) * rng.integers(0, 2, (r, dim)) if penalised else np.zeros((r, dim))
    ridge = 0.3 if penalised else 0.0
    solved = penalised_least_squares(h, targets, stiffness, anchor, ridge, start)
    np.testing.assert_allclose(solved, _stacked_reference(h, targets, stiffness, anchor, ridge, start),
                               rtol=1e-9, atol=1e-10)
    if not penalised:  # the plain fit: np.linalg.lstsq of H B = T
        np.testing.assert_allclose(solved, np.linalg.lstsq(h, targets, rcond=None)[0], rtol=1e-9, atol=1e-10)


def test_penalised_least_squares_holds_stiff_weights_at_the_anchor() -> None:
    rng = np.random.default_rng(9)
    h, targets = rng.standard_normal((20, 2)), rng.standard_normal((20, 5))
    anchor = rng.standard_normal((2, 5))
    stiff = np.zeros((2, 5))
    stiff[:, :2] = 1e9  # the first two output columns are held, the others are free
    solved = penalised_least_squares(h, targets, stiff, anchor, 0.0, anchor)
    np.testing.assert_allclose(solved[:, :2], anchor[:, :2], atol=1e-7)
    free = np.linalg.lstsq(h, targets, rcond=None)[0]
    np.testing.assert_allclose(solved[:, 2:], free[:, 2:], rtol=1e-9)


def test_ewc_state_round_trip_and_validation() -> None:
    ewc = EwcPlusPlus(4)
    ewc.observe(np.arange(4, dtype=np.float32) ** 2)
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
