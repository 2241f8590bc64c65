"""StaticEncoderWasm in headless Chromium and Firefox: only the tokenizer's files and the static token
table fetched from the page's own origin (never the weights), CPython's vectors, a batch equal to
its texts one by one, bad input refused, and an engine of dim 256 that takes text while one of 384
refuses the encoder. One table load per browser: the tests share a page.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ruvllm_web import IntelligentConfig, IntelligentLLM, RouterConfig, StaticEncoder, add_starter_library
from ruvllm_web import held_out_examples, starter_patterns
from ruvllm_web.text.static_encoder import STATIC_FILES
from ruvllm_web.validation import MAX_TEXT_LENGTH

from .test_sentence_encoder import FIXTURE_TEXTS, MODEL, assert_bad_input_refused, loaded_page, run

#: The reference texts a page may give (accents, CJK, emoji, code, control characters...).
TEXTS = [text for text in FIXTURE_TEXTS if len(text) <= MAX_TEXT_LENGTH]

pytestmark = pytest.mark.both_engines

#: Where the test pages live in dist/ (conftest copies them there).
ROOT_PAGES = Path(__file__).resolve().parents[2] / "dist" / "test-pages"
#: Texts of the batch test: the starter library's and the fixture's, numbered, past a thousand.
BATCH = [f"{text} #{i}" for i, text in enumerate([p.text for p in starter_patterns()] * 2 + TEXTS)]

LOAD = """
  await init({ tickIntervalMs: 0 });
  const events = [];
  const encoder = new lib.StaticEncoderWasm({ onProgress: (p) => events.push(p) });
  const texts = arguments[1];
  const first = await encoder.encode(texts[0]);  // the first use loads the table
  const info = await encoder.load();
  window.staticEncoder = encoder;
  return {
    events, info, dim: encoder.dim, first: Array.from(first), isFloat32: first instanceof Float32Array,
    batch: (await encoder.encodeBatch(texts)).map((v) => Array.from(v)), empty: await encoder.encodeBatch([]),
  };
"""


@pytest.fixture(scope="module")
def loaded(browser, server, trap) -> Iterator[tuple[object, dict]]:
    """A page whose static encoder (`window.staticEncoder`) has loaded the table, and what the load reported."""
    yield from loaded_page(browser, server, trap, LOAD, TEXTS)


def test_the_table_loads_with_progress_and_gives_cpythons_vectors(loaded) -> None:
    _, out = loaded
    events = out["events"]
    fractions = [event["fraction"] for event in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1 and events[-1]["detail"] == "ready"
    assert len([f for f in fractions if 0 < f < 1]) >= 10, "progress must be reported while the table arrives"
    # The bytes fetched are exactly the files the static encoder reads: the weights never come.
    pins = json.loads((MODEL / "manifest.json").read_text())["files"]
    assert events[-1]["total"] == out["info"]["modelBytes"] == sum(pins[name]["size"] for name in STATIC_FILES)
    assert out["info"]["modelBytes"] < pins["model.safetensors"]["size"] / 5
    on_cpython = StaticEncoder(MODEL).encode(TEXTS)
    assert out["dim"] == 256 and out["isFloat32"] and len(out["first"]) == 256
    assert np.abs(np.array(out["first"]) - on_cpython[0]).max() <= 1e-6
    assert np.abs(np.array(out["batch"]) - on_cpython).max() <= 1e-6
    assert out["empty"] == []


@pytest.fixture()
def table_only_model() -> Iterator[str]:
    """dist/test-pages/table-only-model/: the real manifest and only the files a StaticEncoder reads."""
    folder = ROOT_PAGES / "table-only-model"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", *STATIC_FILES):
        shutil.copyfile(MODEL / name, folder / name)
    yield "table-only-model/"
    shutil.rmtree(folder)

TABLE_ONLY = """
  const encoder = new lib.StaticEncoderWasm({ modelUrl: new URL(arguments[1], location.href) });
  const vector = Array.from(await encoder.encode("route this request"));
  const reference = Array.from(await window.staticEncoder.encode("route this request"));
  await encoder.free();
  return { same: vector.every((x, i) => x === reference[i]), freed: await failure(encoder.encode("again")) };
