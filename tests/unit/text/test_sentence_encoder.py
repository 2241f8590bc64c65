"""SentenceEncoder: all-MiniLM-L6-v2 in numpy gives sentence-transformers' vectors.

The reference vectors (tests/fixtures/encoder/vectors.npz) were made by
sentence-transformers + torch on the CPU (scripts/make_encoder_fixtures.py);
these tests need neither, only the model folder build.py puts in dist/.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from ruvllm_web import HnswRouter, SentenceEncoder, add_starter_library, starter_patterns
from ruvllm_web.text.encoder.bert import gelu
from ruvllm_web.text.encoder.safetensors import parse_safetensors
from ruvllm_web.text.encoder.folder import MAX_TEXT_CHARS

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "dist" / "models" / "all-MiniLM-L6-v2"
FIXTURES = ROOT / "tests" / "fixtures" / "encoder"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    if not (MODEL / "model.safetensors").is_file():
        raise pytest.UsageError(f"{MODEL} is missing: run `python build.py dist` (./dev test does) first")
    return SentenceEncoder(MODEL)


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    texts = json.loads((FIXTURES / "vectors.json").read_text())["texts"]
    vectors = np.load(FIXTURES / "vectors.npz")["vectors"]
    assert vectors.shape == (len(texts), 384) and len(texts) >= 50
    return texts, vectors


@pytest.fixture(scope="module")
def encoded(encoder: SentenceEncoder, reference: tuple[list[str], np.ndarray]) -> np.ndarray:
    return encoder.encode(reference[0])


def test_vectors_equal_the_reference(encoded: np.ndarray, reference: tuple[list[str], np.ndarray]) -> None:
    texts, vectors = reference
    assert encoded.shape == (len(texts), 384) and encoded.dtype == np.float32
    error = np.abs(encoded - vectors).max(axis=1)
    assert error.max() <= 1e-4, f"max abs diff {error.max():.2e} for {texts[int(error.argmax())]!r}"


def test_vectors_have_unit_length(encoded: np.ndarray) -> None:
    norms = np.linalg.norm(encoded.astype(np.float64), axis=1)
    assert np.abs(norms - 1.0).max() < 1e-6


def test_the_reference_texts_include_texts_past_256_pieces(
    encoder: SentenceEncoder, reference: tuple[list[str], np.ndarray]
) -> None:
    lengths = [len(encoder.tokenize(text)) for text in reference[0]]
    assert max(lengths) == 256 and sum(length == 256 for length in lengths) >= 2


def test_batch_equals_one_by_one(
    encoder: SentenceEncoder, reference: tuple[list[str], np.ndarray], encoded: np.ndarray
) -> None:
    picks = [0, 3, 7, 13, 17, 24, 26, 36]  # 3 to 48 pieces, so the batch pads some to others' length
    for index in picks:
        single = encoder.encode(reference[0][index])
        assert single.shape == (384,) and single.dtype == np.float32
        assert np.abs(single - encoded[index]).max() < 1e-6
    pair = encoder.encode((reference[0][26], reference[0][0]))
    assert np.abs(pair - encoded[[26, 0]]).max() < 1e-6


def test_text_past_max_tokens_is_cut_not_refused(
    encoder: SentenceEncoder, reference: tuple[list[str], np.ndarray]
) -> None:
    """Text 52 has 400 word pieces: what follows the first 254 changes nothing, as in the reference."""
    long = reference[0][52]
    assert encoder.max_tokens == 256 and len(encoder.tokenize(long)) == 256
    longer = encoder.encode(long + " and a different ending that the cut drops")
    assert np.abs(longer - reference[1][52]).max() <= 1e-4


def test_an_empty_list_gives_no_rows(encoder: SentenceEncoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.parametrize("text", ["", "   ", "\x00\x07\u200b\n\t"])
def test_a_text_with_nothing_to_embed_is_refused(encoder: SentenceEncoder, text: str) -> None:
    with pytest.raises(ValueError, match="text has nothing to embed"):
        encoder.encode(text)
    with pytest.raises(ValueError, match=r"texts\[1\] has nothing to embed"):
        encoder.encode(["fine", text])


@pytest.mark.parametrize("value", [None, 42, b"bytes", {"a": 1}, np.array(["x"])])
def test_wrong_types_are_refused(encoder: SentenceEncoder, value: object) -> None:
    with pytest.raises(TypeError, match="str"):
        encoder.encode(value)  # type: ignore[arg-type]


def test_a_non_string_item_is_refused_by_index(encoder: SentenceEncoder) -> None:
    with pytest.raises(TypeError, match=r"texts\[2\] must be a string, got int"):
        encoder.encode(["a", "b", 3])  # type: ignore[list-item]


def test_oversized_text_is_refused(encoder: SentenceEncoder) -> None:
    assert len(encoder.tokenize("a " * (MAX_TEXT_CHARS // 2))) == 256
    with pytest.raises(ValueError, match=f"at most {MAX_TEXT_CHARS} allowed"):
        encoder.encode("a" * (MAX_TEXT_CHARS + 1))


def test_bad_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="path must be a str or path-like"):
        SentenceEncoder(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a folder"):
        SentenceEncoder(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="lacks config.json, vocab.txt, model.safetensors"):
        SentenceEncoder(tmp_path)


def test_a_folder_of_another_kind_of_model_is_refused(tmp_path: Path) -> None:
    if not MODEL.is_dir():
        pytest.skip("needs the model folder")
    for name in ("config.json", "vocab.txt", "tokenizer_config.json", "sentence_bert_config.json"):
        shutil.copyfile(MODEL / name, tmp_path / name)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", 2) + b"{}")  # well-formed, no tensors
    pooling = {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    with pytest.raises(ValueError, match="only mean pooling"):
        SentenceEncoder(tmp_path)
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    config = json.loads((MODEL / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "hidden_act": "gelu_new"}))
    with pytest.raises(ValueError, match="only 'gelu'"):
        SentenceEncoder(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="lack tensor 'embeddings.word_embeddings.weight'"):
        SentenceEncoder(tmp_path)


def safetensors_bytes(header: dict[str, object], data: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


def test_safetensors_reader_reads_tensors_as_views() -> None:
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    b = np.array([-1.5, 2.0], dtype="<f2")
    header = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "b": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
    }
    tensors = parse_safetensors(safetensors_bytes(header, a.tobytes() + b.tobytes()))
    assert sorted(tensors) == ["a", "b"]
    assert np.array_equal(tensors["a"], a) and np.array_equal(tensors["b"], b)
    assert not tensors["a"].flags.writeable


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x00", "shorter than its 8-byte header length"),
        (struct.pack("<Q", 1000) + b"{}", "header length 1000 exceeds the file"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
        (struct.pack("<Q", 3) + b"{x}", "not JSON"),
        (safetensors_bytes({"t": {"dtype": "Q8", "shape": [1], "data_offsets": [0, 1]}}, b"\x00"), "dtype 'Q8'"),
        (safetensors_bytes({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\x00" * 4), "outside"),
        (safetensors_bytes({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\x00" * 8), "do not hold"),
        (safetensors_bytes({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4), "shape"),
        (safetensors_bytes({"t": {"dtype": "F32"}}, b""), "needs dtype, shape and data_offsets"),
    ],
)
def test_safetensors_reader_refuses_malformed_files(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_safetensors(data)


def test_gelu_is_the_exact_gelu_to_float32_rounding() -> None:
    x = np.concatenate([np.linspace(-12.0, 12.0, 480_001), [0.0, -0.0, 1e-30, 40.0, -40.0, 3e38, -3e38]])
    x = x.astype(np.float32)
    exact = np.array([0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in x.astype(np.float64)])
    result = gelu(x)
    assert result.dtype == np.float32
    assert (np.abs(result.astype(np.float64) - exact) <= 2.5e-7 * np.maximum(1.0, np.abs(exact))).all()


def test_the_starter_library_can_be_seeded_with_the_encoder(encoder: SentenceEncoder) -> None:
    router = HnswRouter()
    assert add_starter_library(router, encoder) == len(starter_patterns())
    records = router.patterns()
    for index in (0, 241, len(records) - 1):
        expected = encoder.encode(starter_patterns()[index].text)
        assert np.abs(router.pattern_embedding(records[index].id) - expected).max() < 1e-6
