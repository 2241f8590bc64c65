// The ruvllm-web Web Worker (a module worker).
//
// Loads the self-hosted Pyodide runtime, numpy and the ruvllm_web wheel from
// this worker's own origin, then serves the page's requests one at a time, in
// arrival order, and runs SONA's background loop on a timer between them.
//
// The messages it takes and posts are typed in static/client/protocol.js, which the client
// (static/client/) uses too.

import { loadPyodide } from "./pyodide/pyodide.mjs";

/** @typedef {import("./static/client/protocol.js").Request} Request */
/** @typedef {import("./static/client/protocol.js").CallRequest} CallRequest */
/** @typedef {import("./static/client/protocol.js").Reply} Reply */
/** @typedef {import("./static/client/protocol.js").ErrorInfo} ErrorInfo */
/** @typedef {import("./static/client/protocol.js").Region} Region */
/** @typedef {import("./static/client/protocol.js").Versions} Versions */
/**
 * A Python object's proxy (Pyodide's PyProxy, which its typings do not export).
 * @typedef {any} PyProxy
 */
/**
 * The loaded engine: Pyodide, the bridge module, its callable functions by name, and the versions.
 * @typedef {{pyodide: import("./pyodide/pyodide.mjs").PyodideInterface, bridge: PyProxy,
 *   calls: Map<string, PyProxy>, versions: Versions}} Runtime
 */

/** Post `message` to the page, transferring `transfer`. @param {Reply} message @param {Transferable[]} [transfer] */
function reply(message, transfer = []) {
  self.postMessage(message, transfer);
}

const PYODIDE_URL = new URL("./pyodide/", import.meta.url).href;

/** @param {string} stage @param {number} fraction @param {string} detail */
function progress(stage, fraction, detail) {
  reply({ type: "progress", stage, fraction, detail });
}

/** Load Pyodide, numpy and the engine. @returns {Promise<Runtime>} */
async function load() {
  const started = performance.now();
  progress("runtime", 0.05, "loading the Python runtime");
  const pyodide = await loadPyodide({ indexURL: PYODIDE_URL });
  progress("numpy", 0.6, "loading numpy and the engine");
  /** @type {string[]} */
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
  /** @type {Map<string, PyProxy>} the bridge functions the page may call, each proxied once */
  const calls = new Map(toJs(bridge.CALLS).map((/** @type {string} */ name) => [name, bridge[name]]));
  const versions = toJs(bridge.version_info());
  versions.pyodide = pyodide.version;
  versions.loadMs = Math.round(performance.now() - started);
  progress("engine", 1, "ready");
  return { pyodide, bridge, calls, versions };
}

/**
 * The files "fetch_model" fetched and verified, and the encoder class they are for, by encoder
 * handle, until "load_encoder" uses them.
 * @type {Map<number, {className: string, files: Map<string, Uint8Array>}>}
 */
const fetchedModels = new Map();

/** @param {Uint8Array<ArrayBuffer>} bytes @returns {Promise<string>} the hex sha256 */
async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Fetch `url`, refusing an answer that is not a 200.
 * @param {URL} url @param {string} what @returns {Promise<Response>}
 */
async function fetchOwn(url, what) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (error) {
    throw new Error(`could not fetch ${what} from ${url} (${/** @type {Error} */ (error).message})`);
  }
  if (!response.ok) {
    throw new Error(`could not fetch ${what} from ${url}: HTTP ${response.status} (build.py dist places the model)`);
  }
  return response;
}

/**
 * Fetch the model files the encoder `className` reads (the bridge's `encoder_files`: a
 * StaticEncoder needs no weights) from the folder `url` of this worker's origin, each checked
 * against the sha256 and size build.py pinned in the folder's manifest.json, and keep them under
 * `handle`. Each file streams into one buffer of the pinned size (no list of chunks to join, so
 * no second copy); progress is posted as bytes arrive.
 * @param {number} handle @param {string} url @param {string} className
 */
