"""The self-benchmarks: recall is measured against exact brute force, results have their shape,
and every bad option is refused with a clear error."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import HnswIndex, self_benchmark
from ruvllm_web.self_benchmark import brute_force_top_k, clustered, hnsw_vectors, unit_centres


def test_hnsw_recall_is_the_overlap_with_exact_top_k() -> None:
    size, dim, queries, k, seed = 600, 24, 40, 7, 3
    result = self_benchmark.hnsw(size=size, dim=dim, queries=queries, k=k, seed=seed)
    # Rebuild the same data and index, and compute the recall from a full sort of every score.
    data, probes = hnsw_vectors(size, dim, queries, seed)
    index = HnswIndex(dim, seed=seed, exact_threshold=0)
    index.add_batch(data)
    exact = np.argsort(-(probes.astype(np.float64) @ data.astype(np.float64).T), axis=1, kind="stable")[:, :k]
    hits = sum(len(set(index.search(q, k)[0].tolist()) & set(t.tolist())) for q, t in zip(probes, exact))
    assert result["recall_at_k"] == hits / (k * queries)
    assert (result["size"], result["dim"], result["k"]) == (size, dim, k)
    assert result["build_ms_per_vector"] > 0 and 0 < result["hnsw_p50_us"] <= result["hnsw_p99_us"]
    assert result["speedup"] == pytest.approx(result["brute_p50_us"] / result["hnsw_p50_us"])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.integers(2, 16), st.data())
def test_brute_force_top_k_is_the_best_k_in_order(n, dim, data) -> None:
    k = data.draw(st.integers(1, n))
    rng = np.random.default_rng(n * 31 + dim)
    points = rng.standard_normal((n, dim)).astype(np.float32)
    query = rng.standard_normal(dim).astype(np.float32)
    scores = points @ query
    top = brute_force_top_k(points, query, k)
    assert len(set(top.tolist())) == k
    assert np.all(np.diff(scores[top]) <= 0)
    assert scores[top[-1]] >= np.sort(scores)[::-1][k - 1]


def test_hnsw_vectors_are_seeded_unit_rows() -> None:
    data, probes = hnsw_vectors(300, 12, 20, seed=5)
    again, _ = hnsw_vectors(300, 12, 20, seed=5)
    assert data.shape == (300, 12) and probes.shape == (20, 12) and np.array_equal(data, again)
    assert not np.array_equal(data, hnsw_vectors(300, 12, 20, seed=6)[0])


def test_clustered_points_are_unit_float32_near_their_centres() -> None:
    rng = np.random.default_rng(0)
    centres = unit_centres(5, 64, rng)
    points = clustered(200, 64, centres, rng)
    assert points.dtype == np.float32 and points.shape == (200, 64)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, rtol=1e-5)
    assert (points @ centres.T).max(axis=1).min() > 0.6  # cos to own centre ~ 1/sqrt(1 + 0.8^2) = 0.78


def test_lora_reports_positive_p50s() -> None:
    result = self_benchmark.lora(dim=32, repeats=5)
    assert set(result) == {"dim", "repeats", "forward_p50_us", "forward_into_p50_us", "adapt_p50_us"}
    assert (result["dim"], result["repeats"]) == (32, 5)
    assert all(result[key] > 0 for key in ("forward_p50_us", "forward_into_p50_us", "adapt_p50_us"))


def test_run_dispatches_by_kind() -> None:
    assert self_benchmark.run("lora", {"dim": 8, "repeats": 2})["dim"] == 8
    assert self_benchmark.run("hnsw", {"size": 30, "dim": 4, "queries": 3, "k": 2})["k"] == 2


@pytest.mark.parametrize(
    "kind, options, error, message",
    [
        ("gpu", {}, ValueError, "unknown benchmark 'gpu'"),
        (3, None, ValueError, "unknown benchmark 3"),
        ("hnsw", [1], TypeError, "options must be a dict"),
        ("hnsw", {1: 2}, TypeError, "options must be a dict with string keys"),
        ("lora", {"size": 10}, ValueError, r"unknown option\(s\) \['size'\] for the lora benchmark"),
        ("hnsw", {"size": 0}, ValueError, "size must be >= 1, got 0"),
        ("hnsw", {"size": 100_001}, ValueError, "size must be <= 100000"),
        ("hnsw", {"size": 10.0}, TypeError, "size must be an integer, got float"),
        ("hnsw", {"size": True}, TypeError, "size must be an integer, got bool"),
        ("hnsw", {"dim": 1}, ValueError, "dim must be >= 2"),
        ("hnsw", {"dim": 2049}, ValueError, "dim must be <= 2048"),
        ("hnsw", {"queries": 0}, ValueError, "queries must be >= 1"),
        ("hnsw", {"queries": 10_001}, ValueError, "queries must be <= 10000"),
        ("hnsw", {"k": 0}, ValueError, "k must be >= 1"),
        ("hnsw", {"k": 101}, ValueError, "k must be <= 100"),
        ("hnsw", {"size": 5, "k": 6}, ValueError, "k must be <= size, got k=6 and size=5"),
        ("hnsw", {"size": 100_000, "dim": 1024}, ValueError, "size \\* dim is 102400000 values, at most 67108864"),
        ("hnsw", {"seed": -1}, ValueError, "seed must be >= 0"),
        ("lora", {"dim": 4096}, ValueError, "dim must be <= 2048"),
        ("lora", {"repeats": 0}, ValueError, "repeats must be >= 1"),
        ("lora", {"repeats": "10"}, TypeError, "repeats must be an integer, got str"),
    ],
)
def test_bad_options_are_refused(kind, options, error, message) -> None:
    with pytest.raises(error, match=message):
        self_benchmark.run(kind, options)
