"""The JS client's assembly: the ES modules of ``static/client/`` into ``static/ruvllm.js`` and
``static/ruvllm.global.js``, with the constants generated from Python's values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from buildsys.pins import MODEL_NAME
from buildsys.step import ROOT, BuildError

# The client's source is ES modules of one job each in static/client/ (index.js lists the public
# names). build.py assembles them into the two files pages load: static/ruvllm.js, an ES module,
# and static/ruvllm.global.js, a classic script defining the global `RuvLLM` (one file cannot be
# both: `export` is a syntax error in a classic script, `import.meta` one outside a module).
#
# No bundler: the modules keep to a small form that plain concatenation preserves, and
# parse_client_module refuses anything else, naming the file. Imports are `import { a, b } from
# "./name.js";` of this folder only (no renaming, no default, no side-effect imports); exports
# are `export` before a top-level function, class, const or let, and in the entry only,
# `export default name;` and one `export { a, b };` list. Concatenated in dependency order (the
# order in which ES modules run), with the import lines dropped and `export ` cut, the modules
# share one scope, which is what their imports bound together: a top-level name may therefore be
# declared in one module only, and imports may not form a cycle. Both are checked (a top-level
# declaration is one at the start of a line, where the modules' style puts those and only those).
# A bundler would do the same for these files and bring a dependency tree with it.

#: The client's modules, and the entry whose exports are the public names.
CLIENT_DIR = ROOT / "static" / "client"
CLIENT_ENTRY = "index.js"
#: The module build.py generates from Python's values (see client_constants_module); it is never
#: a file of CLIENT_DIR, where constants.d.ts gives tsc its types.
CLIENT_CONSTANTS = "constants.js"
#: The function (of some client module) that sets the URL the worker and the model are resolved
#: against; the global form also offers it as `RuvLLM.setBaseUrl`.
CLIENT_BASE_URL_SETTER = "setBaseUrl"
#: Where place_model puts the sentence encoder's files, relative to dist/.
MODEL_FOLDER = f"models/{MODEL_NAME}/"

_IMPORT = re.compile(r'^import \{([^}]*)\} from "\./([\w.-]+\.js)";[ \t]*\n(?:[ \t]*\n)*', re.MULTILINE)
_EXPORTED = re.compile(r"^export ((?:async )?(?:function\*?|class|const|let) +(\w+))", re.MULTILINE)
_DECLARED = re.compile(r"^(?:async )?(?:function\*?|class|const|let|var) +(\w+)", re.MULTILINE)
_EXPORT_DEFAULT = re.compile(r"^export default (\w+);[ \t]*\n", re.MULTILINE)
_EXPORT_LIST = re.compile(r"^export \{([^}]*)\};[ \t]*\n", re.MULTILINE)
_STRAY = re.compile(r"^(?:import|export)\b.*", re.MULTILINE)


@dataclass
class ClientModule:
    """One client module, parsed for assembly.

    Attributes
    ----------
    name : str
        Its file name in CLIENT_DIR.
    imports : dict
        Module name -> the names imported from it.
    exports : list of str
        The names it exports by declaration.
    declared : list of str
        Every top-level name it declares (its exports among them).
    body : str
        Its text without the import lines and export syntax.
    default : str or None
        ``export default NAME;`` (the entry only).
    public : list of str
        The ``export { ... };`` list (the entry only).
    """

    name: str
    imports: dict[str, list[str]]
    exports: list[str]
    declared: list[str]
    body: str
    default: str | None = None
    public: list[str] = field(default_factory=list)


def _names(listed: str) -> list[str]:
    """The names of ``a, b,\\n c`` (an import or export list)."""
    return [name.strip() for name in listed.split(",") if name.strip()]


def parse_client_module(name: str, text: str, entry: bool = False) -> ClientModule:
    """Parse one client module; see the section comment for the form it must keep.

    Raises
    ------
    BuildError
        For an import or export outside that form, naming the file and the line.
    """
    imports: dict[str, list[str]] = {}
    for match in _IMPORT.finditer(text):
        listed = _names(match.group(1))
        if any(not item.isidentifier() for item in listed):
            raise BuildError(f"static/client/{name}: imports only plain names (no `as`): {match.group(0).strip()}")
        imports.setdefault(match.group(2), []).extend(listed)
    body = _IMPORT.sub("", text)
    exports = [match.group(2) for match in _EXPORTED.finditer(body)]
    body = _EXPORTED.sub(r"\1", body)
    default, public = None, []
    if entry:
        defaults = _EXPORT_DEFAULT.findall(body)
        lists = _EXPORT_LIST.findall(body)
        if len(defaults) > 1 or len(lists) > 1:
            raise BuildError(f"static/client/{name}: the entry has one `export default` and one `export {{...}}` list")
        default = defaults[0] if defaults else None
        public = _names(lists[0]) if lists else []
        body = _EXPORT_LIST.sub("", _EXPORT_DEFAULT.sub("", body))
    stray = _STRAY.search(body)
    if stray:
        where = "outside the entry" if not entry else "of a form build.py does not assemble"
        raise BuildError(f"static/client/{name}: an import or export {where}: {stray.group(0).strip()}")
    declared = _DECLARED.findall(body)
    return ClientModule(name, imports, exports, declared, body.strip("\n") + "\n", default, public)


def skip_client_sources(folder: str, names: list[str]) -> list[str]:
    """``shutil.copytree``'s ignore function that leaves CLIENT_DIR out (its modules are assembled)."""
    return [CLIENT_DIR.name] if Path(folder) == CLIENT_DIR.parent else []


