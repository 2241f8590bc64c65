// The engine's functions that belong to no object.

import { BENCHMARK_OPTIONS } from "./constants.js";
import { checkInteger, checkVector, describe } from "./checks.js";
import { camel } from "./connection.js";
import { requireConnection } from "./session.js";

/**
 * Unit-length copy of `vector`, computed by numpy inside the engine.
 * @param {Float32Array} vector
 * @returns {Promise<Float32Array>}
 */
export async function l2Normalize(vector) {
  checkVector(vector, "vector");
  return requireConnection().send("l2_normalize", [vector], vector.length);
}

/**
 * Each starter agent's task types, agents in `STARTER_AGENTS` order.
 * @returns {Promise<Record<string, string[]>>}
 */
export async function starterTaskTypes() {
  return requireConnection().send("starter_task_types", []);
}

/**
 * Run a self-benchmark inside the worker (other calls wait until it ends).
 * "hnsw": build an index of `size` x `dim` clustered vectors, time `queries` searches against numpy
 * brute force, recall@k against the brute-force answers. "lora": p50 of a `dim` MicroLoRA's calls.
 * @param {string} kind "hnsw" or "lora"
 * @param {Record<string, number | undefined>} [options] hnsw: size, dim, queries, k; lora: dim, repeats
 * @returns {Promise<any>} the measurements, camelCase keys
 */
export async function runBenchmark(kind, options = {}) {
  if (!Object.hasOwn(BENCHMARK_OPTIONS, kind)) {
    throw new Error(`unknown benchmark ${JSON.stringify(kind)}; known: ${Object.keys(BENCHMARK_OPTIONS).join(", ")}`);
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`benchmark options must be an object, got ${describe(options)}`);
  }
  const known = BENCHMARK_OPTIONS[kind];
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  for (const [name, value] of given) {
    if (!known.includes(name)) {
      throw new Error(`unknown option ${JSON.stringify(name)} for the ${kind} benchmark; known: ${known.join(", ")}`);
    }
    checkInteger(value, name);
  }
  return camel(await requireConnection().send("run_benchmark", [kind, Object.fromEntries(given)]));
}
