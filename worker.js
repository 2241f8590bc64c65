// The ruvllm-web Web Worker (a module worker).
//
// Loads the self-hosted Pyodide runtime, numpy and the ruvllm_web wheel from
// this worker's own origin, then serves requests from the page.
//
// Protocol (all messages are plain objects):
//   worker -> page  {type: "progress", stage, fraction, detail}
//                   {type: "ready", versions}
//                   {type: "failed", message}           loading failed; nothing will be served
//   page -> worker  {id, method, args}                  args: an array; Float32Arrays allowed
//   worker -> page  {id, ok: true, result}              result: JSON-able or a Float32Array
//                   {id, ok: false, error: {type, message}}
// Requests are served one at a time, in arrival order.

import { loadPyodide } from "./pyodide/pyodide.mjs";

const PYODIDE_URL = new URL("./pyodide/", import.meta.url).href;

/** @param {string} stage @param {number} fraction @param {string} detail */
function progress(stage, fraction, detail) {
  self.postMessage({ type: "progress", stage, fraction, detail });
}

async function load() {
  const started = performance.now();
  progress("runtime", 0, "loading the Python runtime");
  const pyodide = await loadPyodide({ indexURL: PYODIDE_URL });
  progress("numpy", 0.6, "loading numpy and the engine");
  const failures = [];
  await pyodide.loadPackage(["numpy", "ruvllm_web"], {
    messageCallback: () => {},
    errorCallback: (message) => failures.push(message),
    checkIntegrity: true,
  });
  if (failures.length > 0) {
    throw new Error(`could not load packages: ${failures.join("; ")}`);
  }
  progress("engine", 0.9, "starting the engine");
  const bridge = pyodide.pyimport("ruvllm_web.bridge");
  const versions = toJs(bridge.version_info());
  versions.pyodide = pyodide.version;
  versions.loadMs = Math.round(performance.now() - started);
  progress("engine", 1, "ready");
  return { pyodide, bridge, versions };
}

/**
 * Convert a Python result to a JS value and release the proxy.
 * A numpy array becomes a Float32Array (or Float64Array/Int32Array...) copy.
 */
function toJs(value) {
  if (value === null || typeof value !== "object" || !value.toJs) {
    return value;
  }
  try {
    if (value.type === "numpy.ndarray") {
      const buffer = value.getBuffer();
      try {
        return buffer.data.slice();
      } finally {
        buffer.release();
      }
    }
    return value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  } finally {
    value.destroy();
  }
}

/** Describe a thrown value as {type, message}, Python errors by their last traceback line. */
function describeError(error) {
  if (error && error.constructor && error.constructor.name === "PythonError") {
    const lines = String(error.message).trim().split("\n");
    const last = lines[lines.length - 1];
    const split = last.indexOf(": ");
    return split > 0
      ? { type: last.slice(0, split), message: last.slice(split + 2) }
      : { type: error.type || "Error", message: last };
  }
  return { type: (error && error.name) || "Error", message: String((error && error.message) || error) };
}

const loading = load();
loading.then(
  ({ versions }) => self.postMessage({ type: "ready", versions }),
  (error) => self.postMessage({ type: "failed", message: describeError(error).message }),
);

let queue = Promise.resolve();

self.onmessage = (event) => {
  const { id, method, args } = event.data;
  queue = queue.then(() => serve(id, method, args));
};

async function serve(id, method, args) {
  try {
    const { pyodide, bridge } = await loading;
    const target = bridge[method];
    if (typeof method !== "string" || method.startsWith("_") || typeof target !== "function") {
      throw new Error(`unknown method ${JSON.stringify(method)}`);
    }
    const pyArgs = (args || []).map((arg) => (ArrayBuffer.isView(arg) ? pyodide.toPy(arg) : arg));
    let result;
    try {
      result = toJs(target(...pyArgs));
    } finally {
      target.destroy();
      for (const arg of pyArgs) {
        if (arg && arg.destroy) arg.destroy();
      }
    }
    const transfer = ArrayBuffer.isView(result) ? [result.buffer] : [];
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (error) {
    self.postMessage({ id, ok: false, error: describeError(error) });
  }
}
