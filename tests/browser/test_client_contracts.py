"""The client's contracts in headless Chromium and Firefox: the shared-memory ring past its capacity, every
method answering with a Promise, calls on closed or refused objects, one worker per init()."""

from __future__ import annotations

import pytest

from tests.browser.test_client import fresh, run  # noqa: F401  (the page fixture and the script runner)

pytestmark = pytest.mark.both_engines

FLOOD = """
  const info = await init({ tickIntervalMs: 0 });
  const n = 384;
  const input = (k) => vec(n, (i) => Math.sin(0.013 * (k + 1) * i + 0.7 * k));
  const flood = (first) => Array.from({ length: 4096 }, (_, j) => lib.l2Normalize(input(first + j)));
  const early = flood(0);
  await Promise.all(early.slice(0, 8));  // frees the oldest regions: the next flood wraps onto the rest
  const results = await Promise.all([...early, ...flood(4096)]);
  let wrong = 0;
  let worst = 0;
  results.forEach((out, k) => {
    const x = input(k);
    const norm = Math.sqrt(x.reduce((sum, v) => sum + v * v, 0));
    let bad = out.length !== n;
    for (let i = 0; i < n; i++) {
      const error = Math.abs(out[i] - x[i] / norm);
      worst = Math.max(worst, error);
      if (!(error <= 1e-6)) bad = true;
    }
    if (bad) wrong++;
  });
  return { shared: info.sharedMemory, count: results.length, wrong, worst };
"""


def test_more_calls_in_flight_than_the_arena_holds_all_answer_right(fresh, server) -> None:
    # 4,096 calls of 384 floats in and 384 out fill the ring exactly; the next 4,096 wrap onto it.
    out = run(fresh, server, FLOOD)
    assert out["shared"] is True and out["count"] == 8192
    assert out["wrong"] == 0, f"{out['wrong']} of 8192 answers wrong (worst error {out['worst']})"


EVERY_METHOD = """
  await init({ tickIntervalMs: 0 });
  // Members the types declare synchronous: the zero-allocation views and the operator names.
  const synchronous = new Set(["get_input_ptr", "get_output_ptr", "scope_name", "setEncoder"]);
  const classes = { TextEmbedderWasm: lib.TextEmbedderWasm, IntelligentLLMWasm, HnswRouterWasm, MicroLoraWasm,
                    SonaInstantWasm, WasmMicroLoRA, WasmScopedLoRA, WasmTrajectoryBuffer };
  const threw = [];
  const answered = [];
  const callAll = (target, label) => {
    const names = new Set();
    for (let proto = target; proto && proto !== Object.prototype && proto !== Function.prototype;
         proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, name);
        if (typeof descriptor.value === "function" && name !== "constructor" && !name.startsWith("_")
            && !synchronous.has(name) && !["length", "name", "prototype"].includes(name)) names.add(name);
      }
    }
    for (const name of names) {
      let result;
      try {
        result = target[name]("bad", "bad", "bad", "bad", "bad");
      } catch (error) {
        threw.push(`${label}.${name}: ${error.message}`);
        continue;
      }
      if (!(result instanceof Promise)) threw.push(`${label}.${name} returned ${typeof result}`);
      else answered.push(result.then(() => null, () => null));
    }
    return names.size;
  };
  let methods = 0;
  for (const [label, cls] of Object.entries(classes)) {
    methods += callAll(new cls(), label);  // with the default arguments: every constructor accepts none
    methods += callAll(cls, label);
  }
  await Promise.all(answered);
  const llm = new IntelligentLLMWasm();
  const router = new HnswRouterWasm();
  const lora = new WasmMicroLoRA(8);
  const scoped = new WasmScopedLoRA(8);
  const buffer = new WasmTrajectoryBuffer(4, 8);
  const short = new Float32Array(3);
  const settle = (call) => {
    try {
      return failure(call());
    } catch (error) {
      return `threw ${error.message}`;
    }
  };
  const messages = await Promise.all([
    settle(() => llm.addPattern(short, "a", "t")), settle(() => llm.learnPattern(short, "a", "t", "d", 0.5)),
    settle(() => router.addPattern(vec(384, Math.sin), 7, "t")), settle(() => lora.forward_array(short)),
    settle(() => scoped.forward_array(17, vec(8, Math.sin))),
    settle(() => buffer.record(vec(8, Math.sin), 0, 0, -1, 1)), settle(() => llm.process(short)),
  ]);
  return { threw, methods, messages };
"""


