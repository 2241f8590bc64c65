// ruvllm-web client library, ES module form.
//
//   import init, { l2Normalize } from "./static/ruvllm.js";
//   await init({ onProgress: (p) => console.log(p.stage, p.fraction) });
//
// The library itself lives in ruvllm.global.js (also usable from a classic
// <script> tag as the global `RuvLLM`); this module loads it and re-exports it.

import "./ruvllm.global.js";

const lib = globalThis.RuvLLM;
lib.setBaseUrl(import.meta.url);

export default lib.init;
export const { init, close, versionInfo, l2Normalize } = lib;
