"""Crafted snapshots inside real Pyodide: refused with a clear error, and the runtime lives on."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_deeply_nested_metadata_is_refused_and_the_runtime_still_works(selenium):
    """Metadata nested 100,000 levels deep (200 KB; a few thousand suffice in a browser worker's
    smaller stack) overflowed the wasm stack inside the JSON parser ("Pyodide has suffered a fatal
    error"); it is refused before parsing, and the runtime goes on working."""
    import json
    import struct
    import zlib

    import numpy as np

    from ruvllm_web import bridge

    depth = 100_000
    metadata = ('{"kind":"IntelligentLLM","meta":' + "[" * depth + "]" * depth + ',"arrays":[]}').encode()
    header = struct.pack("<8sHHIQII", b"RUVLLMW\x00", 1, 0, len(metadata), 0, zlib.crc32(metadata), 0)
    try:
        bridge.load(7001, "IntelligentLLM", header + metadata)
    except ValueError as error:
        assert "nests 100001 levels deep" in str(error), error
    else:
        raise AssertionError("the nested snapshot was accepted")

    bridge.create(7002, "IntelligentLLM", {"config": {"router": {"dim": 8}}})
    try:
        vector = np.linspace(1.0, 2.0, 8, dtype=np.float32)
        bridge.invoke(7002, "add_pattern", vector, "coder", "code")
        out = bridge.invoke(7002, "process", vector, "a request", 0.9)
        assert out.shape == (8,) and np.isfinite(out).all()
        stats = bridge.invoke(7002, "stats")
        assert stats["processed"] == 1 and stats["totalPatterns"] == 1, stats
        json.dumps(stats)  # what the page does with it
        saved = bridge.invoke(7002, "save")
        bridge.load(7003, "IntelligentLLM", saved)
        assert bridge.invoke(7003, "stats")["processed"] == 1
        bridge.free(7003)
    finally:
        bridge.free(7002)
