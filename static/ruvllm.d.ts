// Types of the ruvllm-web client library (static/ruvllm.js, and the global `RuvLLM` of ruvllm.global.js).
//
// Every engine method returns a Promise (the few marked synchronous excepted) and calls are
// served in the order they are made. Float32Array arguments must hold finite values of the
// stated length; a bad argument rejects with an Error (TypeError for a wrong type), never
// throws, and changes nothing. Constructors check their arguments at once and throw.

/** Load progress reported by `init()`. */
export interface Progress {
  stage: "runtime" | "numpy" | "engine";
  /** 0..1 */
  fraction: number;
  detail: string;
}

/** Options of `init()`. */
export interface InitOptions {
  onProgress?: (progress: Progress) => void;
  /** Worker script URL (default: ../worker.js relative to this library). */
  workerUrl?: string | URL;
  /** Use a SharedArrayBuffer when the page is cross-origin isolated (default true). */
  sharedMemory?: boolean;
  /** Interval of SONA's background loop in the worker, ms; 0 pauses it (default 100). */
  tickIntervalMs?: number;
  /** Called after a background tick that did work. */
  onTick?: (tick: { ran: number; ms?: number; error?: { type: string; message: string } }) => void;
  /**
   * Keep the first IntelligentLLMWasm's snapshot in IndexedDB under this name and restore it next time.
   * Tabs that keep the same name merge each other's patterns and adapters when they save: nothing is lost.
   * When the browser refuses storage, the engine starts without it (see `InitInfo.persist`).
   */
  persist?: string;
  /** Quiet time before a save after a change, ms (default 500). */
  persistDelayMs?: number;
  /**
   * The browser refused storage (persistence is off), a stored snapshot could not be loaded or merged
   * (it is kept aside), or a save failed.
   */
  onPersistError?: (error: Error) => void;
}

/** What `init()` resolves to. */
export interface InitInfo {
  ruvllm_web: string;
  numpy: string;
  python: string;
  pyodide: string;
  platform: string;
  /** Worker-side load time, ms. */
  loadMs: number;
  crossOriginIsolated: boolean;
  /** Whether vectors travel through shared memory (else as message copies). */
  sharedMemory: boolean;
  /**
   * With `init({persist})`: `enabled` false when the browser refused storage (`error` says why);
   * `restored` when a stored engine was loaded; `error` also when a stored one was set aside.
   */
  persist?: { name: string; enabled: boolean; restored: boolean; error?: string };
}

/**
 * Start the worker and load the engine; resolves when ready. An `init()` while another is still
 * starting shares its answer (one worker); once started it resolves again at once.
 */
export default function init(options?: InitOptions): Promise<InitInfo>;
export function init(options?: InitOptions): Promise<InitInfo>;
/**
 * Stop the worker; pending calls reject, and so does an `init()` still starting. Objects made
 * before reject every later call, even after a new `init()`, which may be called again.
 */
export function close(): void;
/** Change (or pause with 0) the interval of SONA's background loop. */
export function setTickInterval(intervalMs: number): void;
export function versionInfo(): Promise<InitInfo>;
/** `vector / ||vector||`, computed by numpy in the worker. */
export function l2Normalize(vector: Float32Array): Promise<Float32Array>;

/**
 * A handle on an object living in the worker. When the worker refuses to create it (e.g. no
 * memory for it), every call on the object rejects with that refusal.
 */
declare class EngineObject {
  /** Release the worker-side object. */
  free(): Promise<void>;
}

// ------------------------------------------------------------------ starter library, self-benchmarks

/** The starter library's 8 agents, in the engine's order (ruvllm_web.STARTER_AGENTS). */
export const STARTER_AGENTS: readonly string[];
/** Each starter agent's task types (agent -> its task types). */
export function starterTaskTypes(): Promise<Record<string, string[]>>;

export interface HnswBenchmarkOptions {
  /** Vectors in the index, 1..100000 (default 1000); size * dim at most 2^26. */
  size?: number;
  /** 2..2048 (default 128). */
  dim?: number;
  /** Searches timed each way, 1..10000 (default 100). */
  queries?: number;
  /** Neighbours per search, 1..100 and at most size (default 10). */
  k?: number;
}

export interface HnswBenchmarkResult {
  size: number;
  dim: number;
  k: number;
  buildMsPerVector: number;
  hnswP50Us: number;
  hnswP99Us: number;
  /** numpy brute force (scores, then the k best in order), same queries, same run. */
  bruteP50Us: number;
  /** bruteP50Us / hnswP50Us (NaN if the clock could not time a search). */
  speedup: number;
  /** Share of the brute-force top-k the index found, 0..1. */
  recallAtK: number;
}

