"""WordPieceTokenizer: the reference tokenizer's ids for 1,055 strings, and each rule on a tiny vocabulary.

The reference ids come from the tokenizer sentence-transformers runs for
all-MiniLM-L6-v2 (tests/fixtures/encoder/tokenizer_ids.json, made by
scripts/make_encoder_fixtures.py); the vocabulary is the model's, from dist/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web.text.encoder.wordpiece import MAX_WORD_CHARS, WordPieceTokenizer, _unicode_words, _words

ROOT = Path(__file__).resolve().parents[3]
VOCAB = ROOT / "dist" / "models" / "all-MiniLM-L6-v2" / "vocab.txt"
FIXTURE = ROOT / "tests" / "fixtures" / "encoder" / "tokenizer_ids.json"
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def minilm() -> WordPieceTokenizer:
    if not VOCAB.is_file():
        raise pytest.UsageError(f"{VOCAB} is missing: run `python build.py dist` (./dev test does) first")
    return WordPieceTokenizer.from_file(VOCAB)


@pytest.fixture
def tiny() -> WordPieceTokenizer:
    """Ids: 0-4 the specials, then the tokens below in order."""
    tokens = ["un", "##aff", "##able", "unaff", "a", "##b", "!", "σ", "ς", "e", "東", "京"]
    return WordPieceTokenizer(SPECIALS + tokens)


def test_ids_equal_the_reference_tokenizer_on_1055_strings(minilm: WordPieceTokenizer) -> None:
    fixture = json.loads(FIXTURE.read_text())
    assert len(fixture["strings"]) >= 1000
    mismatches = [
        (text, expected, got)
        for text, expected in zip(fixture["strings"], fixture["ids"])
        if (got := minilm.encode(text, 256)) != expected
    ]
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[0]!r}"


def test_the_reference_strings_cover_the_hard_cases() -> None:
    strings = json.loads(FIXTURE.read_text())["strings"]
    assert any("[SEP]" in s for s in strings) and any("\x00" in s for s in strings)
    assert any(any(0x4E00 <= ord(c) <= 0x9FFF for c in s) for s in strings)
    assert any(any(ord(c) >= 0x1F300 for c in s) for s in strings)
    assert any(len(max(s.split() or [""], key=len)) > MAX_WORD_CHARS for s in strings)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_path_splits_as_the_per_character_path(text: str) -> None:
    """ASCII text skips the per-character loop; it must give the same words, for every ASCII character."""
    assert _words(text) == _unicode_words(text)


def test_the_ascii_path_handles_every_ascii_character() -> None:
    every = "".join(map(chr, range(128)))
    letters = "abcdefghijklmnopqrstuvwxyz"
    expected = [*"!\"#$%&'()*+,-./", "0123456789", *":;<=>?@", letters, *"[\\]^_`", letters, *"{|}~"]
    assert _words(every) == _unicode_words(every) == expected


def test_greedy_longest_match_first(tiny: WordPieceTokenizer) -> None:
    assert tiny.tokenize("unaffable") == ["unaff", "##able"]  # not un ##aff ##able
    assert tiny.tokenize("unable") == ["un", "##able"]
    assert tiny.tokenize("ab abb") == ["a", "##b", "a", "##b", "##b"]


def test_a_word_with_an_unmatched_part_is_one_unk(tiny: WordPieceTokenizer) -> None:
    assert tiny.tokenize("unaffx a") == ["[UNK]", "a"]
    assert tiny.tokenize("a" + "b" * MAX_WORD_CHARS) == ["[UNK]"]
    assert tiny.tokenize("a" + "b" * (MAX_WORD_CHARS - 1)) == ["a"] + ["##b"] * (MAX_WORD_CHARS - 1)


def test_normalisation(tiny: WordPieceTokenizer) -> None:
    assert tiny.tokenize("UnAffable!!") == ["unaff", "##able", "!", "!"]  # lower case, punctuation split
    assert tiny.tokenize("é É\u0301") == ["e", "e"]  # accents stripped, precomposed or not
    assert tiny.tokenize("un\x00\x07\u200baff\ufeffable") == ["unaff", "##able"]  # controls removed
    assert tiny.tokenize("un\u00a0aff\u3000a") == ["un", "[UNK]", "a"]  # odd whitespace splits
    assert tiny.tokenize("Σ ΑΣ") == ["σ", "[UNK]"]  # per-character lower case: no final sigma
    assert tiny.tokenize("a東京a") == ["a", "東", "京", "a"]  # CJK ideographs split off


def test_special_tokens_are_matched_exactly_in_the_raw_text(tiny: WordPieceTokenizer) -> None:
    assert tiny.encode_pieces("a[SEP]a [sep]") == [9, 3, 9, 1, 1, 1]
    assert tiny.encode("a", 8) == [2, 9, 3]


def test_encode_cuts_at_max_length(tiny: WordPieceTokenizer) -> None:
    assert tiny.encode("a a a a a", 4) == [2, 9, 9, 3]
    with pytest.raises(ValueError, match="at least 2"):
        tiny.encode("a", 1)


def test_bad_vocabularies_are_refused() -> None:
    with pytest.raises(ValueError, match="lacks the special tokens"):
        WordPieceTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="distinct"):
        WordPieceTokenizer(SPECIALS + ["a", "a"])
