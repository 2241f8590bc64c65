"""StaticEncoder inside real Pyodide: the same vectors as on CPython, from the same table.

dist/models is mounted into Pyodide's file system as for the sentence encoder's test; the
expected vectors are computed here on CPython.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pytest_pyodide import run_in_pyodide
from test_sentence_encoder_pyodide import mount_models

from ruvllm_web import StaticEncoder, starter_patterns

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "dist" / "models" / "all-MiniLM-L6-v2"
FIXTURES = ROOT / "tests" / "fixtures" / "encoder"


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def encode_in_pyodide(selenium, texts):
    from ruvllm_web import StaticEncoder

    vectors = StaticEncoder("/models/all-MiniLM-L6-v2").encode(texts)
    return vectors.shape, vectors.dtype.str, vectors.tobytes()


def test_vectors_in_pyodide_equal_cpython(selenium) -> None:
    """The 55 reference texts (accents, CJK, emoji, long texts) and the 482 starter texts, in one batch."""
    texts = json.loads((FIXTURES / "vectors.json").read_text())["texts"] + [p.text for p in starter_patterns()]
    mount_models(selenium)
    shape, dtype, data = encode_in_pyodide(selenium, texts)
    assert tuple(shape) == (len(texts), 256) and dtype == "<f4"
    in_pyodide = np.frombuffer(data, dtype=np.float32).reshape(shape)
    assert np.abs(in_pyodide - StaticEncoder(MODEL).encode(texts)).max() <= 1e-6
