"""Latency of ``IntelligentLLM.process()`` at 10k patterns x 384, and the cost of SONA's ``tick()``.

Usage::

    python benchmarks/bench_process.py [--patterns 10000] [--queries 1000] [--trajectories 10000]
    python benchmarks/run.py bench_process.py --runtime both     # CPython and Pyodide (Node)

Prints one JSON document; times are microseconds per call (p50, p99, mean)
over ``--queries`` calls after a warm-up, all measured in the same run, the
calls taking turns (see :func:`timed_in_turn`), so a drift of the machine's
speed during the run reaches them all alike (``process_learn``'s learning,
outcomes and queued trajectories, is seen by the calls after it; no tick
runs):

- ``process``: ``process(x, context, None)``: route, LoRA adapt, no learning.
- ``process_learn``: ``process(x, context, q)``: the same plus the outcome
  record and SONA's instant loop (the trajectory is queued, nothing ticks).
- ``route_only`` (baseline): ``router.route(x)`` on the raw input.
- ``brute_force_topk`` (baseline): exact cosine top-k in plain numpy over the
  same unit pattern matrix (scores, ``argpartition``, sort the k), the faster
  at p50 of its two forms, also reported: ``brute_force_matmul`` (``P @ x``)
  and ``brute_force_einsum`` (``einsum("ij,j->i", P, x)``; without BLAS, as
  in Pyodide, about twice as fast as ``matmul``).
- ``adapt_only``: ``sona.adapt(x)``, the two adapters' forward pass.

``route_recall_by_ef``: for beam widths ``ef`` of :data:`EF_SWEEP`, the
share of queries whose voted agent (the router's vote rule over the index's
top ``top_k``) equals the agent voted over the exact top ``top_k`` (numpy
brute force), the recall@top_k of the index, and the search's p50; queries
from the same clusters with noise 1 (the data above), 2 and 4 times as large.

Then ``--trajectories`` requests are processed with quality feedback and no
ticks, so that many trajectories wait (the ring's capacity is raised to hold
them), and ``tick()`` is called on a simulated clock until none wait. Each
tick does one job (see :mod:`ruvllm_web.learning.sona`), reported apart: ``ticks``
consolidate (at most ``max_batch`` trajectories, ``max_learn_per_tick``
router searches and ``max_insert_per_tick`` inserts, whatever is waiting),
``evict_ticks`` make room in the full library, ``deep_ticks`` run one deep
slice (``deep_loop`` is the deep loop's own time as SONA's statistics record
it); ``ticks_without_router_learn`` subtracts from the consolidating ticks
the time spent inside the router's ``reinforce_pattern`` and
``learn_pattern`` (index searches and the insert), leaving SONA's own work
(distillation, EWC, bookkeeping).

The data: ``--patterns`` unit vectors around 200 cluster centres
(noise norm 1), 8 agents; queries from the same clusters. The script runs
unchanged on CPython and in Pyodide.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Callable

import numpy as np

from ruvllm_web import IntelligentConfig, IntelligentLLM, SonaConfig
from ruvllm_web.router import vote_weight

DIM = 384
CLUSTERS = 200
AGENTS = 8
TOP_K = 10
#: Beam widths of ``route_recall_by_ef``: the default (32), the former default (50) and narrower.
EF_SWEEP = (16, 24, 32, 50)


def clustered(rng: np.random.Generator, centres: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit rows ``(n, dim)`` around random ``centres`` and the index of each row's centre."""
    which = rng.integers(0, centres.shape[0], n)
    rows = centres[which] + rng.standard_normal((n, centres.shape[1])) / np.sqrt(centres.shape[1])
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32), which


def percentiles(samples_us: list[float]) -> dict[str, float]:
    """p50, p99, mean and max of microsecond samples."""
    values = np.asarray(samples_us)
    return {"p50_us": round(float(np.percentile(values, 50)), 1), "p99_us": round(float(np.percentile(values, 99)), 1),
            "mean_us": round(float(values.mean()), 1), "max_us": round(float(values.max()), 1), "calls": len(values)}


