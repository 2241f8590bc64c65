"""The demo's routing path inside real Pyodide: built-in embedder + starter library + IntelligentLLM.route
gives the same agent as CPython for every held-out request; the bridge's demo calls work there too."""

from pytest_pyodide import run_in_pyodide

from ruvllm_web import IntelligentLLM, TextEmbedder, add_starter_library, held_out_examples


def cpython_routes() -> list[str | None]:
    """The agent CPython's engine routes each held-out request to, after seeding the starter library."""
    engine, embedder = IntelligentLLM(), TextEmbedder()
    add_starter_library(engine, embedder)
    return [engine.route(embedder.embed(r.text)).agent for r in held_out_examples()]


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def routes_in_pyodide(selenium, expected):
    from ruvllm_web import IntelligentLLM, TextEmbedder, add_starter_library, held_out_examples, starter_patterns

    engine, embedder = IntelligentLLM(), TextEmbedder()
    assert add_starter_library(engine, embedder) == len(starter_patterns())
    agents = [engine.route(embedder.embed(r.text)).agent for r in held_out_examples()]
    differing = [(r.text, a, e) for r, a, e in zip(held_out_examples(), agents, expected) if a != e]
    assert not differing, differing


def test_held_out_routes_match_cpython(selenium) -> None:
    routes_in_pyodide(selenium, cpython_routes())


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_demo_bridge_calls_in_pyodide(selenium):
    import numpy as np

    from ruvllm_web import STARTER_AGENTS, bridge

    bridge.create(1, "TextEmbedder", {"dim": 384})
    bridge.create(2, "IntelligentLLM", None)
    assert bridge.add_starter_library(2, 1) > 0
    vector = bridge.invoke(1, "embed", "profile the slow nightly job")
    bridge.invoke(2, "process", vector, "profile the slow nightly job", 0.9)
    timings = bridge.invoke(2, "last_timings")
    assert timings["total_us"] >= timings["lora_us"] + timings["route_us"] + timings["sona_us"] > 0
    assert list(bridge.starter_task_types()) == list(STARTER_AGENTS)
    hnsw = bridge.run_benchmark("hnsw", {"size": 200, "dim": 16, "queries": 10, "k": 5})
    assert 0.0 <= hnsw["recall_at_k"] <= 1.0 and hnsw["speedup"] > 0 and np.isfinite(hnsw["hnsw_p50_us"])
    lora = bridge.run_benchmark("lora", {"dim": 32, "repeats": 5})
    assert lora["forward_p50_us"] > 0 and lora["adapt_p50_us"] > 0
