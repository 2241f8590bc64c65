"""SentenceEncoder inside real Pyodide: the same ids and vectors as on CPython.

The model folder (~90 MB) is not copied into Pyodide: dist/models is mounted
read-only into its file system with Node's NODEFS, so the wheel under test
reads it as it reads any folder. The expected values are computed on CPython
here, from the committed fixtures, and compared with what Pyodide returns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pytest_pyodide import run_in_pyodide

from ruvllm_web import SentenceEncoder

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dist" / "models"
FIXTURES = ROOT / "tests" / "fixtures" / "encoder"
#: Reference texts encoded in Pyodide: accents, Greek capitals, CJK, Hangul, emoji, punctuation runs,
#: controls, odd whitespace, special-token literals, a word past 100 characters, code; 3 to 48 pieces.
PICKS = [3, 5, 7, 9, 13, 15, 17, 18, 23, 24, 26, 38]


def mount_models(selenium) -> None:
    if not (MODELS / "all-MiniLM-L6-v2" / "model.safetensors").is_file():
        raise pytest.UsageError(f"{MODELS} is missing: run `python build.py dist` (./dev test does) first")
    selenium.run_js(
        f"""
        if (!pyodide.FS.analyzePath("/models").exists) {{
          pyodide.FS.mkdir("/models");
          pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, {{ root: {json.dumps(str(MODELS))} }}, "/models");
        }}
        """
    )


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def encode_in_pyodide(selenium, texts, strings):
    from ruvllm_web import SentenceEncoder
    from ruvllm_web.text.encoder.wordpiece import WordPieceTokenizer

    vectors = SentenceEncoder("/models/all-MiniLM-L6-v2").encode(texts)
    tokenizer = WordPieceTokenizer.from_file("/models/all-MiniLM-L6-v2/vocab.txt")
    return vectors.shape, vectors.dtype.str, vectors.tobytes(), [tokenizer.encode(s, 256) for s in strings]


def test_vectors_and_ids_in_pyodide_equal_cpython(selenium) -> None:
    texts = [json.loads((FIXTURES / "vectors.json").read_text())["texts"][i] for i in PICKS]
    tokenizer = json.loads((FIXTURES / "tokenizer_ids.json").read_text())
    strings, ids = tokenizer["strings"][55::3], tokenizer["ids"][55::3]  # 334 of the random strings
    mount_models(selenium)
    shape, dtype, data, pyodide_ids = encode_in_pyodide(selenium, texts, strings)
    assert tuple(shape) == (len(texts), 384) and dtype == "<f4"
    in_pyodide = np.frombuffer(data, dtype=np.float32).reshape(shape)
    on_cpython = SentenceEncoder(MODELS / "all-MiniLM-L6-v2").encode(texts)
    assert np.abs(in_pyodide - on_cpython).max() <= 1e-5
    reference = np.load(FIXTURES / "vectors.npz")["vectors"][PICKS]
    assert np.abs(in_pyodide - reference).max() <= 1e-4
    assert [list(x) for x in pyodide_ids] == ids
