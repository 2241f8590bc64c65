// The "Engine" panel: starts the engine, shows each loading step with the time it took,
// and the versions it runs on.

import { byId, formatUs, make, setStatus } from "./dom.js";

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

/**
 * @typedef {object} Engine
 * @property {import("../ruvllm").IntelligentLLMWasm} llm
 * @property {import("../ruvllm").TextEmbedderWasm} embedder
 * @property {Record<string, string[]>} taskTypes agent -> its task types
 * @property {import("../ruvllm").InitInfo} info
 */

/**
 * Start the engine (restoring the saved one when `persistName` is given and one is stored,
 * else adding the starter library), showing progress; resolves when it can route.
 * @param {typeof import("../ruvllm")} lib
 * @param {string | null} persistName IndexedDB name to keep the engine under, or null
 * @param {(tick: {ran: number}) => void} onTick
 * @returns {Promise<Engine>}
 */
export async function loadEngine(lib, persistName, onTick) {
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
  const llm = new lib.IntelligentLLMWasm();
  const embedder = new lib.TextEmbedderWasm(llm.dim);
  if (!(info.persist && info.persist.restored)) {
    step("starter library", 0.9, "adding the starter library (8 agents)");
    await llm.addStarterLibrary(embedder);
    if (info.persist && info.persist.enabled) await llm.persist();
  }
  const taskTypes = await lib.starterTaskTypes();
  steps.finish();
  bar.value = 1;
  stage.textContent = "loaded";
  showVersions(info, performance.now() - started);
  return { llm, embedder, taskTypes, info };
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
