// The "Learning" panel: live Chart.js charts of the engine's statistics.

import { Chart } from "./chart-lib.js";
import { byId, formatPercent } from "./dom.js";

/** Time-series charts keep this many points. */
const MAX_POINTS = 120;
/** Upper bounds (µs) of the latency histogram's bins; the last bin is open. */
const LATENCY_BINS_US = [250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
const COLORS = ["#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025", "#12b5cb", "#f9ab00", "#5f6368"];

/** @param {number} us */
function binLabel(us) {
  return us < 1000 ? `${us} µs` : `${us / 1000} ms`;
}

/** @param {number} us @returns {number} the histogram bin of a latency */
function binOf(us) {
  const index = LATENCY_BINS_US.findIndex((bound) => us < bound);
  return index === -1 ? LATENCY_BINS_US.length : index;
}

/**
 * One chart on the canvas with this id; the canvas's aria-label is kept as a text summary.
 * @param {string} id @param {string} type @param {string[]} series dataset labels
 * @param {object} [options] Chart.js options
 */
function chart(id, type, series, options = {}) {
  const canvas = /** @type {HTMLCanvasElement} */ (byId(id));
  return new Chart(canvas, {
    type,
    data: {
      labels: [],
      datasets: series.map((label, i) => ({
        label, data: [], borderColor: COLORS[i], backgroundColor: COLORS[i], pointRadius: 2, borderWidth: 2,
      })),
    },
    options: { responsive: true, plugins: { legend: { display: series.length > 1 } }, ...options },
  });
}

/** The six charts of the learning panel and the history behind the time series. */
export class LearningCharts {
  constructor() {
    this.started = performance.now();
    this.latency = chart("chart-latency", "bar", ["engine process()", "whole request (page)"], {
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "requests" } } },
    });
    const last = LATENCY_BINS_US[LATENCY_BINS_US.length - 1];
    this.latency.data.labels = [...LATENCY_BINS_US.map((b) => `< ${binLabel(b)}`), `≥ ${binLabel(last)}`];
    for (const dataset of this.latency.data.datasets) dataset.data = this.latency.data.labels.map(() => 0);
    this.quality = chart("chart-quality", "line", ["quality EMA"], { scales: { y: { min: 0, max: 1 } } });
    this.hitRate = chart("chart-hit-rate", "line", ["hit rate"], { scales: { y: { min: 0, max: 1 } } });
    this.delta = chart("chart-delta", "line", ["instant adapter", "base adapter"], {
      scales: { y: { beginAtZero: true, ticks: { callback: (/** @type {number} */ value) => (value === 0 ? "0" : Number(value).toExponential(1)) } } },
    });
    this.loops = chart("chart-loops", "bar", ["runs"], { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
    this.loops.data.labels = ["instant", "background", "deep"];
    this.agents = chart("chart-agents", "bar", ["patterns"], { indexAxis: "y", scales: { x: { beginAtZero: true } } });
  }

  /**
   * Count one routed request in the latency histogram.
   * @param {{engineUs: number, pageUs: number}} cost
   */
  recordLatency(cost) {
    const [engine, page] = this.latency.data.datasets;
    engine.data[binOf(cost.engineUs)]++;
    page.data[binOf(cost.pageUs)]++;
    this.latency.update();
    const total = engine.data.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0);
    describe(this.latency, `Latency histogram of ${total} routed requests.`);
  }

  /**
   * Add a point to the time series and redraw everything from the engine's statistics.
   * @param {any} stats parsed `llm.stats()` (the engine's snake_case keys inside)
   */
  update(stats) {
    const label = `${Math.round((performance.now() - this.started) / 1000)} s`;
    const { router, sona, lora } = stats;
    push(this.quality, label, [sona.quality_ema]);
    describe(this.quality, `Quality EMA over time, now ${sona.quality_ema.toFixed(3)}.`);
    push(this.hitRate, label, [router.hit_rate]);
    describe(this.hitRate, `Hit rate over time, now ${formatPercent(router.hit_rate)} of ${router.queries} routes.`);
    push(this.delta, label, [lora.instant_delta_norm, lora.base_delta_norm]);
    describe(this.delta, `LoRA delta norm over time, now ${lora.instant_delta_norm.toExponential(2)} (instant) and ${lora.base_delta_norm.toExponential(2)} (base).`);
    const loops = [sona.instant.updates, sona.background.ticks, sona.deep.runs];
    this.loops.data.datasets[0].data = loops;
    this.loops.update();
    describe(this.loops, `SONA loop runs: instant ${loops[0]}, background ${loops[1]}, deep ${loops[2]}.`);
    const perAgent = Object.entries(router.patterns_per_agent);
    this.agents.data.labels = perAgent.map(([agent]) => agent);
    this.agents.data.datasets[0].data = perAgent.map(([, count]) => count);
    this.agents.update();
    describe(this.agents, `Patterns per agent: ${perAgent.map(([a, n]) => `${a} ${n}`).join(", ")}.`);
  }
}

/**
 * Append one point (one value per dataset) to a time series, dropping the oldest beyond MAX_POINTS.
 * @param {any} target a Chart.js chart @param {string} label @param {number[]} values
 */
function push(target, label, values) {
  target.data.labels.push(label);
  values.forEach((value, i) => target.data.datasets[i].data.push(value));
  if (target.data.labels.length > MAX_POINTS) {
    target.data.labels.shift();
    for (const dataset of target.data.datasets) dataset.data.shift();
  }
  target.update();
}

/**
 * Keep a chart's canvas described for screen readers.
 * @param {any} target a Chart.js chart @param {string} text
 */
function describe(target, text) {
  target.canvas.setAttribute("aria-label", text);
}
