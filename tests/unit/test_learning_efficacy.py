"""The engine learns from per-request feedback: on a seeded stream with unseen regions, overlap and a
drift, it routes clearly better than the static router holding the same seed examples, and comes
close to the exact k-NN that is told every label. A small run of benchmarks/bench_learning.py."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench_learning import StreamConfig, make_stream, run_stream, summarise, variants

CONFIG = StreamConfig(dim=32, agents=4, clusters=3, seeds=1, length=400, noise=1.0, seed=3)


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    stream = make_stream(CONFIG)
    learners = variants(stream, CONFIG, request_ms=20.0)
    return {
        name: summarise(run_stream(learners[name], stream), 100, stream.drift_at)
        for name in ("static", "engine", "engine_sona_off", "oracle_knn")
    }


def test_stream_is_deterministic_and_labelled_as_generated() -> None:
    one, two = make_stream(CONFIG), make_stream(CONFIG)
    np.testing.assert_array_equal(one.xs, two.xs)
    assert one.ys == two.ys and len(one.ys) == CONFIG.length and one.drift_at == CONFIG.length // 2
    np.testing.assert_allclose(np.linalg.norm(one.xs, axis=1), 1.0, rtol=1e-5)
    assert sorted(set(one.seed_y)) == sorted(set(one.ys)) == [f"agent{a}" for a in range(CONFIG.agents)]


def test_engine_beats_the_static_router_by_a_clear_margin(results: dict[str, dict]) -> None:
    static, engine = results["static"], results["engine"]
    assert engine["overall"] >= static["overall"] + 0.25, (engine, static)
    assert engine["after_drift"] >= static["after_drift"] + 0.25, (engine, static)
    # It improves over its own start: the last quarter beats the first window.
    assert engine["end_of_second_half"] > engine["windows"][0]


def test_engine_comes_close_to_the_all_labels_knn_reference(results: dict[str, dict]) -> None:
    assert results["engine"]["overall"] >= results["oracle_knn"]["overall"] - 0.05, results


def test_sona_background_learning_adds_accuracy(results: dict[str, dict]) -> None:
    """Without SONA the engine keeps only its corrections; SONA also keeps confirmed routes."""
    assert results["engine"]["overall"] > results["engine_sona_off"]["overall"], results
