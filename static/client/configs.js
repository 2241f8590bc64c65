// The settings classes of the ruvllm API: plain objects the page edits, checked and turned
// into the engine's (snake_case) settings when an engine is made from them.

import { ROUTER_CONFIGS } from "./constants.js";
import { checkBoolean, checkInteger, checkNumber } from "./checks.js";

/** Router settings (`HnswRouterConfigWasm`). */
export class HnswRouterConfigWasm {
  /** The engine's defaults (ruvllm_web.RouterConfig). */
  constructor() {
    const defaults = ROUTER_CONFIGS.default;
    this.dim = defaults.dim;
    this.m = defaults.m;
    this.efConstruction = defaults.efConstruction;
    this.efSearch = defaults.efSearch;
    this.topK = defaults.topK;
    this.minConfidence = defaults.minConfidence;
    this.maxPatterns = defaults.maxPatterns;
  }

  /** M 16, ef_construction 100, ef_search 50, top_k 5 (RouterConfig.fast()). */
  static fast() {
    return Object.assign(new HnswRouterConfigWasm(), ROUTER_CONFIGS.fast);
  }

  /** M 48, ef_construction 400, ef_search 200, top_k 20 (RouterConfig.high_recall()). */
  static highRecall() {
    return Object.assign(new HnswRouterConfigWasm(), ROUTER_CONFIGS.highRecall);
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
export class MicroLoraConfigWasm {
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
export class AdaptFeedbackWasm {
  /** @param {number} quality in [0, 1] */
  constructor(quality) {
    this.quality = checkNumber(quality, "quality", 0, 1);
  }
}

/** Settings of the integrated engine (`IntelligentConfigWasm`). */
export class IntelligentConfigWasm {
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