def timed_in_turn(calls: dict[str, Callable[[np.ndarray], object]], queries: np.ndarray, warmup: int) -> dict[str, dict]:
    """Time every call once per query, the calls taking turns, after ``warmup`` untimed rounds.

    Round ``i`` runs all calls in their cyclic order starting with call
    ``i mod len(calls)``, call ``j`` on query ``(i + j * n // len(calls)) mod n``:
    every call sees every query once, a change of the machine's speed during
    the run reaches all calls alike, and no call runs on the query the call
    before it just searched (whose rows would still be cached). A call still
    runs right after the one before it in ``calls`` in all but the first
    turn of a round, so it inherits that call's effect on the cache (a
    brute-force scan of every row evicts more than an adapter's pass).
    """
    names = list(calls)
    k = len(names)
    n, stride = queries.shape[0], max(1, queries.shape[0] // k)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(-warmup, n):
        for turn in range(k):
            j = (i + turn) % k
            q = queries[(i + j * stride) % n]
            started = time.perf_counter()
            calls[names[j]](q)
            if i >= 0:
                samples[names[j]].append((time.perf_counter() - started) * 1e6)
    return {name: percentiles(values) for name, values in samples.items()}


def build_engine(rng: np.random.Generator, centres: np.ndarray, n: int, capacity: int) -> tuple[IntelligentLLM, float]:
    """An engine holding ``n`` patterns (agent = centre mod AGENTS); return it and the build time in seconds."""
    config = IntelligentConfig.with_dim(DIM, sona=SonaConfig(capacity=capacity))
    engine = IntelligentLLM(config)
    rows, which = clustered(rng, centres, n)
    started = time.perf_counter()
    for row, centre in zip(rows, which.tolist()):
        agent = f"agent{centre % AGENTS}"
        engine.add_pattern(row, agent, f"task_{agent}", "pattern")
    return engine, time.perf_counter() - started


def bench_requests(engine: IntelligentLLM, queries: np.ndarray, qualities: np.ndarray, warmup: int) -> dict:
    """Per-call latency of process, process with learning, and the two baselines."""
    ids, matrix = engine.router.embeddings()
    k = min(TOP_K, ids.shape[0])

    def brute_force(score: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
        def top_k(x: np.ndarray) -> np.ndarray:
            scores = score(x / np.linalg.norm(x))
            top = np.argpartition(-scores, k - 1)[:k]
            return ids[top[np.argsort(-scores[top])]]
        return top_k

    cursor = iter(range(1 << 62))

    def process_learn(x: np.ndarray) -> object:
        return engine.process(x, "request", float(qualities[next(cursor) % qualities.shape[0]]))

    results = timed_in_turn({
        "brute_force_matmul": brute_force(lambda u: matrix @ u),
        "brute_force_einsum": brute_force(lambda u: np.einsum("ij,j->i", matrix, u)),
        "route_only": engine.router.route,
        "adapt_only": engine.sona.adapt,
        "process": lambda x: engine.process(x, "request", None),
        "process_learn": process_learn,
    }, queries, warmup)
    results["brute_force_topk"] = min(results["brute_force_matmul"], results["brute_force_einsum"],
                                      key=lambda timing: timing["p50_us"])
    for name in ("process", "process_learn", "route_only"):
        results[name]["ratio_to_brute_force_p50"] = round(
            results[name]["p50_us"] / results["brute_force_topk"]["p50_us"], 3)
    return results


def route_recall_by_ef(engine: IntelligentLLM, rng: np.random.Generator, centres: np.ndarray, count: int) -> dict:
    """Voted-agent agreement with the exact top_k vote, recall@top_k and search p50, per ``ef`` and noise."""
    router = engine.router
    index = router._index  # the benchmark asks the router's own index for other beam widths
    ids, matrix = router.embeddings()
    top_k = router.config.top_k
    records = {r.id: r for r in router.patterns()}

    def voted(found: list[int], similarities: list[float]) -> str:
        votes: dict[str, float] = {}
        for ident, similarity in zip(found, similarities):
            agent = records[ident].agent
            votes[agent] = votes.get(agent, 0.0) + vote_weight(similarity, records[ident].success_rate)
        return min(votes.items(), key=lambda item: (-item[1], item[0]))[0]

    results = {}
    for noise in (1.0, 2.0, 4.0):
        which = rng.integers(0, centres.shape[0], count)
        rows = centres[which] + noise * rng.standard_normal((count, DIM)) / np.sqrt(DIM)
        queries = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
        exact = []
        for q in queries:
            scores = matrix @ q
            top = np.argsort(-scores, kind="stable")[:top_k]
            exact.append((voted(ids[top].tolist(), scores[top].tolist()), set(ids[top].tolist())))
        for ef in EF_SWEEP:
            agree = found_total = 0
            samples = []
            for q, (agent, truth) in zip(queries, exact):
                started = time.perf_counter()
                found, similarities = index.search(q, top_k, ef=ef)
                samples.append((time.perf_counter() - started) * 1e6)
                agree += voted(found.tolist(), similarities.tolist()) == agent
                found_total += len(truth & set(found.tolist()))
            results[f"noise {noise:g}, ef {ef}"] = {
                "route_agreement": round(agree / count, 4), "recall_at_k": round(found_total / count / top_k, 4),
                "search_p50_us": round(float(np.percentile(samples, 50)), 1)}
    return results


def bench_ticks(engine: IntelligentLLM, rng: np.random.Generator, centres: np.ndarray, count: int) -> dict:
    """Queue ``count`` trajectories, then tick until none wait; cost per tick."""
    queued, _ = clustered(rng, centres, count)
    qualities = rng.random(count)
    for x, q in zip(queued, qualities.tolist()):
        engine.process(x, "queued request", q)
    waiting = engine.sona.trajectories.pending
    patterns_before = len(engine.router)
    interval = engine.sona.config.interval_ms / 1000.0
    in_router = [0.0]

    def timed(method: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object) -> object:  # time spent in the router's learning calls during ticks
            started = time.perf_counter()
            try:
                return method(*args)
            finally:
                in_router[0] += (time.perf_counter() - started) * 1e6
        return call

    engine.router.learn_pattern = timed(engine.router.learn_pattern)
    engine.router.reinforce_pattern = timed(engine.router.reinforce_pattern)
    plain, own, evict, deep, learned, deep_reports = [], [], [], [], 0, []
    now = 1e6  # far from any earlier tick
    while engine.sona.trajectories.pending:
        now += interval
        in_router[0] = 0.0
        started = time.perf_counter()
        report = engine.sona.tick(now=now, force=True)
        elapsed = (time.perf_counter() - started) * 1e6
        learned += report["learned"]
        if "deep" in report:
            deep.append(elapsed)
            deep_reports.append(report["deep"])
        elif "evicted" in report:
            evict.append(elapsed)
        else:
            plain.append(elapsed)
            own.append(elapsed - in_router[0])
    del engine.router.learn_pattern, engine.router.reinforce_pattern
    c = engine.sona.config
    return {
        "waiting": waiting,
        "patterns_before": patterns_before,
        "patterns_after": len(engine.router),
        "bound": {"max_batch": c.max_batch, "max_learn_per_tick": c.max_learn_per_tick,
                  "max_insert_per_tick": c.max_insert_per_tick, "max_deep_patterns": c.max_deep_patterns,
                  "max_deep_removals": c.max_deep_removals},
        "ticks": percentiles(plain) if plain else None,
        "ticks_without_router_learn": percentiles(own) if own else None,
        "evict_ticks": percentiles(evict) if evict else None,
        "deep_ticks": percentiles(deep) if deep else None,
        "deep_loop": {name: engine.sona.stats()["deep"][name] for name in ("runs", "mean_us", "p50_us")},
        "deep_runs": len(deep_reports),
        "deep_passes_done": sum(r["pass_done"] for r in deep_reports),
        "deep_merged": sum(r["merged"] for r in deep_reports),
        "deep_pruned": sum(r["pruned"] for r in deep_reports),
        "patterns_learned": learned,
    }


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--trajectories", type=int, default=10_000)
    parser.add_argument("--recall-queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv)
    rng = np.random.default_rng(options.seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    engine, build_s = build_engine(rng, centres, options.patterns, max(options.trajectories, 1))
    queries, _ = clustered(rng, centres, options.queries)
    report = {
        "benchmark": "bench_process",
        "runtime": {"python": platform.python_version(), "numpy": np.__version__,
                    "pyodide": sys.platform == "emscripten"},
        "dim": DIM,
        "patterns": options.patterns,
        "build_s": round(build_s, 2),
        "requests": bench_requests(engine, queries, rng.random(options.queries), options.warmup),
        "route_recall_by_ef": route_recall_by_ef(engine, rng, centres, options.recall_queries),
        "tick": bench_ticks(engine, rng, centres, options.trajectories),
    }
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