export interface LoraBenchmarkOptions {
  /** 2..2048 (default 256). */
  dim?: number;
  /** Timed samples per operation, each the mean of 20 calls, 1..10000 (default 200). */
  repeats?: number;
}

export interface LoraBenchmarkResult {
  dim: number;
  repeats: number;
  forwardP50Us: number;
  forwardIntoP50Us: number;
  adaptP50Us: number;
}

/** Run a self-benchmark in the worker (other calls wait until it ends). */
export function runBenchmark(kind: "hnsw", options?: HnswBenchmarkOptions): Promise<HnswBenchmarkResult>;
export function runBenchmark(kind: "lora", options?: LoraBenchmarkOptions): Promise<LoraBenchmarkResult>;

// ------------------------------------------------------------------ learning-wasm

/** MicroLoRA: out = x + alpha * (x @ A) @ B, rank 2. */
export class WasmMicroLoRA extends EngineObject {
  constructor(dim?: number, alpha?: number, learning_rate?: number);
  readonly dim: number;
  forward_array(input: Float32Array): Promise<Float32Array>;
  /** The zero-allocation input view (shared memory when isolated; synchronous): fill it, then `await forward()`. */
  get_input_ptr(): Float32Array;
  /** The zero-allocation output view (synchronous), valid after `await forward()`. */
  get_output_ptr(): Float32Array;
  /** Forward pass from the input view into the output view; resolves to the output view. */
  forward(): Promise<Float32Array>;
  /** Gradient step with dLoss/dOutput for the last input; false if nothing could be learned. */
  adapt_array(gradient: Float32Array): Promise<boolean>;
  adapt_with_reward(improvement: number): Promise<boolean>;
  accumulate(input: Float32Array, quality: number): Promise<void>;
  apply_updates(): Promise<boolean>;
  delta_norm(): Promise<number>;
  adapt_count(): Promise<number>;
  param_count(): Promise<number>;
  memory_bytes(): Promise<number>;
  reset(): Promise<void>;
}

/** 17 per-operator adapters with category fallback. */
export class WasmScopedLoRA extends EngineObject {
  constructor(dim?: number, alpha?: number, learning_rate?: number);
  readonly dim: number;
  /** Operator name, e.g. scope_name(0) === "Scan" (synchronous). */
  static scope_name(op: number): string;
  forward_array(op: number, input: Float32Array): Promise<Float32Array>;
  /**
   * Gradient step for `op` at its last input or, when it has had none, at the input of the latest
   * `forward_array` of any operator; false when there is no input at all.
   */
  adapt_array(op: number, gradient: Float32Array): Promise<boolean>;
  /** Reward step for `op` and its category, at the input `adapt_array` would use; false when there is none. */
  adapt_with_reward(op: number, improvement: number): Promise<boolean>;
  adapt_count(op: number): Promise<number>;
  total_adapt_count(): Promise<number>;
  set_category_fallback(enabled: boolean): Promise<void>;
  reset_scope(op: number): Promise<void>;
  reset_all(): Promise<void>;
}

/** Ring buffer of query-plan trajectories; improvement = baseline_ms / exec_ms - 1. */
export class WasmTrajectoryBuffer extends EngineObject {
  constructor(capacity?: number, embedding_dim?: number);
  readonly dim: number;
  /** Resolves to the trajectory's improvement. */
  record(embedding: Float32Array, op_type: number, attention_type: number, exec_ms: number, baseline_ms: number): Promise<number>;
  success_rate(): Promise<number>;
  best_improvement(): Promise<number>;
  mean_improvement(): Promise<number>;
  /** Attention type with the best mean improvement; null when empty. */
  best_attention(): Promise<number | null>;
  high_quality_count(threshold: number): Promise<number>;
  total_count(): Promise<number>;
  count_by_operator(): Promise<Record<string, number>>;
  clear(): Promise<void>;
}

// ------------------------------------------------------------------------ ruvllm

export class HnswRouterConfigWasm {
  dim: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  topK: number;
  minConfidence: number;
  maxPatterns: number;
  static fast(): HnswRouterConfigWasm;
  static highRecall(): HnswRouterConfigWasm;
  toJSON(): Record<string, number>;
}

export class MicroLoraConfigWasm {
  dim: number;
  rank: number;
  alpha: number;
  learningRate: number;
  toJSON(): Record<string, number>;
}

export class AdaptFeedbackWasm {
  constructor(quality: number);
  readonly quality: number;
}

