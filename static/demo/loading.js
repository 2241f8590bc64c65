// The "Engine" panel: starts the engine, shows each loading step with the time it took,
// and the versions it runs on.

import { byId, formatPercent, formatUs, make, setStatus } from "./dom.js";

/** Where on the progress bar the worker's own loading ends; the page's steps fill the rest. */
const WORKER_SHARE = 0.8;

/** Times each named step of the load, and shows them as a list as they finish. */
class StepClock {
  constructor() {
    this.list = byId("load-steps");
    /** @type {{name: string, started: number} | null} */
    this.current = null;
  }

  /** Finish the running step (if any) and start `name`. @param {string} name */
  start(name) {
    if (this.current && this.current.name === name) return;
    this.finish();
    this.current = { name, started: performance.now() };
  }

  /** Finish the running step: add it to the list with its duration (and a performance measure). */
  finish() {
    if (!this.current) return;
    const { name, started } = this.current;
    const ended = performance.now();
    performance.measure(`ruvllm-demo ${name}`, { start: started, end: ended });
    const item = make("li");
    item.append(make("span", name), make("span", formatUs(1000 * (ended - started))));
    this.list.append(item);
    this.current = null;
  }
}

/** The sentence encoder the demo routes with by default. */
export const MODEL_NAME = "all-MiniLM-L6-v2";

/** @typedef {"minilm" | "lexical"} EmbedderMode what embeds the requests the kept engine routes */

/** @returns {EmbedderMode} "lexical" when the page's URL asks for it (`?embedder=lexical`), else "minilm" */
export function embedderMode() {
  return new URLSearchParams(location.search).get("embedder") === "lexical" ? "lexical" : "minilm";
}

/**
 * @typedef {object} Engine
 * @property {import("../ruvllm").IntelligentLLMWasm} llm the engine that routes from now on
 * @property {import("../ruvllm").TextEmbedderWasm} embedder
 * @property {Record<string, string[]>} taskTypes agent -> its task types
 * @property {import("../ruvllm").InitInfo} info
 * @property {import("../ruvllm").IntelligentLLMWasm | null} encoderLlm in "minilm" mode, the kept engine,
 *   which routes once the model is loaded (`llm` is then a lexical stand-in, not kept)
 */

/**
 * Start the engine (restoring the saved one when `persistName` is given and one is stored,
 * else adding the starter library), showing progress; resolves when it can route. In "minilm"
 * mode the kept engine waits for the model (see loadEncoder) and a lexical engine with the
 * starter library routes meanwhile.
 * @param {typeof import("../ruvllm")} lib
 * @param {string | null} persistName IndexedDB name to keep the engine under, or null
 * @param {(tick: {ran: number}) => void} onTick
 * @param {EmbedderMode} mode
 * @returns {Promise<Engine>}
 */
export async function loadEngine(lib, persistName, onTick, mode) {
  const started = performance.now();
  const bar = /** @type {HTMLProgressElement} */ (byId("load-progress"));
  const stage = byId("load-stage");
  const steps = new StepClock();
  /** @param {string} name @param {number} fraction @param {string} detail */
  const step = (name, fraction, detail) => {
    steps.start(name);
    bar.value = fraction;
    stage.textContent = detail;
  };
  /** @type {import("../ruvllm").InitOptions} */
  const options = {
    onProgress: ({ stage: name, fraction, detail }) => {
      if (persistName && name === "engine" && fraction === 1) {
        step("saved state", WORKER_SHARE, "looking for a saved engine in this browser");
      } else {
        step(name, WORKER_SHARE * fraction, detail);
      }
    },
    onTick,
    ...(persistName ? { persist: persistName } : {}),
  };
  step("runtime", 0, "starting the worker");
  const info = await lib.init(options);
  const kept = new lib.IntelligentLLMWasm();  // constructed first, so it is the one persisted
  const encoderLlm = mode === "minilm" ? kept : null;
  const llm = encoderLlm ? new lib.IntelligentLLMWasm() : kept;
  const embedder = new lib.TextEmbedderWasm(llm.dim);
  if (encoderLlm) {
    // Not kept, so it is built on every visit, restored or not; the name says which engine it is.
    step("lexical starter library", 0.9, `adding the starter library for the lexical embedder, which routes while ${MODEL_NAME} loads`);
    await llm.addStarterLibrary(embedder);
  } else if (!(info.persist && info.persist.restored)) {
    step("starter library", 0.9, "adding the starter library (8 agents)");
    await llm.addStarterLibrary(embedder);
    if (info.persist && info.persist.enabled) await llm.persist();
  }
  const taskTypes = await lib.starterTaskTypes();
  steps.finish();
  bar.value = 1;
  stage.textContent = "loaded";
  showVersions(info, performance.now() - started);
  return { llm, embedder, taskTypes, info, encoderLlm };
}

