// The learning-wasm classes: WasmMicroLoRA, WasmScopedLoRA, WasmTrajectoryBuffer (the
// learning-wasm document's names and snake_case methods).

import { OPERATOR_NAMES } from "./constants.js";
import { checkBoolean, checkInteger, checkNumber, checkOperator, checkVector } from "./checks.js";
import { EngineObject } from "./engine-object.js";

/** Rank-2 MicroLoRA, the learning-wasm document's `WasmMicroLoRA`. */
export class WasmMicroLoRA extends EngineObject {
  /** @param {number} [dim] @param {number} [alpha] @param {number} [learning_rate] */
  constructor(dim = 256, alpha = 0.1, learning_rate = 0.01) {
    checkInteger(dim, "dim", 1, 65536);
    checkNumber(alpha, "alpha", 0, 1e6);
    checkNumber(learning_rate, "learning_rate", 0, 1e6);
    super("MicroLoRA", { dim, alpha, learning_rate });
    this.dim = dim;
    const arena = this._connection.arena;
    const start = arena ? arena.allocStatic(2 * dim) : -1;
    const shared = arena && start >= 0 ? arena.buffer : null;
    /** @type {[number, number] | null} the views' regions of the arena: input, output */
    this._regions = shared ? [start, start + dim] : null;
    this._input = shared ? new Float32Array(shared, start * 4, dim) : new Float32Array(dim);
    this._output = shared ? new Float32Array(shared, (start + dim) * 4, dim) : new Float32Array(dim);
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
        /** @type {Omit<import("./protocol.js").CallRequest, "id">} */
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

/** 17 per-operator adapters with category fallback (`WasmScopedLoRA`). */
export class WasmScopedLoRA extends EngineObject {
  /** @param {number} [dim] @param {number} [alpha] @param {number} [learning_rate] */
  constructor(dim = 256, alpha = 0.1, learning_rate = 0.01) {
    checkInteger(dim, "dim", 1, 65536);
    checkNumber(alpha, "alpha", 0, 1e6);
    checkNumber(learning_rate, "learning_rate", 0, 1e6);
    super("ScopedLoRA", { dim, alpha, learning_rate });
    this.dim = dim;
  }

  /** The operator's name, e.g. `scope_name(0) === "Scan"` (no worker round trip). */
  /** @param {number} op @returns {string} */
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
export class WasmTrajectoryBuffer extends EngineObject {
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
