#!/usr/bin/env python3
"""StaticEncoderWasm in a headless browser: microseconds per text of encodeBatch, against the worker's own time.

    python benchmarks/bench_static_page.py [--repeats 11] [--engine chromium|firefox]

The texts are bench_static_encoder.py's: the 482 starter and 96 held-out requests (about 12 word
pieces each). In one page, after one untimed call of each: the p50 over ``--repeats`` runs of
``encodeBatch(texts)`` timed in the page (the crossing, the copy of the texts in and the vectors
out included) and of the same ``encode_texts`` call timed inside the worker (``bridge.time_call``),
both divided by the number of texts, and their ratio; also ``encode(text)`` awaited one text after
another (one run of the list). The load (fetch, checks, building the encoder) is timed once.
"""

from __future__ import annotations

import argparse
import json

from browser_loads import add_engine_option, script_in_fresh_pages

from ruvllm_web import held_out_examples, starter_patterns

TEXTS = [pattern.text for pattern in starter_patterns()] + [request.text for request in held_out_examples()]

SCRIPT = """
const done = arguments[arguments.length - 1];
const [texts, repeats] = [/*TEXTS*/, /*REPEATS*/];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
import(arguments[0]).then(async (lib) => {
  await lib.default({ tickIntervalMs: 0 });
  const started = performance.now();
  const encoder = new lib.StaticEncoderWasm();
  const info = await encoder.load();
  const loadMs = performance.now() - started;
  await encoder.encodeBatch(texts);
  const page = [];
  for (let r = 0; r < repeats; r++) {
    const begun = performance.now();
    await encoder.encodeBatch(texts);
    page.push(performance.now() - begun);
  }
  const worker = await encoder._connection.send("time_call", ["encode_texts", repeats + 1, encoder._handle, texts]);
  const begun = performance.now();
  for (const text of texts) await encoder.encode(text);
  const oneByOneMs = performance.now() - begun;
  done({
    loadMs, modelBytes: info.modelBytes,
    pageBatchUs: (1000 * median(page)) / texts.length,
    workerBatchUs: median(worker.slice(1)) / texts.length,
    pageOneByOneUs: (1000 * oneByOneMs) / texts.length,
  });
}).catch((error) => done({ error: String(error) }));
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=11)
    add_engine_option(parser)
    options = parser.parse_args()
    script = SCRIPT.replace("/*TEXTS*/", json.dumps(TEXTS)).replace("/*REPEATS*/", str(options.repeats))
    (run,), outside = script_in_fresh_pages(script, 1, options.engine)
    report = {
        "engine": options.engine,
        "texts": len(TEXTS),
        **run,
        "page_over_worker": run["pageBatchUs"] / run["workerBatchUs"],
        "outside_requests": outside,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
