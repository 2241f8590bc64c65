"""Benchmark of SentenceEncoder (all-MiniLM-L6-v2 in numpy) against the runtime's own floor.

Runs unchanged on CPython and inside Pyodide (``benchmarks/run.py`` mounts
``dist/models`` at ``/models`` there). Prints one JSON document:

- ``products_us_at_12_tokens``: for each dense product of a layer at 12
  tokens (``qkv`` ``12x384 . 1152x384``, attention ``out`` ``12x384 . 384x384``,
  FFN ``up`` ``12x384 . 1536x384``, FFN ``down`` ``12x1536 . 384x1536``), the
  p50 of each way numpy can compute it: ``einsum("ij,kj->ik", x, W)``,
  ``x @ W.T``, and ``x @ Wt`` with ``Wt`` transposed and made contiguous
  beforehand;
- ``requests``: for 12, 32, 64 and 128 tokens (with [CLS]/[SEP]), the p50 of
  ``encode(text)``, the floor, and their ratio. The floor is MiniLM's dense
  multiply-adds at that length (the model's own weights: 6 layers x the
  four products above) timed at the fastest way measured here, per product:
  what the model costs before any attention, softmax, GELU, LayerNorm,
  tokenizing or Python. Requests and
  floor runs are timed in turn, so that a shared machine's drift moves both
  alike. ``ratio_at_best_rate`` divides by the stricter floor of all the
  multiply-adds at the single best rate (multiply-adds per second) of any of
  the four products. Target: the 12-token ratio at most 1.15;
- ``batch``: texts per second of ``encode(list)`` for 32 texts of 12 tokens,
  and of one ``encode`` per text;
- ``load_s``: seconds ``SentenceEncoder(folder)`` takes.

Usage::

    python benchmarks/run.py bench_encoder.py              # both runtimes
    python benchmarks/bench_encoder.py --repeats 11        # CPython, fewer runs
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ruvllm_web import SentenceEncoder
from ruvllm_web.dense import USES_BLAS, c_einsum

PYODIDE = sys.platform == "emscripten"
DEFAULT_MODEL = "/models/all-MiniLM-L6-v2" if PYODIDE else str(
    Path(__file__).resolve().parents[1] / "dist" / "models" / "all-MiniLM-L6-v2"
)
LENGTHS = (12, 32, 64, 128)
WORDS = "route this request to the best agent for code review and testing of the login service today".split()


def p50(run: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``run`` (after one untimed call)."""
    run()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def alternating_p50(first: Callable[[], object], second: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median seconds of ``first`` and of ``second``, timed in turn so that drift moves both alike."""
    first()
    second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for run, samples in zip((first, second), times):
            start = time.perf_counter()
            run()
            samples.append(time.perf_counter() - start)
    return float(np.median(times[0])), float(np.median(times[1]))


def text_of(encoder: SentenceEncoder, tokens: int) -> str:
    """A text of common words that the encoder cuts into exactly ``tokens`` ids ([CLS]/[SEP] included)."""
    words: list[str] = []
    while len(encoder.tokenize(" ".join(words + [WORDS[len(words) % len(WORDS)]]))) <= tokens:
        words.append(WORDS[len(words) % len(WORDS)])
    text = " ".join(words)
    if len(encoder.tokenize(text)) != tokens:
        raise SystemExit(f"could not build a text of {tokens} tokens")
    return text


#: The dense products of a layer, by the name of their weight in the model's layers.
PRODUCTS = ("qkv", "out", "up", "down")


def ways(x: np.ndarray, weight: np.ndarray) -> dict[str, Callable[[], object]]:
    """``x W^T`` in each way numpy can compute it (``W`` in PyTorch's ``(out, in)`` layout)."""
    transposed = np.ascontiguousarray(weight.T)
    return {
        "einsum": lambda: c_einsum("ij,kj->ik", x, weight),
        "matmul_wT": lambda: x @ weight.T,
        "matmul_pretransposed": lambda: x @ transposed,
    }


def floor_run(encoder: SentenceEncoder, tokens: int, repeats: int) -> tuple[Callable[[], None], dict, float]:
    """The model's own dense products at ``tokens`` rows (6 layers x 4), each in its fastest way here.

    The fastest way per product is measured on the first layer's weights. Returns the run, the p50
    microseconds of every product in every way, and ``rate_scale``: the model's multiply-adds at the
    best rate of any product (multiply-adds per second) divided by the run's own p50 sum, the
    factor that turns the run's time into that stricter floor.
    """
    rng = np.random.default_rng(0)
    layers = encoder._model.layers  # the real weights: 6 distinct sets, as the forward pass reads them
    times = {}
    run_list = []
    best_times, macs = [], []
    for name in PRODUCTS:
        weight = getattr(layers[0], name)[0]
        x = rng.standard_normal((tokens, weight.shape[1]), dtype=np.float32)
        by_way = {way: p50(run, repeats) for way, run in ways(x, weight).items()}
        times[name] = {way: t * 1e6 for way, t in by_way.items()}
        best = min(by_way, key=by_way.get)
        best_times.append(by_way[best])
        macs.append(x.shape[0] * weight.shape[0] * weight.shape[1])
        run_list += [ways(x, getattr(layer, name)[0])[best] for layer in layers]
    best_rate = max(m / t for m, t in zip(macs, best_times))
    rate_scale = (sum(macs) / best_rate) / sum(best_times)

    def run() -> None:
        for product in run_list:
            product()

    return run, times, rate_scale


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the model folder (build.py places it in dist/models)")
    parser.add_argument("--repeats", type=int, default=31)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    encoder = SentenceEncoder(args.model)
    load = time.perf_counter() - start
    requests = {}
    products_at_12 = {}
    for tokens in LENGTHS:
        text = text_of(encoder, tokens)
        floor, times, rate_scale = floor_run(encoder, tokens, args.repeats)
        took, floor_took = alternating_p50(lambda: encoder.encode(text), floor, args.repeats)
        requests[str(tokens)] = {
            "p50_ms": took * 1e3,
            "floor_p50_ms": floor_took * 1e3,
            "ratio": took / floor_took,
            "ratio_at_best_rate": took / (floor_took * rate_scale),
        }
        if tokens == 12:
            products_at_12 = times
            tokenize = p50(lambda: encoder.tokenize(text), args.repeats)
    short = [text_of(encoder, 12)] * 32
    batch = p50(lambda: encoder.encode(short), max(args.repeats // 4, 3))
    single = p50(lambda: [encoder.encode(t) for t in short], max(args.repeats // 4, 3))
    return {
        "runtime": {"python": platform.python_version(), "numpy": np.__version__, "pyodide": PYODIDE,
                    "blas": USES_BLAS},
        "load_s": load,
        "products_us_at_12_tokens": products_at_12,
        "tokenize_12_tokens_us": tokenize * 1e6,
        "requests": requests,
        "batch": {"texts": len(short), "tokens_each": 12, "batch_texts_per_s": len(short) / batch,
                  "one_by_one_texts_per_s": len(short) / single},
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=1))
