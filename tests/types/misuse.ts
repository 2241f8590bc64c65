// Calls the types must refuse (this file is expected NOT to type-check).
import { IntelligentLLMWasm, SentenceEncoderWasm, StaticEncoderWasm, WasmMicroLoRA, runBenchmark } from "../../static/ruvllm.js";

export async function misuse(): Promise<void> {
  const llm = new IntelligentLLMWasm();
  await llm.process([1, 2, 3], "query", 0.5);
  const lora = new WasmMicroLoRA("256");
  const n: string = await lora.adapt_count();
  console.log(n);
  await llm.addStarterLibrary(lora);
  await runBenchmark("lora", { size: 1000 });
  const recall: number = (await runBenchmark("lora")).recallAtK;
  console.log(recall);
  const encoder = new SentenceEncoderWasm({ onProgress: "log" });
  const vectors: Float32Array = await encoder.encodeBatch(["a", "b"]);
  llm.setEncoder(lora);
  llm.setEncoder(new StaticEncoderWasm({ modelUrl: 256 }));
  console.log(vectors, await encoder.encode(["a"]));
}
