"""build.py assembles the JS client from the modules of static/client/: both forms expose the public names
of static/ruvllm.d.ts, the constants come from Python, and modules that concatenation would not keep
apart are refused with the file named."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from buildsys.client import (  # noqa: E402
    CLIENT_BASE_URL_SETTER,
    CLIENT_DIR,
    MODEL_FOLDER,
    assemble_client,
    client_constants,
    client_constants_module,
)
from buildsys.pins import MODEL_NAME  # noqa: E402
from buildsys.step import BuildError  # noqa: E402
from ruvllm_web import bridge  # noqa: E402

NODE = shutil.which("node")
#: Prints, as JSON, the exports of the ES module argv[1] and the global RuvLLM that the classic
#: script argv[2] defines, each name with its kind, and the ES module's constants argv[3] (if any).
PROBE = r"""
const fs = require("fs");
const vm = require("vm");
const { pathToFileURL } = require("url");
const describe = (lib) => Object.fromEntries(Object.entries(lib).map(([name, value]) => [name, typeof value]));
(async () => {
  const module = await import(pathToFileURL(process.argv[1]).href);
  const context = vm.createContext({});
  vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context);
  const constants = process.argv[3] ? { ...(await import(pathToFileURL(process.argv[3]).href)) } : null;
  const frozen = constants && Object.values(constants).every((value) => typeof value !== "object" || Object.isFrozen(value));
  process.stdout.write(JSON.stringify({
    module: describe(module), global: describe(context.RuvLLM), constants, frozen,
    sameDefault: module.default === module.init,
  }));
})();
"""


def node(*args: str) -> dict:
    if NODE is None:
        raise pytest.UsageError("node is missing: the client's tests run the library in Node")
    result = subprocess.run([NODE, "-e", PROBE, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("client")
    for name, text in assemble_client(CLIENT_DIR, client_constants()).items():
        (folder / name.replace(".js", ".mjs" if name == "ruvllm.js" else ".js")).write_text(text)
    (folder / "constants.mjs").write_text(client_constants_module(client_constants()))
    return node(str(folder / "ruvllm.mjs"), str(folder / "ruvllm.global.js"), str(folder / "constants.mjs"))


def test_both_forms_expose_the_public_names_of_the_typings(probed: dict) -> None:
    typings = (ROOT / "static" / "ruvllm.d.ts").read_text()
    declared = set(re.findall(r"^export (?:declare )?(?:default )?(?:function|class|const) (\w+)", typings, re.M))
    assert "IntelligentLLMWasm" in declared and "STARTER_AGENTS" in declared and "init" in declared
    assert set(probed["module"]) == declared | {"default"} and probed["sameDefault"]
    assert set(probed["global"]) == declared | {CLIENT_BASE_URL_SETTER}
    kinds = {name: kind for name, kind in probed["module"].items() if name != "default"}
    assert kinds == {name: kind for name, kind in probed["global"].items() if name != CLIENT_BASE_URL_SETTER}


def test_the_constants_module_holds_pythons_values(probed: dict) -> None:
    assert probed["constants"] == {**bridge.client_constants(), "MODEL_FOLDER": f"models/{MODEL_NAME}/"}
    assert probed["frozen"]


def test_dist_holds_the_assembled_client_and_not_its_sources() -> None:
    static = ROOT / "dist" / "static"
    if not (static / "ruvllm.js").is_file():
        raise pytest.UsageError("dist/ is missing: run `python build.py dist` (./dev test does) first")
    for name, text in assemble_client(CLIENT_DIR, client_constants()).items():
        assert (static / name).read_text() == text
    assert not (static / "client").exists()
    assert (ROOT / "dist" / MODEL_FOLDER / "manifest.json").is_file()  # where the client looks for it


def write_modules(folder: Path, modules: dict[str, str]) -> Path:
    base = {
        "index.js": 'import { init } from "./session.js";\nexport default init;\nexport { init };\n',
        "session.js": "export function init() {}\nexport function setBaseUrl(url) {}\n",
    }
    for name, text in {**base, **modules}.items():
        (folder / name).write_text(text)
    return folder


def test_a_minimal_client_assembles(tmp_path: Path) -> None:
    forms = assemble_client(write_modules(tmp_path, {}), {})
    assert 'export default init;\nexport {\n  init,\n};\n' in forms["ruvllm.js"]
    for form in forms.values():  # importing the ES module defines the global too
        assert "globalThis.RuvLLM = {\n  init,\n  setBaseUrl,\n};" in form
    assert not re.search(r"^(?:import|export)\b", forms["ruvllm.global.js"], re.MULTILINE)


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ({"session.js": 'import { a } from "./a.js";\nexport function init() {}\nexport function setBaseUrl() {}\n',
          "a.js": 'import { init } from "./session.js";\nexport const a = 1;\n'},
         "the imports form a cycle: session.js -> a.js -> session.js"),
        ({"session.js": 'import { a } from "./a.js";\nexport function init() {}\nexport function setBaseUrl() {}\n'
                        "function helper() {}\n",
          "a.js": "export const a = 1;\nfunction helper() {}\n"},
         "helper is declared by both a.js and session.js"),
        ({"index.js": 'import { init, close } from "./session.js";\nexport { init };\n'},
         "static/client/index.js imports close from ./session.js, which does not export it"),
        ({"index.js": 'import { init } from "./missing.js";\nexport { init };\n'},
         "static/client/index.js imports ./missing.js, which does not exist"),
        ({"index.js": 'import { init as start } from "./session.js";\nexport { start };\n'},
         "static/client/index.js: imports only plain names (no `as`)"),
        ({"index.js": 'import init from "./session.js";\nexport { init };\n'},
         "static/client/index.js: an import or export of a form build.py does not assemble: import init from"),
        ({"session.js": "export function init() {}\nexport function setBaseUrl() {}\nexport { init as start };\n"},
         "static/client/session.js: an import or export outside the entry: export { init as start };"),
        ({"session.js": "export function init() {}\n"}, "no module declares setBaseUrl"),
    ],
)
def test_modules_that_concatenation_would_change_are_refused(tmp_path: Path, modules: dict, message: str) -> None:
    with pytest.raises(BuildError) as refused:
        assemble_client(write_modules(tmp_path, modules), {})
    assert message in str(refused.value)
