"""Routing votes: how much feedback it takes to change a route, under the router's vote and the linear vote.

Usage::

    PYTHONPATH=. python benchmarks/bench_votes.py
    python benchmarks/run.py bench_votes.py --runtime both

Two vote rules, measured in the same run on the same data (everything is
seeded; only the rule differs):

``engine``
    The router's :func:`ruvllm_web.router.vote_weight`.
``linear`` (baseline)
    ``r * max(s, 0)``, the rule before 2026-12-03: similarity times success
    rate. Swapped in by replacing ``router.vote_weight``, which the
    router looks up on every vote.

Scenarios, each on a fresh :class:`IntelligentLLM` per rule:

``held_out``
    The starter library embedded by the built-in :class:`TextEmbedder`;
    accuracy on the 96 held-out requests; then every held-out request is
    *relabelled* to another agent (its agent's index + 3, mod 8) with the
    demo's correction, repeated until the request routes there (at most
    :data:`MAX_CORRECTIONS`): ``process(x)``, ``record_outcome(False)``,
    ``learn_pattern(x, new_agent, ..., 1.0)``. Reported: corrections
    needed (mean, max, how many never flipped) and, at the end, the share
    of the 96 that route to their new agent (later corrections can undo
    earlier ones).
``clusters``
    16 clusters of 40 patterns in 384 dims (two clusters per agent); a
    pattern or request is ``normalise(c + noise * g / sqrt(dim))``, so its
    cosine to the centre is about ``1 / sqrt(1 + noise^2)``. Three requests
    per cluster are relabelled as above; then 20 fresh requests per
    cluster check that the cluster still routes to its own agent.
``failures_only``
    The same clusters, but each holds 30 patterns of its agent and 10 of
    another; a request is only ever told it was routed wrong
    (``record_outcome(False)``, no agent revealed). Reported: outcomes
    until the route changes agent (at most :data:`MAX_FAILURES`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable

import numpy as np

from ruvllm_web import (
    STARTER_AGENTS,
    IntelligentConfig,
    IntelligentLLM,
    TextEmbedder,
    add_starter_library,
    held_out_examples,
)
from ruvllm_web import router

DIM = 384
CLUSTERS = 16
PER_CLUSTER = 40
NOISES = (0.3, 0.5, 1.0)
MAX_CORRECTIONS = 20
MAX_FAILURES = 50


def linear_vote(similarity: float, success_rate: float) -> float:
    """The baseline rule: ``r * max(s, 0)``."""
    return success_rate * max(similarity, 0.0)


def correct_until(engine: IntelligentLLM, x: np.ndarray, agent: str, text: str) -> int:
    """Apply the demo's correction to ``x`` until it routes to ``agent``; return how many it took."""
    count = 0
    while engine.route(x).agent != agent and count < MAX_CORRECTIONS:
        engine.process(x, text)
        engine.record_outcome(False)
        engine.learn_pattern(x, agent, "corrected", text, 1.0)
        count += 1
    return count


def correction_summary(needed: list[int]) -> dict[str, float]:
    """Mean and max corrections over the requests that needed any, and how many never flipped."""
    values = np.array([n for n in needed if n > 0] or [0])
    return {"relabelled": int(np.count_nonzero(needed)), "corrections_mean": round(float(values.mean()), 2),
            "corrections_max": int(values.max()), "never_within_limit": int(np.sum(values >= MAX_CORRECTIONS))}


def held_out() -> dict[str, object]:
    """Held-out accuracy through the router, then every request relabelled by corrections."""
    embedder = TextEmbedder()
    engine = IntelligentLLM()
    add_starter_library(engine, embedder)
    requests = held_out_examples()
    vectors = embedder.embed_batch([r.text for r in requests])
    accuracy = np.mean([engine.route(x).agent == r.agent for x, r in zip(vectors, requests)])
    targets = [STARTER_AGENTS[(STARTER_AGENTS.index(r.agent) + 3) % len(STARTER_AGENTS)] for r in requests]
    needed = [correct_until(engine, x, t, r.text) for x, t, r in zip(vectors, targets, requests)]
    final = np.mean([engine.route(x).agent == t for x, t in zip(vectors, targets)])
    return {"accuracy": round(float(accuracy), 4), **correction_summary(needed),
            "routed_to_new_agent_at_end": round(float(final), 4)}


def cluster_data(noise: float, seed: int) -> Callable[[int, int], np.ndarray]:
    """``draw(cluster, n)`` -> ``n`` unit rows ``(n, DIM)`` around one of ``CLUSTERS`` random unit centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def draw(cluster: int, n: int) -> np.ndarray:
        rows = centres[cluster] + noise * rng.standard_normal((n, DIM)) / np.sqrt(DIM)
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    return draw


def agent_of(cluster: int, shift: int = 0) -> str:
    """The agent owning ``cluster`` (two clusters per agent), or the one ``shift`` after it."""
    return f"agent{(cluster + shift) % (CLUSTERS // 2)}"


def clusters(noise: float) -> dict[str, object]:
    """Relabel three requests per cluster, then check fresh requests of every cluster."""
    draw = cluster_data(noise, seed=7)
    engine = IntelligentLLM(IntelligentConfig.with_dim(DIM))
    for cluster in range(CLUSTERS):
        for row in draw(cluster, PER_CLUSTER):
            engine.add_pattern(row, agent_of(cluster), "task")
    needed = [correct_until(engine, x, agent_of(cluster, 3), "relabelled request")
              for cluster in range(CLUSTERS) for x in draw(cluster, 3)]
    kept = np.mean([engine.route(x).agent == agent_of(cluster) for cluster in range(CLUSTERS) for x in draw(cluster, 20)])
    return {**correction_summary(needed), "fresh_requests_keep_cluster_agent": round(float(kept), 4)}


def failures_only(noise: float) -> dict[str, object]:
    """Outcomes-only feedback: how many ``record_outcome(False)`` until a route changes agent."""
    draw = cluster_data(noise, seed=11)
    engine = IntelligentLLM(IntelligentConfig.with_dim(DIM))
    for cluster in range(CLUSTERS):
        for i, row in enumerate(draw(cluster, PER_CLUSTER)):
            engine.add_pattern(row, agent_of(cluster, 0 if i % 4 else 1), "task")
    counts = []
    for cluster in range(CLUSTERS):
        for x in draw(cluster, 2):
            first = engine.route(x).agent
            count = 0
            while engine.route(x).agent == first and count < MAX_FAILURES:
                engine.process(x, "request")
                engine.record_outcome(False)
                count += 1
            counts.append(count)
    values = np.array(counts)
    return {"failures_mean": round(float(values.mean()), 2), "failures_max": int(values.max()),
            "never_within_limit": int(np.sum(values >= MAX_FAILURES))}


def run_rule() -> dict[str, object]:
    """Every scenario under the vote rule currently installed."""
    return {"held_out": held_out(),
            **{f"clusters, noise {noise:g}": clusters(noise) for noise in NOISES},
            **{f"failures_only, noise {noise:g}": failures_only(noise) for noise in NOISES}}


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    engine_rule = router.vote_weight
    results = {}
    for name, rule in (("engine", engine_rule), ("linear", linear_vote)):
        router.vote_weight = rule
        try:
            results[name] = run_rule()
        finally:
            router.vote_weight = engine_rule
    report = {"benchmark": "bench_votes",
              "runtime": {"python": platform.python_version(), "numpy": np.__version__,
                          "pyodide": sys.platform == "emscripten"},
              "vote_distance_floor": router.VOTE_DISTANCE_FLOOR, "rules": results}
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
