// The "Keep what it learned" panel: save the engine to a file, load one back, reset it, and the
// persistence setting (stored in localStorage, applied when the page loads).

import { act, byId, setStatus } from "./dom.js";

/** localStorage key of the persistence setting ("off" turns it off; on by default). */
const SETTING = "ruvllm-web-demo.persist";
/**
 * IndexedDB name the demo's engine is kept under, per embedder: each embedder has its own vector
 * space, so an engine learned with one must never be restored to route with the other.
 */
export const PERSIST_NAMES = { lexical: "ruvllm-web-demo", minilm: "ruvllm-web-demo-minilm" };

/**
 * @param {import("./loading.js").EmbedderMode} mode
 * @returns {string | null} the name to persist under, or null when the visitor turned it off
 */
export function persistName(mode) {
  return localStorage.getItem(SETTING) === "off" ? null : PERSIST_NAMES[mode];
}

/**
 * Wire the save / load / reset controls and the persistence checkbox.
 * @param {typeof import("../ruvllm")} lib
 * @param {import("./routing.js").Session} session
 * @param {() => Promise<void>} changed called after the engine was replaced or reset (awaited)
 */
export function setUpEngineFile(lib, session, changed) {
  const status = byId("state-status");
  const panel = byId("state-controls");
  const checkbox = /** @type {HTMLInputElement} */ (byId("persist"));
  const picker = /** @type {HTMLInputElement} */ (byId("load-file"));
  checkbox.checked = localStorage.getItem(SETTING) !== "off";
  checkbox.addEventListener("change", () => {
    localStorage.setItem(SETTING, checkbox.checked ? "on" : "off");
    setStatus(status, "ready", `Keeping it in this browser is now ${checkbox.checked ? "on" : "off"}; this applies when the page is next loaded.`);
  });

  byId("save").addEventListener("click", () => act(panel, status, "saving…", "done", async () => {
    const bytes = await session.llm.save();
    const url = URL.createObjectURL(new Blob([/** @type {BlobPart} */ (bytes)], { type: "application/octet-stream" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "ruvllm-engine.bin";
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    return `Saved ${bytes.length.toLocaleString("en")} bytes as ruvllm-engine.bin.`;
  }));

  picker.addEventListener("change", () => {
    const file = picker.files && picker.files[0];
    if (!file) return;
    act(panel, status, `loading ${file.name}…`, "done", async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const probe = await lib.IntelligentLLMWasm.load(bytes);  // refused here if it is not an engine file
      const dim = probe.dim;
      await probe.free();
      if (dim !== session.embedder.dim) {
        throw new Error(`${file.name} holds a ${dim}-dimensional engine; the page's embedder gives ${session.embedder.dim}`);
      }
      await session.llm.restore(bytes);  // in place: with persistence on, this is now the kept engine
      if (session.persistent) await session.llm.persist();
      session.last = null;
      picker.value = "";
      await changed();
      const stats = JSON.parse(await session.llm.stats());
      return `Loaded ${file.name}: ${stats.totalPatterns} patterns.${session.persistent ? " Saved in this browser." : ""}`;
    });
  });

  byId("reset").addEventListener("click", () => act(panel, status, "resetting…", "done", async () => {
    await session.llm.reset();
    const added = await session.llm.addStarterLibrary(session.embedder);
    if (session.persistent) await session.llm.persist();
    session.last = null;
    await changed();
    return `Reset: everything learned is forgotten; the starter library (${added} patterns) is back.`;
  }));
}
