"""Small benchmarks the engine runs on itself, where it runs (the demo page's "measure" button).

Two kinds, each returning a JSON-able dict:

``hnsw``
    Builds an :class:`~ruvllm_web.HnswIndex` (default settings, graph search
    at every size) over ``size`` clustered unit vectors of ``dim`` values,
    then answers ``queries`` new queries from the same distribution twice:
    with the index (``search(q, k)``) and by numpy brute force
    (``s = X @ q``, then the ``k`` best of ``s`` in order). Reported: build
    milliseconds per vector, per-query p50/p99 in microseconds of both,
    ``speedup = brute p50 / hnsw p50`` (NaN if the clock was too coarse to
    time a search at all), and
    ``recall@k = |hnsw top-k  intersect  exact top-k| / (k * queries)`` against
    the brute-force answers of the same run.
``lora``
    A :class:`~ruvllm_web.MicroLoRA` of ``dim`` (rank 2, the defaults):
    p50 microseconds of ``forward``, ``forward_into`` (no allocation) and
    ``adapt``. Each sample is the mean of a batch of :data:`LORA_BATCH` calls,
    because a browser's clock ticks in 5 us (cross-origin isolated) or
    100 us steps, coarser than one call.

Data: ``max(1, size // 100)`` random unit centres; each point is a centre
plus Gaussian noise of norm about 0.8, normalised (:func:`clustered`, also
used by ``benchmarks/bench_hnsw.py``). Everything is seeded; only the
timings vary between runs.

Arguments are bounded (:data:`LIMITS`) so a page cannot ask for a run that
exhausts the worker's memory: ``size * dim`` is at most :data:`MAX_VALUES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ruvllm_web.hnsw import HnswIndex
from ruvllm_web.lora.micro import MicroLoRA
from ruvllm_web.validation import as_int

#: Inclusive bounds of every integer option, by name.
LIMITS: dict[str, tuple[int, int]] = {
    "size": (1, 100_000),
    "dim": (2, 2048),
    "queries": (1, 10_000),
    "k": (1, 100),
    "repeats": (1, 10_000),
    "seed": (0, 2**32 - 1),
}
#: Largest ``size * dim`` of an HNSW run (256 MiB of float32 vectors).
MAX_VALUES = 1 << 26
#: Calls per timed sample of the LoRA benchmark.
LORA_BATCH = 20


def clustered(n: int, dim: int, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n`` unit vectors ``(n, dim)`` float32 scattered around random rows of ``centres``.

    Row ``i`` is ``c + e`` normalised, ``c`` a uniformly chosen row of
    ``centres`` ``(m, dim)``, ``e ~ N(0, (0.8^2 / dim) I)`` (so ``||e||`` is about 0.8).
    """
    picks = rng.integers(0, centres.shape[0], n)
    points = centres[picks] + rng.standard_normal((n, dim)).astype(np.float32) * np.float32(0.8 / np.sqrt(dim))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float32)


