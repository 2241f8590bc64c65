#!/usr/bin/env python3
"""SentenceEncoderWasm's first load in a headless browser: time, and the worker's memory against the weights.

    python benchmarks/bench_encoder_load.py [--loads 3] [--engine chromium|firefox]

Each load uses a new browser profile (cold HTTP cache), served by `build.py serve` on loopback
with the isolation headers. Per load: the ms from `new SentenceEncoderWasm()` until the first
`encode()` resolves (fetch, sha256 checks, building the encoder, one text), and the worker's
WebAssembly heap before and after building the encoder (what `load()` reports; a heap never
shrinks, so "after" includes the load's peak). Memory figures are printed as multiples of the
weights file's size (the bound is 2).
"""

from __future__ import annotations

import argparse
import json
import statistics

from browser_loads import ROOT, add_engine_option, script_in_fresh_pages

WEIGHTS = (ROOT / "dist" / "models" / "all-MiniLM-L6-v2" / "model.safetensors").stat().st_size

SCRIPT = """
const done = arguments[arguments.length - 1];
import(arguments[0]).then(async (lib) => {
  await lib.default({ tickIntervalMs: 0 });
  const started = performance.now();
  const encoder = new lib.SentenceEncoderWasm();
  await encoder.encode("route this request to the right agent");
  const firstVectorMs = performance.now() - started;
  const info = await encoder.load();
  done({ firstVectorMs, ...info });
}).catch((error) => done({ error: String(error) }));
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=3)
    add_engine_option(parser)
    options = parser.parse_args()
    loads, outside = script_in_fresh_pages(SCRIPT, options.loads, options.engine)
    median = lambda key: statistics.median(load[key] for load in loads)  # noqa: E731
    report = {
        "engine": options.engine,
        "weights_bytes": WEIGHTS,
        "loads": loads,
        "median_first_vector_ms": median("firstVectorMs"),
        "heap_after_over_weights": median("heapBytesAfter") / WEIGHTS,
        "heap_growth_over_weights": statistics.median(
            (load["heapBytesAfter"] - load["heapBytesBefore"]) / WEIGHTS for load in loads
        ),
        "outside_requests": outside,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
