// The text embedders: the built-in lexical one (TextEmbedderWasm), all-MiniLM-L6-v2
// (SentenceEncoderWasm) and its static token table (StaticEncoderWasm), all run in the worker.

import { MODEL_FOLDER } from "./constants.js";
import { checkInteger, checkText, describe } from "./checks.js";
import { EngineObject } from "./engine-object.js";
import { besideClient, requireConnection } from "./session.js";

/** @typedef {import("../ruvllm.js").ModelLoadInfo} ModelLoadInfo */

/** The built-in offline text embedder (hashed word and character n-grams, unit length). */
export class TextEmbedderWasm extends EngineObject {
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
 * What the worker's model encoders share: text to vectors by an encoder built in the worker from
 * model files fetched from this page's origin on first use (or `load()`), each verified against
 * build.py's sha256 pins in the folder's manifest.json, with `onProgress` hearing how far the
 * download is. The constructor returns at once; other engine calls keep being served meanwhile.
 */
export class ModelEncoderWasm extends EngineObject {
  /**
   * @param {string} className the bridge's encoder class, which names the files to fetch
   * @param {number} dim the length of its vectors
   * @param {import("../ruvllm.js").SentenceEncoderOptions} options
   */
  constructor(className, dim, options) {
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
    super(className, null, opened.nextHandle++); // created by the worker once the files are in
    this.dim = dim;
    this._className = className;
    this._onProgress = onProgress;
    this._modelUrl = String(modelUrl || besideClient(`../${MODEL_FOLDER}`));
    /** @type {Promise<ModelLoadInfo> | null} */
    this._loading = null;
  }

  /**
   * Fetch, verify and load the model unless done already; encode() does it on first use. A
   * failed load (missing or corrupt file) rejects, and the next call tries again. Resolves to
   * the bytes of the files loaded and the worker's WebAssembly heap before and after the load.
   * @returns {Promise<ModelLoadInfo>}
   */
  load() {
    if (!this._loading) {
      const report = this._onProgress;
      /** @type {Promise<ModelLoadInfo>} */
      const loading = this._request(async (opened) => {
        if (report) {
          opened.onModelProgress.set(this._handle, (message) => report({
            stage: "model", fraction: message.total ? message.loaded / message.total : 1,
            loaded: message.loaded, total: message.total, detail: message.detail,
          }));
        }
        try {
          await opened.send("fetch_model", [this._handle, this._modelUrl, this._className]);
        } finally {
          opened.onModelProgress.delete(this._handle);
        }
        /** @type {ModelLoadInfo} */
        const loaded = await opened.send("load_encoder", [this._handle]);
        if (report) report({ stage: "model", fraction: 1, loaded: loaded.modelBytes, total: loaded.modelBytes, detail: "ready" });
        return loaded;
      });
      this._loading = loading;
      loading.catch(() => {
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
    /** @type {Float32Array} */
    const flat = await this._call("encode_texts", [this._handle, texts], texts.length * this.dim);
    return texts.map((_, i) => flat.slice(i * this.dim, (i + 1) * this.dim));
  }

  /** Release the model in the worker (a model never loaded holds nothing there). @returns {Promise<void>} */
  async free() {
    const loading = this._loading;
    if (!loading || !(await loading.then(() => true, () => false))) {
      const freed = Promise.reject(new Error(`this ${this.constructor.name} was freed`));
      freed.catch(() => {});
      this._loading = freed;
      return undefined;
    }
    return this._call("free", [this._handle]);
  }
}

/**
 * Sentence embeddings in the worker: all-MiniLM-L6-v2 run by numpy, the vectors CPython's
 * `SentenceEncoder` gives. Fetches the model (~90 MB) on first use.
 */
export class SentenceEncoderWasm extends ModelEncoderWasm {
  /** @param {import("../ruvllm.js").SentenceEncoderOptions} [options] */
  constructor(options = {}) {
    super("SentenceEncoder", 384, options);
  }
}

/**
 * The fast static tier for bulk text: 256-dim vectors from the static token table distilled from
 * all-MiniLM-L6-v2 (table lookups, no transformer), the vectors CPython's `StaticEncoder` gives.
 * Fetches only the tokenizer's files and the table on first use, never the model's weights.
 */
export class StaticEncoderWasm extends ModelEncoderWasm {
  /** @param {import("../ruvllm.js").StaticEncoderOptions} [options] */
  constructor(options = {}) {
    super("StaticEncoder", 256, options);
  }
}