async function fetchModel(handle, url, className) {
  const runtime = await loading;
  const needed = toJs(runtime.calls.get("encoder_files")(className));
  const folder = new URL(url, self.location.href);
  if (folder.origin !== self.location.origin) {
    throw new Error(`the model must come from this page's own origin ${self.location.origin}, not ${folder.origin}`);
  }
  if (!crypto.subtle) {
    throw new Error("verifying the model needs crypto.subtle: serve the page over https or from localhost");
  }
  const manifestUrl = new URL("manifest.json", folder);
  let manifest;
  try {
    manifest = await (await fetchOwn(manifestUrl, "the model manifest")).json();
  } catch (error) {
    throw error instanceof SyntaxError ? new Error(`${manifestUrl} is not JSON (${error.message})`) : error;
  }
  /** @type {Array<{name: string, sha256: string, size: number}>} */
  const pins = needed.map((/** @type {string} */ name) => {
    const pin = manifest && manifest.files && manifest.files[name];
    if (!pin || typeof pin.sha256 !== "string" || !Number.isSafeInteger(pin.size) || pin.size < 0) {
      throw new Error(`${manifestUrl} pins no sha256 and size for ${name}`);
    }
    return { name, sha256: pin.sha256, size: pin.size };
  });
  pins.sort((a, b) => a.size - b.size); // a bad small file fails before the weights download
  const total = pins.reduce((sum, pin) => sum + pin.size, 0);
  let loaded = 0;
  let reported = -1;
  /** @param {string} detail */
  const report = (detail) => {
    const percent = Math.floor((100 * loaded) / Math.max(total, 1));
    if (percent !== reported) {
      reported = percent;
      reply({ type: "model-progress", handle, loaded, total, detail });
    }
  };
  report("fetching the model");
  const files = new Map();
  for (const pin of pins) {
    const response = await fetchOwn(new URL(pin.name, folder), pin.name);
    const bytes = new Uint8Array(pin.size);
    let filled = 0;
    const body = response.body;
    if (!body) {
      throw new Error(`${pin.name} came back with no body`);
    }
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > pin.size) {
        await reader.cancel();
        throw new Error(`${pin.name} is larger than the ${pin.size} bytes the manifest pins: the file is corrupt`);
      }
      bytes.set(value, filled);
      filled += value.length;
      loaded += value.length;
      report(`fetching ${pin.name}`);
    }
    if (filled !== pin.size) {
      throw new Error(`${pin.name} has ${filled} bytes, the manifest pins ${pin.size}: the file is corrupt`);
    }
    const actual = await sha256Hex(bytes);
    if (actual !== pin.sha256) {
      throw new Error(`${pin.name} has sha256 ${actual}, the manifest pins ${pin.sha256}: the file is corrupt`);
    }
    files.set(pin.name, bytes);
  }
  fetchedModels.set(handle, { className, files });
}

/**
 * Build the encoder under `handle` from the files fetchModel kept. They go into a folder
 * of Pyodide's in-memory file system, which takes each buffer over instead of copying it
 * (canOwn); the encoder reads them into the Python heap, and the folder is removed at once, so
 * that no copy but the encoder's own outlives the load.
 * @param {Runtime} runtime @param {number} handle
 * @returns {import("./static/ruvllm.js").ModelLoadInfo}
 */
function loadEncoder(runtime, handle) {
  const fetched = fetchedModels.get(handle);
  if (!fetched) {
    throw new Error(`no fetched model for handle ${handle}: fetch_model first`);
  }
  const { className, files } = fetched;
  fetchedModels.delete(handle);
  // Emscripten's file system, of which Pyodide's typings name only a part.
  const FS = /** @type {any} */ (runtime.pyodide.FS);
  const root = `/ruvllm-models/${handle}`;
  /** @type {string[]} */
  const made = [];
  /** @param {string} path */
  const mkdir = (path) => {
    if (!FS.analyzePath(path).exists) {
      FS.mkdir(path);
      made.push(path);
    }
  };
  /** @type {string[]} */
  const written = [];
  try {
    mkdir("/ruvllm-models");
    mkdir(root);
    for (const [name, bytes] of files) {
      const parts = name.split("/");
      for (let i = 1; i < parts.length; i++) mkdir(`${root}/${parts.slice(0, i).join("/")}`);
      FS.writeFile(`${root}/${name}`, bytes, { canOwn: true });
      written.push(`${root}/${name}`);
    }
    // The wasm heap's size: `_module` is Emscripten's, not in Pyodide's typings.
    const heap = () => /** @type {any} */ (runtime.pyodide)._module.HEAPU8.length;
    const before = heap();
    const options = runtime.pyodide.toPy({ path: root });
    try {
      runtime.calls.get("create")(handle, className, options);
    } finally {
      options.destroy();
    }
    let weights = 0;
    for (const bytes of files.values()) weights += bytes.length;
    return { modelBytes: weights, heapBytesBefore: before, heapBytesAfter: heap() };
  } finally {
    for (const path of written) FS.unlink(path);
    for (const path of made.reverse()) FS.rmdir(path);
  }
}

