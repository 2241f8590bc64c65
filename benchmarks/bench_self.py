"""The demo page's self-benchmarks (``ruvllm_web.self_benchmark``, ``runBenchmark`` in JS), from the command line.

Runs ``hnsw`` and ``lora`` with the given options, inside whichever runtime
runs this file, and prints one JSON document with each result and its wall
time. ``hnsw`` compares the index with numpy brute force and measures recall
in the same run, so its ``speedup`` and ``recall_at_k`` are ratios measured
side by side.

Usage::

    python benchmarks/run.py --runtime both bench_self.py                  # the defaults
    python benchmarks/run.py --runtime both bench_self.py -- --size 5000   # a bigger index
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ruvllm_web import self_benchmark


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run both self-benchmarks, print and return the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("size", "dim", "queries", "k"):
        parser.add_argument(f"--{name}", type=int, help=f"hnsw {name}")
    parser.add_argument("--lora-dim", type=int, help="lora dim")
    parser.add_argument("--repeats", type=int, help="lora repeats")
    args = parser.parse_args(argv)
    hnsw_options = {name: getattr(args, name) for name in ("size", "dim", "queries", "k")}
    lora_options = {"dim": args.lora_dim, "repeats": args.repeats}
    document: dict[str, object] = {"benchmark": "bench_self", "python": sys.version.split()[0]}
    for kind, options in (("hnsw", hnsw_options), ("lora", lora_options)):
        started = time.perf_counter()
        result = self_benchmark.run(kind, {k: v for k, v in options.items() if v is not None})
        result["wall_s"] = round(time.perf_counter() - started, 2)
        document[kind] = result
    print(json.dumps(document, indent=2))
    return document


if __name__ == "__main__":
    main(sys.argv[1:])
