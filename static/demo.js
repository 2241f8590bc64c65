// The demo page's entry point: loads the engine, then wires the panels (one module each under
// static/demo/) to one shared session and keeps the counters and charts current.

import * as lib from "./ruvllm.js";
import { byId, formatPercent, setStatus } from "./demo/dom.js";
import { embedderMode, loadEncoder, loadEngine, MODEL_NAME, showLexicalMode, showLoadFailure } from "./demo/loading.js";
import { LearningCharts } from "./demo/charts.js";
import { setUpRouting } from "./demo/routing.js";
import { persistName, setUpEngineFile } from "./demo/engine-file.js";
import { setUpBench } from "./demo/bench.js";
import { setUpDeepLoop } from "./demo/deep-loop.js";

/** Background ticks refresh the charts at most this often, ms. */
const TICK_REFRESH_MS = 1000;

/** @type {(() => Promise<void>) | null} */
let refresh = null;
/** @type {ReturnType<typeof setTimeout> | null} */
let tickRefresh = null;

/** A background tick did work: refresh soon (coalescing a burst of ticks into one refresh). */
function onTick() {
  const run = refresh;
  if (run && tickRefresh === null) {
    tickRefresh = setTimeout(() => {
      tickRefresh = null;
      run().catch(() => {});
    }, TICK_REFRESH_MS);
  }
}

/**
 * Show the counters: the page's own, and the engine's from its statistics.
 * @param {import("./demo/routing.js").Session} session
 * @param {any} stats
 */
function showCounters(session, stats) {
  const { routed, good, wrong, corrected } = session.counters;
  byId("c-routed").textContent = String(routed);
  byId("c-good").textContent = String(good);
  byId("c-wrong").textContent = String(wrong);
  byId("c-corrected").textContent = String(corrected);
  byId("c-patterns").textContent = String(stats.totalPatterns);
  byId("c-hit-rate").textContent = stats.router.queries ? formatPercent(stats.router.hit_rate) : "—";
}

try {
  const mode = embedderMode();
  const engine = await loadEngine(lib, persistName(mode), onTick, mode);
  const kept = Boolean(engine.info.persist && engine.info.persist.enabled);
  /** @type {import("./demo/routing.js").Session} */
  const session = {
    llm: engine.llm,
    embedder: engine.embedder,
    embedderLabel: engine.encoderLlm ? `the lexical embedder (${MODEL_NAME} loading)` : "the lexical embedder",
    taskTypes: engine.taskTypes,
    persistent: !engine.encoderLlm && kept,
    last: null,
    counters: { routed: 0, good: 0, wrong: 0, corrected: 0 },
  };
  const charts = new LearningCharts();
  const update = async () => {
    const stats = JSON.parse(await session.llm.stats());
    charts.update(stats);
    showCounters(session, stats);
  };
  refresh = update;
  setUpRouting(session, {
    routed: (cost) => {
      charts.recordLatency(cost);
      return update();
    },
    learned: update,
  });
  setUpEngineFile(lib, session, update);
  setUpDeepLoop(session, update);
  setUpBench(lib, engine.llm.dim);
  await update();
  // While the model loads, the engine file controls would act on the lexical stand-in, which is
  // replaced (and its file forgotten) the moment the model is ready: they wait for it.
  const stateControls = /** @type {HTMLFieldSetElement} */ (byId("state-controls"));
  for (const gated of document.querySelectorAll("fieldset[data-gated]")) {
    if (gated !== stateControls || !engine.encoderLlm) /** @type {HTMLFieldSetElement} */ (gated).disabled = false;
  }
  setStatus(byId("status"), "ready", "ready");
  performance.mark("ruvllm-demo ready");
  if (engine.encoderLlm) {
    const llm = engine.encoderLlm;
    const stateStatus = byId("state-status");
    setStatus(stateStatus, "idle", `Saving, loading and resetting open once ${MODEL_NAME} is loaded.`);
    const encoder = await loadEncoder(lib, llm, engine.info);
    if (encoder) {
      Object.assign(session, { llm, embedder: encoder, embedderLabel: MODEL_NAME, persistent: kept });
      await update();
      performance.mark("ruvllm-demo encoder ready");
    }
    setStatus(stateStatus, "idle", "");
    stateControls.disabled = false;
  } else {
    showLexicalMode();
  }
} catch (error) {
  showLoadFailure(error instanceof Error ? error : new Error(String(error)));
}
