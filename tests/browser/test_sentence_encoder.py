"""SentenceEncoderWasm in headless Chromium and Firefox: the model fetched from the page's own origin
with progress, CPython's vectors, bad input refused, missing and corrupt files refused, and an
IntelligentLLMWasm that routes and learns from text. One model load per browser: the tests share a page.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ruvllm_web import IntelligentLLM, SentenceEncoder, add_starter_library, held_out_examples
from ruvllm_web.text.encoder.sentence_encoder import REQUIRED_FILES
pytestmark = pytest.mark.both_engines

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "dist" / "models" / "all-MiniLM-L6-v2"
FIXTURE_TEXTS = json.loads((ROOT / "tests" / "fixtures" / "encoder" / "vectors.json").read_text())["texts"]
#: Reference texts: ASCII, accents, Greek capitals, CJK, emoji, code, a word past 100 characters.
PICKS = [0, 1, 3, 5, 7, 13, 23, 38]

LOAD = """
  await init({ tickIntervalMs: 0 });
  const events = [];
  const order = [];
  let meanwhile = null;
  const encoder = new lib.SentenceEncoderWasm({
    onProgress: (p) => {
      events.push(p);
      if (!meanwhile && p.fraction > 0 && p.fraction < 0.5) {  // the weights are still arriving
        meanwhile = lib.l2Normalize(new Float32Array([3, 4])).then(() => order.push("other call"));
      }
      if (p.loaded === p.total && p.detail !== "ready") order.push("all fetched");
    },
  });
  const texts = arguments[1];
  const first = await encoder.encode(texts[0]);  // the first use loads the model
  await meanwhile;
  const again = await encoder.load();
  window.encoder = encoder;
  return {
    events, order, again, first: Array.from(first), isFloat32: first instanceof Float32Array,
    batch: (await encoder.encodeBatch(texts)).map((v) => Array.from(v)), empty: await encoder.encodeBatch([]),
  };
"""


def loaded_page(browser, server, trap, load: str, texts: list[str]) -> Iterator[tuple[object, dict]]:
    """Open the harness page, run `load` there on `texts`; yield the browser and what `load` answered.

    Afterwards, check that the page asked for nothing beyond loopback meanwhile.
    """
    if not (MODEL / "manifest.json").is_file():
        raise pytest.UsageError("dist/models is missing: run `python build.py dist` first")
    before = len(trap.page_requests())
    browser.get(server.url + "test-pages/harness.html")
    yield browser, run(browser, server, load, texts)
    assert trap.page_requests()[before:] == [], "a page asked for something beyond loopback"


@pytest.fixture(scope="module")
def loaded(browser, server, trap) -> Iterator[tuple[object, dict]]:
    """A page whose encoder (`window.encoder`) has loaded the model, and what the load reported."""
    yield from loaded_page(browser, server, trap, LOAD, [FIXTURE_TEXTS[i] for i in PICKS])


RUN_WITH_TEXTS = """
const done = arguments[arguments.length - 1];
(async () => {
  const lib = await import(arguments[0]);
  const { default: init, IntelligentLLMWasm } = lib;
  const failure = async (promise) => {
    try { await promise; return "resolved"; } catch (error) { return `${error.name}: ${error.message}`; }
  };
  /*BODY*/
})().then(done, (error) => done({ error: String((error && error.stack) || error) }));
"""


def run(browser, server, body: str, argument: object = None) -> object:
    """Run `body` in the page as it is (it holds `window.encoder`); `arguments[1]` is `argument`."""
    out = browser.execute_async_script(RUN_WITH_TEXTS.replace("/*BODY*/", body), server.url + "static/ruvllm.js", argument)
    assert not (isinstance(out, dict) and "error" in out), out
    return out


def test_first_use_loads_with_progress_and_gives_cpythons_vectors(loaded) -> None:
    _, out = loaded
    events = out["events"]
    fractions = [event["fraction"] for event in events]
    assert all(event["stage"] == "model" for event in events)
    assert fractions == sorted(fractions) and fractions[-1] == 1 and events[-1]["detail"] == "ready"
    assert len([f for f in fractions if 0 < f < 1]) >= 10, "progress must be reported while the weights arrive"
    assert events[-1]["total"] == out["again"]["modelBytes"]
    assert out["order"] == ["other call", "all fetched"], "calls made while the model downloads must not wait for it"
    texts = [FIXTURE_TEXTS[i] for i in PICKS]
    on_cpython = SentenceEncoder(MODEL).encode(texts)
    assert out["isFloat32"] and len(out["first"]) == 384
    assert np.abs(np.array(out["first"]) - on_cpython[0]).max() <= 1e-5
    assert np.abs(np.array(out["batch"]) - on_cpython).max() <= 1e-5
    assert out["empty"] == []


def test_the_worker_heap_after_the_load_is_within_twice_the_weights(loaded) -> None:
    # The whole heap, Pyodide and numpy included: a WebAssembly heap never shrinks, so this bounds
    # the load's peak too. One copy of the weights lives there; the fetched buffers stay outside.
    _, out = loaded
    info = out["again"]
    weights = (MODEL / "model.safetensors").stat().st_size
    assert info["modelBytes"] >= weights and info["heapBytesBefore"] < info["heapBytesAfter"]
    assert info["heapBytesAfter"] <= 2 * weights, info


#: Bad input to the encoder `window[arguments[1].encoder]`, of the class `arguments[1].cls`.
BAD_INPUT = """
  const encoder = window[arguments[1].encoder];
  const construct = (options) => {
    try { new lib[arguments[1].cls](options); return "constructed"; }
    catch (error) { return `${error.name}: ${error.message}`; }
  };
  const reference = Array.from(await encoder.encode("route this request"));
  const refusals = {
    number: await failure(encoder.encode(42)),
    empty: await failure(encoder.encode("")),
    blank: await failure(encoder.encode(" \\t\\n")),
    oversized: await failure(encoder.encode("x".repeat(5000))),
    batchNotArray: await failure(encoder.encodeBatch("one text")),
    batchItem: await failure(encoder.encodeBatch(["fine", 7])),
    batchEmptyItem: await failure(encoder.encodeBatch(["fine", ""])),
    tooMany: await failure(encoder.encodeBatch(new Array(4097).fill("a text"))),
    options: construct({ onProgress: 3 }),
    modelUrl: construct({ modelUrl: 256 }),
  };
  const after = Array.from(await encoder.encode("route this request"));
  return { refusals, same: after.every((x, i) => x === reference[i]) };
