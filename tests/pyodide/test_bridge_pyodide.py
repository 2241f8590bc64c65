"""The engine's worker bridge inside real Pyodide: versions and a numpy round trip."""

from pytest_pyodide import run_in_pyodide


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
