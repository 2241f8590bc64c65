#!/usr/bin/env python3
"""What a full shared-memory ring costs: round trips and bursts past the arena's capacity.

    python benchmarks/bench_arena_full.py [--blocks 20] [--block 50] [--bursts 3]

Headless Chromium, `dist/` served with the isolation headers (the SharedArrayBuffer path). When the
ring has no room for a call's vectors, the client copies them into the message instead; this
measures that fallback against the ring path in the same page:
- round trip: sequential awaited `l2Normalize` (384 floats in, 384 out), p50 per call, in
  alternating blocks with the ring free and with the ring held full (one region spanning it);
- burst: `l2Normalize` calls all in flight at once, ms per call, 4,096 (exactly what the ring
  holds) against 8,192 (the second half copied), alternated `--bursts` times.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics

from browser_loads import fresh_browsers, served

SCRIPT = """
const done = arguments[arguments.length - 1];
const [url, blocks, block, bursts] = [arguments[0], arguments[1], arguments[2], arguments[3]];
(async () => {
  const lib = await import(url);
  const info = await lib.default({ tickIntervalMs: 0 });
  const x = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i) + 1);
  const probe = new lib.TextEmbedderWasm();  // any engine object: it carries the connection
  const arena = probe._connection.arena;
  const roundTrips = async (times) => {
    for (let k = 0; k < block; k++) {
      const started = performance.now();
      await lib.l2Normalize(x);
      times.push(performance.now() - started);
    }
  };
  const free = [];
  const full = [];
  for (let k = 0; k < 20; k++) await lib.l2Normalize(x);  // warm-up
  for (let b = 0; b < blocks; b++) {
    await roundTrips(free);
    arena.alloc(arena.end - arena.ringStart);  // nothing else is live: this region is the whole ring
    await roundTrips(full);
    arena.release(1);
  }
  const burst = async (count) => {
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, () => lib.l2Normalize(x)));
    return (performance.now() - started) / count;
  };
  const fits = [];
  const overflows = [];
  for (let b = 0; b < bursts; b++) {
    fits.push(await burst(4096));
    overflows.push(await burst(8192));
  }
  return { shared: info.sharedMemory, ringFloats: arena.end - arena.ringStart, free, full, fits, overflows };
})().then(done, (error) => done({ error: String(error.stack || error) }));
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=3)
    options = parser.parse_args()
    with served() as (server, trap):
        for driver in fresh_browsers(trap, 1):
            driver.get(server.url + "test-pages/harness.html")
            out = driver.execute_async_script(SCRIPT, server.url + "static/ruvllm.js", options.blocks,
                                              options.block, options.bursts)
        if "error" in out:
            raise SystemExit(out["error"])
        free, full = statistics.median(out["free"]), statistics.median(out["full"])
        fits, overflows = statistics.median(out["fits"]), statistics.median(out["overflows"])
        print(json.dumps({
            "shared_memory": out["shared"], "ring_floats": out["ringFloats"],
            "round_trip_p50_ms": {"ring_free": free, "ring_full": full, "full_over_free": full / free},
            "burst_ms_per_call": {"4096_fit": fits, "8192_half_copied": overflows, "ratio": overflows / fits},
            "outside_requests": trap.page_requests(),
        }, indent=1))


if __name__ == "__main__":
    main()
