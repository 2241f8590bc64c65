// The ruvllm API's engine classes: HnswRouterWasm, MicroLoraWasm, SonaInstantWasm and the
// integrated IntelligentLLMWasm.

import { checkBoolean, checkInteger, checkNumber, checkSnapshot, checkText, checkVector, describe } from "./checks.js";
import { AdaptFeedbackWasm, HnswRouterConfigWasm, IntelligentConfigWasm, MicroLoraConfigWasm } from "./configs.js";
import { camel } from "./connection.js";
import { ModelEncoderWasm, TextEmbedderWasm } from "./encoders.js";
import { EngineObject, checkSameEngine, loadInto } from "./engine-object.js";
import { persistence, refusedStorage, requireConnection } from "./session.js";

/** @typedef {import("../ruvllm.js").Input} Input */

/** Semantic router over an HNSW index (`HnswRouterWasm`). */
export class HnswRouterWasm extends EngineObject {
  /** @param {HnswRouterConfigWasm} [config] */
  constructor(config = new HnswRouterConfigWasm()) {
    super("HnswRouter", { config: config.toJSON() });
    this.dim = config.dim;
  }

  /**
   * @param {Float32Array} embedding @param {string} agent @param {string} taskType @param {string} [description]
   * @returns {Promise<number>} the new pattern's id
   */
  addPattern(embedding, agent, taskType, description = "") {
    checkVector(embedding, "embedding", this.dim);
    checkText(agent, "agent");
    checkText(taskType, "taskType");
    checkText(description, "description");
    return this._invoke("add_pattern", [embedding, agent, taskType, description]);
  }

  /**
   * @param {Float32Array} embedding @param {string} agent @param {string} taskType @param {string} description @param {number} quality
   * @returns {Promise<number>} the reinforced or new pattern's id
   */
  learnPattern(embedding, agent, taskType, description, quality) {
    checkVector(embedding, "embedding", this.dim);
    checkText(agent, "agent");
    checkText(taskType, "taskType");
    checkText(description, "description");
    checkNumber(quality, "quality", 0, 1);
    return this._invoke("learn_pattern", [embedding, agent, taskType, description, quality]);
  }

  /**
   * @param {Float32Array} embedding
   * @returns {Promise<any>} {agent, taskType, confidence, alternatives, neighbors, latencyUs}
   */
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

  /** Statistics (the engine's snake_case keys). @returns {Promise<any>} */
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
export class MicroLoraWasm extends EngineObject {
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

  /**
   * Accumulate quality feedback for `input`; `applyUpdates()` takes the step.
   * @param {Float32Array} input @param {AdaptFeedbackWasm | number} feedback
   */
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
export class SonaInstantWasm extends EngineObject {
  /** @param {number} [dim] */
  constructor(dim = 384) {
    checkInteger(dim, "dim", 1, 65536);
    super("SonaInstant", { dim });
    this.dim = dim;
  }

  /**
   * The instant loop.
   * @param {Float32Array} input @param {number} quality
   * @returns {Promise<any>} {applied, latencyUs, qualityDelta, qualityEma, currentRank}
   */
  async instantAdapt(input, quality) {
    checkVector(input, "input", this.dim);
    checkNumber(quality, "quality", 0, 1);
    return camel(await this._invoke("instant", [input, quality]));
  }

  /** @param {Float32Array} input @returns {Promise<Float32Array>} x + base and instant adapter deltas */
  adapt(input) {
    checkVector(input, "input", this.dim);
    return this._invoke("adapt", [input], this.dim);
  }

  /** Run the background loop if due; what it did, or null. */
  tick() {
    return this._invoke("tick");
  }

  /** Statistics (the engine's snake_case keys). @returns {Promise<any>} */
  stats() {
    return this._invoke("stats");
  }

  reset() {
    return this._invoke("reset");
  }
}

/** The integrated engine: route -> LoRA -> SONA (`IntelligentLLMWasm`). */
export class IntelligentLLMWasm extends EngineObject {
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
    /** @type {import("./persistence.js").Persistence | null} the store this engine is kept in */
    this._persistence = store;
    /** @type {ModelEncoderWasm | null} what embeds text inputs (setEncoder) */
    this._encoder = null;
    if (store) store.owner = this;
  }

  /**
   * Let `process`, `route`, `adapt`, `addPattern` and `learnPattern` take text: each embeds it
   * with `encoder` in the worker (the model loads on the first such call).
   * @param {ModelEncoderWasm | null} encoder a SentenceEncoderWasm or StaticEncoderWasm of this
   *   engine's dimension, or null to take text no more
   */
  setEncoder(encoder) {
    if (encoder !== null) {
      if (!(encoder instanceof ModelEncoderWasm)) {
        throw new TypeError(`encoder must be a SentenceEncoderWasm, StaticEncoderWasm or null, got ${describe(encoder)}`);
      }
      checkSameEngine(encoder, this);
    }
    this._encoder = encoder;
  }

