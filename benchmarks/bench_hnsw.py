"""Benchmark of HnswIndex against numpy brute force, in the same runtime and run.

Runs unchanged on CPython and inside Pyodide. Prints one JSON document:
for each size, build time per vector (add_batch) and per single add at
that size, query p50/p99 latency and recall@10 for several ef values,
the speed-up over numpy brute force (the faster of ``X @ q`` and
``einsum``, timed here), the exact-search path's latency, and memory.

Each ef's speed-up divides a brute-force p50 by a search p50 timed in
alternating blocks of :data:`BLOCK` queries (brute force, then search, on
the same queries), so that the machine's speed drifting over the minutes of
a run (a shared VM's memory bandwidth, which a 100k brute force depends on)
moves both alike.

Data: clustered synthetic embeddings, unit length: ``n / 100`` random
unit centres, each point = centre + Gaussian noise of norm about 0.8,
normalised; queries drawn the same way.

Usage::

    python benchmarks/bench_hnsw.py            # 1k, 10k, 100k x 384
    python benchmarks/bench_hnsw.py --quick    # 1k and 10k only
    python benchmarks/bench_hnsw.py --sizes 1000,5000 --dim 128 --queries 100
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from ruvllm_web import HnswIndex
from ruvllm_web.dense import USES_BLAS
from ruvllm_web.self_benchmark import clustered

EF_VALUES = (12, 14, 15, 16, 24, 32, 64, 128)
#: Queries per block when brute force and search are timed in turn.
BLOCK = 20


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p99 of ``samples`` (seconds) in milliseconds."""
    values = np.array(samples) * 1e3
    return {"p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99))}


def timed_brute_force(score: Callable[[np.ndarray], np.ndarray], q: np.ndarray) -> float:
    """Seconds one brute-force top-10 of ``q`` takes: ``score(q)``, ``argpartition``, sort of the 10."""
    start = time.perf_counter()
    scores = score(q)
    top = np.argpartition(-scores, 9)[:10]
    top[np.argsort(-scores[top])]
    return time.perf_counter() - start


def brute_force(
    data: np.ndarray, queries: np.ndarray
) -> tuple[dict[str, object], Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """Time both numpy brute-force forms per query; return timings, the faster form, exact top-10 ids ``(q, 10)``."""
    timings: dict[str, object] = {}
    forms: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "matmul": lambda q: data @ q,
        "einsum": lambda q: np.einsum("ij,j->i", data, q),
    }
    for name, score in forms.items():
        timings[name] = percentiles([timed_brute_force(score, q) for q in queries])
    exact = np.argsort(-(queries @ data.T), axis=1)[:, :10]
    faster = min(forms, key=lambda name: timings[name]["p50_ms"])  # type: ignore[index]
    timings["p50_ms"] = timings[faster]["p50_ms"]  # type: ignore[index]
    return timings, forms[faster], exact


def time_queries(
    index: HnswIndex,
    queries: np.ndarray,
    exact: np.ndarray,
    ef: int,
    score: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, float]:
    """Latency percentiles and recall@10 of ``index.search`` at beam width ``ef``.

    With ``score`` (a brute-force form), brute force is timed too, in
    alternating blocks of :data:`BLOCK` queries, and the result also holds
    its p50 and the speed-up of the search over it.
    """
    samples, brute, hits = [], [], 0
    for first in range(0, len(queries), BLOCK):
        block = range(first, min(first + BLOCK, len(queries)))
        if score is not None:
            brute.extend(timed_brute_force(score, queries[i]) for i in block)
        for i in block:
            start = time.perf_counter()
            ids, _ = index.search(queries[i], 10, ef=ef)
            samples.append(time.perf_counter() - start)
            hits += len(set(ids.tolist()) & set(exact[i].tolist()))
    result = percentiles(samples)
    result["recall_at_10"] = hits / (10 * len(queries))
    if score is not None:
        result["brute_force_p50_ms"] = percentiles(brute)["p50_ms"]
        result["speedup_vs_brute_p50"] = result["brute_force_p50_ms"] / result["p50_ms"]
    return result


def bench_size(n: int, args: argparse.Namespace) -> dict[str, object]:
    """All measurements at one collection size."""
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((max(1, n // 100), args.dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = clustered(n, args.dim, centres, rng)
    queries = clustered(args.queries, args.dim, centres, rng)
    extra = clustered(args.single_adds, args.dim, centres, rng)

    index = HnswIndex(args.dim, m=args.m, ef_construction=args.ef_construction, seed=args.seed, exact_threshold=0)
    start = time.perf_counter()
    index.add_batch(data)
    build = time.perf_counter() - start
    links = index._links.nbytes  # noqa: SLF001 - the benchmark reports the link share of memory
    memory = {
        "index_bytes": index.nbytes,
        "raw_vectors_bytes": data.nbytes,
        "link_bytes": links,
        "bytes_per_vector": index.nbytes / n,
        "ratio_to_raw_vectors_plus_links": index.nbytes / (data.nbytes + links),
        "note": "after add_batch (capacity == n); single adds past capacity double it",
    }
    start = time.perf_counter()
    for row in extra:
        index.add(row)
    single = time.perf_counter() - start
    for ident in range(n, n + args.single_adds):
        index.remove(ident)

    baseline, score, exact = brute_force(data, queries)
    sweep = {str(ef): time_queries(index, queries, exact, ef, score) for ef in EF_VALUES}
    index.exact_threshold = n
    exact_path = time_queries(index, queries, exact, 10)

    return {
        "n": n,
        "build_ms_per_vector": build / n * 1e3,
        "single_add_ms_per_vector": single / max(1, args.single_adds) * 1e3,
        "brute_force": baseline,
        "graph_search": sweep,
        "exact_path": exact_path,
        "memory": memory,
        "capacity_after_single_adds": index.capacity,
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark, print and return the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1k and 10k only")
    parser.add_argument("--sizes", help="comma-separated collection sizes (overrides --quick)")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--single-adds", type=int, default=50)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
    document = {
        "benchmark": "hnsw",
        "runtime": {
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "machine": platform.machine(),
            "numpy": np.__version__,
            "kernel": "matmul (BLAS)" if USES_BLAS else "einsum (no BLAS)",
        },
        "settings": {"dim": args.dim, "m": args.m, "ef_construction": args.ef_construction, "queries": args.queries},
        "results": [bench_size(n, args) for n in sizes],
    }
    print(json.dumps(document, indent=2))
    return document


if __name__ == "__main__":
    main(sys.argv[1:])