def client_constants_module(constants: dict[str, object]) -> str:
    """The text of CLIENT_CONSTANTS: one frozen ``export const`` per entry of ``constants``."""

    def frozen(value: object) -> str:
        if isinstance(value, dict):
            items = ", ".join(f"{json.dumps(key)}: {frozen(item)}" for key, item in value.items())
            return f"Object.freeze({{ {items} }})"
        if isinstance(value, (list, tuple)):
            return f"Object.freeze([{', '.join(frozen(item) for item in value)}])"
        return json.dumps(value)

    lines = [f"export const {name} = {frozen(value)};" for name, value in constants.items()]
    return "// Generated by build.py from Python's values (client_constants): do not edit.\n" + "\n".join(lines) + "\n"


def client_constants() -> dict[str, object]:
    """What CLIENT_CONSTANTS holds: ``ruvllm_web.bridge.client_constants()`` and MODEL_FOLDER."""
    from ruvllm_web.bridge import client_constants as engine_constants

    return {**engine_constants(), "MODEL_FOLDER": MODEL_FOLDER}


def client_modules(folder: Path, constants: dict[str, object]) -> list[ClientModule]:
    """The modules the entry of ``folder`` needs, each after the modules it imports.

    Raises
    ------
    BuildError
        If a module is missing, imports a name its module does not export, takes part in an
        import cycle, or declares a top-level name another module declares too.
    """
    parsed: dict[str, ClientModule] = {}
    order: list[ClientModule] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in visiting:
            raise BuildError(f"static/client: the imports form a cycle: {' -> '.join([*visiting[visiting.index(name):], name])}")
        if name in parsed:
            return
        if name == CLIENT_CONSTANTS:
            text = client_constants_module(constants)
        elif (folder / name).is_file():
            text = (folder / name).read_text()
        else:
            raise BuildError(f"static/client/{visiting[-1]} imports ./{name}, which does not exist")
        module = parse_client_module(name, text, entry=name == CLIENT_ENTRY)
        visiting.append(name)
        for source in module.imports:
            visit(source)
        visiting.pop()
        for source, names in module.imports.items():
            missing = sorted(set(names) - set(parsed[source].exports))
            if missing:
                raise BuildError(f"static/client/{name} imports {', '.join(missing)} from ./{source}, which does not export it")
        parsed[name] = module
        order.append(module)

    visit(CLIENT_ENTRY)
    owners: dict[str, str] = {}
    for module in order:
        for declared in module.declared:
            if declared in owners:
                raise BuildError(
                    f"static/client: {declared} is declared by both {owners[declared]} and {module.name}; "
                    "assembled, the modules share one scope"
                )
            owners[declared] = module.name
    if CLIENT_BASE_URL_SETTER not in owners:
        raise BuildError(f"static/client: no module declares {CLIENT_BASE_URL_SETTER}")
    return order


def assemble_client(folder: Path, constants: dict[str, object]) -> dict[str, str]:
    """The client's two files from the modules of ``folder``: file name -> text.

    Both are the modules in order, then the definition of the global ``RuvLLM`` (the entry's
    public names and CLIENT_BASE_URL_SETTER): ``ruvllm.global.js`` inside a function, and
    ``ruvllm.js`` followed by the entry's exports (importing it defines the global too, as it
    always has). Each resolves the worker against its own URL.
    """
    modules = client_modules(folder, constants)
    entry = modules[-1]
    code = "\n".join(f"// ---- static/client/{module.name}\n\n{module.body}" for module in modules)
    public = ",\n  ".join(entry.public)
    define = f"globalThis.RuvLLM = {{\n  {public},\n  {CLIENT_BASE_URL_SETTER},\n}};\n"
    default = f"export default {entry.default};\n" if entry.default else ""
    module_form = (
        "// ruvllm-web client library, ES module form, assembled by build.py from static/client/ (edit those).\n"
        "//\n"
        '//   import init, { IntelligentLLMWasm, WasmMicroLoRA } from "./static/ruvllm.js";\n'
        "//   await init({ onProgress: (p) => console.log(p.stage, p.fraction) });\n"
        "//\n"
        "// ruvllm.global.js beside it is the same library for a classic <script> tag (the global `RuvLLM`).\n\n"
        f"{code}\n// ---- build.py\n\n{CLIENT_BASE_URL_SETTER}(import.meta.url);\n{define}\n"
        f"{default}export {{\n  {public},\n}};\n"
    )
    script_form = (
        "// ruvllm-web client library, classic-script form, assembled by build.py from static/client/ (edit those).\n"
        "//\n"
        '//   <script src="static/ruvllm.global.js"></script>\n'
        "//   <script> await RuvLLM.init(); const llm = new RuvLLM.IntelligentLLMWasm(); </script>\n"
        "//\n"
        '// ruvllm.js beside it is the same library as an ES module (`import init, {...} from "./static/ruvllm.js"`).\n\n'
        '(function () {\n"use strict";\n\n'
        f"{code}\n// ---- build.py\n\n"
        'if (typeof document !== "undefined" && document.currentScript) {\n'
        f"  {CLIENT_BASE_URL_SETTER}(document.currentScript.src);\n}}\n{define}}})();\n"
    )
    return {"ruvllm.js": module_form, "ruvllm.global.js": script_form}
