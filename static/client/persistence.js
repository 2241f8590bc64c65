// init({persist}): the engine kept in IndexedDB, restored at start, saved after changes, and
// merged with what other tabs of the same page saved meanwhile.

/** @typedef {import("./connection.js").Connection} Connection */
/** @typedef {import("./ruvllm-wasm.js").IntelligentLLMWasm} IntelligentLLMWasm */
/** @typedef {import("../ruvllm.js").InitOptions} InitOptions */
/** @typedef {NonNullable<import("../ruvllm.js").InitInfo["persist"]>} PersistReport */

/**
 * IndexedDB store "ruvllm-web" / "snapshots": one record per name, `{generation, bytes}`
 * (a bare Uint8Array, as earlier versions stored it, reads as generation null).
 */
const snapshotStore = {
  /** @returns {Promise<IDBDatabase>} */
  open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("ruvllm-web", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("snapshots");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  },
  /**
   * Run `action` in one transaction on the store; resolves with its request's result once the
   * transaction completed.
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => {result: any}} action
   * @returns {Promise<any>}
   */
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
  /** @param {string} key @returns {Promise<unknown>} the record, undefined for none */
  get(key) {
    return this.run("readonly", (store) => store.get(key));
  },
  /**
   * Run `writes(store, current)` if the record under `key` still has generation `expected`. The
   * check and the writes are one readwrite transaction, which IndexedDB runs alone on the store:
   * no other tab can write in between.
   * @param {string} key @param {string | null} expected
   * @param {(store: IDBObjectStore, current: unknown) => void} writes
   * @returns {Promise<{done: boolean, found?: unknown}>} found: the record met instead
   */
  ifGeneration(key, expected, writes) {
    return this.run("readwrite", (store) => {
      /** @type {{result: {done: boolean, found?: unknown}}} */
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

/** The snapshot bytes of a stored record, or null. @param {any} record @returns {Uint8Array | null} */
function snapshotOf(record) {
  if (record instanceof Uint8Array) return record;
  return record && record.bytes instanceof Uint8Array ? record.bytes : null;
}

/**
 * The generation of a stored record: null for none and for a bare snapshot.
 * @param {any} record @returns {string | null}
 */
function generationOf(record) {
  return record && typeof record.generation === "string" ? record.generation : null;
}

/** A fresh generation id (randomUUID is missing outside secure contexts). @returns {string} */
function newGeneration() {
  return globalThis.crypto && globalThis.crypto.randomUUID
    ? globalThis.crypto.randomUUID()
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
export class Persistence {
  /**
   * Open the store and restore from it; when the browser refuses storage, start without
   * persistence and say why (onPersistError and the report, whose `error` then says why). Never
   * rejects.
   * @param {Connection} opened @param {string} name @param {InitOptions} options
   * @returns {Promise<{report: PersistReport, store: Persistence | null}>} store: null when refused
   */
  static async start(opened, name, options) {
    try {
      return await Persistence.open(opened, name, options);
    } catch (thrown) {
      const error = /** @type {Error} */ (thrown); // a DOMException from IndexedDB
      const refused = `persistence is off: the browser refused storage (${error.name}: ${error.message})`;
      reportPersistError(options, new Error(refused));
      return { report: { name, enabled: false, restored: false, error: refused }, store: null };
    }
  }

  /**
   * Restore the stored snapshot (if any) into a reserved handle; set a corrupt one aside.
   * @param {Connection} opened @param {string} name @param {InitOptions} options
   * @returns {Promise<{report: PersistReport, store: Persistence}>}
   */
  static async open(opened, name, options) {
    const stored = await snapshotStore.get(name);
    const state = new Persistence(opened, name, options);
    /** @type {PersistReport} */
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
        const message = await state.setAside(stored, "loaded", /** @type {Error} */ (error).message);
        if (message) report.error = message;
      }
    }
    return { report, store: state };
  }

  /** @param {Connection} opened @param {string} name @param {InitOptions} options */
  constructor(opened, name, options) {
    this.connection = opened;
    this.name = name;
    this.delayMs = options.persistDelayMs ?? 500;
    /** @param {Error} error */
    this.onError = (error) => reportPersistError(options, error);
    /** @type {{handle: number, dim: number} | null} the restored engine, until an IntelligentLLMWasm takes it */
    this.restored = null;
    /** @type {IntelligentLLMWasm | null} */
    this.owner = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} the pending debounced save */
    this.timer = undefined;
    /** @type {string | null} generation of the record last read or written */
    this.generation = null;
    /** @type {Uint8Array | null} the snapshot of that record: the merge base */
    this.base = null;
    /** @type {Promise<void>} This tab's saves, one after another. */
    this.saving = Promise.resolve();
  }

  /** Something changed: save after `persistDelayMs` of quiet. */
  changed() {
    if (!this.owner) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save().catch(this.onError), this.delayMs);
  }

  /** Save now (after a save of this tab still under way). @returns {Promise<void>} */
  save() {
    clearTimeout(this.timer);
    const run = this.saving.then(() => this.write());
    this.saving = run.catch(() => {});
    return run;
  }

  /** Write this engine over the record it last read or wrote, merging in a newer one first. */
  async write() {
    for (let merges = 0; this.owner && !this.connection.closedWith; merges++) {
      const bytes = await this.owner.save();
      const generation = newGeneration();
      /** @param {IDBObjectStore} store */
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

  /**
   * Take another tab's newer record into this engine; one that cannot be merged is set aside.
   * @param {unknown} found
   */
  async mergeIn(found) {
    const owner = /** @type {IntelligentLLMWasm} */ (this.owner); // write() merges only with an owner
    const theirs = snapshotOf(found);
    let refusal = "not a snapshot record";
    if (theirs) {
      try {
        await owner._invoke("merge", this.base ? [theirs, this.base] : [theirs]);
        this.generation = generationOf(found);
        this.base = theirs;
        return;
      } catch (error) {
        if (!(error instanceof Error && "pythonType" in error)) throw error;  // the worker stopped: nothing was refused
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
   * @param {unknown} stored @param {string} verb @param {string} reason
   * @returns {Promise<string | undefined>}
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

/**
 * Hand a persistence problem to the page's onPersistError (console.error without one).
 * @param {InitOptions} options @param {Error} error
 */
function reportPersistError(options, error) {
  try {
    (options.onPersistError || console.error)(error);
  } catch (thrown) {
    console.error(thrown);
  }
}