/** @type {Float32Array<SharedArrayBuffer> | null} Float32 view of the shared arena, or null on the transfer path. */
let arena = null;

/**
 * Preallocated numpy buffers that shared-arena vectors are copied into, one per
 * (argument position, length), with a JS view onto each buffer's wasm memory and
 * the arena slice last copied from (a fixed-size call from the same place, such
 * as `WasmMicroLoRA.forward()`, then creates no new object at all on this side).
 * @type {Map<string, {array: any, view: Float32Array | null, source: Float32Array | null}>}
 */
const scratch = new Map();

/**
 * Copy arena[offset, offset + length) into a reusable numpy float32 array and return that array.
 * @param {Runtime} runtime @param {Float32Array<SharedArrayBuffer>} shared the arena
 * @param {number} position @param {number} offset @param {number} length @returns {PyProxy}
 */
function scratchArgument(runtime, shared, position, offset, length) {
  const key = `${position}:${length}`;
  let entry = scratch.get(key);
  if (!entry) {
    entry = { array: runtime.calls.get("scratch_vector")(length), view: null, source: null };
    scratch.set(key, entry);
  }
  let source = entry.source;
  if (!source || source.buffer !== shared.buffer || source.byteOffset !== offset * 4) {
    source = entry.source = shared.subarray(offset, offset + length);
  }
  let view = entry.view;
  if (!view || view.length === 0) {
    // (Re)acquire the view: a wasm memory growth detaches the old one.
    const buffer = entry.array.getBuffer("f32");
    /** @type {Float32Array} */
    const data = buffer.data;
    view = entry.view = data;
    buffer.release();
  }
  view.set(source);
  return entry.array;
}

/**
 * Turn message arguments into Python-callable values. Returns [values, proxiesToDestroy].
 * @param {Runtime} runtime @param {any[]} args @returns {[unknown[], PyProxy[]]}
 */
function decodeArguments(runtime, args) {
  /** @type {PyProxy[]} */
  const owned = [];
  const values = args.map((arg, position) => {
    if (arg && typeof arg === "object" && Array.isArray(arg.$f32)) {
      if (!arena) {
        throw new Error("a vector in the shared arena, but the page shared none");
      }
      return scratchArgument(runtime, arena, position, arg.$f32[0], arg.$f32[1]);
    }
    if (ArrayBuffer.isView(arg) || (arg && typeof arg === "object")) {
      const value = runtime.pyodide.toPy(arg);
      owned.push(value);
      return value;
    }
    return arg;
  });
  return [values, owned];
}

/**
 * Convert a Python result to a JS value and release the proxy.
 * numpy arrays become typed-array copies; dicts become plain objects; bytes become Uint8Array.
 * @param {any} value @returns {any}
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

/**
 * Write a numpy float32 result into the arena at `out`; returns the length written.
 * @param {PyProxy} value @param {Float32Array<SharedArrayBuffer>} shared the arena @param {Region} out
 * @returns {number}
 */
function writeResult(value, shared, out) {
  const buffer = value.getBuffer("f32");
  try {
    if (buffer.data.length !== out[1]) {
      throw new Error(`result has ${buffer.data.length} values, the output view ${out[1]}`);
    }
    shared.set(buffer.data, out[0]);
    return out[1];
  } finally {
    buffer.release();
    value.destroy();
  }
}

