// ruvllm-web client library, classic-script form: defines the global `RuvLLM`.
//
//   <script src="static/ruvllm.global.js"></script>
//   <script> await RuvLLM.init({onProgress: console.log}); </script>
//
// The ES module `ruvllm.js` beside this file imports this one and re-exports
// the same names (`import init, {...} from "./static/ruvllm.js"`). One file
// cannot be both: `export` is a syntax error in a classic script.
//
// The engine runs in a Web Worker (../worker.js, resolved relative to this
// script, not the page). Every call returns a Promise; calls are served in order.

(function (global) {
  "use strict";

  /** URL of this script when loaded by a classic <script> tag. */
  let baseUrl = typeof document !== "undefined" && document.currentScript ? document.currentScript.src : null;

  /**
   * @typedef {{stage: string, fraction: number, detail: string}} Progress
   * @typedef {{onProgress?: (p: Progress) => void, workerUrl?: string | URL}} InitOptions
   * @typedef {{ruvllm_web: string, numpy: string, python: string, pyodide: string,
   *            platform: string, loadMs: number, crossOriginIsolated: boolean}} VersionInfo
   */

  /** A started worker and the calls waiting for its answers. */
  class Connection {
    /** @param {Worker} worker */
    constructor(worker) {
      this.worker = worker;
      this.nextId = 1;
      /** @type {Map<number, {resolve: Function, reject: Function}>} */
      this.pending = new Map();
      this.closedWith = null;
    }

    /**
     * Send one request; resolves with its result or rejects with an Error.
     * @param {string} method @param {unknown[]} args @param {Transferable[]} [transfer]
     */
    call(method, args, transfer = []) {
      if (this.closedWith) {
        return Promise.reject(new Error(this.closedWith));
      }
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.worker.postMessage({ id, method, args }, transfer);
      });
    }

    /** @param {MessageEvent} event */
    answer(event) {
      const { id, ok, result, error } = event.data;
      const waiter = this.pending.get(id);
      if (!waiter) return;
      this.pending.delete(id);
      if (ok) {
        waiter.resolve(result);
      } else {
        const failure = new Error(error.message);
        failure.name = error.type === "TypeError" ? "TypeError" : "Error";
        failure.pythonType = error.type;
        waiter.reject(failure);
      }
    }

    /** Stop the worker and reject everything still waiting with `reason`. */
    close(reason) {
      this.closedWith = reason;
      this.worker.terminate();
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(reason));
      }
      this.pending.clear();
    }
  }

  /** @type {Connection | null} */
  let connection = null;
  /** @type {VersionInfo | null} */
  let versions = null;

  /**
   * Start the worker and wait until the engine is loaded.
   * @param {InitOptions} [options]
   * @returns {Promise<VersionInfo>}
   */
  async function init(options = {}) {
    if (connection) {
      return versions;
    }
    const onProgress = options.onProgress || (() => {});
    const workerUrl = options.workerUrl || new URL("../worker.js", baseUrl || global.location.href);
    const worker = new Worker(workerUrl, { type: "module" });
    const started = new Connection(worker);
    const info = await new Promise((resolve, reject) => {
      worker.onmessage = (event) => {
        const message = event.data;
        if (message.type === "progress") {
          onProgress({ stage: message.stage, fraction: message.fraction, detail: message.detail });
        } else if (message.type === "ready") {
          worker.onmessage = (answer) => started.answer(answer);
          resolve(message.versions);
        } else if (message.type === "failed") {
          reject(new Error(`ruvllm-web could not start: ${message.message}`));
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const reason = `ruvllm-web worker failed: ${event.message || "could not load worker.js"}`;
        started.close(reason);
        reject(new Error(reason));
      };
    }).catch((error) => {
      worker.terminate();
      throw error;
    });
    info.crossOriginIsolated = Boolean(global.crossOriginIsolated);
    connection = started;
    versions = info;
    return info;
  }

  /** Stop the worker; pending calls reject. `init()` may be called again afterwards. */
  function close() {
    if (connection) {
      connection.close("ruvllm-web was closed");
      connection = null;
      versions = null;
    }
  }

  /** @returns {Connection} */
  function requireConnection() {
    if (!connection) {
      throw new Error("ruvllm-web is not initialised: await init() first");
    }
    return connection;
  }

  /**
   * Check that `value` is a Float32Array of finite numbers (length `length` when given).
   * @param {unknown} value @param {string} name @param {number} [length]
   * @returns {Float32Array}
   */
  function checkVector(value, name, length) {
    if (!(value instanceof Float32Array)) {
      throw new TypeError(`${name} must be a Float32Array, got ${value === null ? "null" : typeof value}`);
    }
    if (length !== undefined && value.length !== length) {
      throw new Error(`${name} has ${value.length} values, expected ${length}`);
    }
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i])) {
        throw new Error(`${name} contains NaN or Inf (at index ${i})`);
      }
    }
    return value;
  }

  /** @returns {Promise<VersionInfo>} versions of the engine, numpy, Python and Pyodide. */
  async function versionInfo() {
    requireConnection();
    return versions;
  }

  /**
   * Unit-length copy of `vector`, computed by numpy inside the engine.
   * @param {Float32Array} vector
   * @returns {Promise<Float32Array>}
   */
  async function l2Normalize(vector) {
    checkVector(vector, "vector");
    return requireConnection().call("l2_normalize", [vector]);
  }

  global.RuvLLM = {
    init,
    close,
    versionInfo,
    l2Normalize,
    /** Set the URL other files are resolved against (the ES module does this). */
    setBaseUrl(url) {
      baseUrl = String(url);
    },
  };
})(globalThis);
