// The demo page's script: loads the engine and shows its state.
import init from "./ruvllm.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const started = performance.now();

function show(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

try {
  const info = await init({
    onProgress: ({ fraction, detail }) => {
      $("load-progress").value = fraction;
      $("load-stage").textContent = detail;
    },
  });
  $("v-engine").textContent = info.ruvllm_web;
  $("v-pyodide").textContent = info.pyodide;
  $("v-numpy").textContent = info.numpy;
  $("v-isolated").textContent = info.crossOriginIsolated ? "yes (shared memory available)" : "no";
  $("v-load").textContent = `${Math.round(performance.now() - started)} ms`;
  $("versions").hidden = false;
  show("ready", "ready");
} catch (error) {
  show("failed", `failed: ${error.message}`);
}
