// The connection to a started worker: posts bridge calls (protocol.js) and settles each call's
// Promise with its answer.

/** @typedef {import("./arena.js").Arena} Arena */
/** @typedef {import("./protocol.js").CallRequest} CallRequest */
/** @typedef {import("./protocol.js").ErrorInfo} ErrorInfo */
/** @typedef {import("./protocol.js").Region} Region */
/** @typedef {import("./protocol.js").TickEvent} TickEvent */
/** @typedef {import("./protocol.js").ModelProgressEvent} ModelProgressEvent */

/**
 * A call waiting for its answer: how to settle it, and the ring regions to release then.
 * @typedef {object} Waiter
 * @property {(result: any) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {number} regions
 * @property {Region | null} out
 * @property {boolean} keepInArena
 */

/**
 * snake_case keys to camelCase, deeply (engine results follow the JS naming).
 * @param {any} value @returns {any}
 */
export function camel(value) {
  if (Array.isArray(value)) return value.map(camel);
  if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      out[key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())] = camel(item);
    }
    return out;
  }
  return value;
}

/** A started worker, its arena, and the calls waiting for answers. */
export class Connection {
  /** @param {Worker} worker @param {Arena | null} arena */
  constructor(worker, arena) {
    this.worker = worker;
    this.arena = arena;
    this.nextId = 1;
    this.nextHandle = 1;
    /** @type {Map<number, Waiter>} */
    this.pending = new Map();
    /** @type {string | null} why the connection was closed, or null while open */
    this.closedWith = null;
    /** @type {((message: TickEvent) => void) | null} */
    this.onTick = null;
    /** @type {Map<number, (message: ModelProgressEvent) => void>} model download progress listeners, by encoder handle */
    this.onModelProgress = new Map();
  }

  /**
   * Send one bridge call; resolves with its result or rejects with an Error.
   * @param {string} call @param {unknown[]} args
   * @param {number} [outLength] length of a Float32Array result, to receive it through the arena
   * @returns {Promise<any>}
   */
  send(call, args, outLength) {
    const arena = this.arena;
    let regions = 0;
    const encoded = args.map((arg) => {
      if (arena && arg instanceof Float32Array && arg.length > 0) {
        const start = arena.alloc(arg.length);
        if (start >= 0) {
          arena.f32.set(arg, start);
          regions++;
          return { $f32: [start, arg.length] };
        }
      }
      return arg;
    });
    /** @type {Region | null} */
    let out = null;
    if (arena && outLength) {
      const start = arena.alloc(outLength);
      if (start >= 0) {
        regions++;
        out = [start, outLength];
      }
    }
    return this.post({ call, args: encoded, out }, regions, out);
  }

  /**
   * Post a prepared request and register its waiter.
   * @param {Omit<CallRequest, "id">} request @param {number} [regions] ring regions to release on answer
   * @param {Region | null} [out] @param {boolean} [keepInArena] leave an arena result where it is
   * @returns {Promise<any>}
   */
  post(request, regions = 0, out = null, keepInArena = false) {
    if (this.closedWith) {
      return Promise.reject(new Error(this.closedWith));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, regions, out, keepInArena });
      /** @type {CallRequest} */
      const message = { id, ...request };
      this.worker.postMessage(message);
    });
  }

  /** @param {MessageEvent<import("./protocol.js").Reply>} event */
  answer(event) {
    const message = event.data;
    if ("type" in message) {
      if (message.type === "tick") {
        if (this.onTick) this.onTick(message);
      } else if (message.type === "model-progress") {
        const listener = this.onModelProgress.get(message.handle);
        if (listener) listener(message);
      }
      return;
    }
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (this.arena) this.arena.release(waiter.regions);
    if (message.ok) {
      let result = message.result;
      if (this.arena && isArenaSlice(result) && !waiter.keepInArena) {
        const [start, length] = result.$f32;
        result = this.arena.f32.slice(start, start + length);
      }
      waiter.resolve(result);
    } else {
      waiter.reject(engineError(message.error));
    }
  }

  /** Stop the worker and reject everything still waiting with `reason`. @param {string} reason */
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

/** @param {unknown} value @returns {value is import("./protocol.js").ArenaSlice} */
function isArenaSlice(value) {
  return Boolean(value) && Array.isArray(/** @type {{$f32?: unknown}} */ (value).$f32);
}

/**
 * An Error (TypeError for Python TypeErrors) carrying the engine's message, and the Python
 * exception's class name as `pythonType`.
 * @param {ErrorInfo} info @returns {Error & {pythonType: string}}
 */
function engineError({ type, message }) {
  const error = type === "TypeError" ? new TypeError(message) : new Error(message);
  return Object.assign(error, { pythonType: type });
}