  /**
   * @param {Input} input @param {string} [context] @param {number | null} [quality]
   * @returns {Promise<Float32Array>} the adapted vector
   */
  async process(input, context = "", quality) {
    this._checkInput(input, "input");
    checkText(context, "context");
    /** @type {unknown[]} */
    const args = [context];
    if (quality !== undefined && quality !== null) args.push(checkNumber(quality, "quality", 0, 1));
    return this._changed(this._withInput("process", input, args, this.dim));
  }

  /** @param {Input} input @returns {Promise<any>} the routing decision, without learning */
  async route(input) {
    this._checkInput(input, "input");
    return camel(await this._withInput("route", input, []));
  }

  /** The routing decision of the last `process` or `route` call, or null (camelCase keys). @returns {Promise<any>} */
  async lastResult() {
    return camel(await this._invoke("last_result"));
  }

  /** SONA's instant loop on `input` with `quality`. @param {Input} input @param {number} quality @returns {Promise<any>} */
  async adapt(input, quality) {
    this._checkInput(input, "input");
    checkNumber(quality, "quality", 0, 1);
    return camel(await this._changed(this._withInput("adapt", input, [quality])));
  }

  /**
   * @param {Input} embedding @param {string} agent @param {string} taskType @param {string} [description]
   * @returns {Promise<number>} the new pattern's id
   */
  addPattern(embedding, agent, taskType, description = "") {
    this._checkInput(embedding, "embedding");
    checkText(agent, "agent");
    checkText(taskType, "taskType");
    checkText(description, "description");
    return this._changed(this._withInput("add_pattern", embedding, [agent, taskType, description]));
  }

  /**
   * @param {Input} embedding @param {string} agent @param {string} taskType @param {string} description @param {number} quality
   * @returns {Promise<number>} the reinforced or new pattern's id
   */
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
   * @param {TextEmbedderWasm | ModelEncoderWasm} embedder of this engine's dimension
   * @returns {Promise<number>} how many patterns were added
   */
  async addStarterLibrary(embedder) {
    if (!(embedder instanceof TextEmbedderWasm || embedder instanceof ModelEncoderWasm)) {
      throw new TypeError(
        `embedder must be a TextEmbedderWasm, SentenceEncoderWasm or StaticEncoderWasm, got ${describe(embedder)}`);
    }
    checkSameEngine(embedder, this);
    if (embedder instanceof ModelEncoderWasm) await embedder.load();
    return this._changed(this._call("add_starter_library", [this._handle, embedder._handle]));
  }

  /**
   * Wall time of each stage of the last `process` call, microseconds (all 0 before the first).
   * @returns {Promise<{loraUs: number, routeUs: number, sonaUs: number, totalUs: number}>}
   */
  async lastTimings() {
    return camel(await this._invoke("last_timings"));
  }

  /** Record whether the last routed request went well. @param {boolean} success */
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

  /**
   * An input is a vector of this engine's dimension, or a text when the engine has an encoder.
   * @param {unknown} value @param {string} name
   */
  _checkInput(value, name) {
    if (typeof value !== "string") {
      checkVector(value, name, this.dim);
    } else if (!this._encoder) {
      throw new TypeError(`${name} is a string: give the engine an encoder first (setEncoder(new SentenceEncoderWasm()))`);
    } else {
      checkText(value, name);
    }
  }

  /**
   * Call `method(input, ...rest)`; a text input is embedded by the encoder in the worker on the way.
   * @param {string} method @param {Input} input @param {unknown[]} rest @param {number} [outLength]
   * @returns {Promise<any>}
   */
  async _withInput(method, input, rest, outLength) {
    if (typeof input !== "string") {
      return this._invoke(method, [input, ...rest], outLength);
    }
    const encoder = /** @type {ModelEncoderWasm} */ (this._encoder); // _checkInput refused text without one
    await encoder.load();
    return this._call("invoke_text", [this._handle, encoder._handle, method, input, ...rest], outLength);
  }

  /**
   * Tell the store (with `init({persist})`) that `promise`, once fulfilled, changed this engine.
   * @template T @param {Promise<T>} promise @returns {Promise<T>}
   */
  _changed(promise) {
    const store = this._persistence;
    if (store) promise.then(() => store.changed(), () => {});
    return promise;
  }
}