"""


def assert_bad_input_refused(browser, server, encoder: str, cls: str) -> None:
    """The encoder `window[encoder]` refuses BAD_INPUT with clear errors, its vectors unchanged after."""
    out = run(browser, server, BAD_INPUT, {"encoder": encoder, "cls": cls})
    refusals = out["refusals"]
    assert refusals["number"] == "TypeError: text must be a string, got number"
    assert refusals["empty"].startswith("Error: text has nothing to embed")
    assert refusals["blank"].startswith("Error: text has nothing to embed")
    assert refusals["oversized"] == "Error: text has 5000 characters, at most 4096 allowed"
    assert refusals["batchNotArray"] == "TypeError: texts must be an Array of strings, got string"
    assert refusals["batchItem"] == "TypeError: texts[1] must be a string, got number"
    assert refusals["batchEmptyItem"].startswith("Error: texts[1] has nothing to embed")
    assert refusals["tooMany"] == "Error: texts has 4097 items, at most 4096 allowed"
    assert refusals["options"] == "TypeError: onProgress must be a function, got number"
    assert refusals["modelUrl"] == "TypeError: modelUrl must be a string or URL, got number"
    assert out["same"]


def test_bad_input_rejects_with_a_clear_error_and_changes_nothing(loaded, server) -> None:
    browser, _ = loaded
    assert_bad_input_refused(browser, server, "encoder", "SentenceEncoderWasm")


ROUTE_AND_LEARN = """
  const encoder = window.encoder;
  const llm = new IntelligentLLMWasm();
  const noEncoder = await failure(llm.route("fix the bug"));
  llm.setEncoder(encoder);
  await llm.addPattern("write a python function that parses dates", "Coder", "code_generation", "code");
  await llm.addPattern("find papers about protein folding", "Researcher", "research", "papers");
  await llm.addPattern("audit the login form for injection attacks", "Security", "security_audit", "audit");
  // Shares no word with the patterns above.
  const routed = await llm.route("implement a helper method converting timestamps");
  const learned = await llm.learnPattern("compose unit checks covering edge cases", "Tester", "testing", "tests", 0.9);
  const adapted = await llm.process("craft regression checks around corner cases", "ctx", 0.8);
  const afterLearning = await llm.lastResult();
  const stats = JSON.parse(await llm.stats());
  const refusals = {
    empty: await failure(llm.process("", "ctx", 0.8)),
    number: await failure(llm.learnPattern(5, "Coder", "t", "d", 0.5)),
    quality: await failure(llm.learnPattern("a fine text", "Coder", "t", "d", 2)),
    oversized: await failure(llm.route("y".repeat(5000))),
  };
  const unchanged = JSON.parse(await llm.stats());
  const starter = new IntelligentLLMWasm();
  const added = await starter.addStarterLibrary(encoder);  // the vectors build.py computed
  starter.setEncoder(encoder);
  const starterRoutes = [];
  for (const text of arguments[1]) starterRoutes.push((await starter.route(text)).agent);
  return {
    starterRoutes,
    noEncoder, routed, learned, adaptedLength: adapted.length, afterLearning, refusals, added,
    patterns: [stats.totalPatterns, unchanged.totalPatterns], processed: [stats.processed, unchanged.processed],
  };
