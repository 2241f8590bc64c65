"""StaticEncoder: the static token table distilled from all-MiniLM-L6-v2, and the vectors it gives.

The table is the one build.py puts in dist/ (distilled once, cached). These tests check its
definition (the mean of the word pieces' rows, unit length), the errors, and a quality floor
against the full model: on the committed reference texts and on the starter library's held-out
requests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ruvllm_web import (
    STARTER_AGENTS,
    IntelligentConfig,
    IntelligentLLM,
    SentenceEncoder,
    StaticEncoder,
    add_starter_library,
    held_out_examples,
    starter_patterns,
)
from ruvllm_web.text.distill import DISTILL_VERSION, PCA_DIMS, principal_components, sif_weights
from ruvllm_web.text.encoder.safetensors import read_safetensors, safetensors_bytes
from ruvllm_web.text.encoder.folder import MAX_TEXT_CHARS
from ruvllm_web.text.static_encoder import STATIC_FILES, STATIC_TABLE, TABLE_TENSOR

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "dist" / "models" / "all-MiniLM-L6-v2"
FIXTURES = ROOT / "tests" / "fixtures" / "encoder"


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    if not (MODEL / STATIC_TABLE).is_file():
        raise pytest.UsageError(f"{MODEL / STATIC_TABLE} is missing: run `python build.py dist` (./dev test does)")
    return StaticEncoder(MODEL)


@pytest.fixture(scope="module")
def full(encoder: StaticEncoder) -> SentenceEncoder:
    return SentenceEncoder(MODEL)


@pytest.fixture(scope="module")
def table() -> np.ndarray:
    return read_safetensors(MODEL / STATIC_TABLE)[TABLE_TENSOR].astype(np.float64)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation of two equally long 1-D arrays (no ties among float similarities)."""
    ranks = [np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64) for x in (a, b)]
    return float(np.corrcoef(*ranks)[0, 1])


def knn_agents(similarity: np.ndarray, labels: np.ndarray, k: int = 7) -> np.ndarray:
    """Similarity-weighted vote of each row's k most similar labelled columns (as bench_embedder)."""
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    votes = np.zeros((similarity.shape[0], len(STARTER_AGENTS)))
    weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0.0)
    np.add.at(votes, (np.arange(similarity.shape[0])[:, None], labels[nearest]), weights)
    return votes.argmax(axis=1)


def test_a_text_is_the_unit_mean_of_its_pieces_rows(encoder: StaticEncoder, table: np.ndarray) -> None:
    texts = json.loads((FIXTURES / "vectors.json").read_text())["texts"]
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), PCA_DIMS) == (len(texts), encoder.dim) and vectors.dtype == np.float32
    for text, vector in zip(texts, vectors):
        mean = table[encoder.tokenize(text)].mean(axis=0)
        np.testing.assert_allclose(vector, mean / np.linalg.norm(mean), atol=1e-6)
        np.testing.assert_array_equal(encoder.encode(text), vector)
    assert np.abs(np.linalg.norm(vectors.astype(np.float64), axis=1) - 1.0).max() < 1e-6


def test_the_pieces_are_the_sentence_encoders_without_unknown_ones(
    encoder: StaticEncoder, full: SentenceEncoder
) -> None:
    text = "Refactor the naïve Straße parser 😀 tests, 東京!"
    pieces = full.tokenize(text)[1:-1]
    unknown = full.tokenize("😀")[1]
    assert unknown in pieces and encoder.tokenize(text) == [piece for piece in pieces if piece != unknown]
    np.testing.assert_array_equal(encoder.encode("😀 fix the login"), encoder.encode("fix the login"))
    assert encoder.tokenize("😀 😀") == [unknown, unknown]  # nothing else: the [UNK] row, not an error
    long = "word " * 1000
    assert len(encoder.tokenize(long)) == encoder.max_tokens - 2 == 254
    np.testing.assert_array_equal(encoder.encode(long), encoder.encode("word " * 254))


