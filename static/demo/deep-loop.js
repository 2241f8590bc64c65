// The "Run the deep loop now" control of the learning panel: SONA's deep loop (re-cluster,
// merge and prune the pattern library) normally runs after many requests; this runs it at once.

import { act, byId } from "./dom.js";

/**
 * Wire the deep-loop button.
 * @param {import("./routing.js").Session} session
 * @param {() => Promise<void>} changed refreshes counters and charts (awaited)
 */
export function setUpDeepLoop(session, changed) {
  const controls = byId("deep-controls");
  const status = byId("deep-status");
  byId("run-deep").addEventListener("click", () => act(controls, status, "running the deep loop…", "done", async () => {
    const started = performance.now();
    const report = /** @type {{patterns?: number, clusters?: number, merged?: number, pruned?: number}} */ (
      await session.llm.runDeep()
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (session.persistent) await session.llm.persist();
    await changed();
    return `Deep loop done in ${seconds} s: ${report.patterns ?? 0} patterns in ${report.clusters ?? 0} clusters, `
      + `${report.merged ?? 0} merged, ${report.pruned ?? 0} pruned.`;
  }));
}
