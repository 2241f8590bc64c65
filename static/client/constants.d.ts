// Types of constants.js, which build.py generates from ruvllm_web.bridge.client_constants() (the
// engine's own values) and its own MODEL_NAME: the client never copies them. Only the types are
// written here, for tsc.

/** The operators' names, by operator number (ruvllm_web.scope_name). */
export const OPERATOR_NAMES: readonly string[];
/** The starter library's agents, in the engine's order (ruvllm_web.STARTER_AGENTS). */
export const STARTER_AGENTS: readonly string[];
/** The options a page may give each self-benchmark (ruvllm_web.self_benchmark). */
export const BENCHMARK_OPTIONS: Readonly<Record<string, readonly string[]>>;
/** Longest text an engine call takes, characters (ruvllm_web.validation.MAX_TEXT_LENGTH). */
export const MAX_TEXT: number;

/** The router settings HnswRouterConfigWasm has. */
export interface RouterSettings {
  readonly dim: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  readonly topK: number;
  readonly minConfidence: number;
  readonly maxPatterns: number;
}

/** RouterConfig(), RouterConfig.fast() and RouterConfig.high_recall(), camelCase. */
export const ROUTER_CONFIGS: Readonly<{ default: RouterSettings; fast: RouterSettings; highRecall: RouterSettings }>;
/** Where build.py places the sentence encoder's files, relative to dist/. */
export const MODEL_FOLDER: string;
