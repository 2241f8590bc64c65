"""The client API the demo page uses, in headless Chromium and Firefox: the built-in embedder (same vectors as
CPython), the starter library (same routes as CPython for every held-out request), the agents and
task types, per-stage timings, the self-benchmarks, and refusal of bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ruvllm_web import (
    STARTER_AGENTS,
    IntelligentLLM,
    TextEmbedder,
    add_starter_library,
    held_out_examples,
    starter_task_types,
)

from .test_client import run

pytestmark = pytest.mark.both_engines

TEXTS = (
    "fix the failing login test",
    "Refactor the naïve Straße parser: tests, tests, TESTS!",
    "a",
    "日本語 テキスト 42",
)


@pytest.fixture(scope="module")
def page(browser, server):
    """One harness page whose worker holds `globalThis.demo = {llm, embedder, added}` with the starter library."""
    browser.get(server.url + "test-pages/harness.html")
    run(browser, server, """
      await init({ tickIntervalMs: 0 });  // no background ticks: CPython, compared with, never ticks
      const llm = new lib.IntelligentLLMWasm();
      const embedder = new lib.TextEmbedderWasm();
      const before = await llm.lastTimings();
      globalThis.demo = { llm, embedder, before, added: await llm.addStarterLibrary(embedder) };
      return null;
    """)
    return browser


def test_embed_equals_cpython(page, server) -> None:
    out = run(page, server, f"""
      const embedder = new lib.TextEmbedderWasm(256);
      const texts = {json.dumps(TEXTS)};
      const vectors = [];
      for (const text of texts) vectors.push(Array.from(await embedder.embed(text)));
      return {{ vectors, dim: embedder.dim, defaultDim: globalThis.demo.embedder.dim }};
    """)
    assert out["dim"] == 256 and out["defaultDim"] == 384
    reference = TextEmbedder(256)
    for text, vector in zip(TEXTS, out["vectors"]):
        np.testing.assert_allclose(vector, reference.embed(text), atol=1e-6, rtol=0)


def test_agents_and_task_types_match_python(page, server) -> None:
    out = run(page, server, """
      const types = await lib.starterTaskTypes();
      return { agents: lib.STARTER_AGENTS, frozen: Object.isFrozen(lib.STARTER_AGENTS), types,
               order: Object.keys(types), globalAgents: RuvLLM.STARTER_AGENTS };
    """)
    assert out["agents"] == list(STARTER_AGENTS) == out["globalAgents"] and out["frozen"] is True
    assert out["types"] == starter_task_types()
    assert out["order"] == list(STARTER_AGENTS)  # (the WebDriver answer itself does not keep key order)


def test_starter_library_routes_held_out_requests_like_cpython(page, server) -> None:
    requests = held_out_examples()
    out = run(page, server, f"""
      const {{ llm, embedder, added }} = globalThis.demo;
      const agents = [];
      for (const text of {json.dumps([r.text for r in requests])}) {{
        agents.push((await llm.route(await embedder.embed(text))).agent);
      }}
      return {{ added, agents, patterns: JSON.parse(await llm.stats()).totalPatterns }};
    """)
    engine, embedder = IntelligentLLM(), TextEmbedder()
    assert out["added"] == add_starter_library(engine, embedder) == out["patterns"]
    assert out["agents"] == [engine.route(embedder.embed(r.text)).agent for r in requests]


def test_last_timings_are_zero_before_process_and_positive_after(page, server) -> None:
    out = run(page, server, """
      const { llm, embedder, before } = globalThis.demo;
      await llm.process(await embedder.embed("profile the slow report"), "profile the slow report", 0.9);
      return { before, after: await llm.lastTimings() };
    """)
    keys = {"loraUs", "routeUs", "sonaUs", "totalUs"}
    assert out["before"] == dict.fromkeys(keys, 0.0)
    after = out["after"]
    assert set(after) == keys and after["totalUs"] > 0
    assert all(after[key] >= 0 for key in keys)
    assert after["loraUs"] + after["routeUs"] + after["sonaUs"] <= after["totalUs"] * (1 + 1e-9)


def test_run_benchmark_both_kinds(page, server) -> None:
    out = run(page, server, """
      return {
        hnsw: await lib.runBenchmark("hnsw", { size: 300, dim: 16, queries: 20, k: 5 }),
        lora: await lib.runBenchmark("lora", { dim: 32, repeats: 10 }),
      };
    """)
    hnsw, lora = out["hnsw"], out["lora"]
    assert set(hnsw) == {"size", "dim", "k", "buildMsPerVector", "hnswP50Us", "hnswP99Us", "bruteP50Us", "speedup",
                         "recallAtK"}
    assert (hnsw["size"], hnsw["dim"], hnsw["k"]) == (300, 16, 5)
    assert 0.0 <= hnsw["recallAtK"] <= 1.0 and hnsw["speedup"] > 0
    assert hnsw["buildMsPerVector"] > 0 and 0 < hnsw["hnswP50Us"] <= hnsw["hnswP99Us"] and hnsw["bruteP50Us"] > 0
    assert set(lora) == {"dim", "repeats", "forwardP50Us", "forwardIntoP50Us", "adaptP50Us"}
    assert (lora["dim"], lora["repeats"]) == (32, 10)
    assert all(lora[key] > 0 for key in ("forwardP50Us", "forwardIntoP50Us", "adaptP50Us"))


def test_bad_arguments_are_refused_and_change_nothing(page, server) -> None:
    out = run(page, server, """
      const { llm } = globalThis.demo;
      const patterns = async () => JSON.parse(await llm.stats()).totalPatterns;
      const before = await patterns();
      const embedder = new lib.TextEmbedderWasm();
      const small = new lib.TextEmbedderWasm(64);
      const errors = {
        embedNumber: await failure(embedder.embed(5)),
        embedLong: await failure(embedder.embed("x".repeat(5000))),
        embedEmpty: await failure(embedder.embed("")),
        embedSymbols: await failure(embedder.embed("?!")),
        tinyDim: await failure((async () => new lib.TextEmbedderWasm(1))()),
        floatDim: await failure((async () => new lib.TextEmbedderWasm(3.5))()),
        notEmbedder: await failure(llm.addStarterLibrary(new lib.WasmMicroLoRA(384))),
        wrongDim: await failure(llm.addStarterLibrary(small)),
        kind: await failure(lib.runBenchmark("gpu")),
        options: await failure(lib.runBenchmark("hnsw", [1000])),
        unknownOption: await failure(lib.runBenchmark("lora", { size: 10 })),
        fraction: await failure(lib.runBenchmark("hnsw", { size: 10.5 })),
        tooBig: await failure(lib.runBenchmark("hnsw", { size: 200000 })),
        kAboveSize: await failure(lib.runBenchmark("hnsw", { size: 5, k: 10 })),
        tooManyValues: await failure(lib.runBenchmark("hnsw", { size: 100000, dim: 2048 })),
      };
      return { errors, before, after: await patterns(), stillWorks: (await embedder.embed("ok")).length };
    """)
    errors = out["errors"]
    assert errors["embedNumber"] == "TypeError: text must be a string, got number"
    assert errors["embedLong"] == "Error: text has 5000 characters, at most 4096 allowed"
    assert errors["embedEmpty"] == "Error: text must not be empty"
    assert errors["embedSymbols"] == "Error: text has no letters or digits to embed: '?!'"
    assert errors["tinyDim"] == "Error: dim must be in [2, 65536], got 1"
    assert errors["floatDim"] == "TypeError: dim must be an integer, got 3.5"
    assert errors["notEmbedder"] == (
        "TypeError: embedder must be a TextEmbedderWasm, SentenceEncoderWasm or StaticEncoderWasm, got object"
    )
    assert errors["wrongDim"] == "Error: embedder makes 64-dim vectors, the engine expects 384"
    assert errors["kind"] == 'Error: unknown benchmark "gpu"; known: hnsw, lora'
    assert errors["options"] == "TypeError: benchmark options must be an object, got an Array"
    assert errors["unknownOption"] == 'Error: unknown option "size" for the lora benchmark; known: dim, repeats'
    assert errors["fraction"] == "TypeError: size must be an integer, got 10.5"
    assert errors["tooBig"] == "Error: size must be <= 100000, got 200000"
    assert errors["kAboveSize"] == "Error: k must be <= size, got k=10 and size=5"
    assert errors["tooManyValues"] == "Error: size * dim is 204800000 values, at most 67108864 allowed"
    assert out["after"] == out["before"]
    assert out["stillWorks"] == 384
