// Run one benchmark program inside Pyodide (Node) from dist/, offline.
//
//   node benchmarks/pyodide_runner.mjs DIST_PYODIDE_DIR BENCH.py [args...]
//
// Loads numpy and the ruvllm_web wheel from the trimmed lock in DIST, then
// runs BENCH.py as __main__ with sys.argv = [BENCH.py, ...args], with dist/models
// (when built) mounted at /models and BENCH.py's folder at /benchmarks, first on sys.path
// as CPython puts a script's folder (so programs share helpers by import). The program's
// stdout is passed through; a Python exception exits with status 1.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, script, ...args] = process.argv.slice(2);
if (!dist || !script) {
  console.error("usage: node pyodide_runner.mjs DIST_PYODIDE_DIR BENCH.py [args...]");
  process.exit(2);
}
const indexURL = resolve(dist) + "/";
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const pyodide = await loadPyodide({ indexURL, stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
const failures = [];
await pyodide.loadPackage(["numpy", "ruvllm_web"], { messageCallback: () => {}, errorCallback: (m) => failures.push(m) });
if (failures.length) {
  console.error(`could not load packages: ${failures.join("; ")}`);
  process.exit(1);
}
// The sentence encoder's weights (dist/models, next to DIST_PYODIDE_DIR) are mounted read-only
// at /models rather than copied into Pyodide's memory file system: ~90 MB read on demand.
const models = resolve(dirname(resolve(dist)), "models");
if (existsSync(models)) {
  pyodide.FS.mkdir("/models");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: models }, "/models");
}
pyodide.FS.mkdir("/benchmarks");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dirname(resolve(script)) }, "/benchmarks");
pyodide.globals.set("bench_source", readFileSync(script, "utf8"));
pyodide.globals.set("bench_argv", pyodide.toPy([basename(script), ...args]));
try {
  pyodide.runPython(`
import sys
sys.argv = list(bench_argv)
sys.path.insert(0, "/benchmarks")
exec(compile(bench_source, sys.argv[0], "exec"), {"__name__": "__main__"})
`);
} catch (error) {
  console.error(String(error.message || error));
  process.exit(1);
}
