"""Benchmark MicroLoRA, ScopedLoRA and TrajectoryBuffer against naive numpy in the same run.

Usage::

    python benchmarks/bench_lora.py [--quick]

Prints one JSON document. Each result is microseconds per call for our
implementation (``us``) and for a naive numpy implementation of the same
operation (``naive_us``), and ``ratio_to_naive = us / naive_us`` (below 1:
faster than naive). The naive versions, run on the same float32 arrays:

- forward, forward_zero_alloc: ``x + alpha * ((x @ A) @ B)`` (unfused, allocating,
  no validation); ours validates the input and records it for ``adapt``.
- adapt: ``h = x @ A; bg = B @ g; B -= lr*alpha*outer(h, g); A -= lr*alpha*outer(x, bg)``
  (the same true gradient step, no clipping, no checks, no change detection).
- scoped_forward: the naive forward of the operator's and the category's
  weights, blended ``w * own + (1 - w) * category`` (here ``w = 0.5``);
  scoped_forward_settled: an operator past fallback, one naive forward.
- trajectory_record: assign the embedding row and four scalars into
  preallocated arrays and advance the ring index (no validation).

``document_us`` is the figure of the learning-wasm document (its WASM build);
the target is to beat it inside Pyodide. The script runs unchanged on CPython
and in Pyodide.
"""

from __future__ import annotations

import json
import platform
import sys
import timeit
from typing import Callable

import numpy as np

from ruvllm_web import MicroLoRA, OperatorType, ScopedLoRA, TrajectoryBuffer

DOCUMENT_US = {"forward": 15.0, "forward_zero_alloc": 8.0, "adapt": 25.0, "scoped_forward": 20.0,
               "scoped_forward_settled": 20.0, "trajectory_record": 5.0}
RANKS = (1, 2, 4)
DIMS = (256, 768)


def per_call_us(call: Callable[[], object], number: int, repeat: int) -> float:
    """Best-of-``repeat`` mean time of ``call`` in microseconds."""
    call()
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def naive_forward(x: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    return x + alpha * ((x @ a) @ b)


def bench_micro_lora(dim: int, rank: int, number: int, repeat: int) -> list[dict]:
    rng = np.random.default_rng(dim + rank)
    x = rng.standard_normal(dim).astype(np.float32)
    g = (rng.standard_normal(dim) * 0.01).astype(np.float32)
    neg_g = -g
    lora = MicroLoRA(dim, rank=rank)
    lora.forward(x)
    lora.adapt(g)  # B non-zero, as after any learning
    a, b = lora.a.copy(), lora.b.copy()
    alpha, lr = lora.alpha, lora.learning_rate
    lora.input_buffer[:] = x

    naive = per_call_us(lambda: naive_forward(x, a, b, alpha), number, repeat)
    results = [
        row("forward", dim, rank, per_call_us(lambda: lora.forward(x), number, repeat), naive),
        row("forward_zero_alloc", dim, rank, per_call_us(lora.forward_buffers, number, repeat), naive),
    ]
    lora.forward(x)
    flip = [g, neg_g]  # alternate signs so the weights stay near where they are

    def ours_adapt() -> None:
        flip.reverse()
        lora.adapt(flip[0])

    def naive_adapt() -> None:
        flip.reverse()
        gradient = flip[0]
        h = x @ a
        bg = b @ gradient
        b[...] -= lr * alpha * np.outer(h, gradient)
        a[...] -= lr * alpha * np.outer(x, bg)

    results.append(row("adapt", dim, rank, per_call_us(ours_adapt, number, repeat),
                       per_call_us(naive_adapt, number, repeat)))
    return results


def bench_scoped(dim: int, rank: int, number: int, repeat: int) -> list[dict]:
    rng = np.random.default_rng(dim * rank)
    x = rng.standard_normal(dim).astype(np.float32)
    scoped = ScopedLoRA(dim, rank=rank)
    blended, settled = OperatorType.HASH_JOIN, OperatorType.HNSW_SCAN
    for op, count in ((blended, 5), (settled, 10)):
        for i in range(count):
            scoped.forward(op, x)
            scoped.adapt(op, (rng.standard_normal(dim) * 0.01).astype(np.float32))
    weights = {op: (scoped.operator_adapter(op).a.copy(), scoped.operator_adapter(op).b.copy(),
                    scoped.category_adapter(op).a.copy(), scoped.category_adapter(op).b.copy())
               for op in (blended, settled)}
    alpha, w = scoped.alpha, scoped.blend_weight(blended)
    naive_table = [weights[blended]] * 24  # the naive version looks its adapters up too

    def naive_blend() -> np.ndarray:
        own_a, own_b, cat_a, cat_b = naive_table[int(blended)]
        return w * naive_forward(x, own_a, own_b, alpha) + (1 - w) * naive_forward(x, cat_a, cat_b, alpha)

    own_a, own_b = weights[settled][:2]
    return [
        row("scoped_forward", dim, rank, per_call_us(lambda: scoped.forward(blended, x), number, repeat),
            per_call_us(naive_blend, number, repeat)),
        row("scoped_forward_settled", dim, rank, per_call_us(lambda: scoped.forward(settled, x), number, repeat),
            per_call_us(lambda: naive_forward(x, own_a, own_b, alpha), number, repeat)),
    ]


def bench_record(dim: int, number: int, repeat: int) -> dict:
    capacity = 1000
    rng = np.random.default_rng(dim)
    x = rng.standard_normal(dim).astype(np.float32)
    buffer = TrajectoryBuffer(capacity, dim)
    embeddings = np.zeros((capacity, dim), dtype=np.float32)
    ops, attention = np.zeros(capacity, dtype=np.int64), np.zeros(capacity, dtype=np.int64)
    exec_ms, baseline_ms = np.zeros(capacity), np.zeros(capacity)
    cursor = [0]

    def naive_record() -> None:
        i = cursor[0]
        embeddings[i] = x
        ops[i], attention[i], exec_ms[i], baseline_ms[i] = 2, 5, 45.2, 120.5
        cursor[0] = (i + 1) % capacity

    ours = per_call_us(lambda: buffer.record(x, 2, 5, 45.2, 120.5), number, repeat)
    return row("trajectory_record", dim, None, ours, per_call_us(naive_record, number, repeat))


def row(op: str, dim: int, rank: int | None, ours: float, naive: float) -> dict:
    return {"op": op, "dim": dim, "rank": rank, "us": round(ours, 3), "naive_us": round(naive, 3),
            "ratio_to_naive": round(ours / naive, 3), "document_us": DOCUMENT_US[op],
            "beats_document": ours < DOCUMENT_US[op]}


def run_all(number: int, repeat: int) -> list[dict]:
    results: list[dict] = []
    for dim in DIMS:
        for rank in RANKS:
            results += bench_micro_lora(dim, rank, number, repeat)
            results += bench_scoped(dim, rank, number, repeat)
        results.append(bench_record(dim, number, repeat))
    return results


def main(argv: list[str]) -> dict:
    quick = "--quick" in argv
    number, repeat = (300, 3) if quick else (3000, 7)
    run_all(50, 1)  # warm-up: WebAssembly engines tier up hot code after the first calls
    results = run_all(number, repeat)
    report = {
        "benchmark": "bench_lora",
        "quick": quick,
        "runtime": {"python": platform.python_version(), "platform": sys.platform, "numpy": np.__version__,
                    "pyodide": sys.platform == "emscripten"},
        "calls_per_timing": number,
        "repeats": repeat,
        "results": results,
    }
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
