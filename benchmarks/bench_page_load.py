#!/usr/bin/env python3
"""Time to ready: from navigation start until `init()` resolves, in headless Chromium or Firefox.

    python benchmarks/bench_page_load.py [--loads 5] [--engine chromium|firefox]

Each load uses a new browser profile (cold HTTP cache), served by `build.py serve`
on loopback with the isolation headers. Prints one JSON document with every load
and the median, in milliseconds, plus the worker-side load time the engine reports.
"""

from __future__ import annotations

import argparse
import json
import statistics

from browser_loads import add_engine_option, script_in_fresh_pages

SCRIPT = """
const done = arguments[arguments.length - 1];
import(arguments[0]).then(async (lib) => {
  const info = await lib.default();
  done({ ready_ms: performance.now(), worker_load_ms: info.loadMs });
}).catch((error) => done({ error: String(error) }));
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=5)
    add_engine_option(parser)
    options = parser.parse_args()
    loads, outside = script_in_fresh_pages(SCRIPT, options.loads, options.engine)
    ready = statistics.median(r["ready_ms"] for r in loads)
    worker = statistics.median(r["worker_load_ms"] for r in loads)
    print(json.dumps({
        "engine": options.engine,
        "loads": loads,
        "median_ready_ms": ready,
        "median_worker_load_ms": worker,
        "ready_over_worker": ready / worker,
        "outside_requests": outside,
    }, indent=1))


if __name__ == "__main__":
    main()