export class IntelligentConfigWasm {
  /** `process` resolves to the adapted vector (true) or the input unchanged (false); routes always use the input. */
  useLora: boolean;
  useSona: boolean;
  seed: number;
  routerConfig(): HnswRouterConfigWasm;
  loraConfig(): MicroLoraConfigWasm;
  toJSON(): Record<string, unknown>;
}

export interface RoutingNeighbor {
  patternId: number;
  agent: string;
  taskType: string;
  similarity: number;
  /** Its vote: g / (1 - g + 0.01) with g = similarity x success rate (0 for g <= 0, about 100 at most). */
  weight: number;
  /** The pattern's description (for a learned request, its text). */
  description: string;
}

/** A routing decision; `agent` is null when there are no patterns to vote. */
export interface RoutingResult {
  agent: string | null;
  taskType: string | null;
  /** The winner's vote share, 0..1. */
  confidence: number;
  alternatives: { agent: string; share: number }[];
  neighbors: RoutingNeighbor[];
  latencyUs: number;
}

export interface AdaptationResult {
  applied: boolean;
  latencyUs: number;
  qualityDelta: number;
  qualityEma: number;
  currentRank: number;
}

export class HnswRouterWasm extends EngineObject {
  constructor(config?: HnswRouterConfigWasm);
  readonly dim: number;
  addPattern(embedding: Float32Array, agent: string, taskType: string, description?: string): Promise<number>;
  learnPattern(embedding: Float32Array, agent: string, taskType: string, description: string, quality: number): Promise<number>;
  route(embedding: Float32Array): Promise<RoutingResult>;
  recordOutcome(patternId: number, success: boolean): Promise<number>;
  removePattern(patternId: number): Promise<void>;
  /** Statistics with the engine's snake_case keys. */
  stats(): Promise<Record<string, unknown>>;
  save(): Promise<Uint8Array>;
  static load(data: Uint8Array): Promise<HnswRouterWasm>;
}

export class MicroLoraWasm extends EngineObject {
  constructor(config?: MicroLoraConfigWasm);
  readonly dim: number;
  forward(input: Float32Array): Promise<Float32Array>;
  /** Accumulate quality feedback for `input`; `applyUpdates()` takes one step with the mean. */
  adapt(input: Float32Array, feedback: AdaptFeedbackWasm | number): Promise<void>;
  applyUpdates(): Promise<boolean>;
  deltaNorm(): Promise<number>;
  adaptCount(): Promise<number>;
  reset(): Promise<void>;
  stats(): Promise<{ adaptCount: number; deltaNorm: number; paramCount: number; memoryBytes: number }>;
  /** The adapter as JSON. */
  save(): Promise<string>;
}

export class SonaInstantWasm extends EngineObject {
  constructor(dim?: number);
  readonly dim: number;
  instantAdapt(input: Float32Array, quality: number): Promise<AdaptationResult>;
  adapt(input: Float32Array): Promise<Float32Array>;
  tick(): Promise<Record<string, unknown> | null>;
  stats(): Promise<Record<string, unknown>>;
  reset(): Promise<void>;
}

/** The built-in offline text embedder: hashed word and character n-grams, unit-length vectors. */
export class TextEmbedderWasm extends EngineObject {
  /** Returns at once; `dim` defaults to 384, the router's. */
  constructor(dim?: number);
  readonly dim: number;
  /** Rejects for a non-string, more than 4096 characters, or no letter or digit. */
  embed(text: string): Promise<Float32Array>;
}

/** Download progress of a SentenceEncoderWasm's or StaticEncoderWasm's model files. */
export interface ModelProgress {
  stage: "model";
  /** 0..1: bytes fetched over the model's bytes; 1 once the model is loaded. */
  fraction: number;
  loaded: number;
  total: number;
  detail: string;
}

/** What `SentenceEncoderWasm.load()` and `StaticEncoderWasm.load()` resolve to. */
export interface ModelLoadInfo {
  modelBytes: number;
  heapBytesBefore: number;
  heapBytesAfter: number;
}

/** Options of `new SentenceEncoderWasm()`. */
export interface SentenceEncoderOptions {
  /** Called as the model's files arrive, and once more (fraction 1, detail "ready") when it is loaded. */
  onProgress?: (progress: ModelProgress) => void;
  /** The model folder on this page's origin (default: ../models/all-MiniLM-L6-v2/ relative to this library). */
  modelUrl?: string | URL;
}

/**
 * What SentenceEncoderWasm and StaticEncoderWasm share. The constructor returns at once; the files
 * the encoder reads (built by `build.py dist` into dist/models/) are fetched from the page's origin
 * on first use, each verified against its pinned sha256 and size. A missing or corrupt file rejects
 * that call; the next tries again.
 */
