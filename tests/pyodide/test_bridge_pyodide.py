"""The engine's worker bridge inside real Pyodide: versions, a numpy round trip, text through the encoder."""

import json

import numpy as np
from pytest_pyodide import run_in_pyodide

from ruvllm_web import SentenceEncoder
from tests.pyodide.test_sentence_encoder_pyodide import FIXTURES, MODELS, PICKS, mount_models


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_engine_runs_in_pyodide(selenium):
    import sys

    import numpy as np

    from ruvllm_web import __version__, bridge

    info = bridge.version_info()
    assert info["platform"] == "emscripten", info
    assert info["ruvllm_web"] == __version__
    assert info["numpy"] == "2.0.2"
    assert sys.version_info[:2] == (3, 12)
    out = bridge.l2_normalize(np.array([3.0, 4.0], dtype=np.float32))
    assert out.dtype == np.float32 and np.allclose(out, [0.6, 0.8])


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_bad_input_is_refused_in_pyodide(selenium):
    from ruvllm_web import bridge

    for bad, kind in (([0.0, 0.0], ValueError), ("text", TypeError), ([1.0, float("nan")], ValueError)):
        try:
            bridge.l2_normalize(bad)
        except kind:
            continue
        raise AssertionError(f"{bad!r} was accepted")


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_worker_forward_path_allocates_nothing_per_call(selenium):
    """The calls worker.js makes for `await lora.forward()` on the shared-memory path:
    the arena slice is copied into a scratch array made once, then forward_buffers."""
    import tracemalloc

    import numpy as np

    from ruvllm_web import bridge

    handle = 9001
    bridge.create(handle, "MicroLoRA", {"dim": 256})
    try:
        scratch = bridge.scratch_vector(256)
        scratch[:] = np.sin(np.arange(256, dtype=np.float32))
        for _ in range(10):
            out = bridge.forward_buffers(handle, scratch)
        tracemalloc.start()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(2000):
            assert bridge.forward_buffers(handle, scratch) is out  # the adapter's own output buffer
        end, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert end - start <= 64, end - start
        assert peak - start < 16384, peak - start  # transient workspace of one call, not 2000
    finally:
        bridge.free(handle)


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def route_text_in_pyodide(selenium, texts):
    from ruvllm_web import bridge

    bridge.create(1, "SentenceEncoder", {"path": "/models/all-MiniLM-L6-v2"})
    bridge.create(2, "IntelligentLLM", None)
    try:
        bridge.invoke_text(2, 1, "add_pattern", "write a python function that parses dates", "Coder", "code")
        bridge.invoke_text(2, 1, "add_pattern", "find papers about protein folding", "Researcher", "research")
        agent = bridge.invoke_text(2, 1, "route", "implement a helper method converting timestamps")["agent"]
        saved = bridge.invoke(2, "save")
        try:
            bridge.invoke_text(2, 1, "process", "", "ctx", 0.9)
            refused = None
        except ValueError as error:
            refused = str(error)
        return agent, refused, bridge.invoke(2, "save") == saved, bridge.encode_texts(1, texts).tobytes()
    finally:
        bridge.free(1)
        bridge.free(2)


def test_the_bridge_routes_text_in_pyodide(selenium) -> None:
    # The calls worker.js makes for an IntelligentLLMWasm given text: same vectors as CPython.
    texts = [json.loads((FIXTURES / "vectors.json").read_text())["texts"][i] for i in PICKS[:4]]
    mount_models(selenium)
    agent, refused, unchanged, data = route_text_in_pyodide(selenium, texts)
    assert agent == "Coder"
    assert refused.startswith("text has nothing to embed") and unchanged
    flat = np.frombuffer(data, dtype=np.float32)
    on_cpython = SentenceEncoder(MODELS / "all-MiniLM-L6-v2").encode(texts).reshape(-1)
    assert np.abs(flat - on_cpython).max() <= 1e-5
