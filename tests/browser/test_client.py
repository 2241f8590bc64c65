"""The client library in headless Chromium and Firefox: the documents' examples with `await` added,
parity with CPython, ordering under 1,000 concurrent calls, errors, both transport paths,
persistence across reloads, and recovery from a worker crash."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ruvllm_web import IntelligentLLM, MicroLoRA, RouterConfig, ScopedLoRA, TrajectoryBuffer

pytestmark = pytest.mark.both_engines

RUN = """
const done = arguments[arguments.length - 1];
(async () => {
  const lib = await import(arguments[0]);
  const { default: init, IntelligentConfigWasm, IntelligentLLMWasm, HnswRouterConfigWasm, HnswRouterWasm,
          MicroLoraConfigWasm, MicroLoraWasm, AdaptFeedbackWasm, SonaInstantWasm, WasmMicroLoRA,
          WasmScopedLoRA, WasmTrajectoryBuffer } = lib;
  const vec = (n, f) => Float32Array.from({ length: n }, (_, i) => f(i));
  const failure = async (promise) => {
    try { await promise; return "resolved"; } catch (error) { return `${error.name}: ${error.message}`; }
  };
  /*BODY*/
})().then(done, (error) => done({ error: String((error && error.stack) || error) }));
"""


def run(browser, server, body: str, page: str = "test-pages/harness.html"):
    """Run `body` (an async function body that `return`s a JSON-able value) in a fresh page."""
    if not browser.current_url.startswith(server.url + page):
        browser.get(server.url + page)
    result = browser.execute_async_script(RUN.replace("/*BODY*/", body), server.url + "static/ruvllm.js")
    assert not (isinstance(result, dict) and "error" in result), result.get("error") if isinstance(result, dict) else ""
    return result


@pytest.fixture()
def fresh(browser, server):
    """A freshly loaded harness page (no worker yet)."""
    browser.get(server.url + "test-pages/harness.html")
    return browser


def test_learning_wasm_readme_examples(fresh, server) -> None:
    out = run(fresh, server, """
      await init();
      const lora = new WasmMicroLoRA(256, 0.1, 0.01);
      const input = new Float32Array(256).fill(0.1);
      const output = await lora.forward_array(input);
      const gradient = new Float32Array(256);
      gradient.fill(0.05);
      await lora.adapt_array(gradient);
      await lora.adapt_with_reward(0.15);
      const adaptations = await lora.adapt_count();
      const deltaNorm = await lora.delta_norm();

      const inputData = vec(256, (i) => Math.sin(i));
      const memory = lora.get_input_ptr();
      memory.set(inputData);
      await lora.forward();
      const zeroAlloc = Array.from(lora.get_output_ptr());
      const viaArray = Array.from(await lora.forward_array(inputData));

      // The document's "Per-Operator Scoped LoRA" example as written, with `await` added.
      const printed = [];
      const console = { log: (line) => printed.push(line) };
      const scopedLora = new WasmScopedLoRA(256, 0.1, 0.01);
      const SCAN_OP = 0;
      const JOIN_OP = 2;
      const scanOutput = await scopedLora.forward_array(SCAN_OP, input);
      await scopedLora.adapt_with_reward(JOIN_OP, 0.25);
      console.log(WasmScopedLoRA.scope_name(SCAN_OP)); // "Scan"
      console.log(`Scan adaptations: ${await scopedLora.adapt_count(SCAN_OP)}`);
      console.log(`Total adaptations: ${await scopedLora.total_adapt_count()}`);
      const names = [0, 2, 16].map((op) => WasmScopedLoRA.scope_name(op));

      const buffer = new WasmTrajectoryBuffer(1000, 256);
      const embedding = vec(256, (i) => Math.cos(i));
      await buffer.record(embedding, 2, 5, 45.2, 120.5);
      await buffer.record(embedding, 2, 3, 100.0, 90.0);
      return {
        output: Array.from(output), adaptations, printed, deltaNorm, zeroAlloc, viaArray, names,
        scanLength: scanOutput.length, scanAdapted: await scopedLora.adapt_count(SCAN_OP),
        joinAdapted: await scopedLora.adapt_count(JOIN_OP), total: await scopedLora.total_adapt_count(),
        successRate: await buffer.success_rate(), best: await buffer.best_improvement(),
        mean: await buffer.mean_improvement(), bestAttention: await buffer.best_attention(),
        top: await buffer.high_quality_count(0.5),
      };
    """)
    assert out["output"] == pytest.approx([0.1] * 256)  # B starts at zero: the identity
    assert out["adaptations"] == 2 and out["deltaNorm"] > 0
    assert out["zeroAlloc"] == out["viaArray"]
    assert out["names"] == ["Scan", "Join", "Materialize"]
    assert out["printed"] == ["Scan", "Scan adaptations: 0", "Total adaptations: 1"]
    assert (out["scanLength"], out["scanAdapted"], out["joinAdapted"], out["total"]) == (256, 0, 1, 1)
    assert out["successRate"] == 0.5
    assert out["best"] == pytest.approx(120.5 / 45.2 - 1, rel=1e-6)
    assert out["mean"] == pytest.approx(((120.5 / 45.2 - 1) + (90 / 100 - 1)) / 2, rel=1e-6)
    assert out["bestAttention"] == 5 and out["top"] == 1


def test_integration_summary_example(fresh, server) -> None:
    out = run(fresh, server, """
      await init();
      const config = new IntelligentConfigWasm();
      const llm = new IntelligentLLMWasm(config);
      const embedding = new Float32Array(384);
      const output = await llm.process(embedding, "user query", 0.9);
      const zeroLearn = await failure(llm.learnPattern(embedding, "coder", "code_generation", "implement function", 0.85));
      const real = vec(384, (i) => Math.sin(i + 1));
      await llm.learnPattern(real, "coder", "code_generation", "implement function", 0.85);
      const routed = await llm.route(real);
      const stats = await llm.stats();
      const router = new HnswRouterWasm(HnswRouterConfigWasm.fast());
      await router.addPattern(real, "coder", "code_generation", "implement function");
      const sona = new SonaInstantWasm(384);
      const step = await sona.instantAdapt(real, 0.9);
      const micro = new MicroLoraWasm(new MicroLoraConfigWasm());
      await micro.adapt(vec(768, (i) => Math.cos(i)), new AdaptFeedbackWasm(0.9));
      const applied = await micro.applyUpdates();
      return {
        outputLength: output.length, outputZero: output.every((x) => x === 0), zeroLearn, routed, stats,
        routerStats: await router.stats(), step, applied, microStats: await micro.stats(),
        routerConfigs: [new HnswRouterConfigWasm(), HnswRouterConfigWasm.fast(), HnswRouterConfigWasm.highRecall()]
          .map((c) => c.toJSON()),
      };
    """)
    assert out["outputLength"] == 384 and out["outputZero"]
    assert out["zeroLearn"] == "Error: input is all zeros and has no direction"
    assert out["routed"]["agent"] == "coder" and out["routed"]["taskType"] == "code_generation"
    assert 0 <= out["routed"]["confidence"] <= 1 and out["routed"]["neighbors"][0]["patternId"] >= 0
    stats = json.loads(out["stats"])
    assert {"router", "lora", "sona", "totalPatterns"} <= set(stats) and stats["totalPatterns"] == 1
    assert out["routerStats"]["total_patterns"] == 1
    for js, python in zip(out["routerConfigs"], (RouterConfig(), RouterConfig.fast(), RouterConfig.high_recall())):
        assert js == {key: python.to_dict()[key] for key in js}  # the client's presets are the engine's
    assert set(out["step"]) == {"applied", "latencyUs", "qualityDelta", "qualityEma", "currentRank"}
    assert out["applied"] is True and out["microStats"]["adaptCount"] == 1


def test_results_match_cpython(fresh, server) -> None:
    # The worker's timer would run SONA's background loop between requests; CPython here never ticks.
    out = run(fresh, server, """
      await init({ tickIntervalMs: 0 });
      const lora = new WasmMicroLoRA(256, 0.1, 0.01);
      const x = vec(256, (i) => Math.sin(0.1 * i));
      for (let step = 0; step < 5; step++) {
        await lora.forward_array(x);
        await lora.adapt_array(vec(256, (i) => Math.cos(0.05 * i * (step + 1))));
        await lora.adapt_with_reward(0.3 - 0.1 * step);
      }
      const llm = new IntelligentLLMWasm();
      for (let p = 0; p < 20; p++) {
        await llm.addPattern(vec(384, (i) => Math.sin((p + 1) * 0.37 * i + p)), `agent${p % 4}`, "task", "seed");
      }
      const outputs = [];
      for (let q = 0; q < 10; q++) {
        outputs.push(Array.from(await llm.process(vec(384, (i) => Math.sin((q % 20 + 1) * 0.37 * i + q % 20 + 0.01 * i)),
                                                  "q", (q % 3) / 2)));
      }
      return { lora: Array.from(await lora.forward_array(x)), outputs, route: await llm.lastResult() };
    """)
    lora = MicroLoRA(256, 0.1, 0.01)
    x = np.sin(0.1 * np.arange(256)).astype(np.float32)
    for step in range(5):
        lora.forward(x)
        lora.adapt(np.cos(0.05 * np.arange(256) * (step + 1)).astype(np.float32))
        lora.adapt_with_reward(0.3 - 0.1 * step)
    np.testing.assert_allclose(out["lora"], lora.forward(x), atol=1e-6)
    llm = IntelligentLLM()
    i = np.arange(384)
    for p in range(20):
        llm.add_pattern(np.sin((p + 1) * 0.37 * i + p).astype(np.float32), f"agent{p % 4}", "task", "seed")
    for q in range(10):
        x = np.sin((q % 20 + 1) * 0.37 * i + q % 20 + 0.01 * i).astype(np.float32)
        np.testing.assert_allclose(out["outputs"][q], llm.process(x, "q", (q % 3) / 2), atol=1e-6)
    assert out["route"]["agent"] == llm.last_result.agent
    assert out["route"]["confidence"] == pytest.approx(llm.last_result.confidence, abs=1e-6)


def test_scoped_and_trajectory_match_cpython(fresh, server) -> None:
    out = run(fresh, server, """
      await init();
      const scoped = new WasmScopedLoRA(64, 0.2, 0.05);
      const x = vec(64, (i) => Math.cos(0.3 * i));
      for (let k = 0; k < 4; k++) { await scoped.forward_array(2, x); await scoped.adapt_with_reward(2, 0.5); }
      const buffer = new WasmTrajectoryBuffer(3, 64);
      for (let k = 1; k <= 5; k++) await buffer.record(x, k % 3, k % 2, 10 * k, 25);
      return { joined: Array.from(await scoped.forward_array(11, x)), mean: await buffer.mean_improvement() };
    """)
    scoped = ScopedLoRA(64, 0.2, 0.05)
    x = np.cos(0.3 * np.arange(64)).astype(np.float32)
    for _ in range(4):
        scoped.forward(2, x)
        scoped.adapt_with_reward(2, 0.5)
    np.testing.assert_allclose(out["joined"], scoped.forward(11, x), atol=1e-6)
    buffer = TrajectoryBuffer(3, 64)
    for k in range(1, 6):
        buffer.record(x, k % 3, k % 2, 10.0 * k, 25.0)
    assert out["mean"] == pytest.approx(buffer.mean_improvement(), rel=1e-6)


CONCURRENT = """
  await init({ tickIntervalMs: 0 });  // background ticks would make the twin's replay differ
  const info = await lib.versionInfo();
  const llm = new IntelligentLLMWasm();
  const twin = new IntelligentLLMWasm();
  for (const engine of [llm, twin]) {
    for (let p = 0; p < 16; p++) await engine.addPattern(vec(384, (i) => Math.sin((p + 1) * 0.61 * i)), `a${p % 4}`, "t");
  }
  const inputs = Array.from({ length: 1000 }, (_, n) => vec(384, (i) => Math.sin(((n % 16) + 1) * 0.61 * i + 0.001 * n)));
  const order = [];
  const calls = inputs.map((x, n) => llm.process(x, `r${n}`, (n % 5) / 4).then((out) => { order.push(n); return out; }));
  const bad = llm.addPattern(inputs[0], "", "t").then(() => "resolved", (e) => e.message);
  const results = await Promise.all(calls);
  const expected = [];
  for (let n = 0; n < 1000; n += 97) {
    // Replaying the same sequence on the twin gives the same numbers in the same order.
    for (let m = expected.length ? expected[expected.length - 1][0] + 1 : 0; m <= n; m++) {
      const out = await twin.process(inputs[m], `r${m}`, (m % 5) / 4);
      if (m === n) expected.push([n, out]);
    }
  }
  return {
    shared: info.sharedMemory,
    inOrder: order.every((n, k) => n === k) && order.length === 1000,
    bad: await bad,
    matches: expected.every(([n, out]) => out.every((v, i) => v === results[n][i])),
    checked: expected.length,
  };