declare class ModelEncoderWasm extends EngineObject {
  /** The length of every vector. */
  readonly dim: number;
  /**
   * Fetch and load the files now, unless done (encode does it on first use). Resolves to the bytes
   * of the files and the worker's WebAssembly heap size before and after building the encoder.
   */
  load(): Promise<ModelLoadInfo>;
  /** A unit-length vector. Rejects for a non-string, more than 4096 characters, or nothing to embed. */
  encode(text: string): Promise<Float32Array>;
  /** One unit-length vector per text (at most 4096 texts), each equal to `encode(text)`. */
  encodeBatch(texts: string[]): Promise<Float32Array[]>;
}

/**
 * Sentence embeddings (all-MiniLM-L6-v2, run by numpy in the worker; CPython's `SentenceEncoder`
 * gives the same vectors): `dim` 384; the model (~90 MB) is fetched on first use.
 */
export class SentenceEncoderWasm extends ModelEncoderWasm {
  constructor(options?: SentenceEncoderOptions);
}

/** Options of `new StaticEncoderWasm()`: those of `new SentenceEncoderWasm()`. */
export type StaticEncoderOptions = SentenceEncoderOptions;

/**
 * The fast static tier for bulk text: `dim` 256, vectors from the static token table distilled from
 * all-MiniLM-L6-v2 (a lookup and a mean per text, no transformer; CPython's `StaticEncoder` gives
 * the same vectors). On first use only the tokenizer's files and the table (~16 MB) are fetched,
 * never the model's weights.
 */
export class StaticEncoderWasm extends ModelEncoderWasm {
  constructor(options?: StaticEncoderOptions);
}

/** Per-stage wall time of the last `process` call, microseconds. */
export interface StageTimings {
  loraUs: number;
  routeUs: number;
  sonaUs: number;
  totalUs: number;
}

/** The integrated engine: route -> LoRA -> SONA learning. */
/** A vector of the engine's dimension, or (once `setEncoder` gave the engine an encoder) a text. */
export type Input = Float32Array | string;

export class IntelligentLLMWasm extends EngineObject {
  constructor(config?: IntelligentConfigWasm);
  readonly dim: number;
  /**
   * Synchronous. Let the methods below take text (`Input`), embedded by `encoder` in the worker;
   * null to stop. Throws for another init()'s encoder or another dimension (a StaticEncoderWasm
   * needs an engine of dim 256: `config.routerConfig().dim = 256`).
   */
  setEncoder(encoder: SentenceEncoderWasm | StaticEncoderWasm | null): void;
  /** Route the input, adapt it and (with a quality in [0, 1]) learn; resolves to the adapted vector. */
  process(input: Input, context?: string, quality?: number): Promise<Float32Array>;
  route(input: Input): Promise<RoutingResult>;
  lastResult(): Promise<RoutingResult | null>;
  adapt(input: Input, quality: number): Promise<AdaptationResult>;
  addPattern(embedding: Input, agent: string, taskType: string, description?: string): Promise<number>;
  learnPattern(embedding: Input, agent: string, taskType: string, description: string, quality: number): Promise<number>;
  recordOutcome(success: boolean): Promise<number>;
  /** Embed and add the starter library; resolves to the number of patterns added. */
  addStarterLibrary(embedder: TextEmbedderWasm | SentenceEncoderWasm | StaticEncoderWasm): Promise<number>;
  /** Stage timings of the last `process` call (all 0 before the first; not saved in snapshots). */
  lastTimings(): Promise<StageTimings>;
  tick(): Promise<Record<string, unknown> | null>;
  runDeep(): Promise<Record<string, unknown>>;
  /** JSON string with keys router, lora, sona, totalPatterns, processed, config. */
  stats(): Promise<string>;
  save(): Promise<Uint8Array>;
  reset(): Promise<void>;
  /**
   * Replace this engine's state with a snapshot from `save()`, in place: this object stays valid and,
   * with `init({persist})`, stays the engine that is kept. A refused snapshot changes nothing.
   */
  restore(data: Uint8Array, config?: IntelligentConfigWasm): Promise<void>;
  /**
   * Save to the browser store now (requires `init({persist})`; rejects with the reason when the browser
   * refused storage). Patterns other tabs saved under the same name meanwhile are merged in first.
   */
  persist(): Promise<void>;
  static load(data: Uint8Array, config?: IntelligentConfigWasm): Promise<IntelligentLLMWasm>;
}
