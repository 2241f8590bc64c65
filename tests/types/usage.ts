// The documents' TypeScript examples, with `await` added, against static/ruvllm.d.ts.
import init, {
  IntelligentConfigWasm,
  IntelligentLLMWasm,
  HnswRouterWasm,
  HnswRouterConfigWasm,
  WasmMicroLoRA,
  WasmScopedLoRA,
  WasmTrajectoryBuffer,
  TextEmbedderWasm,
  SentenceEncoderWasm,
  StaticEncoderWasm,
  STARTER_AGENTS,
  starterTaskTypes,
  runBenchmark,
  type ModelLoadInfo,
  type ModelProgress,
  type RoutingResult,
  type StageTimings,
} from "../../static/ruvllm.js";

export async function learningWasmReadme(inputData: Float32Array, embedding: Float32Array): Promise<void> {
  await init();
  const lora = new WasmMicroLoRA(256, 0.1, 0.01);
  const input = new Float32Array(256).fill(0.1);
  const output: Float32Array = await lora.forward_array(input);
  const gradient = new Float32Array(256);
  gradient.fill(0.05);
  await lora.adapt_array(gradient);
  await lora.adapt_with_reward(0.15);
  console.log(`Adaptations: ${await lora.adapt_count()}`, output.length);
  console.log(`Delta norm: ${await lora.delta_norm()}`);

  const memory = lora.get_input_ptr();
  memory.set(inputData);
  await lora.forward();
  const result: Float32Array = lora.get_output_ptr();
  console.log(result[0]);

  const scopedLora = new WasmScopedLoRA(256, 0.1, 0.01);
  const SCAN_OP = 0;
  const JOIN_OP = 2;
  const scanOutput = await scopedLora.forward_array(SCAN_OP, input);
  await scopedLora.adapt_with_reward(JOIN_OP, 0.25);
  const name: string = WasmScopedLoRA.scope_name(SCAN_OP);
  console.log(name, scanOutput.length, `Scan adaptations: ${await scopedLora.adapt_count(SCAN_OP)}`);
  console.log(`Total adaptations: ${await scopedLora.total_adapt_count()}`);

  const buffer = new WasmTrajectoryBuffer(1000, 256);
  await buffer.record(embedding, 2, 5, 45.2, 120.5);
  console.log(`Success rate: ${((await buffer.success_rate()) * 100).toFixed(1)}%`);
  console.log(`Best improvement: ${await buffer.best_improvement()}x`);
  console.log(`Mean improvement: ${await buffer.mean_improvement()}x`);
  console.log(`Best attention mechanism: ${await buffer.best_attention()}`);
  const topTrajectories: number = await buffer.high_quality_count(0.5);
  console.log(topTrajectories);
}

export async function integrationSummary(): Promise<RoutingResult> {
  await init({ onProgress: (p) => console.log(p.stage, p.fraction), persist: "engine" });
  const config = new IntelligentConfigWasm();
  const llm = new IntelligentLLMWasm(config);
  const embedding = new Float32Array(384);
  const output: Float32Array = await llm.process(embedding, "user query", 0.9);
  await llm.learnPattern(embedding, "coder", "code_generation", "implement function", 0.85);
  const stats: { totalPatterns: number } = JSON.parse(await llm.stats());
  console.log(output.length, stats.totalPatterns);
  const copy = await IntelligentLLMWasm.load(await llm.save(), config);
  await copy.restore(await llm.save());
  const router = new HnswRouterWasm(HnswRouterConfigWasm.highRecall());
  await router.addPattern(embedding, "coder", "code_generation");
  return copy.route(embedding);
}

/** The demo page's calls: built-in embedder, starter library, stage timings, self-benchmarks. */
export async function demoPage(request: string): Promise<StageTimings> {
  const info = await init({ persist: "demo", onPersistError: (error: Error) => console.warn(error.message) });
  const enabled: boolean = info.persist?.enabled ?? false;
  const llm = new IntelligentLLMWasm();
  const embedder = new TextEmbedderWasm();
  const dim: number = embedder.dim;
  if (!info.persist?.restored) {
    const added: number = await llm.addStarterLibrary(embedder);
    console.log(`${added} starter patterns of ${STARTER_AGENTS.length} agents`, dim);
    if (enabled) await llm.persist();
  }
  const types: Record<string, string[]> = await starterTaskTypes();
  const first: string = STARTER_AGENTS[0];
  console.log(types[first].join(", "));
  const embedding: Float32Array = await embedder.embed(request);
  await llm.process(embedding, request, 0.8);
  const timings = await llm.lastTimings();
  const total: number = timings.loraUs + timings.routeUs + timings.sonaUs;
  console.log(total <= timings.totalUs);
  const hnsw = await runBenchmark("hnsw", { size: 2000, dim: 128, queries: 100, k: 10 });
  const recall: number = hnsw.recallAtK;
  console.log(recall, hnsw.speedup, hnsw.buildMsPerVector, hnsw.hnswP50Us, hnsw.hnswP99Us, hnsw.bruteP50Us);
  const lora = await runBenchmark("lora", { dim: 256, repeats: 100 });
  console.log(lora.forwardP50Us, lora.forwardIntoP50Us, lora.adaptP50Us, lora.repeats, lora.dim);
  await runBenchmark("lora");
  return timings;
}

/** The README's JavaScript example: an engine that takes text, and the encoder on its own. */
export async function readmeText(): Promise<Float32Array[]> {
  await init({ onProgress: (p) => console.log(p.stage, p.fraction), persist: "my-app" });
  const llm = new IntelligentLLMWasm();
  const encoder = new SentenceEncoderWasm({ onProgress: (p: ModelProgress) => console.log(p.detail, p.fraction) });
  llm.setEncoder(encoder);
  await llm.addPattern("write a python function that parses dates", "coder", "code_generation", "write a function");
  const adapted: Float32Array = await llm.process("implement a helper converting timestamps", "user query", 0.9);
  const route = await llm.lastResult();
  await llm.learnPattern("look over my pull request", "reviewer", "code_review", "review this", 1.0);
  console.log(route?.agent, adapted.length, JSON.parse(await llm.stats()).totalPatterns);
  const added: number = await llm.addStarterLibrary(encoder);
  const info = await encoder.load();
  console.log(added, info.heapBytesAfter - info.heapBytesBefore, info.modelBytes, encoder.dim);
  llm.setEncoder(null);
  const one: Float32Array = await encoder.encode("route this");
  const own = new SentenceEncoderWasm({ modelUrl: new URL("./models/all-MiniLM-L6-v2/", location.href) });
  await own.free();
  return [one, ...(await encoder.encodeBatch(["first text", "second text"]))];
}

/** The static tier: an engine of dim 256 seeded and fed by the table-lookup encoder. */
export async function staticTier(texts: string[]): Promise<Float32Array[]> {
  const config = new IntelligentConfigWasm();
  config.routerConfig().dim = 256;
  const llm = new IntelligentLLMWasm(config);
  const encoder = new StaticEncoderWasm({ onProgress: (p: ModelProgress) => console.log(p.detail, p.fraction) });
  const info: ModelLoadInfo = await encoder.load();
  llm.setEncoder(encoder);
  const added: number = await llm.addStarterLibrary(encoder);
  const route = await llm.route("plan the migration");
  console.log(info.modelBytes, added, route.agent, encoder.dim);
  const one: Float32Array = await encoder.encode(texts[0]);
  const own = new StaticEncoderWasm({ modelUrl: "./models/all-MiniLM-L6-v2/" });
  await own.free();
  return [one, ...(await encoder.encodeBatch(texts))];
}
