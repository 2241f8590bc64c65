// ruvllm-web client library, ES module form.
//
//   import init, { IntelligentLLMWasm, WasmMicroLoRA } from "./static/ruvllm.js";
//   await init({ onProgress: (p) => console.log(p.stage, p.fraction) });
//
// The library itself lives in ruvllm.global.js (also usable from a classic
// <script> tag as the global `RuvLLM`); this module loads it and re-exports it.

import "./ruvllm.global.js";

const lib = globalThis.RuvLLM;
lib.setBaseUrl(import.meta.url);

export default lib.init;
export const {
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
} = lib;