def unit_centres(count: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random unit vectors ``(count, dim)`` float32 (normalised Gaussian draws)."""
    centres = rng.standard_normal((count, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return centres


def hnsw_vectors(size: int, dim: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The data ``(size, dim)`` and queries ``(queries, dim)`` of an :func:`hnsw` run, float32 unit rows.

    Both are :func:`clustered` around the same ``max(1, size // 100)`` :func:`unit_centres`,
    drawn in that order from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    centres = unit_centres(max(1, size // 100), dim, rng)
    return clustered(size, dim, centres, rng), clustered(queries, dim, centres, rng)


def brute_force_top_k(data: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Ids of the ``k`` largest ``data @ query`` ``(n,)`` scores, best first (``k <= n``)."""
    scores = data @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def hnsw(size: int = 1000, dim: int = 128, queries: int = 100, k: int = 10, seed: int = 0) -> dict[str, Any]:
    """Build an index of ``size`` x ``dim`` vectors and time ``queries`` searches against brute force.

    Parameters
    ----------
    size : int
        Vectors in the index, 1 to 100000, at least ``k``.
    dim : int
        Vector length, 2 to 2048; ``size * dim <= MAX_VALUES``.
    queries : int
        Searches timed (each way), 1 to 10000.
    k : int
        Neighbours per search, 1 to 100.
    seed : int
        Seed of the data and of the index's levels.

    Returns
    -------
    dict
        ``size``, ``dim``, ``k``, ``build_ms_per_vector``, ``hnsw_p50_us``,
        ``hnsw_p99_us``, ``brute_p50_us``, ``speedup``, ``recall_at_k``.

    Raises
    ------
    TypeError, ValueError
        For an option that is not an integer or out of its range.
    """
    size, dim, queries, k, seed = _options(size=size, dim=dim, queries=queries, k=k, seed=seed)
    if k > size:
        raise ValueError(f"k must be <= size, got k={k} and size={size}")
    if size * dim > MAX_VALUES:
        raise ValueError(f"size * dim is {size * dim} values, at most {MAX_VALUES} allowed")
    data, probes = hnsw_vectors(size, dim, queries, seed)
    index = HnswIndex(dim, seed=seed, exact_threshold=0)
    started = time.perf_counter()
    index.add_batch(data)
    build_ms = (time.perf_counter() - started) * 1e3

    graph_us, found = _timed_each(lambda q: index.search(q, k)[0], probes)
    brute_us, truth = _timed_each(lambda q: brute_force_top_k(data, q, k), probes)
    hits = sum(len(set(ids.tolist()) & set(exact.tolist())) for ids, exact in zip(found, truth))
    graph_p50, graph_p99 = np.percentile(graph_us, [50, 99])
    brute_p50 = float(np.percentile(brute_us, 50))
    return {
        "size": size,
        "dim": dim,
        "k": k,
        "build_ms_per_vector": build_ms / size,
        "hnsw_p50_us": float(graph_p50),
        "hnsw_p99_us": float(graph_p99),
        "brute_p50_us": brute_p50,
        "speedup": brute_p50 / float(graph_p50) if graph_p50 > 0 else float("nan"),
        "recall_at_k": hits / (k * queries),
    }


def lora(dim: int = 256, repeats: int = 200, seed: int = 0) -> dict[str, Any]:
    """Time a rank-2 MicroLoRA's ``forward``, ``forward_into`` and ``adapt`` at ``dim``.

    Parameters
    ----------
    dim : int
        Adapter dimension, 2 to 2048.
    repeats : int
        Timed samples per operation, 1 to 10000; each is the mean of
        :data:`LORA_BATCH` consecutive calls.
    seed : int
        Seed of the adapter and the input.

    Returns
    -------
    dict
        ``dim``, ``repeats``, ``forward_p50_us``, ``forward_into_p50_us``, ``adapt_p50_us``.

    Raises
    ------
    TypeError, ValueError
        For an option that is not an integer or out of its range.
    """
    dim, repeats, seed = _options(dim=dim, repeats=repeats, seed=seed)
    rng = np.random.default_rng(seed)
    adapter = MicroLoRA(dim, seed=seed)
    x = rng.standard_normal(dim).astype(np.float32)
    gradient = (rng.standard_normal(dim) * 0.01).astype(np.float32)
    out = np.empty(dim, dtype=np.float32)
    adapter.forward(x)
    return {
        "dim": dim,
        "repeats": repeats,
        "forward_p50_us": _batched_p50(lambda: adapter.forward(x), repeats),
        "forward_into_p50_us": _batched_p50(lambda: adapter.forward_into(x, out), repeats),
        "adapt_p50_us": _batched_p50(lambda: adapter.adapt(gradient), repeats),
    }


#: The benchmarks by kind, for :func:`run`.
KINDS: dict[str, Callable[..., dict[str, Any]]] = {"hnsw": hnsw, "lora": lora}
#: The keyword options each benchmark takes.
OPTIONS = {"hnsw": ("size", "dim", "queries", "k", "seed"), "lora": ("dim", "repeats", "seed")}


def run(kind: object, options: object = None) -> dict[str, Any]:
    """Run the benchmark ``kind`` (``"hnsw"`` or ``"lora"``) with the keyword ``options`` (a dict).

    Raises
    ------
    TypeError
        If ``options`` is not a dict with string keys.
    ValueError
        For an unknown kind or option name, or a bad option value.
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"unknown benchmark {kind!r}; known: {sorted(KINDS)}")
    options = {} if options is None else options
    if not isinstance(options, dict) or not all(isinstance(name, str) for name in options):
        raise TypeError(f"benchmark options must be a dict with string keys, got {type(options).__name__}")
    unknown = sorted(set(options) - set(OPTIONS[kind]))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for the {kind} benchmark; known: {list(OPTIONS[kind])}")
    return KINDS[kind](**options)


def _options(**values: object) -> list[int]:
    """The values, in order, each checked against its :data:`LIMITS` entry."""
    return [as_int(value, name, *LIMITS[name]) for name, value in values.items()]


def _timed_each(
    function: Callable[[np.ndarray], np.ndarray], probes: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Call ``function`` on each row of ``probes``; return each call's microseconds and results."""
    times = np.empty(probes.shape[0])
    results = []
    for row, probe in enumerate(probes):
        started = time.perf_counter()
        results.append(function(probe))
        times[row] = (time.perf_counter() - started) * 1e6
    return times, results


def _batched_p50(function: Callable[[], object], repeats: int) -> float:
    """Median over ``repeats`` samples of the mean microseconds per call of :data:`LORA_BATCH` calls."""
    samples = np.empty(repeats)
    for sample in range(repeats):
        started = time.perf_counter()
        for _ in range(LORA_BATCH):
            function()
        samples[sample] = (time.perf_counter() - started) * 1e6 / LORA_BATCH
    return float(np.median(samples))
