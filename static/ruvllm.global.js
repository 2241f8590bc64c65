// ruvllm-web client library, classic-script form: defines the global `RuvLLM`.
//
//   <script src="static/ruvllm.global.js"></script>
//   <script> await RuvLLM.init(); const llm = new RuvLLM.IntelligentLLMWasm(); </script>
//
// The ES module `ruvllm.js` beside this file imports this one and re-exports
// the same names (`import init, {...} from "./static/ruvllm.js"`). One file
// cannot be both: `export` is a syntax error in a classic script.
//
// The engine runs in a Web Worker (../worker.js, resolved relative to this
// script, not the page). Constructors return at once; every method returns a
// Promise, and calls are served in the order they were made. Float32Arrays
// travel through a SharedArrayBuffer when the page is cross-origin isolated,
// otherwise as copies in the messages; the results are the same.

(function (global) {
  "use strict";

  /** URL of this script when loaded by a classic <script> tag. */
  let baseUrl = typeof document !== "undefined" && document.currentScript ? document.currentScript.src : null;

  /** Shared-memory arena: persistent views first, then a ring for per-call vectors. */
  const ARENA_FLOATS = 4 << 20; // 16 MiB
  const STATIC_FLOATS = 1 << 20; // 4 MiB of it for zero-allocation views
  const MAX_TEXT = 4096;
  const OPERATOR_NAMES = [
    "Scan", "Filter", "Join", "Aggregate", "Project", "Sort", "Limit", "GroupBy", "IndexScan", "HnswScan",
    "IvfFlatScan", "NestedLoopJoin", "HashJoin", "MergeJoin", "VectorDistance", "Rerank", "Materialize",
  ];
  /** The starter library's agents, in the engine's order (ruvllm_web.STARTER_AGENTS). */
  const STARTER_AGENTS = Object.freeze([
    "Coder", "Researcher", "Tester", "Reviewer", "Architect", "Security", "Performance", "MlDeveloper",
  ]);
  /** The self-benchmarks and their options (ruvllm_web.self_benchmark checks the values). */
  const BENCHMARK_OPTIONS = { hnsw: ["size", "dim", "queries", "k"], lora: ["dim", "repeats"] };

  // ------------------------------------------------------------------ checks
  // Cheap argument checks done before anything crosses to the worker; the
  // engine checks everything again.

  /** @param {unknown} value @param {string} name @param {number} [length] @returns {Float32Array} */
  function checkVector(value, name, length) {
    if (!(value instanceof Float32Array)) {
      throw new TypeError(`${name} must be a Float32Array, got ${describe(value)}`);
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

  /** @param {unknown} value @param {string} name @param {number} [low] @param {number} [high] @returns {number} */
  function checkNumber(value, name, low = -Infinity, high = Infinity) {
    if (typeof value !== "number") {
      throw new TypeError(`${name} must be a number, got ${describe(value)}`);
    }
    if (!Number.isFinite(value)) {
      throw new Error(`${name} must be finite, got ${value}`);
    }
    if (value < low || value > high) {
      throw new Error(`${name} must be in [${low}, ${high}], got ${value}`);
    }
    return value;
  }

  /** @param {unknown} value @param {string} name @param {number} [low] @param {number} [high] @returns {number} */
  function checkInteger(value, name, low, high) {
    checkNumber(value, name, low, high);
    if (!Number.isInteger(value)) {
      throw new TypeError(`${name} must be an integer, got ${value}`);
    }
    return value;
  }

  /** @param {unknown} value @param {string} name @returns {string} */
  function checkText(value, name) {
    if (typeof value !== "string") {
      throw new TypeError(`${name} must be a string, got ${describe(value)}`);
    }
    if (value.length > MAX_TEXT) {
      throw new Error(`${name} has ${value.length} characters, at most ${MAX_TEXT} allowed`);
    }
    return value;
  }

  /** @param {unknown} value @param {string} name @returns {boolean} */
  function checkBoolean(value, name) {
    if (typeof value !== "boolean") {
      throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
    }
    return value;
  }

  /** @param {unknown} value @returns {string} */
  function describe(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an Array";
    if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
    return typeof value;
  }

  /** snake_case keys to camelCase, deeply (engine results follow the JS naming). */
  function camel(value) {
    if (Array.isArray(value)) return value.map(camel);
    if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
      const out = {};
      for (const [key, item] of Object.entries(value)) {
        out[key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())] = camel(item);
      }
      return out;
    }
    return value;
  }

  // ------------------------------------------------------------------- arena

  /**
   * A SharedArrayBuffer of float32s: a bump-allocated static part, then a FIFO ring for per-call
   * vectors. Ring regions are released oldest first (answers arrive in call order), so the live
   * regions are one run [tail, head) or, once wrapped, [tail, end) and [ringStart, head) with
   * head <= tail. A region that does not fit is refused, and the caller copies the vector into
   * its message instead, so a full ring costs speed, never correctness.
   */
  class Arena {
    /** @param {number} [floats] arena size @param {number} [staticFloats] the static part's size */
    constructor(floats = ARENA_FLOATS, staticFloats = STATIC_FLOATS) {
      this.buffer = new SharedArrayBuffer(floats * 4);
      this.f32 = new Float32Array(this.buffer);
      this.staticTop = 0;
      this.ringStart = staticFloats;
      this.end = floats;
      this.head = staticFloats;
      /** @type {Array<[number, number]>} live ring allocations [start, end), oldest first */
      this.live = [];
    }

    /** A region that lives as long as the page (zero-allocation views); -1 when full. */
    allocStatic(length) {
      if (this.staticTop + length > this.ringStart) return -1;
      const start = this.staticTop;
      this.staticTop += length;
      return start;
    }

    /** A ring region of `length` (>= 1) floats for one call; -1 when it does not fit now. */
    alloc(length) {
      const tail = this.live.length ? this.live[0][0] : null;
      let start = this.head;
      let limit = this.end;
      if (tail === null) {
        start = this.ringStart;
      } else if (start <= tail) {
        limit = tail; // wrapped: the free space is [head, tail), none at all when head === tail
      } else if (start + length > limit) {
        start = this.ringStart; // wrap below the oldest live region
        limit = tail;
      }
      if (start + length > limit) return -1;
      this.head = start + length;
      this.live.push([start, start + length]);
      return start;
    }

    /** Release the oldest `count` ring regions (answers arrive in call order). */
    release(count) {
      this.live.splice(0, count);
    }
  }

  // -------------------------------------------------------------- connection

  /** A started worker, its arena, and the calls waiting for answers. */
  class Connection {
    /** @param {Worker} worker @param {Arena | null} arena */
    constructor(worker, arena) {
      this.worker = worker;
      this.arena = arena;
      this.nextId = 1;
      this.nextHandle = 1;
      /** @type {Map<number, {resolve: Function, reject: Function, regions: number, out: number[] | null}>} */
      this.pending = new Map();
      this.closedWith = null;
      this.onTick = null;
      /** @type {Map<number, Function>} model download progress listeners, by encoder handle */
      this.onModelProgress = new Map();
    }

    /**
     * Send one bridge call; resolves with its result or rejects with an Error.
     * @param {string} call @param {unknown[]} args
     * @param {number} [outLength] length of a Float32Array result, to receive it through the arena
     */
    send(call, args, outLength) {
      let regions = 0;
      const encoded = args.map((arg) => {
        if (this.arena && arg instanceof Float32Array && arg.length > 0) {
          const start = this.arena.alloc(arg.length);
          if (start >= 0) {
            this.arena.f32.set(arg, start);
            regions++;
            return { $f32: [start, arg.length] };
          }
        }
        return arg;
      });
      let out = null;
      if (this.arena && outLength) {
        const start = this.arena.alloc(outLength);
        if (start >= 0) {
          regions++;
          out = [start, outLength];
        }
      }
      return this.post({ call, args: encoded, out }, regions, out);
    }

    /**
     * Post a prepared request and register its waiter.
     * @param {object} request @param {number} [regions] ring regions to release on answer
     * @param {number[] | null} [out] @param {boolean} [keepInArena] leave an arena result where it is
     */
    post(request, regions = 0, out = null, keepInArena = false) {
      if (this.closedWith) {
        return Promise.reject(new Error(this.closedWith));
      }
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, regions, out, keepInArena });
        this.worker.postMessage({ id, ...request });
      });
    }

    /** @param {MessageEvent} event */
    answer(event) {
      const message = event.data;
      if (message.type === "tick") {
        if (this.onTick) this.onTick(message);
        return;
      }
      if (message.type === "model-progress") {
        const listener = this.onModelProgress.get(message.handle);
        if (listener) listener(message);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (this.arena) this.arena.release(waiter.regions);
      if (message.ok) {
        let result = message.result;
        if (result && Array.isArray(result.$f32) && !waiter.keepInArena) {
          const [start, length] = result.$f32;
          result = this.arena.f32.slice(start, start + length);
        }
        waiter.resolve(result);
      } else {
        waiter.reject(engineError(message.error));
      }
    }

    /** Stop the worker and reject everything still waiting with `reason`. */
    close(reason) {
      if (this.closedWith) return;
      this.closedWith = reason;
      this.worker.terminate();
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(reason));
      }
      this.pending.clear();
    }
  }

  /** An Error (TypeError for Python TypeErrors) carrying the engine's message. */
  function engineError({ type, message }) {
    const error = type === "TypeError" ? new TypeError(message) : new Error(message);
    error.pythonType = type;
    return error;
  }

  /** @type {Connection | null} */
  let connection = null;
  let started = null;
  let persistence = null;
  /** @type {{promise: Promise<object>} | null} the init() still starting, which close() cancels */
  let starting = null;
  /** Why the browser refused storage at init({persist}), or null. */
  let refusedStorage = null;

  /**
   * Start the worker and wait until the engine is loaded. An init() while another is starting
   * joins it (one worker), and once started returns at once.
   * @param {import("./ruvllm").InitOptions} [options]
   * @returns {Promise<import("./ruvllm").InitInfo>}
   */
  function init(options = {}) {
    if (starting) return starting.promise;
    if (connection && !connection.closedWith) return Promise.resolve(started);
    const attempt = { promise: null };
    starting = attempt;
    attempt.promise = start(options, attempt).finally(() => {
      if (starting === attempt) starting = null;
    });
    return attempt.promise;
  }

  /** The work of init(); `attempt` is cancelled when it is no longer `starting`. */
  async function start(options, attempt) {
    const persistName = options.persist ? checkText(options.persist, "persist") : null;
    const onProgress = options.onProgress || (() => {});
    const workerUrl = options.workerUrl || new URL("../worker.js", baseUrl || global.location.href);
    const shared = options.sharedMemory !== false && Boolean(global.crossOriginIsolated) &&
      typeof SharedArrayBuffer !== "undefined";
    const worker = new Worker(workerUrl, { type: "module" });
    const arena = shared ? new Arena() : null;
    const opened = new Connection(worker, arena);
    const versions = await new Promise((resolve, reject) => {
      worker.onmessage = (event) => {
        const message = event.data;
        if (message.type === "progress") {
          onProgress({ stage: message.stage, fraction: message.fraction, detail: message.detail });
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
    if (arena) worker.postMessage({ type: "arena", buffer: arena.buffer });
    worker.postMessage({ type: "timer", intervalMs: options.tickIntervalMs ?? 100 });
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
    const info = { ...versions, crossOriginIsolated: Boolean(global.crossOriginIsolated), sharedMemory: shared };
    // A promise, so that an init() while the store is still being read gets this same info.
    started = persistName
      ? Persistence.start(opened, persistName, options).then((persist) => ({ ...info, persist }))
      : Promise.resolve(info);
    return started;
  }

  /** Stop the worker; pending calls reject. `init()` may be called again afterwards. */
  function close() {
    starting = null;
    if (connection) {
      connection.close("ruvllm-web was closed");
      connection = null;
      persistence = null;
    }
  }

  /** Pause (0) or change the interval of SONA's background loop in the worker. */
  function setTickInterval(intervalMs) {
    checkNumber(intervalMs, "intervalMs", 0, 3600000);
    requireConnection().worker.postMessage({ type: "timer", intervalMs });
  }

  /** @returns {Connection} */
  function requireConnection() {
    if (!connection || connection.closedWith) {
      throw new Error("ruvllm-web is not initialised: await init() first");
    }
    return connection;
  }

  /** @returns {Promise<object>} versions of the engine, numpy, Python and Pyodide. */
  async function versionInfo() {
    requireConnection();
    return started;
  }

  /**
   * Unit-length copy of `vector`, computed by numpy inside the engine.
   * @param {Float32Array} vector
   * @returns {Promise<Float32Array>}
   */
  async function l2Normalize(vector) {
    checkVector(vector, "vector");
    return requireConnection().send("l2_normalize", [vector], vector.length);
  }

  /**
   * Each starter agent's task types, agents in `STARTER_AGENTS` order.
   * @returns {Promise<Record<string, string[]>>}
   */
  async function starterTaskTypes() {
    return requireConnection().send("starter_task_types", []);
  }

  /**
   * Run a self-benchmark inside the worker (other calls wait until it ends).
   * "hnsw": build an index of `size` x `dim` clustered vectors, time `queries` searches against numpy
   * brute force, recall@k against the brute-force answers. "lora": p50 of a `dim` MicroLoRA's calls.
   * @param {"hnsw" | "lora"} kind
   * @param {Record<string, number>} [options] hnsw: size, dim, queries, k; lora: dim, repeats
   * @returns {Promise<object>} the measurements, camelCase keys
   */
  async function runBenchmark(kind, options = {}) {
    if (!Object.hasOwn(BENCHMARK_OPTIONS, kind)) {
      throw new Error(`unknown benchmark ${JSON.stringify(kind)}; known: ${Object.keys(BENCHMARK_OPTIONS).join(", ")}`);
    }
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw new TypeError(`benchmark options must be an object, got ${describe(options)}`);
    }
    const given = Object.entries(options).filter(([, value]) => value !== undefined);
    for (const [name, value] of given) {
      if (!BENCHMARK_OPTIONS[kind].includes(name)) {
        throw new Error(`unknown option ${JSON.stringify(name)} for the ${kind} benchmark; known: ${BENCHMARK_OPTIONS[kind].join(", ")}`);
      }
      checkInteger(value, name);
    }
    return camel(await requireConnection().send("run_benchmark", [kind, Object.fromEntries(given)]));
  }

  // ------------------------------------------------------------- persistence

  /**
   * IndexedDB store "ruvllm-web" / "snapshots": one record per name, `{generation, bytes}`
   * (a bare Uint8Array, as earlier versions stored it, reads as generation null).
   */
  const snapshotStore = {
    open() {
      return new Promise((resolve, reject) => {
        const request = indexedDB.open("ruvllm-web", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("snapshots");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    },
    async run(mode, action) {
      const db = await this.open();
      try {
        return await new Promise((resolve, reject) => {
          const transaction = db.transaction("snapshots", mode);
          const request = action(transaction.objectStore("snapshots"));
          transaction.oncomplete = () => resolve(request.result);
          transaction.onerror = () => reject(transaction.error);
        });
      } finally {
        db.close();
      }
    },
    get(key) {
      return this.run("readonly", (store) => store.get(key));
    },
    /**
     * Run `writes(store, current)` if the record under `key` still has generation `expected`. The
     * check and the writes are one readwrite transaction, which IndexedDB runs alone on the store:
     * no other tab can write in between.
     * @returns {Promise<{done: boolean, found?: unknown}>} found: the record met instead
     */
    ifGeneration(key, expected, writes) {
      return this.run("readwrite", (store) => {
        const outcome = { result: { done: true } };
        const read = store.get(key);
        read.onsuccess = () => {
          if (generationOf(read.result) === expected) {
            writes(store, read.result);
          } else {
            outcome.result = { done: false, found: read.result };
          }
        };
        return outcome;
      });
    },
  };

  /** The snapshot bytes of a stored record, or null. */
  function snapshotOf(record) {
    if (record instanceof Uint8Array) return record;
    return record && record.bytes instanceof Uint8Array ? record.bytes : null;
  }

  /** The generation of a stored record: null for none and for a bare snapshot. */
  function generationOf(record) {
    return record && typeof record.generation === "string" ? record.generation : null;
  }

  /** A fresh generation id (randomUUID is missing outside secure contexts). */
  function newGeneration() {
    return global.crypto && global.crypto.randomUUID
      ? global.crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  /** Saves that keep meeting another tab's newer record give up after this many merges. */
  const MAX_MERGES_PER_SAVE = 8;

  /**
   * The persistent engine of `init({persist})`: restored at start, saved (debounced) after changes.
   *
   * Several tabs may keep one engine. Each remembers the generation of the record it last read or
   * wrote and that snapshot (its merge base); a save writes only over that same generation. Met
   * with a newer one (another tab saved), it first merges that engine's patterns and SONA's learned
   * state into this one (three-way, `IntelligentLLM.merge`), then tries again: nothing either tab
   * learned is lost.
   */
  class Persistence {
    /**
     * Open the store and restore from it; when the browser refuses storage, start without
     * persistence and say why (onPersistError and the returned report). Never rejects.
     */
    static async start(opened, name, options) {
      try {
        return await Persistence.open(opened, name, options);
      } catch (error) {
        refusedStorage = `persistence is off: the browser refused storage (${error.name}: ${error.message})`;
        reportPersistError(options, new Error(refusedStorage));
        return { name, enabled: false, restored: false, error: refusedStorage };
      }
    }

    /** Restore the stored snapshot (if any) into a reserved handle; set a corrupt one aside. */
    static async open(opened, name, options) {
      const stored = await snapshotStore.get(name);
      const state = new Persistence(opened, name, options);
      const report = { name, enabled: true, restored: false };
      const bytes = snapshotOf(stored);
      if (bytes) {
        const handle = opened.nextHandle++;
        try {
          await opened.send("load", [handle, "IntelligentLLM", bytes]);
          state.restored = { handle, dim: await opened.send("invoke", [handle, "dim"]) };
          state.generation = generationOf(stored);
          state.base = bytes;
          report.restored = true;
        } catch (error) {
          const message = await state.setAside(stored, "loaded", error.message);
          if (message) report.error = message;
        }
      }
      persistence = state;
      return report;
    }

    constructor(opened, name, options) {
      this.connection = opened;
      this.name = name;
      this.delayMs = options.persistDelayMs ?? 500;
      this.onError = (error) => reportPersistError(options, error);
      /** @type {{handle: number, dim: number} | null} the restored engine, until an IntelligentLLMWasm takes it */
      this.restored = null;
      /** @type {IntelligentLLMWasm | null} */
      this.owner = null;
      this.timer = null;
      /** @type {string | null} generation of the record last read or written */
      this.generation = null;
      /** @type {Uint8Array | null} the snapshot of that record: the merge base */
      this.base = null;
      /** This tab's saves, one after another. */
      this.saving = Promise.resolve();
    }

    /** Something changed: save after `persistDelayMs` of quiet. */
    changed() {
      if (!this.owner) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.save().catch(this.onError), this.delayMs);
    }

    /** Save now (after a save of this tab still under way). */
    save() {
      clearTimeout(this.timer);
      const run = this.saving.then(() => this.write());
      this.saving = run.catch(() => {});
      return run;
    }

    async write() {
      for (let merges = 0; this.owner && !this.connection.closedWith; merges++) {
        const bytes = await this.owner.save();
        const generation = newGeneration();
        const write = (store) => store.put({ generation, bytes }, this.name);
        const outcome = await snapshotStore.ifGeneration(this.name, this.generation, write);
        if (outcome.done) {
          this.generation = generation;
          this.base = bytes;
          return;
        }
        if (merges === MAX_MERGES_PER_SAVE) {
          throw new Error(
            `could not save "${this.name}": other tabs kept saving (${merges} merges); the next change tries again`,
          );
        }
        await this.mergeIn(outcome.found);
      }
    }

    /** Take another tab's newer record into this engine; one that cannot be merged is set aside. */
    async mergeIn(found) {
      const theirs = snapshotOf(found);
      let refusal = "not a snapshot record";
      if (theirs) {
        try {
          await this.owner._invoke("merge", this.base ? [theirs, this.base] : [theirs]);
          this.generation = generationOf(found);
          this.base = theirs;
          return;
        } catch (error) {
          if (!error.pythonType) throw error;  // the worker stopped: nothing was refused
          refusal = error.message;
        }
      }
      if (found !== undefined) await this.setAside(found, "merged", refusal);
      // Nothing (mergeable) is stored any more: this engine is written as it is.
      this.generation = null;
      this.base = null;
    }

    /**
     * Move a stored record that could not be `verb` to "<name>.corrupt.<time>" (unless another tab
     * replaced it meanwhile) and tell the page; the message, or undefined when it was replaced.
     */
    async setAside(stored, verb, reason) {
      const aside = `${this.name}.corrupt.${Date.now()}`;
      const moved = await snapshotStore.ifGeneration(this.name, generationOf(stored), (store, current) => {
        store.put(current, aside);
        store.delete(this.name);
      });
      if (!moved.done) return undefined;
      const message = `stored snapshot could not be ${verb} (${reason}); kept aside as "${aside}"`;
      this.onError(new Error(message));
      return message;
    }
  }

  /** Hand a persistence problem to the page's onPersistError (console.error without one). */
  function reportPersistError(options, error) {
    try {
      (options.onPersistError || console.error)(error);
    } catch (thrown) {
      console.error(thrown);
    }
  }

  // ----------------------------------------------------------- engine objects

  /** A handle on an object living in the worker. */
  class EngineObject {
    /**
     * @param {string} className @param {object} options
     * @param {number | null} [adopt] an already-created handle to take over
     */
    constructor(className, options, adopt = null) {
      this._connection = requireConnection();
      /** @type {Error | null} the worker's refusal to create this object, every call's answer then */
      this._refused = null;
      if (adopt !== null) {
        this._handle = adopt;
      } else {
        this._handle = this._connection.nextHandle++;
        this._connection.send("create", [this._handle, className, options]).catch((error) => {
          this._refused = error;
        });
      }
    }

    /**
     * Run `send(connection)` for this object. It rejects at once when the connection was closed
     * (the object belongs to an earlier init()), and with the constructor's error when the worker
     * refused to create the object: answers come in call order, so that refusal is known before
     * the answer of any call sent after the constructor, which would only say the handle is unknown.
     * @param {(connection: Connection) => Promise<unknown>} send
     */
    _request(send) {
      const opened = this._connection;
      if (opened.closedWith) {
        return Promise.reject(new Error(`${opened.closedWith}: this object must be created again`));
      }
      if (this._refused) return Promise.reject(this._refused);
      return send(opened).catch((error) => {
        throw this._refused || error;
      });
    }

    /** Send the bridge call `call` about this object. */
    _call(call, args, outLength) {
      return this._request((opened) => opened.send(call, args, outLength));
    }

    /** Call a Python method of this object. @param {string} method @param {unknown[]} [args] */
    _invoke(method, args = [], outLength) {
      return this._call("invoke", [this._handle, method, ...args], outLength);
    }

    /** Release the worker-side object; later calls on this one fail. */
    free() {
      return this._call("free", [this._handle]);
    }
  }

  /** Refuse an embedder of another init() or dimension for `engine`. */
  function checkSameEngine(embedder, engine) {
    if (embedder._connection !== engine._connection) {
      throw new Error("embedder belongs to an earlier init(); create it again");
    }
    if (embedder.dim !== engine.dim) {
      throw new Error(`embedder makes ${embedder.dim}-dim vectors, the engine expects ${engine.dim}`);
    }
  }

  /** Refuse snapshot data that is not bytes before it crosses. @param {unknown} data */
  function checkSnapshot(data) {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`snapshot must be a Uint8Array, got ${describe(data)}`);
    }
  }

  /** Restore a `className` from snapshot bytes into a new handle and wrap it. */
  function loadInto(cls, className, data, extra = []) {
    checkSnapshot(data);
    const opened = requireConnection();
    const handle = opened.nextHandle++;
    return opened.send("load", [handle, className, data, ...extra]).then(() => {
      const object = Object.create(cls.prototype);
      object._connection = opened;
      object._handle = handle;
      return object;
    });
  }

  // ---------------------------------------------------- learning-wasm classes

  /** Rank-2 MicroLoRA, the learning-wasm document's `WasmMicroLoRA`. */
  class WasmMicroLoRA extends EngineObject {
    /** @param {number} [dim] @param {number} [alpha] @param {number} [learning_rate] */
    constructor(dim = 256, alpha = 0.1, learning_rate = 0.01) {
      checkInteger(dim, "dim", 1, 65536);
      checkNumber(alpha, "alpha", 0, 1e6);
      checkNumber(learning_rate, "learning_rate", 0, 1e6);
      super("MicroLoRA", { dim, alpha, learning_rate });
      this.dim = dim;
      const arena = this._connection.arena;
      const start = arena ? arena.allocStatic(2 * dim) : -1;
      this._regions = start >= 0 ? [start, start + dim] : null;
      this._input = start >= 0 ? new Float32Array(arena.buffer, start * 4, dim) : new Float32Array(dim);
      this._output = start >= 0 ? new Float32Array(arena.buffer, (start + dim) * 4, dim) : new Float32Array(dim);
    }

    /** @param {Float32Array} input @returns {Promise<Float32Array>} */
    forward_array(input) {
      checkVector(input, "input", this.dim);
      return this._invoke("forward", [input], this.dim);
    }

    /** The zero-allocation input view: fill it, then `await forward()`. */
    get_input_ptr() {
      return this._input;
    }

    /** The zero-allocation output view, valid after `await forward()`. */
    get_output_ptr() {
      return this._output;
    }

    /** Forward pass from the input view into the output view. @returns {Promise<Float32Array>} the output view */
    forward() {
      return this._request(async (opened) => {
        if (this._regions) {
          const [input, output] = this._regions;
          const request = { call: "forward_buffers", args: [this._handle, { $f32: [input, this.dim] }], out: [output, this.dim] };
          await opened.post(request, 0, null, true);
        } else {
          checkVector(this._input, "input view", this.dim);
          this._output.set(await opened.send("forward_buffers", [this._handle, this._input]));
        }
        return this._output;
      });
    }

    /** @param {Float32Array} gradient dLoss/dOutput for the last input @returns {Promise<boolean>} */
    adapt_array(gradient) {
      checkVector(gradient, "gradient", this.dim);
      return this._invoke("adapt", [gradient]);
    }

    /** @param {number} improvement @returns {Promise<boolean>} */
    adapt_with_reward(improvement) {
      checkNumber(improvement, "improvement");
      return this._invoke("adapt_with_reward", [improvement]);
    }

    /** @param {Float32Array} input @param {number} quality */
    accumulate(input, quality) {
      checkVector(input, "input", this.dim);
      checkNumber(quality, "quality", 0, 1);
      return this._invoke("accumulate", [input, quality]);
    }

    apply_updates() {
      return this._invoke("apply_updates");
    }

    /** @returns {Promise<number>} */
    delta_norm() {
      return this._invoke("delta_norm");
    }

    /** @returns {Promise<number>} */
    adapt_count() {
      return this._invoke("adapt_count");
    }

    param_count() {
      return this._invoke("param_count");
    }

    memory_bytes() {
      return this._invoke("memory_bytes");
    }

    reset() {
      return this._invoke("reset");
    }
  }

  /** @param {unknown} op @returns {number} */
  function checkOperator(op) {
    return checkInteger(op, "op_type", 0, OPERATOR_NAMES.length - 1);
  }

  /** 17 per-operator adapters with category fallback (`WasmScopedLoRA`). */
  class WasmScopedLoRA extends EngineObject {
    /** @param {number} [dim] @param {number} [alpha] @param {number} [learning_rate] */
    constructor(dim = 256, alpha = 0.1, learning_rate = 0.01) {
      checkInteger(dim, "dim", 1, 65536);
      checkNumber(alpha, "alpha", 0, 1e6);
      checkNumber(learning_rate, "learning_rate", 0, 1e6);
      super("ScopedLoRA", { dim, alpha, learning_rate });
      this.dim = dim;
    }

    /** The operator's name, e.g. `scope_name(0) === "Scan"` (no worker round trip). */
    static scope_name(op) {
      return OPERATOR_NAMES[checkOperator(op)];
    }

    /** @param {number} op @param {Float32Array} input @returns {Promise<Float32Array>} */
    forward_array(op, input) {
      checkOperator(op);
      checkVector(input, "input", this.dim);
      return this._invoke("forward", [op, input], this.dim);
    }

    /** @param {number} op @param {Float32Array} gradient */
    adapt_array(op, gradient) {
      checkOperator(op);
      checkVector(gradient, "gradient", this.dim);
      return this._invoke("adapt", [op, gradient]);
    }

    /** @param {number} op @param {number} improvement */
    adapt_with_reward(op, improvement) {
      checkOperator(op);
      checkNumber(improvement, "improvement");
      return this._invoke("adapt_with_reward", [op, improvement]);
    }

    /** @param {number} op @returns {Promise<number>} */
    adapt_count(op) {
      checkOperator(op);
      return this._invoke("adapt_count", [op]);
    }

    /** @returns {Promise<number>} */
    total_adapt_count() {
      return this._invoke("total_adapt_count");
    }

    /** @param {boolean} enabled */
    set_category_fallback(enabled) {
      checkBoolean(enabled, "enabled");
      return this._invoke("set_category_fallback", [enabled]);
    }

    /** @param {number} op */
    reset_scope(op) {
      checkOperator(op);
      return this._invoke("reset_scope", [op]);
    }

    reset_all() {
      return this._invoke("reset_all");
    }
  }

  /** Ring buffer of query-plan trajectories with analytics (`WasmTrajectoryBuffer`). */
  class WasmTrajectoryBuffer extends EngineObject {
    /** @param {number} [capacity] @param {number} [embedding_dim] */
    constructor(capacity = 1000, embedding_dim = 256) {
      checkInteger(capacity, "capacity", 1, 10000000);
      checkInteger(embedding_dim, "embedding_dim", 1, 65536);
      super("TrajectoryBuffer", { capacity, dim: embedding_dim });
      this.dim = embedding_dim;
    }

    /**
     * @param {Float32Array} embedding @param {number} op_type @param {number} attention_type
     * @param {number} exec_ms @param {number} baseline_ms
     */
    record(embedding, op_type, attention_type, exec_ms, baseline_ms) {
      checkVector(embedding, "embedding", this.dim);
      checkOperator(op_type);
      checkInteger(attention_type, "attention_type", 0, 2 ** 31 - 1);
      checkNumber(exec_ms, "exec_ms", Number.MIN_VALUE);
      checkNumber(baseline_ms, "baseline_ms", 0);
      return this._invoke("record", [embedding, op_type, attention_type, exec_ms, baseline_ms]);
    }

    success_rate() {
      return this._invoke("success_rate");
    }

    best_improvement() {
      return this._invoke("best_improvement");
    }

    mean_improvement() {
      return this._invoke("mean_improvement");
    }

    /** @returns {Promise<number | null>} */
    best_attention() {
      return this._invoke("best_attention");
    }

    /** @param {number} threshold */
    high_quality_count(threshold) {
      checkNumber(threshold, "threshold");
      return this._invoke("high_quality_count", [threshold]);
    }

    total_count() {
      return this._invoke("total_count");
    }

    count_by_operator() {
      return this._invoke("count_by_operator");
    }

    clear() {
      return this._invoke("clear");
    }
  }

  // ------------------------------------------------------------ ruvllm classes

  /** The built-in offline text embedder (hashed word and character n-grams, unit length). */
  class TextEmbedderWasm extends EngineObject {
    /** @param {number} [dim] vector length, default 384 (the router's) */
    constructor(dim = 384) {
      checkInteger(dim, "dim", 2, 65536);
      super("TextEmbedder", { dim });
      this.dim = dim;
    }

    /** @param {string} text at most 4096 characters, with a letter or digit @returns {Promise<Float32Array>} */
    async embed(text) {
      checkText(text, "text");
      return this._invoke("embed", [text], this.dim);
    }
  }

  /** Most texts one `encodeBatch` call takes (bounds the request and its answer). */
  const MAX_BATCH = 4096;

  /**
   * Sentence embeddings in the worker: all-MiniLM-L6-v2 run by numpy, the vectors CPython's
   * `SentenceEncoder` gives. The constructor returns at once; the model (~90 MB) is fetched from
   * this page's origin on first use (or `load()`), verified against build.py's sha256 pins, and
   * `onProgress` hears how far the download is. Other engine calls keep being served meanwhile.
   */
  class SentenceEncoderWasm extends EngineObject {
    /** @param {import("./ruvllm").SentenceEncoderOptions} [options] */
    constructor(options = {}) {
      if (options === null || typeof options !== "object") {
        throw new TypeError(`options must be an object, got ${describe(options)}`);
      }
      const { onProgress = null, modelUrl = null } = options;
      if (onProgress !== null && typeof onProgress !== "function") {
        throw new TypeError(`onProgress must be a function, got ${describe(onProgress)}`);
      }
      if (modelUrl !== null && typeof modelUrl !== "string" && !(modelUrl instanceof URL)) {
        throw new TypeError(`modelUrl must be a string or URL, got ${describe(modelUrl)}`);
      }
      const opened = requireConnection();
      super("SentenceEncoder", null, opened.nextHandle++); // created by the worker once the files are in
      this.dim = 384;
      this._onProgress = onProgress;
      this._modelUrl = String(modelUrl || new URL("../models/all-MiniLM-L6-v2/", baseUrl || global.location.href));
      /** @type {Promise<void> | null} */
      this._loading = null;
    }

    /**
     * Fetch, verify and load the model unless done already; encode() does it on first use. A
     * failed load (missing or corrupt file) rejects, and the next call tries again. Resolves to
     * the bytes of the files loaded and the worker's WebAssembly heap before and after the load.
     * @returns {Promise<{modelBytes: number, heapBytesBefore: number, heapBytesAfter: number}>}
     */
    load() {
      if (!this._loading) {
        const report = this._onProgress;
        this._loading = this._request(async (opened) => {
          if (report) {
            opened.onModelProgress.set(this._handle, (message) => report({
              stage: "model", fraction: message.total ? message.loaded / message.total : 1,
              loaded: message.loaded, total: message.total, detail: message.detail,
            }));
          }
          try {
            await opened.send("fetch_model", [this._handle, this._modelUrl]);
          } finally {
            opened.onModelProgress.delete(this._handle);
          }
          const loaded = await opened.send("load_encoder", [this._handle]);
          if (report) report({ stage: "model", fraction: 1, loaded: loaded.modelBytes, total: loaded.modelBytes, detail: "ready" });
          return loaded;
        });
        this._loading.catch(() => {
          this._loading = null;
        });
      }
      return this._loading;
    }

    /** @param {string} text @returns {Promise<Float32Array>} its unit-length vector */
    async encode(text) {
      checkText(text, "text");
      await this.load();
      return this._invoke("encode", [text], this.dim);
    }

    /** @param {string[]} texts @returns {Promise<Float32Array[]>} one unit-length vector per text */
    async encodeBatch(texts) {
      if (!Array.isArray(texts)) {
        throw new TypeError(`texts must be an Array of strings, got ${describe(texts)}`);
      }
      if (texts.length > MAX_BATCH) {
        throw new Error(`texts has ${texts.length} items, at most ${MAX_BATCH} allowed`);
      }
      texts.forEach((text, i) => checkText(text, `texts[${i}]`));
      if (texts.length === 0) return [];
      await this.load();
      const flat = await this._call("encode_texts", [this._handle, texts], texts.length * this.dim);
      return texts.map((_, i) => flat.slice(i * this.dim, (i + 1) * this.dim));
    }

    /** Release the model in the worker (a model never loaded holds nothing there). */
    async free() {
      const loading = this._loading;
      if (!loading || !(await loading.then(() => true, () => false))) {
        this._loading = Promise.reject(new Error("this SentenceEncoderWasm was freed"));
        this._loading.catch(() => {});
        return undefined;
      }
      return this._call("free", [this._handle]);
    }
  }

  /** Router settings (`HnswRouterConfigWasm`). */
  class HnswRouterConfigWasm {
    constructor() {
      this.dim = 384;
      this.m = 16;
      this.efConstruction = 100;
      this.efSearch = 32;
      this.topK = 10;
      this.minConfidence = 0.5;
      this.maxPatterns = 10000;
    }

    /** M 16, ef_construction 100, ef_search 50, top_k 5. */
    static fast() {
      return Object.assign(new HnswRouterConfigWasm(), { efSearch: 50, topK: 5 });
    }

    /** M 48, ef_construction 400, ef_search 200, top_k 20. */
    static highRecall() {
      return Object.assign(new HnswRouterConfigWasm(), { m: 48, efConstruction: 400, efSearch: 200, topK: 20 });
    }

    /** The engine's (snake_case) form. */
    toJSON() {
      return {
        dim: checkInteger(this.dim, "dim", 1, 65536),
        m: checkInteger(this.m, "m", 2, 256),
        ef_construction: checkInteger(this.efConstruction, "efConstruction", 1, 65536),
        ef_search: checkInteger(this.efSearch, "efSearch", 1, 65536),
        top_k: checkInteger(this.topK, "topK", 1, 1024),
        min_confidence: checkNumber(this.minConfidence, "minConfidence", 0, 1),
        max_patterns: checkInteger(this.maxPatterns, "maxPatterns", 1, 1 << 24),
      };
    }
  }

  /** Adapter settings (`MicroLoraConfigWasm`); defaults: the ruvllm preset, 768 features, rank 2. */
  class MicroLoraConfigWasm {
    constructor() {
      this.dim = 768;
      this.rank = 2;
      this.alpha = 0.1;
      this.learningRate = 0.01;
    }

    toJSON() {
      return {
        dim: checkInteger(this.dim, "dim", 1, 65536),
        rank: checkInteger(this.rank, "rank", 1, 4),
        alpha: checkNumber(this.alpha, "alpha", 0, 1e6),
        learning_rate: checkNumber(this.learningRate, "learningRate", 0, 1e6),
      };
    }
  }

  /** Quality feedback for `MicroLoraWasm.adapt` (`AdaptFeedbackWasm`). */
  class AdaptFeedbackWasm {
    /** @param {number} quality in [0, 1] */
    constructor(quality) {
      this.quality = checkNumber(quality, "quality", 0, 1);
    }
  }

  /** Settings of the integrated engine (`IntelligentConfigWasm`). */
  class IntelligentConfigWasm {
    constructor() {
      this._router = new HnswRouterConfigWasm();
      this._lora = Object.assign(new MicroLoraConfigWasm(), { dim: this._router.dim });
      this.useLora = true;
      this.useSona = true;
      this.seed = 0;
    }

    /** The router settings (edit them in place). */
    routerConfig() {
      return this._router;
    }

    /** The adapter settings (edit them in place; `dim` follows the router's). */
    loraConfig() {
      return this._lora;
    }

    toJSON() {
      const lora = this._lora.toJSON();
      return {
        router: this._router.toJSON(),
        sona: { rank: lora.rank, alpha: lora.alpha, instant_lr: lora.learning_rate, seed: this.seed },
        use_lora: checkBoolean(this.useLora, "useLora"),
        use_sona: checkBoolean(this.useSona, "useSona"),
        seed: checkInteger(this.seed, "seed", 0, 2 ** 31 - 1),
      };
    }
  }

  /** Semantic router over an HNSW index (`HnswRouterWasm`). */
  class HnswRouterWasm extends EngineObject {
    /** @param {HnswRouterConfigWasm} [config] */
    constructor(config = new HnswRouterConfigWasm()) {
      super("HnswRouter", { config: config.toJSON() });
      this.dim = config.dim;
    }

    /** @returns {Promise<number>} the new pattern's id */
    addPattern(embedding, agent, taskType, description = "") {
      checkVector(embedding, "embedding", this.dim);
      checkText(agent, "agent");
      checkText(taskType, "taskType");
      checkText(description, "description");
      return this._invoke("add_pattern", [embedding, agent, taskType, description]);
    }

    /** @returns {Promise<number>} the reinforced or new pattern's id */
    learnPattern(embedding, agent, taskType, description, quality) {
      checkVector(embedding, "embedding", this.dim);
      checkText(agent, "agent");
      checkText(taskType, "taskType");
      checkText(description, "description");
      checkNumber(quality, "quality", 0, 1);
      return this._invoke("learn_pattern", [embedding, agent, taskType, description, quality]);
    }

    /** @returns {Promise<object>} {agent, taskType, confidence, alternatives, neighbors, latencyUs} */
    async route(embedding) {
      checkVector(embedding, "embedding", this.dim);
      return camel(await this._invoke("route", [embedding]));
    }

    /** @param {number} patternId @param {boolean} success */
    recordOutcome(patternId, success) {
      checkInteger(patternId, "patternId", 0);
      checkBoolean(success, "success");
      return this._invoke("record_outcome", [patternId, success]);
    }

    /** @param {number} patternId */
    removePattern(patternId) {
      checkInteger(patternId, "patternId", 0);
      return this._invoke("remove_pattern", [patternId]);
    }

    /** Statistics (the engine's snake_case keys). */
    stats() {
      return this._invoke("stats");
    }

    /** @returns {Promise<Uint8Array>} */
    save() {
      return this._invoke("to_bytes");
    }

    /** @param {Uint8Array} data @returns {Promise<HnswRouterWasm>} */
    static async load(data) {
      const router = await loadInto(HnswRouterWasm, "HnswRouter", data);
      router.dim = (await router._invoke("config")).dim;
      return router;
    }
  }

  /** A MicroLoRA with the ruvllm configuration and quality feedback (`MicroLoraWasm`). */
  class MicroLoraWasm extends EngineObject {
    /** @param {MicroLoraConfigWasm} [config] */
    constructor(config = new MicroLoraConfigWasm()) {
      const options = config.toJSON();
      super("MicroLoRA", options);
      this.dim = options.dim;
    }

    /** @param {Float32Array} input @returns {Promise<Float32Array>} */
    forward(input) {
      checkVector(input, "input", this.dim);
      return this._invoke("forward", [input], this.dim);
    }

    /** Accumulate quality feedback for `input`; `applyUpdates()` takes the step. */
    adapt(input, feedback) {
      checkVector(input, "input", this.dim);
      const quality = feedback instanceof AdaptFeedbackWasm ? feedback.quality : checkNumber(feedback, "quality", 0, 1);
      return this._invoke("accumulate", [input, quality]);
    }

    /** @returns {Promise<boolean>} whether the weights changed */
    applyUpdates() {
      return this._invoke("apply_updates");
    }

    deltaNorm() {
      return this._invoke("delta_norm");
    }

    adaptCount() {
      return this._invoke("adapt_count");
    }

    reset() {
      return this._invoke("reset");
    }

    async stats() {
      const [adaptCount, deltaNorm, paramCount, memoryBytes] = await Promise.all([
        this._invoke("adapt_count"), this._invoke("delta_norm"), this._invoke("param_count"),
        this._invoke("memory_bytes"),
      ]);
      return { adaptCount, deltaNorm, paramCount, memoryBytes };
    }

    /** @returns {Promise<string>} the adapter as JSON */
    async save() {
      return JSON.stringify(await this._invoke("to_dict"));
    }
  }

  /** SONA's three learning loops on their own (`SonaInstantWasm`). */
  class SonaInstantWasm extends EngineObject {
    /** @param {number} [dim] */
    constructor(dim = 384) {
      checkInteger(dim, "dim", 1, 65536);
      super("SonaInstant", { dim });
      this.dim = dim;
    }

    /** The instant loop: @returns {Promise<object>} {applied, latencyUs, qualityDelta, qualityEma, currentRank} */
    async instantAdapt(input, quality) {
      checkVector(input, "input", this.dim);
      checkNumber(quality, "quality", 0, 1);
      return camel(await this._invoke("instant", [input, quality]));
    }

    /** @returns {Promise<Float32Array>} x + base and instant adapter deltas */
    adapt(input) {
      checkVector(input, "input", this.dim);
      return this._invoke("adapt", [input], this.dim);
    }

    /** Run the background loop if due; what it did, or null. */
    tick() {
      return this._invoke("tick");
    }

    /** Statistics (the engine's snake_case keys). */
    stats() {
      return this._invoke("stats");
    }

    reset() {
      return this._invoke("reset");
    }
  }

  /** The integrated engine: route -> LoRA -> SONA (`IntelligentLLMWasm`). */
  class IntelligentLLMWasm extends EngineObject {
    /** @param {IntelligentConfigWasm} [config] */
    /**
     * With `init({persist})`, the first engine constructed is the persistent one: it is the
     * restored engine when the store held a snapshot (then `config` is not used).
     * @param {IntelligentConfigWasm} [config]
     */
    constructor(config = new IntelligentConfigWasm()) {
      const options = config.toJSON();
      const store = persistence && persistence.connection === requireConnection() && !persistence.owner
        ? persistence : null;
      const restored = store ? store.restored : null;
      super("IntelligentLLM", { config: options }, restored ? restored.handle : null);
      this.dim = restored ? restored.dim : options.router.dim;
      this._persistence = store;
      /** @type {SentenceEncoderWasm | null} what embeds text inputs (setEncoder) */
      this._encoder = null;
      if (store) store.owner = this;
    }

    /**
     * Let `process`, `route`, `adapt`, `addPattern` and `learnPattern` take text: each embeds it
     * with `encoder` in the worker (the model loads on the first such call).
     * @param {SentenceEncoderWasm | null} encoder null to take text no more
     */
    setEncoder(encoder) {
      if (encoder !== null) {
        if (!(encoder instanceof SentenceEncoderWasm)) {
          throw new TypeError(`encoder must be a SentenceEncoderWasm or null, got ${describe(encoder)}`);
        }
        checkSameEngine(encoder, this);
      }
      this._encoder = encoder;
    }

    /** @returns {Promise<Float32Array>} the adapted vector */
    async process(input, context = "", quality) {
      this._checkInput(input, "input");
      checkText(context, "context");
      const args = [context];
      if (quality !== undefined && quality !== null) args.push(checkNumber(quality, "quality", 0, 1));
      return this._changed(this._withInput("process", input, args, this.dim));
    }

    /** @returns {Promise<object>} the routing decision, without learning */
    async route(input) {
      this._checkInput(input, "input");
      return camel(await this._withInput("route", input, []));
    }

    /** The routing decision of the last `process` or `route` call, or null (camelCase keys). */
    async lastResult() {
      return camel(await this._invoke("last_result"));
    }

    /** SONA's instant loop on `input` with `quality`. */
    async adapt(input, quality) {
      this._checkInput(input, "input");
      checkNumber(quality, "quality", 0, 1);
      return camel(await this._changed(this._withInput("adapt", input, [quality])));
    }

    /** @returns {Promise<number>} the new pattern's id */
    addPattern(embedding, agent, taskType, description = "") {
      this._checkInput(embedding, "embedding");
      checkText(agent, "agent");
      checkText(taskType, "taskType");
      checkText(description, "description");
      return this._changed(this._withInput("add_pattern", embedding, [agent, taskType, description]));
    }

    /** @returns {Promise<number>} the reinforced or new pattern's id */
    learnPattern(embedding, agent, taskType, description, quality) {
      this._checkInput(embedding, "embedding");
      checkText(agent, "agent");
      checkText(taskType, "taskType");
      checkText(description, "description");
      checkNumber(quality, "quality", 0, 1);
      return this._changed(this._withInput("learn_pattern", embedding, [agent, taskType, description, quality]));
    }

    /**
     * Embed the starter library with `embedder` and add it as patterns (a restored engine already has them).
     * @param {TextEmbedderWasm | SentenceEncoderWasm} embedder of this engine's dimension
     * @returns {Promise<number>} how many patterns were added
     */
    async addStarterLibrary(embedder) {
      if (!(embedder instanceof TextEmbedderWasm || embedder instanceof SentenceEncoderWasm)) {
        throw new TypeError(`embedder must be a TextEmbedderWasm or SentenceEncoderWasm, got ${describe(embedder)}`);
      }
      checkSameEngine(embedder, this);
      if (embedder instanceof SentenceEncoderWasm) await embedder.load();
      return this._changed(this._call("add_starter_library", [this._handle, embedder._handle]));
    }

    /**
     * Wall time of each stage of the last `process` call, microseconds (all 0 before the first).
     * @returns {Promise<{loraUs: number, routeUs: number, sonaUs: number, totalUs: number}>}
     */
    async lastTimings() {
      return camel(await this._invoke("last_timings"));
    }

    /** Record whether the last routed request went well. */
    recordOutcome(success) {
      checkBoolean(success, "success");
      return this._changed(this._invoke("record_outcome", [success]));
    }

    /** Run SONA's background loop now if due (the worker's timer also does); what it did, or null. */
    tick() {
      return this._changed(this._invoke("tick"));
    }

    /** Run SONA's deep loop now; what it changed. */
    runDeep() {
      return this._changed(this._invoke("run_deep"));
    }

    /**
     * Statistics of every component as a JSON string, as the document's API has it
     * (keys: router, lora, sona, totalPatterns, processed, config; the engine's snake_case inside).
     * @returns {Promise<string>}
     */
    async stats() {
      return JSON.stringify(await this._invoke("stats"));
    }

    /** @returns {Promise<Uint8Array>} the whole engine as a snapshot */
    save() {
      return this._invoke("save");
    }

    /** Forget everything learned. */
    reset() {
      return this._changed(this._invoke("reset"));
    }

    /**
     * Replace this engine's whole state with a snapshot from `save()`, keeping this object (and,
     * with `init({persist})`, keeping it the engine that is saved). A refused snapshot changes nothing.
     * @param {Uint8Array} data @param {IntelligentConfigWasm} [config] switches to apply (dimension must match)
     */
    async restore(data, config) {
      checkSnapshot(data);
      const extra = config ? [config.toJSON()] : [];
      await this._changed(this._call("replace", [this._handle, "IntelligentLLM", data, ...extra]));
      this.dim = await this._invoke("dim");
    }

    /** Save to the browser store now (with `init({persist})`), merging in what other tabs saved meanwhile. */
    async persist() {
      if (!this._persistence) throw new Error(refusedStorage || "persistence is off: call init({persist: name}) first");
      await this._persistence.save();
    }

    /**
     * @param {Uint8Array} data a snapshot from `save()`
     * @param {IntelligentConfigWasm} [config] switches to apply (dimension must match)
     * @returns {Promise<IntelligentLLMWasm>}
     */
    static async load(data, config) {
      const extra = config ? [config.toJSON()] : [];
      const llm = await loadInto(IntelligentLLMWasm, "IntelligentLLM", data, extra);
      llm.dim = await llm._invoke("dim");
      llm._persistence = null;
      llm._encoder = null;
      return llm;
    }

    /** An input is a vector of this engine's dimension, or a text when the engine has an encoder. */
    _checkInput(value, name) {
      if (typeof value !== "string") {
        checkVector(value, name, this.dim);
      } else if (!this._encoder) {
        throw new TypeError(`${name} is a string: give the engine an encoder first (setEncoder(new SentenceEncoderWasm()))`);
      } else {
        checkText(value, name);
      }
    }

    /** Call `method(input, ...rest)`; a text input is embedded by the encoder in the worker on the way. */
    async _withInput(method, input, rest, outLength) {
      if (typeof input !== "string") {
        return this._invoke(method, [input, ...rest], outLength);
      }
      const encoder = this._encoder;
      await encoder.load();
      return this._call("invoke_text", [this._handle, encoder._handle, method, input, ...rest], outLength);
    }

    _changed(promise) {
      if (this._persistence) promise.then(() => this._persistence.changed(), () => {});
      return promise;
    }
  }

  /**
   * Make every public method of the engine classes, static ones included, return a Promise, as the
   * types promise: a body that throws (the argument checks run before anything crosses to the
   * worker) then rejects instead. `synchronous` names the members that answer at once on purpose.
   * @param {Function[]} classes @param {string[]} synchronous
   */
  function answerWithPromises(classes, synchronous) {
    for (const target of classes.flatMap((cls) => [cls, cls.prototype])) {
      for (const name of Object.getOwnPropertyNames(target)) {
        const body = Object.getOwnPropertyDescriptor(target, name).value;
        if (typeof body !== "function" || name === "constructor" || name.startsWith("_") ||
            synchronous.includes(name)) {
          continue;
        }
        const method = {
          [name](...args) {
            try {
              return Promise.resolve(body.apply(this, args));
            } catch (error) {
              return Promise.reject(error);
            }
          },
        }[name];
        Object.defineProperty(target, name, { value: method, writable: true, configurable: true });
      }
    }
  }

  answerWithPromises([
    EngineObject, TextEmbedderWasm, SentenceEncoderWasm, IntelligentLLMWasm, HnswRouterWasm, MicroLoraWasm, SonaInstantWasm,
    WasmMicroLoRA, WasmScopedLoRA, WasmTrajectoryBuffer,
  ], ["get_input_ptr", "get_output_ptr", "scope_name", "setEncoder"]);

  global.RuvLLM = {
    init,
    close,
    setTickInterval,
    versionInfo,
    l2Normalize,
    starterTaskTypes,
    runBenchmark,
    STARTER_AGENTS,
    TextEmbedderWasm,
    SentenceEncoderWasm,
    IntelligentConfigWasm,
    IntelligentLLMWasm,
    HnswRouterConfigWasm,
    HnswRouterWasm,
    MicroLoraConfigWasm,
    MicroLoraWasm,
    AdaptFeedbackWasm,
    SonaInstantWasm,
    WasmMicroLoRA,
    WasmScopedLoRA,
    WasmTrajectoryBuffer,
    /** Set the URL other files are resolved against (the ES module does this). */
    setBaseUrl(url) {
      baseUrl = String(url);
    },
  };
  // Not API (absent from ruvllm.d.ts and ruvllm.js, not enumerable): the client's own tests
  // run the real allocator through it (tests/client).
  Object.defineProperty(global.RuvLLM, "_internals", { value: Object.freeze({ Arena }) });
})(globalThis);
