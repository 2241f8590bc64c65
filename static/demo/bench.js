// The "Benchmarks" panel: HNSW vs brute force and LoRA inside the worker, and the page <-> worker
// round trip of a zero-allocation LoRA forward, as a table and a bar chart.

import { Chart } from "./chart-lib.js";
import { act, byId, fillRows, formatPercent, formatUs } from "./dom.js";

/** LoRA dimension of the LoRA and round-trip benchmarks (the learning-wasm document's default). */
const LORA_DIM = 256;
const ROUND_TRIPS = 300;
const WARM_UP = 30;

/**
 * p-th percentile (nearest rank) of `values`.
 * @param {number[]} values @param {number} p in [0, 100]
 */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Time `await lora.forward()` through the shared views: fill the input view, call, read the output.
 * @param {typeof import("../ruvllm")} lib
 * @returns {Promise<{p50Us: number, p99Us: number, calls: number}>}
 */
async function roundTrip(lib) {
  const lora = new lib.WasmMicroLoRA(LORA_DIM);
  try {
    const input = lora.get_input_ptr();
    const output = lora.get_output_ptr();
    const times = [];
    let sink = 0;
    for (let i = 0; i < WARM_UP + ROUND_TRIPS; i++) {
      for (let j = 0; j < input.length; j++) input[j] = Math.sin(i + j);
      const started = performance.now();
      await lora.forward();
      const elapsed = performance.now() - started;
      sink += output[i % output.length];
      if (i >= WARM_UP) times.push(1000 * elapsed);
    }
    if (!Number.isFinite(sink)) throw new Error("the LoRA forward gave a non-finite output");
    return { p50Us: percentile(times, 50), p99Us: percentile(times, 99), calls: ROUND_TRIPS };
  } finally {
    await lora.free();
  }
}

/**
 * Wire the benchmark controls.
 * @param {typeof import("../ruvllm")} lib
 * @param {number} dim the engine's embedding dimension (the HNSW benchmark's vectors)
 */
export function setUpBench(lib, dim) {
  const sizeSelect = /** @type {HTMLSelectElement} */ (byId("bench-size"));
  const form = byId("bench-form");
  const status = byId("bench-status");
  /** @type {any} */
  let barChart = null;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    const size = Number(sizeSelect.value);
    const busyText = `running: HNSW over ${size.toLocaleString("en")} vectors, then LoRA, then round trips…`;
    const started = performance.now();
    const clock = setInterval(() => {
      const seconds = Math.round((performance.now() - started) / 1000);
      if (status.dataset.state === "busy") status.textContent = `${busyText} ${seconds} s`;
    }, 1000);
    act(form, status, busyText, "done", async () => {
      const hnsw = await lib.runBenchmark("hnsw", { size, dim, queries: 200, k: 10 });
      const lora = await lib.runBenchmark("lora", { dim: LORA_DIM, repeats: 500 });
      const trip = await roundTrip(lib);
      byId("bench-results").hidden = false;
      fillRows(/** @type {HTMLTableSectionElement} */ (byId("bench-rows")), [
        [`HNSW, ${hnsw.size.toLocaleString("en")} × ${hnsw.dim}`, "build, per vector", formatUs(1000 * hnsw.buildMsPerVector)],
        ["", `search p50 / p99 (k = ${hnsw.k})`, `${formatUs(hnsw.hnswP50Us)} / ${formatUs(hnsw.hnswP99Us)}`],
        ["", "brute force p50", formatUs(hnsw.bruteP50Us)],
        ["", "speed-up over brute force", `${hnsw.speedup.toFixed(1)}×`],
        ["", `recall@${hnsw.k}`, formatPercent(hnsw.recallAtK)],
        [`LoRA, ${lora.dim} dims`, "forward_array p50", formatUs(lora.forwardP50Us)],
        ["", "forward_into p50", formatUs(lora.forwardIntoP50Us)],
        ["", "adapt p50", formatUs(lora.adaptP50Us)],
        ["Page ↔ worker", `await forward() p50 / p99 (${trip.calls} calls)`, `${formatUs(trip.p50Us)} / ${formatUs(trip.p99Us)}`],
      ]);
      const bars = {
        "HNSW p50": hnsw.hnswP50Us, "HNSW p99": hnsw.hnswP99Us, "brute force p50": hnsw.bruteP50Us,
        "LoRA forward p50": lora.forwardP50Us, "forward_into p50": lora.forwardIntoP50Us,
        "adapt p50": lora.adaptP50Us, "round trip p50": trip.p50Us, "round trip p99": trip.p99Us,
      };
      barChart ??= new Chart(byId("bench-chart"), {
        type: "bar",
        data: { labels: Object.keys(bars), datasets: [{ label: "µs (log scale)", data: [], backgroundColor: "#1a73e8" }] },
        options: { responsive: true, scales: { y: { type: "logarithmic", title: { display: true, text: "µs" } } } },
      });
      barChart.data.datasets[0].data = Object.values(bars);
      barChart.update();
      byId("bench-chart").setAttribute("aria-label",
        `Benchmark times in microseconds: ${Object.entries(bars).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}.`);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      return `Done in ${seconds} s: HNSW search ${hnsw.speedup.toFixed(1)}× the speed of brute force at ${formatPercent(hnsw.recallAtK)} recall@${hnsw.k}.`;
    }).finally(() => clearInterval(clock));
  });
}