@pytest.mark.parametrize("texts", [[], ()])
def test_an_empty_batch_gives_no_rows(encoder: StaticEncoder, texts) -> None:
    assert encoder.encode(texts).shape == (0, 256)


@pytest.mark.parametrize(
    "texts, error, message",
    [
        (7, TypeError, "texts must be a str or a list of str, got int"),
        (b"bytes", TypeError, "texts must be a str or a list of str, got bytes"),
        (["fine", None], TypeError, r"texts\[1\] must be a string, got NoneType"),
        ("", ValueError, "text has nothing to embed"),
        (["fine", " \t\n\x00"], ValueError, r"texts\[1\] has nothing to embed"),
        ("x" * (MAX_TEXT_CHARS + 1), ValueError, f"text has {MAX_TEXT_CHARS + 1} characters, at most {MAX_TEXT_CHARS}"),
    ],
)
def test_bad_texts_are_refused(encoder: StaticEncoder, texts, error, message) -> None:
    with pytest.raises(error, match=message):
        encoder.encode(texts)


def model_copy(tmp_path: Path, table: np.ndarray | None) -> Path:
    """A model folder with the tokenizer files and ``table`` as the static table (none if None)."""
    folder = tmp_path / "model"
    folder.mkdir()
    for name in STATIC_FILES[:-1]:
        shutil.copyfile(MODEL / name, folder / name)
    if table is not None:
        (folder / STATIC_TABLE).write_bytes(safetensors_bytes({TABLE_TENSOR: table}, {}))
    return folder


def test_rows_that_cancel_are_refused(tmp_path: Path) -> None:
    vocab = (MODEL / "vocab.txt").read_text(encoding="utf-8").split("\n")
    table = np.zeros((30522, 4), dtype=np.float16)
    table[vocab.index("up")] = [1, 2, 0, 0]
    table[vocab.index("down")] = [-1, -2, 0, 0]
    encoder = StaticEncoder(model_copy(tmp_path, table))
    assert encoder.dim == 4 and encoder.encode("up").tolist() == pytest.approx([0.4472136, 0.8944272, 0, 0])
    with pytest.raises(ValueError, match=r"texts\[1\]'s word pieces' table rows sum to zero"):
        encoder.encode(["up", "up down"])


@pytest.mark.parametrize(
    "table, message",
    [
        (None, f"lacks {STATIC_TABLE}"),
        (np.zeros((30521, 8), dtype=np.float16), r"has shape \[30521, 8\], expected \[30522, dim\]"),
        (np.zeros(30522, dtype=np.float16), r"has shape \[30522\], expected"),
        (np.full((30522, 2), np.inf, dtype=np.float32), "holds a non-finite value"),
    ],
)
def test_a_bad_table_is_refused(tmp_path: Path, table, message) -> None:
    with pytest.raises(ValueError, match=message):
        StaticEncoder(model_copy(tmp_path, table))


def test_a_table_file_without_the_tensor_is_refused(tmp_path: Path) -> None:
    folder = model_copy(tmp_path, None)
    (folder / STATIC_TABLE).write_bytes(safetensors_bytes({"other": np.zeros((2, 2), np.float32)}, {}))
    with pytest.raises(ValueError, match=f"holds no tensor '{TABLE_TENSOR}'"):
        StaticEncoder(folder)


@pytest.mark.parametrize("path, error", [(3, TypeError), ("/no/such/folder", ValueError)])
def test_a_bad_path_is_refused(path, error) -> None:
    with pytest.raises(error):
        StaticEncoder(path)


def test_the_table_records_its_source_and_version() -> None:
    data = (MODEL / STATIC_TABLE).read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    assert header[TABLE_TENSOR]["dtype"] == "F16" and header[TABLE_TENSOR]["shape"] == [30522, PCA_DIMS]
    metadata = header["__metadata__"]
    assert metadata["distill_version"] == str(DISTILL_VERSION)
    assert metadata["model_sha256"] == hashlib.sha256((MODEL / "model.safetensors").read_bytes()).hexdigest()
    assert metadata["vocab_sha256"] == hashlib.sha256((MODEL / "vocab.txt").read_bytes()).hexdigest()


