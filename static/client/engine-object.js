// The base of every engine class: a handle on an object living in the worker, and what all
// engine classes share.

import { checkSnapshot } from "./checks.js";
import { requireConnection } from "./session.js";

/** @typedef {import("./connection.js").Connection} Connection */

/** A handle on an object living in the worker. */
export class EngineObject {
  /**
   * @param {string} className @param {object | null} options
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
   * @template T
   * @param {(connection: Connection) => Promise<T>} send
   * @returns {Promise<T>}
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

  /**
   * Send the bridge call `call` about this object.
   * @param {string} call @param {unknown[]} args @param {number} [outLength] as for Connection.send
   * @returns {Promise<any>}
   */
  _call(call, args, outLength) {
    return this._request((opened) => opened.send(call, args, outLength));
  }

  /**
   * Call a Python method of this object.
   * @param {string} method @param {unknown[]} [args] @param {number} [outLength] as for Connection.send
   * @returns {Promise<any>}
   */
  _invoke(method, args = [], outLength) {
    return this._call("invoke", [this._handle, method, ...args], outLength);
  }

  /** Release the worker-side object; later calls on this one fail. @returns {Promise<void>} */
  free() {
    return this._call("free", [this._handle]);
  }
}

/**
 * Refuse an embedder of another init() or dimension for `engine`.
 * @param {EngineObject & {dim: number}} embedder @param {EngineObject & {dim: number}} engine
 */
export function checkSameEngine(embedder, engine) {
  if (embedder._connection !== engine._connection) {
    throw new Error("embedder belongs to an earlier init(); create it again");
  }
  if (embedder.dim !== engine.dim) {
    throw new Error(`embedder makes ${embedder.dim}-dim vectors, the engine expects ${engine.dim}`);
  }
}

/**
 * Restore a `className` from snapshot bytes into a new handle and wrap it in a `cls` (whose
 * constructor is not run).
 * @template {EngineObject} T
 * @param {{prototype: T}} cls @param {string} className @param {unknown} data @param {unknown[]} [extra]
 * @returns {Promise<T>}
 */
export function loadInto(cls, className, data, extra = []) {
  checkSnapshot(data);
  const opened = requireConnection();
  const handle = opened.nextHandle++;
  return opened.send("load", [handle, className, data, ...extra]).then(() => {
    /** @type {T} */
    const object = Object.create(cls.prototype);
    object._connection = opened;
    object._handle = handle;
    return object;
  });
}

/**
 * Make every public method of the engine classes, static ones included, return a Promise, as the
 * types promise: a body that throws (the argument checks run before anything crosses to the
 * worker) then rejects instead. `synchronous` names the members that answer at once on purpose.
 * @param {Function[]} classes @param {string[]} synchronous
 */
export function answerWithPromises(classes, synchronous) {
  for (const target of classes.flatMap((cls) => [cls, cls.prototype])) {
    for (const name of Object.getOwnPropertyNames(target)) {
      const body = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(target, name)).value;
      if (typeof body !== "function" || name === "constructor" || name.startsWith("_") ||
          synchronous.includes(name)) {
        continue;
      }
      const method = {
        /** @this {unknown} @param {unknown[]} args */
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