"""


def test_an_engine_with_an_encoder_routes_and_learns_from_text(loaded, server) -> None:
    browser, _ = loaded
    held_out = [request.text for request in held_out_examples()[:12]]
    out = run(browser, server, ROUTE_AND_LEARN, held_out)
    assert out["noEncoder"].startswith("TypeError: input is a string: give the engine an encoder first")
    assert out["routed"]["agent"] == "Coder"
    assert isinstance(out["learned"], int) and out["adaptedLength"] == 384
    assert out["afterLearning"]["agent"] == "Tester"
    assert out["refusals"]["empty"].startswith("Error: text has nothing to embed")
    assert out["refusals"]["number"] == "TypeError: embedding must be a Float32Array, got number"
    assert out["refusals"]["quality"] == "Error: quality must be in [0, 1], got 2"
    assert out["refusals"]["oversized"] == "Error: input has 5000 characters, at most 4096 allowed"
    assert out["patterns"][0] == out["patterns"][1] == 4 and out["processed"][0] == out["processed"][1]
    assert out["added"] == 482
    # Seeded from the file build.py wrote, the engine routes as CPython's seeded by the encoder itself.
    encoder = SentenceEncoder(MODEL)
    reference = IntelligentLLM()
    add_starter_library(reference, encoder)
    assert out["starterRoutes"] == [reference.route(encoder.encode(text)).agent for text in held_out]


#: The smallest file the encoder reads: the worker fetches it first.
SMALLEST = "sentence_bert_config.json"


@pytest.fixture()
def corrupt_model(server) -> Iterator[str]:
    """dist/test-pages/corrupt-model/: the real manifest, and the first file fetched with one byte changed."""
    sizes = {name: entry["size"] for name, entry in json.loads((MODEL / "manifest.json").read_text())["files"].items()}
    assert min(REQUIRED_FILES, key=sizes.__getitem__) == SMALLEST
    folder = ROOT / "dist" / "test-pages" / "corrupt-model"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MODEL / "manifest.json", folder / "manifest.json")
    data = bytearray((MODEL / SMALLEST).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / SMALLEST).write_bytes(bytes(data))
    yield "corrupt-model/"
    shutil.rmtree(folder)


MISSING_AND_CORRUPT = """
  const missing = new lib.SentenceEncoderWasm({ modelUrl: new URL("no-model/", location.href) });
  const corrupt = new lib.SentenceEncoderWasm({ modelUrl: new URL(arguments[1], location.href) });
  const foreign = new lib.SentenceEncoderWasm({ modelUrl: "http://example.com/models/" });
  return {
    missing: await failure(missing.encode("hello")),
    missingAgain: await failure(missing.encodeBatch(["hello"])),
    corrupt: await failure(corrupt.encode("hello")),
    foreign: await failure(foreign.encode("hello")),
    working: (await window.encoder.encode("hello")).length,
  };
"""


def test_a_missing_or_corrupt_model_rejects_encode_with_a_clear_error(loaded, server, corrupt_model) -> None:
    browser, _ = loaded
    out = run(browser, server, MISSING_AND_CORRUPT, corrupt_model)
    assert out["missing"].startswith("Error: could not fetch the model manifest from ")
    assert "no-model/manifest.json: HTTP 404" in out["missing"]
    assert out["missingAgain"] == out["missing"]  # tried again, refused again
    assert out["corrupt"].startswith(f"Error: {SMALLEST} has sha256 ")
    assert out["corrupt"].endswith("the file is corrupt")
    assert out["foreign"].startswith("Error: the model must come from this page's own origin")
    assert out["working"] == 384
