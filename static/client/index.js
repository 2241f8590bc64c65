// The client's public names: build.py assembles this module and the modules it imports into
// static/ruvllm.js (these exports) and static/ruvllm.global.js (the global `RuvLLM`, which also
// has setBaseUrl). static/ruvllm.d.ts types them.

import { STARTER_AGENTS } from "./constants.js";
import { AdaptFeedbackWasm, HnswRouterConfigWasm, IntelligentConfigWasm, MicroLoraConfigWasm } from "./configs.js";
import { ModelEncoderWasm, SentenceEncoderWasm, StaticEncoderWasm, TextEmbedderWasm } from "./encoders.js";
import { EngineObject, answerWithPromises } from "./engine-object.js";
import { l2Normalize, runBenchmark, starterTaskTypes } from "./functions.js";
import { WasmMicroLoRA, WasmScopedLoRA, WasmTrajectoryBuffer } from "./learning-wasm.js";
import { HnswRouterWasm, IntelligentLLMWasm, MicroLoraWasm, SonaInstantWasm } from "./ruvllm-wasm.js";
import { close, init, setTickInterval, versionInfo } from "./session.js";

answerWithPromises([
  EngineObject, TextEmbedderWasm, ModelEncoderWasm, IntelligentLLMWasm, HnswRouterWasm, MicroLoraWasm, SonaInstantWasm,
  WasmMicroLoRA, WasmScopedLoRA, WasmTrajectoryBuffer,
], ["get_input_ptr", "get_output_ptr", "scope_name", "setEncoder"]);

export default init;
export {
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
  StaticEncoderWasm,
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
};