"""


@pytest.mark.parametrize("path", ["shared", "copy"])
def test_a_thousand_concurrent_calls_resolve_in_order(browser, server, plain_server, path) -> None:
    host = server if path == "shared" else plain_server
    browser.get(host.url + "test-pages/harness.html")
    out = run(browser, host, CONCURRENT)
    assert out["shared"] is (path == "shared")
    assert out["inOrder"] and out["matches"] and out["checked"] == 11
    assert out["bad"] == "agent must not be empty"


def test_both_transport_paths_give_identical_numbers(browser, server, plain_server) -> None:
    body = """
      await init();
      const lora = new WasmMicroLoRA(128, 0.1, 0.01);
      const x = vec(128, (i) => Math.sin(i));
      await lora.forward_array(x);
      await lora.adapt_array(vec(128, (i) => Math.cos(i)));
      lora.get_input_ptr().set(x);
      const first = await lora.forward();
      const again = await lora.forward();
      return { shared: (await lib.versionInfo()).sharedMemory, out: Array.from(lora.get_output_ptr()),
               sameView: first === again && again === lora.get_output_ptr(),
               inArena: first.buffer.constructor.name === "SharedArrayBuffer" };
    """
    results = {}
    for host in (server, plain_server):
        browser.get(host.url + "test-pages/harness.html")
        results[host.url] = run(browser, host, body)
    shared, copied = results[server.url], results[plain_server.url]
    assert shared["shared"] is True and copied["shared"] is False
    assert shared["out"] == copied["out"]
    # forward() answers in the same view every time; with shared memory that view lives in the arena.
    assert shared["sameView"] and copied["sameView"]
    assert shared["inArena"] and not copied["inArena"]


def test_errors_arrive_as_js_errors_and_change_nothing(fresh, server) -> None:
    out = run(fresh, server, """
      await init();
      const llm = new IntelligentLLMWasm();
      await llm.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
      const before = await llm.stats();
      const errors = {
        length: await failure(llm.process(new Float32Array(10), "c", 0.5)),
        nan: await failure(llm.process(vec(384, () => NaN), "c", 0.5)),
        huge: await failure(llm.process(vec(384, () => 1e15), "c", 0.9)),
        quality: await failure(llm.process(vec(384, (i) => i), "c", 1.5)),
        type: await failure(llm.process([1, 2, 3], "c", 0.5)),
        text: await failure(llm.process(vec(384, (i) => i), "x".repeat(5000), 0.5)),
        pythonSide: await failure(llm.addPattern(vec(384, (i) => i), "", "t")),
        snapshot: await failure(IntelligentLLMWasm.load(new Uint8Array([1, 2, 3]))),
        badConfig: await failure((async () => { const c = new IntelligentConfigWasm(); c.routerConfig().topK = 0; return new IntelligentLLMWasm(c); })()),
      };
      const after = JSON.parse(await llm.stats());
      return { errors, patterns: after.totalPatterns, queries: after.router.queries,
               queriesBefore: JSON.parse(before).router.queries };
    """)
    errors = out["errors"]
    assert errors["length"] == "Error: input has 10 values, expected 384"
    assert errors["nan"] == "Error: input contains NaN or Inf (at index 0)"
    assert errors["huge"] == ("Error: input has the value 9.99999987e+14 at index 0, outside the accepted range "
                              "[-1e+06, 1e+06] of embedding values")
    assert errors["quality"] == "Error: quality must be in [0, 1], got 1.5"
    assert errors["type"] == "TypeError: input must be a Float32Array, got an Array"
    assert errors["text"].startswith("Error: context has 5000 characters")
    assert errors["pythonSide"] == "Error: agent must not be empty"
    assert errors["snapshot"].startswith("Error: truncated snapshot")
    assert errors["badConfig"] == "Error: topK must be in [1, 1024], got 0"
    assert out["patterns"] == 1 and out["queries"] == out["queriesBefore"]


def test_persistence_survives_a_reload_and_reports_a_corrupt_store(fresh, server) -> None:
    first = run(fresh, server, """
      const info = await init({ persist: "kept", persistDelayMs: 50 });
      const llm = new IntelligentLLMWasm();
      for (let p = 0; p < 5; p++) await llm.addPattern(vec(384, (i) => Math.sin((p + 1) * i)), `a${p}`, "t");
      await llm.process(vec(384, (i) => Math.sin(i)), "q", 1.0);
      await new Promise((resolve) => setTimeout(resolve, 400));  // the debounced save
      return { info, stats: JSON.parse(await llm.stats()) };
    """)
    assert first["info"]["persist"] == {"name": "kept", "enabled": True, "restored": False}
    fresh.refresh()
    second = run(fresh, server, """
      const info = await init({ persist: "kept" });
      const llm = new IntelligentLLMWasm();
      return { info, stats: JSON.parse(await llm.stats()) };
    """)
    assert second["info"]["persist"] == {"name": "kept", "enabled": True, "restored": True}
    assert second["stats"]["totalPatterns"] == 5
    assert second["stats"]["router"]["queries"] == first["stats"]["router"]["queries"]
    fresh.refresh()
    third = run(fresh, server, """
      await new Promise((resolve, reject) => {
        const open = indexedDB.open("ruvllm-web", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("snapshots");
        open.onsuccess = () => {
          const tx = open.result.transaction("snapshots", "readwrite");
          tx.objectStore("snapshots").put(new Uint8Array([82, 85, 86, 0, 1, 2, 3]), "broken");
          tx.oncomplete = () => { open.result.close(); resolve(); };
          tx.onerror = () => reject(tx.error);
        };
      });
      const reported = [];
      const info = await init({ persist: "broken", onPersistError: (e) => reported.push(e.message) });
      const llm = new IntelligentLLMWasm();
      const keys = await new Promise((resolve) => {
        const open = indexedDB.open("ruvllm-web", 1);
        open.onsuccess = () => {
          const request = open.result.transaction("snapshots").objectStore("snapshots").getAllKeys();
          request.onsuccess = () => { open.result.close(); resolve(request.result); };
        };
      });
      return { info, reported, keys, patterns: JSON.parse(await llm.stats()).totalPatterns };
    """)
    persist = third["info"]["persist"]
    assert persist["restored"] is False and "kept aside" in persist["error"] and "truncated" in persist["error"]
    assert third["reported"] == [persist["error"]]
    assert "broken" not in third["keys"] and any(k.startswith("broken.corrupt.") for k in third["keys"])
    assert third["patterns"] == 0


def test_restore_replaces_the_kept_engine_in_place(fresh, server) -> None:
    first = run(fresh, server, """
      await init({ persist: "swapped", persistDelayMs: 50 });
      const llm = new IntelligentLLMWasm();
      for (let p = 0; p < 5; p++) await llm.addPattern(vec(384, (i) => Math.sin((p + 1) * i)), `a${p}`, "t");
      const other = new IntelligentLLMWasm();  // not the kept one: only the first engine is
      for (let p = 0; p < 2; p++) await other.addPattern(vec(384, (i) => Math.cos((p + 1) * i)), `b${p}`, "t");
      const refused = await failure(llm.restore(new Uint8Array([1, 2, 3])));
      const notBytes = await failure(llm.restore("snapshot"));
      const afterRefusal = JSON.parse(await llm.stats()).totalPatterns;
      await llm.restore(await other.save());
      await new Promise((resolve) => setTimeout(resolve, 400));  // the debounced save
      return { refused, notBytes, afterRefusal, route: await llm.route(vec(384, (i) => Math.cos(i))),
               patterns: JSON.parse(await llm.stats()).totalPatterns };
    """)
    assert "snapshot" in first["refused"] and first["notBytes"].startswith("TypeError: snapshot must be a Uint8Array")
    assert first["afterRefusal"] == 5
    assert first["patterns"] == 2 and first["route"]["agent"] == "b0"
    fresh.refresh()
    second = run(fresh, server, """
      const info = await init({ persist: "swapped" });
      return { info, patterns: JSON.parse(await new IntelligentLLMWasm().stats()).totalPatterns };
    """)
    assert second["info"]["persist"]["restored"] is True and second["patterns"] == 2


def test_a_crashed_worker_rejects_pending_calls_and_init_recovers(fresh, server) -> None:
    out = run(fresh, server, """
      await init({ workerUrl: new URL("crash-worker.js", location.href) });
      const llm = new IntelligentLLMWasm();
      await llm.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
      const before = Array.from({ length: 5 }, () => llm.process(vec(384, (i) => Math.cos(i)), "q", 1));
      const crash = llm.reset();
      const after = Array.from({ length: 5 }, () => llm.process(vec(384, (i) => Math.cos(i)), "q", 1));
      const settled = await Promise.allSettled([...before, crash, ...after]);
      const stale = await failure(llm.stats());
      await init();
      const again = new IntelligentLLMWasm();
      await again.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
      return {
        rejected: settled.filter((s) => s.status === "rejected").map((s) => s.reason.message),
        fulfilled: settled.filter((s) => s.status === "fulfilled").length,
        stale, recovered: (await again.route(vec(384, (i) => Math.sin(i)))).agent,
      };
    """)
    assert out["rejected"], "the calls pending at the crash reject"
    assert all("ruvllm-web worker stopped" in message for message in out["rejected"])
    assert out["fulfilled"] + len(out["rejected"]) == 11
    assert "this object must be created again" in out["stale"]
    assert out["recovered"] == "coder"


def test_a_policy_that_refuses_webassembly_fails_init_clearly(browser, server) -> None:
    browser.get(server.url + "test-pages/strict-csp.html")
    out = run(browser, server, """
      const source = `import ${JSON.stringify(new URL("/worker.js", location.href).href)};`;
      const workerUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      return { refused: await failure(init({ workerUrl })) };
    """, page="test-pages/strict-csp.html")
    assert out["refused"].startswith("Error: ")
    assert "Content Security Policy refused" in out["refused"] and "'wasm-unsafe-eval'" in out["refused"]


def test_the_worker_runs_sona_ticks_on_its_timer_and_can_pause_them(fresh, server) -> None:
    out = run(fresh, server, """
      const ticks = [];
      await init({ tickIntervalMs: 20, onTick: (t) => ticks.push(t) });
      const llm = new IntelligentLLMWasm();
      await llm.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
      const feed = async () => {
        for (let k = 0; k < 8; k++) await llm.process(vec(384, (i) => Math.sin(i) + 0.01 * Math.cos(k * i)), "q", 1.0);
      };
      await feed();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ran = ticks.length;
      lib.setTickInterval(0);
      const before = JSON.parse(await llm.stats()).sona.background.pending;
      await feed();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stats = JSON.parse(await llm.stats());
      return { ran, before, after: ticks.length, errors: ticks.filter((t) => t.error).length,
               backgroundTicks: stats.sona.background.ticks, pending: stats.sona.background.pending };
    """)
    assert out["ran"] >= 1 and out["errors"] == 0
    assert out["after"] == out["ran"], "no tick runs while the timer is paused"
    # A tick may have caught the first feed part-way (it needs min_batch waiting), so some may wait still.
    assert out["backgroundTicks"] == out["ran"] and out["pending"] == out["before"] + 8
