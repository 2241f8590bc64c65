#!/usr/bin/env python3
"""Time to ready: from navigation start until `init()` resolves, in headless Chromium.

    python benchmarks/bench_page_load.py [--loads 5]

Each load uses a new browser profile (cold HTTP cache), served by `build.py serve`
on loopback with the isolation headers. Prints one JSON document with every load
and the median, in milliseconds, plus the worker-side load time the engine reports.
"""

from __future__ import annotations

import argparse
import json
import statistics

from browser_loads import fresh_browsers, served

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
    options = parser.parse_args()
    loads = []
    with served() as (server, trap):
        for driver in fresh_browsers(trap, options.loads):
            driver.get(server.url + "test-pages/harness.html")
            result = driver.execute_async_script(SCRIPT, server.url + "static/ruvllm.js")
            if "error" in result:
                raise SystemExit(result["error"])
            loads.append(result)
    print(json.dumps({
        "loads": loads,
        "median_ready_ms": statistics.median(r["ready_ms"] for r in loads),
        "median_worker_load_ms": statistics.median(r["worker_load_ms"] for r in loads),
        "outside_requests": trap.page_requests(),
    }, indent=1))


if __name__ == "__main__":
    main()