/**
 * Describe a thrown value as {type, message}, Python errors by their last traceback line.
 * @param {any} error @returns {ErrorInfo}
 */
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

/**
 * Pyodide only logs a WebAssembly compile that the worker's Content Security Policy refuses, and
 * never settles: a policy violation while loading fails the load instead of leaving it hanging.
 * @type {Promise<never>}
 */
const refusedByPolicy = new Promise((_, reject) => {
  self.addEventListener("securitypolicyviolation", (violation) => {
    const event = /** @type {SecurityPolicyViolationEvent} */ (violation);
    reject(new Error(
      `the worker's Content Security Policy refused ${event.blockedURI || "an action"} ` +
      `(${event.effectiveDirective}); Pyodide needs script-src 'wasm-unsafe-eval' in the worker`,
    ));
  }, { once: true });
});
const loading = Promise.race([load(), refusedByPolicy]);
refusedByPolicy.catch(() => {}); // a violation after loading is not a load failure
loading.then(
  ({ versions }) => reply({ type: "ready", versions }),
  (error) => reply({ type: "failed", message: describeError(error).message }),
);

/**
 * Every request and every timer tick runs through this chain, so a tick never runs inside a request.
 * @type {Promise<unknown>}
 */
let queue = loading.catch(() => {});
/** @type {ReturnType<typeof setInterval> | null} the background loop's timer, null while paused */
let timer = null;

/** Run the background loop every `intervalMs`; 0 pauses it. @param {number} intervalMs */
function setTimer(intervalMs) {
  if (timer !== null) clearInterval(timer);
  const current = intervalMs > 0 ? setInterval(() => (queue = queue.then(() => tick(current))), intervalMs) : null;
  timer = current;
}

/**
 * Run due background work, unless the timer that queued this tick was paused or replaced meanwhile.
 * @param {ReturnType<typeof setInterval> | null} queuedBy
 */
async function tick(queuedBy) {
  const runtime = await loading;
  if (queuedBy !== timer) {
    return;
  }
  const started = performance.now();
  try {
    const ran = runtime.calls.get("tick_all")();
    if (ran > 0) {
      reply({ type: "tick", ran, ms: performance.now() - started });
    }
  } catch (error) {
    reply({ type: "tick", ran: 0, error: describeError(error) });
  }
}

/** @param {MessageEvent<Request>} event */
self.onmessage = (event) => {
  const message = event.data;
  if ("type" in message) {
    if (message.type === "arena") {
      arena = new Float32Array(message.buffer);
    } else if (message.type === "timer") {
      setTimer(message.intervalMs);
    }
  } else if (message.call === "fetch_model") {
    // Beside the queue: the engine keeps answering while the model downloads.
    const [handle, url, className] = /** @type {[number, string, string]} */ (message.args);
    fetchModel(handle, url, className).then(
      () => reply({ id: message.id, ok: true, result: null }),
      (error) => reply({ id: message.id, ok: false, error: describeError(error) }),
    );
  } else {
    queue = queue.then(() => serve(message));
  }
};

/** Run one queued call and post its answer. @param {CallRequest} request */
async function serve({ id, call, args, out }) {
  try {
    const runtime = await loading;
    if (call === "load_encoder") {
      reply({ id, ok: true, result: loadEncoder(runtime, /** @type {number} */ (args[0])) });
      return;
    }
    const target = runtime.calls.get(call);
    if (!target) {
      throw new Error(`unknown call ${JSON.stringify(call)}`);
    }
    const [values, owned] = decodeArguments(runtime, args || []);
    let raw;
    try {
      raw = target(...values);
    } finally {
      for (const proxy of owned) proxy.destroy();
    }
    let result;
    if (out && arena && raw && raw.type === "numpy.ndarray") {
      result = { $f32: [out[0], writeResult(raw, arena, out)] };
    } else {
      result = toJs(raw);
    }
    const transfer = ArrayBuffer.isView(result) ? [result.buffer] : [];
    reply({ id, ok: true, result }, transfer);
  } catch (error) {
    reply({ id, ok: false, error: describeError(error) });
  }
}
