#!/usr/bin/env python3
"""Demo page load: time to ready of index.html, first visit and a reload that restores the engine,
with the lexical embedder (`?embedder=lexical`) and with the default all-MiniLM-L6-v2; typed requests.

    python benchmarks/bench_demo_page.py [--loads 3] [--requests 30]

Each load uses a new browser profile (cold HTTP cache, empty IndexedDB), served by
`build.py serve` on loopback with the isolation headers, through the outside-traffic trap.
The first visit loads the runtime, numpy and the engine, finds no saved state and adds the
starter library; the reload in the same profile restores the engine saved in IndexedDB
instead. Times come from the page's own performance marks ("ruvllm-demo <step>" measures,
the "ruvllm-demo ready" mark and, by default, "ruvllm-demo encoder ready" once the model
routes; ms from navigation start). The baseline, in the same load, is the worker's own part
(runtime + numpy + engine steps): `ready / worker` says what the demo adds on top of starting
the engine. `encoder_ready_over_lexical_ready` compares the default page's time until the
encoder routes with the lexical page's time to ready (medians of the same run). Typed
requests: the page's own route form submitted with held-out requests, timed from the submit
to the routed result shown (the status says "routed"). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics

from browser_loads import fresh_browsers, served

from ruvllm_web import held_out_examples  # browser_loads put the repository on sys.path

#: Steps the worker itself does; the rest (saved state, starter library) is the demo's.
WORKER_STEPS = ("runtime", "numpy", "engine")
WAIT_READY = """
const done = arguments[arguments.length - 1];
const poll = () => {
  const ready = performance.getEntriesByName("ruvllm-demo ready")[0];
  const encoder = performance.getEntriesByName("ruvllm-demo encoder ready")[0];
  const embedder = document.getElementById("embedder");
  const status = document.getElementById("status");
  if (ready && embedder.dataset.state === "failed") {
    done({ error: embedder.textContent });
  } else if (ready && (encoder || embedder.dataset.state === "lexical")) {
    const steps = {};
    for (const entry of performance.getEntriesByType("measure")) {
      if (entry.name.startsWith("ruvllm-demo ")) steps[entry.name.slice(12)] = entry.duration;
    }
    done({ ready_ms: ready.startTime, ...(encoder ? { encoder_ready_ms: encoder.startTime } : {}), steps });
  } else if (status && status.dataset.state === "failed") {
    done({ error: status.textContent });
  } else {
    setTimeout(poll, 50);
  }
};
poll();
"""
#: Submits each request through the page's route form; resolves to the ms from submit to "routed".
TYPED = """
const [requests, done] = [arguments[0], arguments[arguments.length - 1]];
const form = document.getElementById("route-form");
const input = document.getElementById("request");
const status = document.getElementById("route-status");
const times = [];
const next = () => {
  if (times.length === requests.length) return done(times);
  input.value = requests[times.length];
  const started = performance.now();
  const seen = new MutationObserver(() => {
    if (status.dataset.state === "busy") return;
    seen.disconnect();
    if (status.dataset.state !== "routed") return done({ error: status.textContent });
    times.push(performance.now() - started);
    setTimeout(next, 0);
  });
  seen.observe(status, { attributes: true, attributeFilter: ["data-state"] });
  form.requestSubmit();
};
next();
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
        **({"median_encoder_ready_ms": statistics.median(r["encoder_ready_ms"] for r in runs)}
           if all("encoder_ready_ms" in r for r in runs) else {}),
        "median_worker_ms": statistics.median(r["worker_ms"] for r in runs),
        "median_ready_over_worker": statistics.median(r["ready_over_worker"] for r in runs),
        "median_step_ms": {
            name: statistics.median(r["steps"][name] for r in runs if name in r["steps"])
            for name in dict.fromkeys(name for r in runs for name in r["steps"])
        },
    }


def typed(driver, requests: list[str]) -> list[float]:
    """Ms from submit to the shown route, per request, through the page's form."""
    times = driver.execute_async_script(TYPED, requests)
    if isinstance(times, dict):
        raise SystemExit(times["error"])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()
    requests = [example.text for example in held_out_examples()][: options.requests]
    results = {}
    with served() as (server, trap):
        for mode in ("lexical", "minilm"):
            url = server.url + ("?embedder=lexical" if mode == "lexical" else "")
            first, again, times = [], [], []
            for driver in fresh_browsers(trap, options.loads):
                first.append(visit(driver, url))
                times.extend(typed(driver, requests))
                again.append(visit(driver, None))
            results[mode] = {
                "first_visit": {**summary(first), "runs": first},
                "reload_restored": {**summary(again), "runs": again},
                "typed_request_ms": {"p50": statistics.median(times), "count": len(times)},
            }
        outside = trap.page_requests()
    lexical_ready = results["lexical"]["first_visit"]["median_ready_ms"]
    print(json.dumps({
        **results,
        "encoder_ready_over_lexical_ready": {
            visit_name: results["minilm"][visit_name]["median_encoder_ready_ms"] / results["lexical"][visit_name]["median_ready_ms"]
            for visit_name in ("first_visit", "reload_restored")
        },
        "ready_over_lexical_ready": results["minilm"]["first_visit"]["median_ready_ms"] / lexical_ready,
        "outside_requests": outside,
    }, indent=1))


if __name__ == "__main__":
    main()