def test_every_method_answers_bad_arguments_with_a_rejected_promise(fresh, server) -> None:
    out = run(fresh, server, EVERY_METHOD)
    assert out["threw"] == []
    assert out["methods"] > 60
    assert out["messages"] == [
        "Error: embedding has 3 values, expected 384", "Error: embedding has 3 values, expected 384",
        "TypeError: agent must be a string, got number", "Error: input has 3 values, expected 8",
        "Error: op_type must be in [0, 16], got 17", "Error: exec_ms must be in [5e-324, Infinity], got -1",
        "Error: input has 3 values, expected 384",
    ]


AFTER_CLOSE = """
  await init();
  const lora = new WasmMicroLoRA(8);
  lora.get_input_ptr().set(vec(8, Math.sin));
  const before = Array.from(await lora.forward());
  const settles = (promise) => Promise.race([
    failure(promise), new Promise((resolve) => setTimeout(() => resolve("never settled"), 5000)),
  ]);
  lib.close();
  const afterClose = await settles(lora.forward());
  await init();
  const afterInit = await settles(lora.forward());
  const array = await settles(lora.forward_array(vec(8, Math.sin)));
  const again = new WasmMicroLoRA(8);
  again.get_input_ptr().set(vec(8, Math.sin));
  return { shared: (await lib.versionInfo()).sharedMemory, before, afterClose, afterInit, array,
           fresh: Array.from(await again.forward()) };
"""


def test_forward_after_close_rejects_even_after_a_new_init(fresh, server) -> None:
    out = run(fresh, server, AFTER_CLOSE)
    assert out["shared"] is True
    stale = "Error: ruvllm-web was closed: this object must be created again"
    assert (out["afterClose"], out["afterInit"], out["array"]) == (stale, stale, stale)
    assert out["fresh"] == out["before"]


def test_a_constructor_the_worker_refuses_fails_the_first_call_with_its_error(fresh, server) -> None:
    out = run(fresh, server, """
      await init();
      const buffer = new WasmTrajectoryBuffer(10000000, 65536);  // each argument passes; their product does not
      const first = failure(buffer.total_count());  // sent before the refusal arrives
      const firstMessage = await first;
      return { firstMessage, later: await failure(buffer.success_rate()), freed: await failure(buffer.free()),
               fine: await new WasmTrajectoryBuffer(4, 8).total_count() };
    """)
    assert "no engine object" not in out["firstMessage"]
    assert out["firstMessage"] == "Error: capacity 10000000 x embedding dim 65536 exceeds the buffer's 16777216 values"
    assert out["later"] == out["firstMessage"] and out["freed"] == out["firstMessage"]
    assert out["fine"] == 0


def test_concurrent_inits_start_one_worker_and_close_stops_every_one(fresh, server) -> None:
    out = run(fresh, server, """
      // The real Worker, counted: which were made and which were stopped.
      const made = [];
      const RealWorker = globalThis.Worker;
      globalThis.Worker = class extends RealWorker {
        constructor(...args) { super(...args); this.stopped = false; made.push(this); }
        terminate() { this.stopped = true; super.terminate(); }
      };
      const running = () => made.filter((worker) => !worker.stopped).length;
      const [first, second] = await Promise.all([init(), init()]);
      const started = made.length;
      lib.close();
      const afterClose = running();
      const starting = init();
      lib.close();  // while the worker is still loading
      const atEarlyClose = running();  // stopped by close() itself, not once it has loaded
      const closedWhileStarting = await failure(starting);
      const afterEarlyClose = running();
      await init();
      const llm = new IntelligentLLMWasm();
      await llm.addPattern(vec(384, Math.sin), "coder", "code");
      const agent = (await llm.route(vec(384, Math.sin))).agent;
      globalThis.Worker = RealWorker;
      return { same: JSON.stringify(first) === JSON.stringify(second), started, afterClose, closedWhileStarting,
               atEarlyClose, afterEarlyClose, agent, total: made.length, runningNow: running() };
    """)
    assert out["same"] and out["started"] == 1
    assert out["afterClose"] == 0
    assert out["closedWhileStarting"] == "Error: ruvllm-web was closed while starting"
    assert out["atEarlyClose"] == 0 and out["afterEarlyClose"] == 0
    assert out["agent"] == "coder" and out["total"] == 3 and out["runningNow"] == 1
