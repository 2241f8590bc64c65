#!/usr/bin/env python3
"""Demo page load: time to ready of index.html, first visit and a reload that restores the engine.

    python benchmarks/bench_demo_page.py [--loads 3]

Each load uses a new browser profile (cold HTTP cache, empty IndexedDB), served by
`build.py serve` on loopback with the isolation headers, through the outside-traffic trap.
The first visit loads the runtime, numpy and the engine, finds no saved state and adds the
starter library; the reload in the same profile restores the engine saved in IndexedDB
instead. Times come from the page's own performance marks ("ruvllm-demo <step>" measures
and the "ruvllm-demo ready" mark, ms from navigation start). The baseline, in the same
load, is the worker's own part (runtime + numpy + engine steps): `ready / worker` says
what the demo adds on top of starting the engine. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics

from browser_loads import fresh_browsers, served

#: Steps the worker itself does; the rest (saved state, starter library) is the demo's.
WORKER_STEPS = ("runtime", "numpy", "engine")
WAIT_READY = """
const done = arguments[arguments.length - 1];
const poll = () => {
  const ready = performance.getEntriesByName("ruvllm-demo ready")[0];
  const status = document.getElementById("status");
  if (ready) {
    const steps = {};
    for (const entry of performance.getEntriesByType("measure")) {
      if (entry.name.startsWith("ruvllm-demo ")) steps[entry.name.slice(12)] = entry.duration;
    }
    done({ ready_ms: ready.startTime, steps });
  } else if (status && status.dataset.state === "failed") {
    done({ error: status.textContent });
  } else {
    setTimeout(poll, 50);
  }
};
poll();
"""


def visit(driver, url: str | None) -> dict:
    """Navigate (or reload when `url` is None) and return the page's timings once ready."""
    if url is None:
        driver.refresh()
    else:
        driver.get(url)
    result = driver.execute_async_script(WAIT_READY)
    if "error" in result:
        raise SystemExit(result["error"])
    result["worker_ms"] = sum(result["steps"].get(name, 0.0) for name in WORKER_STEPS)
    result["ready_over_worker"] = result["ready_ms"] / result["worker_ms"]
    return result


def summary(runs: list[dict]) -> dict:
    """Medians of a list of visits."""
    return {
        "median_ready_ms": statistics.median(r["ready_ms"] for r in runs),
        "median_worker_ms": statistics.median(r["worker_ms"] for r in runs),
        "median_ready_over_worker": statistics.median(r["ready_over_worker"] for r in runs),
        "median_step_ms": {
            name: statistics.median(r["steps"][name] for r in runs if name in r["steps"])
            for name in dict.fromkeys(name for r in runs for name in r["steps"])
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=3)
    options = parser.parse_args()
    first, again = [], []
    with served() as (server, trap):
        for driver in fresh_browsers(trap, options.loads):
            first.append(visit(driver, server.url))
            again.append(visit(driver, None))
    print(json.dumps({
        "first_visit": {**summary(first), "runs": first},
        "reload_restored": {**summary(again), "runs": again},
        "outside_requests": trap.page_requests(),
    }, indent=1))


if __name__ == "__main__":
    main()