def test_placeholder_tokens_have_zero_rows_and_the_rest_do_not(table: np.ndarray) -> None:
    vocab = (MODEL / "vocab.txt").read_text(encoding="utf-8").split("\n")[:30522]
    unused = np.array([token.startswith("[unused") for token in vocab])
    norms = np.linalg.norm(table, axis=1)
    assert unused.sum() == 994 and (norms[unused] == 0).all() and (norms[~unused] > 0).all()


def test_principal_components_are_ordered_signed_and_lossless_at_full_width() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * [5.0, 0.1, 3.0, 1.0, 0.5] + 7.0
    projected = principal_components(x, 5)
    assert np.allclose(projected.mean(axis=0), 0.0, atol=1e-12)
    variances = projected.var(axis=0)
    assert (np.diff(variances) < 0).all()
    covariance = projected.T @ projected
    assert np.allclose(covariance - np.diag(np.diag(covariance)), 0.0, atol=1e-9)  # uncorrelated components
    axes = np.linalg.lstsq(x - x.mean(axis=0), projected, rcond=None)[0]  # the W of (x - mu) W
    assert np.allclose(axes.T @ axes, np.eye(5), atol=1e-9)
    assert (axes[np.abs(axes).argmax(axis=0), np.arange(5)] > 0).all()
    np.testing.assert_allclose(principal_components(x, 2), projected[:, :2])


def test_sif_weights_damp_the_frequent_ranks() -> None:
    weights = sif_weights(3)
    probability = np.array([1 / 2, 1 / 3, 1 / 4]) / (1 / 2 + 1 / 3 + 1 / 4)
    np.testing.assert_allclose(weights, 1e-4 / (1e-4 + probability))
    assert (np.diff(sif_weights(30000)) > 0).all() and 0 < sif_weights(30000).min() < sif_weights(30000).max() < 1


def test_similarities_follow_the_full_models_on_the_reference_texts(encoder: StaticEncoder) -> None:
    """The floor is below the distilled table's 0.43 rank correlation (texts chosen to be hard: accents,
    CJK, emoji, punctuation runs); a table that ignored the model scores about 0."""
    texts = json.loads((FIXTURES / "vectors.json").read_text())["texts"]
    reference = np.load(FIXTURES / "vectors.npz")["vectors"].astype(np.float64)
    vectors = encoder.encode(texts).astype(np.float64)
    pairs = np.triu_indices(len(texts), 1)
    assert spearman((vectors @ vectors.T)[pairs], (reference @ reference.T)[pairs]) >= 0.35


def test_held_out_requests_route_nearly_as_with_the_full_model(encoder: StaticEncoder, full: SentenceEncoder) -> None:
    """k-NN over the starter library: the static tier reaches 0.75 top-1 (the full model 0.82, the
    lexical embedder 0.74) and picks the full model's agent for 77% of the requests; the engine's own
    router, seeded by add_starter_library, reaches 0.78."""
    patterns, held_out = starter_patterns(), held_out_examples()
    index = {agent: i for i, agent in enumerate(STARTER_AGENTS)}
    labels = np.array([index[p.agent] for p in patterns])
    truth = np.array([index[r.agent] for r in held_out])
    full_library = np.fromfile(MODEL / "starter-vectors.f32", dtype="<f4").reshape(len(patterns), 384)
    by_full = knn_agents(full.encode([r.text for r in held_out]) @ full_library.T, labels)
    queries = encoder.encode([r.text for r in held_out])
    static = knn_agents(queries @ encoder.encode([p.text for p in patterns]).T, labels)
    assert (static == truth).mean() >= 0.70 and (static == by_full).mean() >= 0.70
    engine = IntelligentLLM(IntelligentConfig.with_dim(encoder.dim))
    assert add_starter_library(engine, encoder) == len(patterns)
    routed = np.array([index[engine.route(query).agent] for query in queries])
    assert (routed == truth).mean() >= 0.70
