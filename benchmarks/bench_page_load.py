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
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import OutsideTrafficTrap, Server, install_test_pages, start_chromium  # noqa: E402

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
    install_test_pages()
    trap = OutsideTrafficTrap()
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    server = Server(isolation=True)
    loads = []
    try:
        for _ in range(options.loads):
            with tempfile.TemporaryDirectory() as profile:
                driver = start_chromium(trap, profile)
                try:
                    driver.set_script_timeout(300)
                    driver.get(server.url + "test-pages/harness.html")
                    result = driver.execute_async_script(SCRIPT, server.url + "static/ruvllm.js")
                finally:
                    driver.quit()
            if "error" in result:
                raise SystemExit(result["error"])
            loads.append(result)
    finally:
        server.stop()
        trap.shutdown()
    print(json.dumps({
        "loads": loads,
        "median_ready_ms": statistics.median(r["ready_ms"] for r in loads),
        "median_worker_load_ms": statistics.median(r["worker_load_ms"] for r in loads),
        "outside_requests": trap.page_requests(),
    }, indent=1))


if __name__ == "__main__":
    main()
