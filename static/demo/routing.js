// The "Route a request" panel: embed the typed text, route it through the engine, show the
// decision with its alternatives, nearest patterns, stage timings and the embedder that routed it,
// and take feedback (given to the engine that routed that request).

import { act, byId, fillList, fillOptions, fillRows, formatPercent, formatUs, setStatus } from "./dom.js";

/**
 * @typedef {object} Session the engine in use (Load restores a file into `llm` in place) and what the page tracks
 * @property {import("../ruvllm").IntelligentLLMWasm} llm
 * @property {import("../ruvllm").TextEmbedderWasm | import("../ruvllm").SentenceEncoderWasm} embedder
 * @property {string} embedderLabel names the embedder routing now, as the result panel shows it
 * @property {Record<string, string[]>} taskTypes
 * @property {boolean} persistent whether `llm` is kept in this browser
 * @property {{text: string, x: Float32Array, agent: string | null, llm: Session["llm"], persistent: boolean} | null} last
 *   the last routed request, and the engine that routed it
 * @property {{routed: number, good: number, wrong: number, corrected: number}} counters
 */


/**
 * @typedef {object} RouteEvent what a routed request cost
 * @property {number} engineUs the engine's whole process() call
 * @property {number} pageUs embed + process + results, as the page saw it
 */

/**
 * Wire the route form and the feedback controls.
 * @param {Session} session
 * @param {{routed: (event: RouteEvent) => Promise<void>, learned: () => Promise<void>}} on called after each
 *   route / feedback; the status says it is done once these have updated the counters and charts
 */
export function setUpRouting(session, on) {
  const form = /** @type {HTMLFormElement} */ (byId("route-form"));
  const input = /** @type {HTMLInputElement} */ (byId("request"));
  const status = byId("route-status");
  const agentSelect = /** @type {HTMLSelectElement} */ (byId("fb-agent"));
  const taskSelect = /** @type {HTMLSelectElement} */ (byId("fb-task"));
  const feedback = /** @type {HTMLFieldSetElement} */ (byId("feedback"));
  const feedbackStatus = byId("feedback-status");

  fillOptions(agentSelect, Object.keys(session.taskTypes));
  const showTasks = () => fillOptions(taskSelect, session.taskTypes[agentSelect.value] || []);
  agentSelect.addEventListener("change", showTasks);
  showTasks();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    act(form, status, "routing…", "routed", async () => {
      const result = await route(session, text);
      feedback.disabled = result.agent === null;
      const other = [...(result.alternatives || []).map((a) => a.agent), ...Object.keys(session.taskTypes)]
        .find((agent) => agent !== result.agent);
      if (other) {
        agentSelect.value = other;
        showTasks();
      }
      setStatus(feedbackStatus, "waiting", result.agent === null ? "" : "Was this route right?");
      await on.routed(result.cost);
      return describeRoute(result);
    });
  });

  /**
   * @param {string} label
   * @param {(last: NonNullable<Session["last"]>) => Promise<string>} learn feedback on the last routed request
   */
  const give = (label, learn) => {
    const last = session.last;
    if (!last) return;
    act(feedback, feedbackStatus, `${label}…`, "learned", async () => {
      const said = await learn(last);
      feedback.disabled = true; // one piece of feedback per routed request
      input.focus();
      if (last.persistent) await last.llm.persist();
      await on.learned();
      return `${said}${last.persistent ? " Saved in this browser." : ""}`;
    });
  };
  byId("fb-good").addEventListener("click", () => give("recording", async ({ x, agent, llm }) => {
    await llm.adapt(x, 1);
    await llm.recordOutcome(true);
    session.counters.good++;
    return `Recorded: ${agent} was right.`;
  }));
  byId("fb-wrong").addEventListener("click", () => give("recording", async ({ x, agent, llm }) => {
    await llm.adapt(x, 0);
    await llm.recordOutcome(false);
    session.counters.wrong++;
    return `Recorded: ${agent} was wrong.`;
  }));
  byId("fb-correct").addEventListener("click", () => give("learning", async ({ x, text, llm }) => {
    await llm.recordOutcome(false);
    await llm.learnPattern(x, agentSelect.value, taskSelect.value, text, 1.0);
    session.counters.corrected++;
    return `Learned: requests like this one go to ${agentSelect.value} (${taskSelect.value}).`;
  }));
}

/**
 * Embed and route `text` with the session's engine (no learning), and show the decision.
 * @param {Session} session
 * @param {string} text
 * @returns {Promise<import("../ruvllm").RoutingResult & {cost: RouteEvent}>}
 */
async function route(session, text) {
  const { llm, embedder, embedderLabel, persistent } = session;  // the engine routing now, kept for feedback
  const started = performance.now();
  const x = await ("encode" in embedder ? embedder.encode(text) : embedder.embed(text));
  const embedded = performance.now();
  await llm.process(x, text);
  const [result, timings] = await Promise.all([llm.lastResult(), llm.lastTimings()]);
  if (result === null) throw new Error("the engine kept no routing result for this request");
  const pageUs = 1000 * (performance.now() - started);
  session.last = { text, x, agent: result.agent, llm, persistent };
  session.counters.routed++;
  showRoute(text, result);
  byId("r-embedder").textContent = embedderLabel;
  fillRows(/** @type {HTMLTableSectionElement} */ (byId("r-timings")), [
    ["embed (in the page's call)", formatUs(1000 * (embedded - started))],
    ["LoRA", formatUs(timings.loraUs)],
    ["route", formatUs(timings.routeUs)],
    ["SONA", formatUs(timings.sonaUs)],
    ["whole process() in the engine", formatUs(timings.totalUs)],
    ["request, as the page saw it", formatUs(pageUs)],
  ]);
  return Object.assign(result, { cost: { engineUs: timings.totalUs, pageUs } });
}

/**
 * @param {string} text
 * @param {import("../ruvllm").RoutingResult} result
 */
function showRoute(text, result) {
  byId("route-result").hidden = false;
  byId("r-request").textContent = text;
  byId("r-agent").textContent = result.agent ?? "(no patterns to vote)";
  byId("r-task").textContent = result.taskType ?? "—";
  byId("r-confidence").textContent = formatPercent(result.confidence);
  /** @type {HTMLMeterElement} */ (byId("r-confidence-meter")).value = result.confidence;
  const alternatives = result.alternatives.map((a) => `${a.agent}: ${formatPercent(a.share)}`);
  fillList(byId("r-alternatives"), alternatives.length ? alternatives : ["none"]);
  fillRows(/** @type {HTMLTableSectionElement} */ (byId("r-neighbors")), result.neighbors.map((n) => [
    `#${n.patternId}`, n.agent, n.taskType, n.similarity.toFixed(3), n.description,
  ]));
}

/** @param {import("../ruvllm").RoutingResult} result */
function describeRoute(result) {
  if (result.agent === null) return "The engine has no patterns to route with.";
  return `Routed to ${result.agent} (${result.taskType}), confidence ${formatPercent(result.confidence)}.`;
}
