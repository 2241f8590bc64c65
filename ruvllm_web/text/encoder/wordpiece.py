"""BERT's uncased tokenizer in pure Python: normalisation, pre-tokenisation, WordPiece.

The reference is the tokenizer sentence-transformers runs for all-MiniLM-L6-v2
(the Hugging Face ``tokenizers`` BERT pipeline with ``do_lower_case``), so a text
gives the same ids here as there. The steps, in order:

1. **Special tokens.** Exact occurrences of ``[CLS]``, ``[SEP]``, ``[PAD]``,
   ``[MASK]`` and ``[UNK]`` in the raw text (case-sensitive, leftmost first) are
   kept as those tokens; the text between them goes through steps 2-4 alone.
2. **Normalisation.** Characters U+0000, U+FFFD and control characters (Unicode
   category ``C*`` except tab, newline, carriage return) are removed; every
   whitespace character becomes a space; every CJK ideograph gets a space on
   both sides; the text is NFD-decomposed and its non-spacing marks (category
   ``Mn``) removed, which strips accents; then each character is lower-cased on
   its own (so a final capital sigma becomes ``σ``, not ``ς``).
3. **Pre-tokenisation.** Split at whitespace, and every punctuation character
   (ASCII ``!``-``/``, ``:``-``@``, ``[``-`````, ``{``-``~``, or Unicode category
   ``P*``) becomes a word of its own.
4. **WordPiece.** Each word is cut greedily into the longest vocabulary entry
   from its start, then the longest ``##``-prefixed entry from there, and so on;
   a word with a part no entry matches, or longer than 100 characters, becomes
   ``[UNK]`` as a whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

#: Words longer than this (in characters) become [UNK], as in BERT.
MAX_WORD_CHARS = 100
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SPECIAL = re.compile("|".join(re.escape(token) for token in SPECIAL_TOKENS))
#: CJK ideograph blocks that BERT isolates (Unified Ideographs and extensions A-E,
#: Compatibility Ideographs and their supplement).
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
#: The ASCII characters step 2 removes (the controls but tab, newline and carriage return), and an
#: ASCII word or punctuation character of step 3 once they are gone.
_ASCII_REMOVED = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_ASCII_WORD = re.compile(r"[^\t\n\r !-/:-@\[-`{-~]+|[!-/:-@\[-`{-~]")


class WordPieceTokenizer:
    """BERT uncased tokenizer over a ``vocab.txt`` (one token a line, id = line number).

    Parameters
    ----------
    vocab : list of str
        The vocabulary in id order; it must hold the five special tokens.

    Raises
    ------
    ValueError
        If the vocabulary is empty, repeats a token, or lacks a special token.
    """

    def __init__(self, vocab: list[str]) -> None:
        ids = {token: index for index, token in enumerate(vocab)}
        if not vocab or len(ids) != len(vocab):
            raise ValueError("vocabulary must be a non-empty list of distinct tokens")
        missing = [token for token in SPECIAL_TOKENS if token not in ids]
        if missing:
            raise ValueError(f"vocabulary lacks the special tokens {missing}")
        self._ids = ids
        self._vocab = list(vocab)
        self.cls_id = ids["[CLS]"]
        self.sep_id = ids["[SEP]"]
        self.pad_id = ids["[PAD]"]
        self.unk_id = ids["[UNK]"]
        # Longest vocabulary entry in characters: the greedy match never tries longer substrings.
        self._longest = max(len(token) for token in vocab)

    @classmethod
    def from_file(cls, path: str | Path) -> WordPieceTokenizer:
        """Read a ``vocab.txt``: UTF-8, one token a line (the trailing newline ends the last one)."""
        text = Path(path).read_text(encoding="utf-8")
        return cls(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"))

    @property
    def vocab_size(self) -> int:
        """Number of tokens in the vocabulary."""
        return len(self._vocab)

    @property
    def vocab(self) -> tuple[str, ...]:
        """The vocabulary in id order."""
        return tuple(self._vocab)

    def tokenize(self, text: str, max_pieces: int | None = None) -> list[str]:
        """The word pieces of ``text`` (no [CLS]/[SEP]), at most ``max_pieces`` of them.

        Pieces past ``max_pieces`` are never computed, so a long text costs
        no more than its first ``max_pieces`` pieces need (plus a linear scan
        for special tokens).
        """
        return [self._vocab[i] for i in self.encode_pieces(text, max_pieces)]

    def encode_pieces(self, text: str, max_pieces: int | None = None) -> list[int]:
        """The ids of :meth:`tokenize`'s pieces."""
        ids: list[int] = []
        for piece in self._pieces(text):
            if max_pieces is not None and len(ids) >= max_pieces:
                break
            ids.append(piece)
        return ids

    def encode(self, text: str, max_length: int) -> list[int]:
        """``[CLS]``, the first ``max_length - 2`` piece ids of ``text``, ``[SEP]``.

        Raises
        ------
        ValueError
            If ``max_length < 2``.
        """
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2, got {max_length}")
        return [self.cls_id, *self.encode_pieces(text, max_length - 2), self.sep_id]

    def _pieces(self, text: str) -> Iterator[int]:
        for segment, special in _split_special(text):
            if special:
                yield self._ids[segment]
                continue
            for word in _words(segment):
                yield from self._word_pieces(word)

    def _word_pieces(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece of one word; ``[UNK]`` if some part matches nothing."""
        if len(word) > MAX_WORD_CHARS:
            return [self.unk_id]
        ids = self._ids
        pieces = []
        start = 0
        while start < len(word):
            end = min(len(word), start + self._longest)
            prefix = "##" if start else ""
            while end > start:
                found = ids.get(prefix + word[start:end])
                if found is not None:
                    break
                end -= 1
            else:
                return [self.unk_id]
            pieces.append(found)
            start = end
        return pieces


def _split_special(text: str) -> Iterator[tuple[str, bool]]:
    """Yield (segment, is_special) in order, cutting ``text`` at exact special-token occurrences.

    No special token is a prefix of another, so the leftmost match is the only one at its place.
    """
    start = 0
    for match in _SPECIAL.finditer(text):
        if match.start() > start:
            yield text[start : match.start()], False
        yield match.group(), True
        start = match.end()
    if start < len(text):
        yield text[start:], False


def _words(text: str) -> list[str]:
    """Normalise ``text`` (steps 2 and 3 of the module docstring) and split it into words."""
    if text.isascii():
        # ASCII is its own NFD form and holds no marks, CJK ideographs or other punctuation: step 2
        # is a deletion and a lower-casing, step 3 one regular expression, with no per-character loop.
        return _ASCII_WORD.findall(text.translate(_ASCII_REMOVED).lower())
    return _unicode_words(text)


def _unicode_words(text: str) -> list[str]:
    """:func:`_words` for any text, one character at a time."""
    cleaned = []
    for char in text:
        if char == "\x00" or char == "\ufffd" or _is_control(char):
            continue
        if char.isspace():
            cleaned.append(" ")
        elif _is_cjk(char):
            cleaned.append(f" {char} ")
        else:
            cleaned.append(char)
    normalized = unicodedata.normalize("NFD", "".join(cleaned))
    words = []
    for token in normalized.split():
        current: list[str] = []
        for char in token:
            if unicodedata.category(char) == "Mn":
                continue
            for lower in char.lower():
                if _is_punctuation(lower):
                    if current:
                        words.append("".join(current))
                        current = []
                    words.append(lower)
                else:
                    current.append(lower)
        if current:
            words.append("".join(current))
    return words


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char)[0] == "C"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char)[0] == "P"