"""


def test_a_folder_without_the_weights_is_enough(loaded, server, table_only_model) -> None:
    browser, _ = loaded
    out = run(browser, server, TABLE_ONLY, table_only_model)
    assert out["same"]
    assert out["freed"].startswith("Error: ")


BATCH_VERSUS_ONE_BY_ONE = """
  const encoder = window.staticEncoder;
  const texts = arguments[1];
  const batch = await encoder.encodeBatch(texts);
  const single = await Promise.all(texts.map((text) => encoder.encode(text)));
  const differing = batch.filter((v, i) => v.length !== 256 || v.some((x, j) => x !== single[i][j])).length;
  return { count: batch.length, differing, some: [0, 500, texts.length - 1].map((i) => Array.from(batch[i])) };
"""


def test_a_batch_of_a_thousand_texts_equals_them_one_by_one(loaded, server) -> None:
    browser, _ = loaded
    out = run(browser, server, BATCH_VERSUS_ONE_BY_ONE, BATCH)
    assert len(BATCH) > 1000 and out["count"] == len(BATCH) and out["differing"] == 0
    on_cpython = StaticEncoder(MODEL).encode([BATCH[0], BATCH[500], BATCH[-1]])
    assert np.abs(np.array(out["some"]) - on_cpython).max() <= 1e-6


def test_bad_input_rejects_as_the_sentence_encoder_does_and_changes_nothing(loaded, server) -> None:
    browser, _ = loaded
    assert_bad_input_refused(browser, server, "staticEncoder", "StaticEncoderWasm")


ENGINES = """
  const encoder = window.staticEncoder;
  const wide = new IntelligentLLMWasm();
  const refusals = {
    setEncoder: (() => { try { wide.setEncoder(encoder); return "accepted"; }
                         catch (error) { return `${error.name}: ${error.message}`; } })(),
    starter: await failure(wide.addStarterLibrary(encoder)),
    notAnEncoder: (() => { try { wide.setEncoder({ dim: 384 }); return "accepted"; }
                           catch (error) { return `${error.name}: ${error.message}`; } })(),
  };
  const wideStats = JSON.parse(await wide.stats());
  const config = new lib.IntelligentConfigWasm();
  config.routerConfig().dim = 256;
  const llm = new IntelligentLLMWasm(config);
  llm.setEncoder(encoder);
  const added = await llm.addStarterLibrary(encoder);
  const routes = [];
  for (const text of arguments[1]) routes.push((await llm.route(text)).agent);
  const adapted = await llm.process("craft regression checks around corner cases", "ctx", 0.8);
  const emptyText = await failure(llm.process("", "ctx", 0.8));
  const stats = JSON.parse(await llm.stats());
  return { refusals, widePatterns: wideStats.totalPatterns, added, routes, adaptedLength: adapted.length,
           emptyText, patterns: stats.totalPatterns, processed: stats.processed };
"""


def test_an_engine_of_dim_256_takes_the_encoder_and_one_of_384_refuses_it(loaded, server) -> None:
    browser, _ = loaded
    held_out = [request.text for request in held_out_examples()[:12]]
    out = run(browser, server, ENGINES, held_out)
    refusals = out["refusals"]
    assert refusals["setEncoder"] == "Error: embedder makes 256-dim vectors, the engine expects 384"
    assert refusals["starter"] == "Error: embedder makes 256-dim vectors, the engine expects 384"
    assert refusals["notAnEncoder"] == (
        "TypeError: encoder must be a SentenceEncoderWasm, StaticEncoderWasm or null, got object"
    )
    assert out["widePatterns"] == 0
    assert out["added"] == len(starter_patterns()) == out["patterns"]
    assert out["adaptedLength"] == 256 and out["processed"] == 1
    assert out["emptyText"].startswith("Error: text has nothing to embed")
    encoder = StaticEncoder(MODEL)
    reference = IntelligentLLM(IntelligentConfig(router=RouterConfig(dim=256)))
    add_starter_library(reference, encoder)
    assert out["routes"] == [reference.route(encoder.encode(text)).agent for text in held_out]
