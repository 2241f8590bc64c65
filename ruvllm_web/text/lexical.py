"""A built-in, offline text embedder: hashed word and character n-grams.

This is a **baseline**, good enough for the demo to route typed requests
without any model download. It knows nothing about meaning beyond shared
words and word pieces. A page that has a real sentence-embedding model can
pass that model's vectors to the router instead; nothing else in the engine
depends on this module.

The embedding of a text is defined as follows.

1. Normalise: Unicode NFKC, then ``str.casefold`` (lower-case).
2. Tokenise: words are maximal runs of letters and digits (``[^\\W_]+``).
3. Features, each with a *kind*:

   - ``word``: every word ``w``;
   - ``bigram``: every pair of adjacent words, as the string ``"w1 w2"``;
   - ``char``: every character n-gram, ``min_n <= n <= max_n``, of each word
     padded with boundary marks, ``"<" + w + ">"`` (so ``"<co"`` marks a
     word start and is not the same feature as ``"co"`` inside a word).

4. Hash: a feature string ``s`` of kind ``k`` gets the 64-bit id
   ``fmix64(poly(s) XOR SALT[k])`` where
   ``poly(s) = sum_i ord(s[i]) * BASE**i  (mod 2**64)`` and ``fmix64`` is the
   MurmurHash3 64-bit finaliser. Its bucket is ``id mod dim`` and its sign is
   ``+1`` when the top bit of ``id`` is 0, else ``-1`` (signed hashing makes
   collisions cancel on average instead of piling up). The hash is fixed
   arithmetic, the same on every platform and in every process (Python's own
   ``hash()`` of a ``str`` is salted per process and is never used).
5. Weight: a feature seen ``tf`` times in the text contributes
   ``sign * kind_weight * (1 + ln tf)`` to its bucket (sublinear term
   frequency, so a repeated word does not dominate).
6. Normalise: the resulting vector of shape ``(dim,)`` is divided by its L2
   norm and returned as float32.

A text with no letters or digits has no features: :meth:`TextEmbedder.embed`
raises ``ValueError`` rather than return a zero vector, which a cosine
router could not use.

The implementation computes every feature's hash with whole-array uint64
arithmetic over the code points of all the texts of a batch at once
(polynomial prefix sums, where substring hashes are differences of prefixes)
and accumulates the vector with one ``np.bincount``. :meth:`TextEmbedder.features`
computes the same features one by one in plain Python; it explains an
embedding and serves as its reference definition.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ruvllm_web.validation import MAX_TEXT_LENGTH, as_float, as_int, as_text

#: Feature kinds, in the order of their index in the hashing arrays.
KINDS = ("word", "bigram", "char")
#: Per-kind salts XOR-ed into the polynomial hash, so equal strings of
#: different kinds (the word "api" and the trigram "api") are different features.
SALTS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
#: Polynomial base (odd, hence invertible modulo 2**64).
BASE = 0x100000001B3
_MASK = (1 << 64) - 1
_BASE_INVERSE = pow(BASE, -1, 1 << 64)
_FMIX_1 = 0xFF51AFD7ED558CCD
_FMIX_2 = 0xC4CEB9FE1A85EC53
_WORD = re.compile(r"[^\W_]+")
_SPACE = ord(" ")


@dataclass(frozen=True)
class HashedFeature:
    """One feature of a text and what it adds to the embedding.

    Attributes
    ----------
    kind : str
        ``"word"``, ``"bigram"`` or ``"char"``.
    text : str
        The feature string (a bigram is ``"w1 w2"``, a char n-gram may hold ``<`` / ``>``).
    count : int
        How often it occurs in the text (``tf``).
    bucket : int
        Index in ``[0, dim)`` it is added to.
    value : float
        What it adds before normalisation: ``sign * kind_weight * (1 + ln tf)``.
    """

    kind: str
    text: str
    count: int
    bucket: int
    value: float


class TextEmbedder:
    """Offline baseline text embedder (hashed word/char n-grams, L2-normalised).

    See the module docstring for the exact definition. Instances are
    immutable and hold no learned state: two embedders built with the same
    arguments give bit-identical vectors, on CPython and in Pyodide. This is
    a lexical baseline; vectors from a real embedding model of the same
    dimension can be given to the router instead.

    Parameters
    ----------
    dim : int
        Output dimension, 2 to 65536; default 384, the router's.
    min_n, max_n : int
        Character n-gram lengths (of boundary-padded words), ``1 <= min_n <= max_n <= 8``.
    word_weight, bigram_weight, char_weight : float
        Weight of each feature kind, in ``[0, 100]``; 0 drops the kind. At
        least one must be positive. The defaults balance the many char n-grams
        of a word against its single word feature.
    max_length : int
        Longest text accepted, in characters.

    Examples
    --------
    >>> embedder = TextEmbedder()
    >>> embedder.embed("fix the failing login test").shape
    (384,)
    """

    def __init__(
        self,
        dim: int = 384,
        *,
        min_n: int = 3,
        max_n: int = 5,
        word_weight: float = 1.0,
        bigram_weight: float = 0.3,
        char_weight: float = 0.5,
        max_length: int = MAX_TEXT_LENGTH,
    ) -> None:
        dim = as_int(dim, "dim", 2, 65536)
        min_n = as_int(min_n, "min_n", 1, 8)
        max_n = as_int(max_n, "max_n", min_n, 8)
        weights = tuple(
            as_float(value, name, 0.0, 100.0)
            for value, name in (
                (word_weight, "word_weight"),
                (bigram_weight, "bigram_weight"),
                (char_weight, "char_weight"),
            )
        )
        max_length = as_int(max_length, "max_length", 1, 1 << 20)
        if max(weights) == 0.0:
            raise ValueError("at least one of word_weight, bigram_weight, char_weight must be positive")
        self._dim = dim
        self._min_n = min_n
        self._max_n = max_n
        self._weights = weights
        self._kind_weights = np.array(weights, dtype=np.float64)
        self._max_length = max_length

    @property
    def dim(self) -> int:
        """Length of every embedding."""
        return self._dim

    @property
    def max_length(self) -> int:
        """Longest text accepted, in characters."""
        return self._max_length

    def config(self) -> dict[str, int | float]:
        """The constructor arguments, JSON-able: ``TextEmbedder(**e.config())`` is an equal embedder."""
        word, bigram, char = self._weights
        return {
            "dim": self._dim,
            "min_n": self._min_n,
            "max_n": self._max_n,
            "word_weight": word,
            "bigram_weight": bigram,
            "char_weight": char,
            "max_length": self._max_length,
        }

    def embed(self, text: str) -> np.ndarray:
        """Embed one text.

        Parameters
        ----------
        text : str
            Non-empty, at most ``max_length`` characters, with at least one
            letter or digit.

        Returns
        -------
        ndarray, float32, shape ``(dim,)``
            Unit L2 norm.

        Raises
        ------
        TypeError
            If ``text`` is not a ``str``.
        ValueError
            If it is empty, too long, or has no letters or digits.
        """
        words = self._words(text, "text")
        return self._embed_words([words], ("text",))[0]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed several texts at once (faster than one :meth:`embed` each).

        Parameters
        ----------
        texts : list or tuple of str
            Each as for :meth:`embed`.

        Returns
        -------
        ndarray, float32, shape ``(n, dim)``
            Row ``i`` equals ``embed(texts[i])``; ``(0, dim)`` for no texts.

        Raises
        ------
        TypeError
            If ``texts`` is not a list or tuple, or an item is not a ``str``.
        ValueError
            If an item is empty, too long, or has no letters or digits
            (the message names its index).
        """
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"texts must be a list or tuple of strings, got {type(texts).__name__}")
        names = tuple(f"texts[{i}]" for i in range(len(texts)))
        words = [self._words(text, name) for text, name in zip(texts, names)]
        return self._embed_words(words, names)

    def features(self, text: str) -> list[HashedFeature]:
        """List the features of ``text`` and what each adds, computed one by one.

        ``embed(text)`` is the L2-normalised sum, per bucket, of the
        ``value`` of these features. This is the plain-Python reference
        definition (and a way to see why two texts are close); it is much
        slower than :meth:`embed`. Features are listed in order of first
        occurrence, word, bigram and char features interleaved per word.

        Raises
        ------
        TypeError, ValueError
            As :meth:`embed`.
        """
        words = self._words(text, "text")
        counts: Counter[tuple[int, str]] = Counter()
        for position, word in enumerate(words):
            counts[(0, word)] += 1
            if position > 0:
                counts[(1, words[position - 1] + " " + word)] += 1
            padded = "<" + word + ">"
            for n in range(self._min_n, self._max_n + 1):
                for start in range(len(padded) - n + 1):
                    counts[(2, padded[start : start + n])] += 1
        result = []
        for (kind, feature), count in counts.items():
            if self._weights[kind] == 0.0:
                continue
            identity = _feature_id(kind, feature)
            sign = -1.0 if identity >> 63 else 1.0
            value = sign * self._weights[kind] * (1.0 + math.log(count))
            result.append(HashedFeature(KINDS[kind], feature, count, identity % self._dim, value))
        return result

    def _words(self, text: object, name: str) -> list[str]:
        """Validate ``text`` and return its normalised words (at least one)."""
        text = as_text(text, name, max_length=self._max_length, allow_empty=False)
        words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
        if not words:
            raise ValueError(f"{name} has no letters or digits to embed: {text[:40]!r}")
        return words

    def _embed_words(self, batch: list[list[str]], names: tuple[str, ...]) -> np.ndarray:
        """Embed already-tokenised texts; ``batch[i]`` is a non-empty word list.

        All texts are joined into one string ``"<w1> <w2> ... <wm>"`` of code
        points ``c``. With prefix sums ``P[j] = sum_{i<j} c_i BASE**i``, the
        polynomial hash of the substring ``[a, b)`` is
        ``(P[b] - P[a]) * BASE**-a`` (all mod 2**64), so every word and
        n-gram hash is a handful of whole-array operations.
        """
        n_texts = len(batch)
        result = np.zeros((n_texts, self._dim), dtype=np.float32)
        if n_texts == 0:
            return result
        all_words = [word for words in batch for word in words]
        word_row = np.repeat(np.arange(n_texts), [len(words) for words in batch])
        joined = " ".join("<" + word + ">" for word in all_words)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
        size = codes.shape[0]
        powers = _powers(BASE, size + 1)
        inverse_powers = _powers(_BASE_INVERSE, size + 1)
        prefix = np.zeros(size + 1, dtype=np.uint64)
        np.cumsum(codes * powers[:size], out=prefix[1:])

        def substring_hash(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
            return (prefix[stop] - prefix[start]) * inverse_powers[start]

        ids, rows, kinds = [], [], []
        lengths = np.fromiter((len(word) for word in all_words), dtype=np.intp, count=len(all_words))
        token_start = np.zeros(len(all_words), dtype=np.intp)
        np.cumsum(lengths[:-1] + 3, out=token_start[1:])
        word_hash = substring_hash(token_start + 1, token_start + 1 + lengths)
        if self._weights[0] > 0.0:
            ids.append(word_hash)
            rows.append(word_row)
            kinds.append(np.zeros(len(all_words), dtype=np.intp))
        if self._weights[1] > 0.0:
            pair = np.flatnonzero(word_row[1:] == word_row[:-1])
            left = lengths[pair]
            bigram_hash = (
                word_hash[pair]
                + powers[left] * np.uint64(_SPACE)
                + powers[left + 1] * word_hash[pair + 1]
            )
            ids.append(bigram_hash)
            rows.append(word_row[pair])
            kinds.append(np.ones(pair.shape[0], dtype=np.intp))
        if self._weights[2] > 0.0:
            spaces_before = np.zeros(size + 1, dtype=np.intp)
            np.cumsum(codes == _SPACE, out=spaces_before[1:])
            for n in range(self._min_n, self._max_n + 1):
                start = np.arange(size - n + 1)
                start = start[spaces_before[start + n] == spaces_before[start]]
                ids.append(substring_hash(start, start + n))
                rows.append(word_row[spaces_before[start]])
                kinds.append(np.full(start.shape[0], 2, dtype=np.intp))
        kind = np.concatenate(kinds)
        identity = _fmix64(np.concatenate(ids) ^ np.array(SALTS, dtype=np.uint64)[kind])
        row = np.concatenate(rows)

        order = np.lexsort((identity, row))
        identity, row, kind = identity[order], row[order], kind[order]
        first = np.ones(identity.shape[0], dtype=bool)
        first[1:] = (identity[1:] != identity[:-1]) | (row[1:] != row[:-1])
        starts = np.flatnonzero(first)
        term_frequency = np.diff(np.append(starts, identity.shape[0]))
        identity, row, kind = identity[starts], row[starts], kind[starts]
        value = self._kind_weights[kind] * (1.0 + np.log(term_frequency))
        value[(identity >> np.uint64(63)).astype(bool)] *= -1.0
        bucket = (identity % np.uint64(self._dim)).astype(np.intp)
        sums = np.bincount(row * self._dim + bucket, weights=value, minlength=n_texts * self._dim)
        sums = sums.reshape(n_texts, self._dim)
        norms = np.sqrt(np.einsum("ij,ij->i", sums, sums))
        cancelled = np.flatnonzero(norms == 0.0)
        if cancelled.size:
            raise ValueError(f"{names[cancelled[0]]}: its hashed features cancel out exactly; add a word")
        np.divide(sums, norms[:, None], out=result, casting="same_kind")
        return result


def _powers(base: int, count: int) -> np.ndarray:
    """``base**i mod 2**64`` for ``i`` in ``[0, count)``, shape ``(count,)`` uint64."""
    factors = np.full(count, base, dtype=np.uint64)
    factors[0] = 1
    return np.cumprod(factors, dtype=np.uint64)


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, element-wise on a uint64 array (wraps mod 2**64)."""
    h = h ^ (h >> np.uint64(33))
    h *= np.uint64(_FMIX_1)
    h ^= h >> np.uint64(33)
    h *= np.uint64(_FMIX_2)
    h ^= h >> np.uint64(33)
    return h


def _feature_id(kind: int, feature: str) -> int:
    """The 64-bit id of one feature, in plain Python integers (see the module docstring)."""
    h = 0
    power = 1
    for character in feature:
        h = (h + ord(character) * power) & _MASK
        power = (power * BASE) & _MASK
    h ^= SALTS[kind]
    h ^= h >> 33
    h = (h * _FMIX_1) & _MASK
    h ^= h >> 33
    h = (h * _FMIX_2) & _MASK
    return h ^ (h >> 33)
