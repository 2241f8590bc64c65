"""The built-in text embedder: its definition, stability across processes, and its input checks.

The vectorised embedding must equal the plain-Python feature-by-feature
reference (:meth:`TextEmbedder.features`), be unit-norm float32 of the
configured dimension, be identical in every process (no salted ``hash()``),
put related requests closer than unrelated ones, and refuse bad input with
clear errors.
"""

import hashlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import TextEmbedder

#: A text with non-ASCII letters, punctuation, mixed case and a repeated word.
SAMPLE = "Refactor the naïve Straße parser: tests, tests, TESTS!"
#: Digest of SAMPLE's features (kind, string, count, bucket, sign) under the default
#: embedder. The hash definition is part of the saved-state format: patterns stored
#: with one version must still match the next, so a change here must be deliberate.
SAMPLE_FEATURES_SHA256 = "e9c0edab43feb64d3a328caad5a3bc24a3143efba3e8780ec3df5de0329e7256"
#: Digest of SAMPLE's embedding rounded to 5 decimals (float64 bytes); the Pyodide
#: test checks the same value, so both runtimes give the same vector.
SAMPLE_VECTOR_SHA256 = "8e6f735f90b7dcd1d4f0cf7ddef55bca3d12c04696f6e915d34437f400f107a9"

EMBEDDER = TextEmbedder()


def reference_embedding(embedder: TextEmbedder, text: str) -> np.ndarray:
    """Sum the features one by one in float64, then L2-normalise."""
    vector = np.zeros(embedder.dim)
    for feature in embedder.features(text):
        vector[feature.bucket] += feature.value
    return vector / math.sqrt(float(vector @ vector))


def features_digest(embedder: TextEmbedder, text: str) -> str:
    lines = "".join(
        f"{f.kind}|{f.text}|{f.count}|{f.bucket}|{f.value > 0}\n" for f in embedder.features(text)
    )
    return hashlib.sha256(lines.encode()).hexdigest()


words = st.text(alphabet=st.characters(categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12)
texts = st.lists(words, min_size=1, max_size=20).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from([16, 384, 1000]))
def test_embedding_is_the_normalised_sum_of_its_features(text: str, dim: int) -> None:
    embedder = TextEmbedder(dim)
    vector = embedder.embed(text)
    assert vector.shape == (dim,) and vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector.astype(np.float64))) - 1.0) < 1e-6
    np.testing.assert_allclose(vector, reference_embedding(embedder, text), atol=1e-6)


def test_features_follow_the_definition() -> None:
    features = {(f.kind, f.text): f for f in EMBEDDER.features("Fix fix bug")}
    assert features[("word", "fix")].count == 2
    assert features[("bigram", "fix fix")].count == 1 and ("bigram", "fix bug") in features
    assert {text for kind, text in features if kind == "char" and len(text) == 3} == {
        "<fi", "fix", "ix>", "<bu", "bug", "ug>"
    }
    assert ("char", "<fix>") in features and ("char", "<bug>") in features
    word = features[("word", "fix")]
    assert abs(abs(word.value) - (1.0 + math.log(2))) < 1e-12  # word_weight 1, sublinear tf
    assert all(0 <= f.bucket < EMBEDDER.dim for f in features.values())


def test_same_string_of_different_kinds_are_different_features() -> None:
    embedder = TextEmbedder(65536, min_n=3, max_n=3)
    features = {(f.kind, f.text): f for f in embedder.features("api api")}
    # "api" the word and the bigram-free char trigram "api" must hash apart.
    assert features[("word", "api")].bucket != features[("char", "api")].bucket


def test_batch_rows_equal_single_embeddings() -> None:
    batch = ["hello world", "a", "Fix the login bug", "hello world"]
    matrix = EMBEDDER.embed_batch(batch)
    assert matrix.shape == (4, 384) and matrix.dtype == np.float32
    for row, text in zip(matrix, batch):
        np.testing.assert_array_equal(row, EMBEDDER.embed(text))
    assert EMBEDDER.embed_batch([]).shape == (0, 384)
    assert EMBEDDER.embed_batch(("tuple", "works")).shape == (2, 384)


