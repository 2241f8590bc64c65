// Chart.js for the demo, with the page's defaults. build.py vendors its UMD build into
// static/vendor/ from the npm tarball (sha256 pinned); that script defines globalThis.Chart.

import "../vendor/chart.umd.js";

/** The Chart.js constructor. */
export const Chart = /** @type {any} */ (globalThis).Chart;

Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = "system-ui, sans-serif";
