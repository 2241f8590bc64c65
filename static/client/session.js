// The one engine a page has: init() starts its worker and close() stops it; every engine object
// and function sends through the connection this module holds.

import { Arena } from "./arena.js";
import { checkNumber, checkText } from "./checks.js";
import { Connection } from "./connection.js";
import { Persistence } from "./persistence.js";

/** @typedef {import("../ruvllm.js").InitOptions} InitOptions */
/** @typedef {import("../ruvllm.js").InitInfo} InitInfo */
/** @typedef {import("./protocol.js").Versions} Versions */

/**
 * The URL the worker and the model folder are resolved against: the client script's own (the
 * assembled client sets it as it loads), else the page's.
 * @type {string | null}
 */
let baseUrl = null;
/** @type {Connection | null} */
let connection = null;
/** @type {Promise<InitInfo> | null} what init() resolved to, for init() and versionInfo() later */
let started = null;
/** @type {Persistence | null} the persistent engine's store of the current connection */
export let persistence = null;
/**
 * The init() still starting, which close() cancels: `cancel` stops its worker at once.
 * @typedef {{promise: Promise<InitInfo> | null, cancel: (() => void) | null}} Attempt
 */
/** @type {Attempt | null} */
let starting = null;
/** @type {string | null} why the browser refused storage at init({persist}), or null */
export let refusedStorage = null;

/** Set the URL other files are resolved against. @param {string | URL} url */
export function setBaseUrl(url) {
  baseUrl = String(url);
}

/** `path` resolved against the client script's URL. @param {string} path @returns {URL} */
export function besideClient(path) {
  return new URL(path, baseUrl || globalThis.location.href);
}

/**
 * Start the worker and wait until the engine is loaded. An init() while another is starting
 * joins it (one worker), and once started returns at once.
 * @param {InitOptions} [options]
 * @returns {Promise<InitInfo>}
 */
export function init(options = {}) {
  if (starting && starting.promise) return starting.promise;
  if (connection && !connection.closedWith && started) return started;
  /** @type {Attempt} */
  const attempt = { promise: null, cancel: null };
  starting = attempt;
  const promise = start(options, attempt).finally(() => {
    if (starting === attempt) starting = null;
  });
  attempt.promise = promise;
  return promise;
}

/**
 * The work of init(); `attempt` is cancelled when it is no longer `starting`.
 * @param {InitOptions} options @param {Attempt} attempt
 * @returns {Promise<InitInfo>}
 */
async function start(options, attempt) {
  const persistName = options.persist ? checkText(options.persist, "persist") : null;
  const onProgress = options.onProgress || (() => {});
  const workerUrl = options.workerUrl || besideClient("../worker.js");
  const shared = options.sharedMemory !== false && Boolean(globalThis.crossOriginIsolated) &&
    typeof SharedArrayBuffer !== "undefined";
  const worker = new Worker(workerUrl, { type: "module" });
  const arena = shared ? new Arena() : null;
  const opened = new Connection(worker, arena);
  /** @type {Versions} */
  const versions = await new Promise((resolve, reject) => {
    // A closed page no longer wants the runtime loading in the background with its CPU and memory.
    attempt.cancel = () => {
      worker.terminate();
      reject(new Error("ruvllm-web was closed while starting"));
    };
    /** @param {MessageEvent<import("./protocol.js").StartEvent>} event */
    worker.onmessage = (event) => {
      const message = event.data;
      if (message.type === "progress") {
        const stage = /** @type {import("../ruvllm.js").Progress["stage"]} */ (message.stage);
        onProgress({ stage, fraction: message.fraction, detail: message.detail });
      } else if (message.type === "ready") {
        resolve(message.versions);
      } else if (message.type === "failed") {
        reject(new Error(`ruvllm-web could not start: ${message.message}`));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`ruvllm-web worker failed: ${event.message || "could not load worker.js"}`));
    };
  }).catch((error) => {
    worker.terminate();
    throw error;
  });
  worker.onmessage = (event) => opened.answer(event);
  worker.onerror = (event) => {
    event.preventDefault();
    opened.close(`ruvllm-web worker stopped (${event.message || "crashed"}); call init() again`);
  };
  /** @type {(message: import("./protocol.js").Request) => void} */
  const request = (message) => worker.postMessage(message);
  if (arena) request({ type: "arena", buffer: arena.buffer });
  request({ type: "timer", intervalMs: options.tickIntervalMs ?? 100 });
  opened.onTick = (message) => {
    if (options.onTick) options.onTick({ ran: message.ran, ms: message.ms, error: message.error });
    if (persistence) persistence.changed();
  };
  if (starting !== attempt) {
    worker.terminate(); // close() was called while the engine loaded
    throw new Error("ruvllm-web was closed while starting");
  }
  connection = opened;
  persistence = null;
  refusedStorage = null;
  const info = { ...versions, crossOriginIsolated: Boolean(globalThis.crossOriginIsolated), sharedMemory: shared };
  // A promise, so that an init() while the store is still being read gets this same info.
  started = persistName
    ? Persistence.start(opened, persistName, options).then(({ report, store }) => {
      persistence = store;
      if (!report.enabled) refusedStorage = report.error || null;
      return { ...info, persist: report };
    })
    : Promise.resolve(info);
  return started;
}

/** Stop the worker; pending calls reject. `init()` may be called again afterwards. */
export function close() {
  if (starting && starting.cancel) starting.cancel();
  starting = null;
  if (connection) {
    connection.close("ruvllm-web was closed");
    connection = null;
    persistence = null;
  }
}

/** Pause (0) or change the interval of SONA's background loop in the worker. @param {number} intervalMs */
export function setTickInterval(intervalMs) {
  checkNumber(intervalMs, "intervalMs", 0, 3600000);
  /** @type {import("./protocol.js").TimerMessage} */
  const message = { type: "timer", intervalMs };
  requireConnection().worker.postMessage(message);
}

/** @returns {Connection} */
export function requireConnection() {
  if (!connection || connection.closedWith) {
    throw new Error("ruvllm-web is not initialised: await init() first");
  }
  return connection;
}

/** @returns {Promise<InitInfo>} versions of the engine, numpy, Python and Pyodide. */
export async function versionInfo() {
  requireConnection();
  return /** @type {Promise<InitInfo>} */ (started);
}
