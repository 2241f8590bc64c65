#!/usr/bin/env python3
"""Page -> worker -> page round trips in headless Chromium or Firefox, shared memory vs postMessage copies.

    python benchmarks/bench_roundtrip.py [--patterns 10000] [--calls 500] [--engine chromium|firefox]

Serves dist/ twice (with and without the cross-origin isolation headers, so
the client takes the SharedArrayBuffer path or the copying path), and in each
page measures, per call, p50/p99 of:
- ``IntelligentLLMWasm.process`` (384 dims, ``--patterns`` patterns, no learning);
- ``WasmMicroLoRA.forward_array`` (256 dims) and the zero-allocation ``forward()``;
and the same engine calls timed inside the worker (``bridge.time_call``), so the
crossing's cost is the difference. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from browser_loads import add_engine_option  # noqa: E402
from tests.browser.conftest import OutsideTrafficTrap, Server, install_test_pages, start_browser  # noqa: E402

SCRIPT = """
const done = arguments[arguments.length - 1];
const [url, patterns, calls] = [arguments[0], arguments[1], arguments[2]];
(async () => {
  const lib = await import(url);
  const info = await lib.default({ tickIntervalMs: 0 });
  const vec = (n, f) => Float32Array.from({ length: n }, (_, i) => f(i));
  const summary = (times) => {
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50_ms: at(0.5), p99_ms: at(0.99), mean_ms: times.reduce((a, b) => a + b, 0) / times.length };
  };
  const timeCalls = async (call) => {
    for (let k = 0; k < 20; k++) await call(k);  // warm-up
    const times = [];
    for (let k = 0; k < calls; k++) {
      const started = performance.now();
      await call(k);
      times.push(performance.now() - started);
    }
    return summary(times);
  };
  const inWorker = async (object, method, args) => {
    const micros = await object._connection.send("time_call", ["invoke", calls, object._handle, method, ...args]);
    return summary(micros.map((us) => us / 1000));
  };

  const llm = new lib.IntelligentLLMWasm();
  const centres = Array.from({ length: 32 }, (_, c) => vec(384, (i) => Math.sin((c + 1) * 0.37 * i + c)));
  const adds = [];
  for (let p = 0; p < patterns; p++) {
    const centre = centres[p % 32];
    adds.push(llm.addPattern(vec(384, (i) => centre[i] + 0.3 * Math.sin(p * 1.7 + i * 0.91)), `agent${p % 8}`, "task"));
  }
  await Promise.all(adds);
  const queries = Array.from({ length: 64 }, (_, q) => vec(384, (i) => centres[q % 32][i] + 0.2 * Math.cos(q + i)));
  const lora = new lib.WasmMicroLoRA(256, 0.1, 0.01);
  const x = vec(256, (i) => Math.sin(i));
  await lora.adapt_array(vec(256, (i) => Math.cos(i)));
  lora.get_input_ptr().set(x);
  return {
    shared_memory: info.sharedMemory,
    process: await timeCalls((k) => llm.process(queries[k % 64], "q")),
    process_in_worker: await inWorker(llm, "process", [queries[0], "q"]),
    lora_forward_array: await timeCalls(() => lora.forward_array(x)),
    lora_forward_zero_alloc: await timeCalls(() => lora.forward()),
    lora_forward_in_worker: await inWorker(lora, "forward", [x]),
  };
})().then(done, (error) => done({ error: String(error.stack || error) }));
"""


def measure(server: Server, trap: OutsideTrafficTrap, patterns: int, calls: int, engine: str) -> dict:
    with tempfile.TemporaryDirectory() as profile:
        driver = start_browser(engine, trap, profile)
        try:
            driver.set_script_timeout(1800)
            driver.get(server.url + "test-pages/harness.html")
            result = driver.execute_async_script(SCRIPT, server.url + "static/ruvllm.js", patterns, calls)
        finally:
            driver.quit()
    if "error" in result:
        raise SystemExit(result["error"])
    for name in ("process", "lora_forward_array", "lora_forward_zero_alloc"):
        base = result["process_in_worker" if name == "process" else "lora_forward_in_worker"]
        result[name]["crossing_p50_ms"] = result[name]["p50_ms"] - base["p50_ms"]
        # Means: a call shorter than a coarse clock step (Firefox: 1 ms without isolation) reads 0 at p50.
        result[name]["page_over_worker_mean"] = result[name]["mean_ms"] / base["mean_ms"] if base["mean_ms"] else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=500)
    add_engine_option(parser)
    options = parser.parse_args()
    install_test_pages()
    trap = OutsideTrafficTrap()
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    results = {"engine": options.engine, "patterns": options.patterns, "calls": options.calls}
    for name, isolation in (("shared_memory_path", True), ("postmessage_path", False)):
        server = Server(isolation=isolation)
        try:
            results[name] = measure(server, trap, options.patterns, options.calls, options.engine)
        finally:
            server.stop()
    trap.shutdown()
    results["outside_requests"] = trap.page_requests()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