/**
 * Load the sentence encoder into `llm` (the kept engine of "minilm" mode), showing its progress on
 * the embedder status: add the starter library embedded by it unless the engine was restored.
 * @param {typeof import("../ruvllm")} lib
 * @param {import("../ruvllm").IntelligentLLMWasm} llm
 * @param {import("../ruvllm").InitInfo} info
 * @returns {Promise<import("../ruvllm").SentenceEncoderWasm | null>} the loaded encoder, or null when it failed
 *   to load (the status says why; the lexical engine keeps routing)
 */
export async function loadEncoder(lib, llm, info) {
  const status = byId("embedder");
  setStatus(status, "loading", `lexical while ${MODEL_NAME} loads`);
  const encoder = new lib.SentenceEncoderWasm({
    onProgress: ({ fraction, detail }) => setStatus(
      status, "loading", `lexical while ${MODEL_NAME} loads: ${formatPercent(fraction)} (${detail})`,
    ),
  });
  try {
    await encoder.load();
    if (!(info.persist && info.persist.restored)) {
      setStatus(status, "loading", `lexical while ${MODEL_NAME} embeds the starter library`);
      await llm.addStarterLibrary(encoder);
      if (info.persist && info.persist.enabled) await llm.persist();
    }
  } catch (error) {
    setStatus(status, "failed", `lexical: ${MODEL_NAME} failed to load (${error instanceof Error ? error.message : error})`);
    return null;
  }
  setStatus(status, "ready", MODEL_NAME);
  return encoder;
}

/** Show that the page routes with the lexical embedder only, and offer the encoder. */
export function showLexicalMode() {
  setStatus(byId("embedder"), "lexical", "lexical (chosen in the address)");
  const link = /** @type {HTMLAnchorElement} */ (byId("embedder-switch"));
  link.href = "?";
  link.textContent = `use ${MODEL_NAME}`;
}

/**
 * Fill the versions list.
 * @param {import("../ruvllm").InitInfo} info
 * @param {number} elapsedMs
 */
function showVersions(info, elapsedMs) {
  byId("v-engine").textContent = info.ruvllm_web;
  byId("v-pyodide").textContent = info.pyodide;
  byId("v-numpy").textContent = info.numpy;
  byId("v-isolated").textContent = info.crossOriginIsolated ? "yes (shared memory available)" : "no";
  byId("v-load").textContent = formatUs(1000 * elapsedMs);
  byId("v-persist").textContent = describePersistence(info.persist);
  byId("versions").hidden = false;
}

/** @param {import("../ruvllm").InitInfo["persist"]} persist @returns {string} */
function describePersistence(persist) {
  if (!persist) return "off";
  if (!persist.enabled) return persist.error || "off";
  if (persist.error) return `on ("${persist.name}"): ${persist.error}`;
  return `on ("${persist.name}"), ${persist.restored ? "restored from an earlier visit" : "nothing stored yet"}`;
}

/**
 * Show that loading failed.
 * @param {Error} error
 */
export function showLoadFailure(error) {
  setStatus(byId("status"), "failed", `failed: ${error.message}`);
}
