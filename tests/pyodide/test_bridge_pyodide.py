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