def test_hash_is_stable_across_processes_and_versions() -> None:
    assert features_digest(EMBEDDER, SAMPLE) == SAMPLE_FEATURES_SHA256
    rounded = np.round(EMBEDDER.embed(SAMPLE).astype(np.float64), 5)
    assert hashlib.sha256(rounded.tobytes()).hexdigest() == SAMPLE_VECTOR_SHA256
    script = (
        "import sys; from ruvllm_web import TextEmbedder; "
        f"sys.stdout.write(TextEmbedder().embed({SAMPLE!r}).tobytes().hex())"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=os.getcwd())
        outputs.add(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True).stdout)
    assert outputs == {EMBEDDER.embed(SAMPLE).tobytes().hex().encode()}


def test_normalisation_ignores_case_width_and_punctuation() -> None:
    np.testing.assert_array_equal(EMBEDDER.embed("ＣＯＤＥ Review!"), EMBEDDER.embed("code review"))
    np.testing.assert_array_equal(EMBEDDER.embed("STRASSE"), EMBEDDER.embed("Straße"))
    np.testing.assert_array_equal(EMBEDDER.embed("snake_case"), EMBEDDER.embed("snake case"))


def test_related_requests_are_closer_than_unrelated_ones() -> None:
    anchor = EMBEDDER.embed("write unit tests for the login form")
    related = EMBEDDER.embed("add unit tests covering the login validation")
    unrelated = EMBEDDER.embed("design the database schema for invoices")
    assert float(anchor @ related) > float(anchor @ unrelated) + 0.2


def test_repeating_a_word_grows_its_weight_sublinearly() -> None:
    def word_share(text: str) -> float:
        features = EMBEDDER.features(text)
        total = sum(abs(f.value) for f in features)
        return sum(abs(f.value) for f in features if f.text == "slow") / total

    once, three, ten = (word_share(" ".join(["slow"] * n + ["query"])) for n in (1, 3, 10))
    assert once < three < ten < 0.6


def test_kind_weights_and_config_round_trip() -> None:
    words_only = TextEmbedder(word_weight=1.0, bigram_weight=0.0, char_weight=0.0)
    assert {f.kind for f in words_only.features("one two three")} == {"word"}
    copy = TextEmbedder(**words_only.config())
    np.testing.assert_array_equal(copy.embed("one two three"), words_only.embed("one two three"))


@pytest.mark.parametrize(
    "value, error, message",
    [
        (None, TypeError, "text must be a string"),
        (b"bytes", TypeError, "text must be a string"),
        (42, TypeError, "text must be a string"),
        ("", ValueError, "must not be empty"),
        ("  ?!  ...", ValueError, "no letters or digits"),
        ("x" * 4097, ValueError, "4097 characters, at most 4096"),
    ],
)
def test_bad_text_is_refused(value, error, message) -> None:
    with pytest.raises(error, match=message):
        EMBEDDER.embed(value)
    with pytest.raises(error, match=message.replace("text ", "texts\\[1\\] ")):
        EMBEDDER.embed_batch(["fine", value])


def test_bad_batches_and_settings_are_refused() -> None:
    with pytest.raises(TypeError, match="list or tuple of strings"):
        EMBEDDER.embed_batch("a single string")
    with pytest.raises(TypeError, match="list or tuple"):
        EMBEDDER.embed_batch(x for x in ["generator"])
    with pytest.raises(ValueError, match="text has 11 characters, at most 10"):
        TextEmbedder(max_length=10).embed("short text!")
    with pytest.raises(ValueError, match="dim must be >= 2"):
        TextEmbedder(1)
    with pytest.raises(ValueError, match="max_n must be >= 4"):
        TextEmbedder(min_n=4, max_n=3)
    with pytest.raises(ValueError, match="at least one"):
        TextEmbedder(word_weight=0, bigram_weight=0, char_weight=0)
    with pytest.raises(TypeError, match="char_weight must be a number"):
        TextEmbedder(char_weight="high")
