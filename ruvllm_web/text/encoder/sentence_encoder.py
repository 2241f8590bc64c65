"""Sentence embeddings of sentence-transformers' all-MiniLM-L6-v2, computed by numpy.

``SentenceEncoder(folder).encode(text)`` equals the reference
``SentenceTransformer(folder).encode(text)`` (to float32 rounding, checked in
the tests against vectors made by sentence-transformers + torch): BERT's uncased
WordPiece tokenizer (:mod:`.wordpiece`), at most ``max_tokens`` (256) word
pieces with [CLS] and [SEP], the 6-layer BERT encoder (:mod:`.bert`), the mean
of the last hidden states over the tokens, scaled to unit L2 norm.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ruvllm_web.text.encoder.bert import BertConfig, BertEncoder
from ruvllm_web.text.encoder.safetensors import read_safetensors
from ruvllm_web.text.encoder.wordpiece import WordPieceTokenizer
from ruvllm_web.validation import as_text

#: Longest text accepted, in characters. Only the first ``max_tokens - 2`` word pieces count,
#: but the whole text is normalised before it is cut, so its length bounds the work.
MAX_TEXT_CHARS = 100_000
#: Texts run through the model together are padded to the longest among them; a group holds
#: at most this many token positions in all (bounding the activations' memory) and at most
#: _MAX_GROUP_SCORES attention scores per head (n * L^2, bounding the score matrices').
_MAX_GROUP_TOKENS = 1024
_MAX_GROUP_SCORES = 1 << 18
#: Files of the model folder this reads (the layout sentence-transformers saves).
REQUIRED_FILES = (
    "config.json",
    "vocab.txt",
    "model.safetensors",
    "tokenizer_config.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)


class SentenceEncoder:
    """Text to a unit-length 384-dimensional vector with all-MiniLM-L6-v2, in numpy.

    Parameters
    ----------
    path : str or os.PathLike
        A sentence-transformers model folder of a BERT model with uncased
        WordPiece and mean pooling, as build.py places it in
        ``dist/models/all-MiniLM-L6-v2/``: ``config.json``, ``vocab.txt``,
        ``model.safetensors``, ``tokenizer_config.json``,
        ``sentence_bert_config.json``, ``1_Pooling/config.json``.

    Raises
    ------
    TypeError
        If ``path`` is not a ``str`` or path-like.
    ValueError
        If the folder or one of its files is missing, or a file does not
        describe such a model (the message names the file).

    Examples
    --------
    >>> encoder = SentenceEncoder("dist/models/all-MiniLM-L6-v2")  # doctest: +SKIP
    >>> encoder.encode("fix the failing login test").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        folder = model_folder(path, REQUIRED_FILES)
        pooling = _read_json(folder / "1_Pooling/config.json")
        modes = sorted(key for key, value in pooling.items() if key.startswith("pooling_mode") and value is True)
        if modes != ["pooling_mode_mean_tokens"]:
            raise ValueError(f"{folder / '1_Pooling/config.json'}: pooling is {modes}, only mean pooling is supported")
        config = BertConfig.from_file(folder / "config.json")
        self._tokenizer, max_tokens = read_tokenizer(folder)
        if self._tokenizer.vocab_size != config.vocab_size:
            raise ValueError(f"vocab.txt has {self._tokenizer.vocab_size} tokens, config.json says {config.vocab_size}")
        self._model = BertEncoder(config, read_safetensors(folder / "model.safetensors"))
        self._max_tokens = min(max_tokens, config.max_position_embeddings)
        self._path = folder

    @property
    def dim(self) -> int:
        """Length of every embedding (the model's hidden size, 384)."""
        return self._model.config.hidden_size

    @property
    def max_tokens(self) -> int:
        """Most word pieces a text is cut to, [CLS] and [SEP] included (256)."""
        return self._max_tokens

    def tokenize(self, text: str) -> list[int]:
        """The token ids the model sees for ``text``: [CLS], its first ``max_tokens - 2`` pieces, [SEP].

        Raises
        ------
        TypeError, ValueError
            As :meth:`encode` for one text.
        """
        return self._ids(text, "text")

    def encode(self, texts: str | Sequence[str]) -> np.ndarray:
        """Embed one text, or several.

        Parameters
        ----------
        texts : str, or list or tuple of str
            Each at most ``MAX_TEXT_CHARS`` characters with at least one word
            piece (not empty, nor only whitespace and control characters).
            Past ``max_tokens`` word pieces a text is cut, not refused.

        Returns
        -------
        ndarray, float32
            Shape ``(dim,)`` for a ``str``, ``(n, dim)`` for a list or tuple
            (``(0, dim)`` for an empty one); unit L2 norm. Row ``i`` of a
            batch equals ``encode(texts[i])`` to float32 rounding (texts are
            grouped by length and padded with an attention mask).

        Raises
        ------
        TypeError
            If ``texts`` is not a ``str``, list or tuple, or an item is not a ``str``.
        ValueError
            If a text is too long or has nothing to embed (the message names its index).
        """
        if isinstance(texts, str):
            return self._encode_ids([self._ids(texts, "text")])[0]
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"texts must be a str or a list of str, got {type(texts).__name__}")
        return self._encode_ids([self._ids(text, f"texts[{i}]") for i, text in enumerate(texts)])

    def _ids(self, text: object, name: str) -> list[int]:
        pieces = text_pieces(self._tokenizer, text, name, self._max_tokens - 2)
        return [self._tokenizer.cls_id, *pieces, self._tokenizer.sep_id]

    def _encode_ids(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pooled, unit-length vectors of tokenized texts, run in length-sorted groups."""
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
        start = 0
        while start < len(order):
            stop = start + 1
            while stop < len(order):
                length = len(batch[order[stop]])  # the longest so far: the order is ascending
                rows = stop + 1 - start
                if rows * length > _MAX_GROUP_TOKENS or rows * length * length > _MAX_GROUP_SCORES:
                    break
                stop += 1
            group = order[start:stop]
            out[group] = self._pool([batch[i] for i in group])
            start = stop
        return out

    def _pool(self, group: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in group)
        ids = np.full((len(group), length), self._tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(group), length), dtype=bool)
        for row, tokens in enumerate(group):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = True
        hidden = self._model.forward(ids, mask)
        # Mean over the tokens and the norm in float64: the reference's float32 sums differ from
        # these by rounding only.
        sums = np.einsum("blh,bl->bh", hidden.astype(np.float64), mask.astype(np.float64))
        means = sums / mask.sum(axis=1, keepdims=True)
        return (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)

    def __repr__(self) -> str:
        return f"SentenceEncoder({str(self._path)!r})"


def model_folder(path: object, required: Sequence[str]) -> Path:
    """``path`` as a :class:`~pathlib.Path`, checked to be a folder holding every file in ``required``.

    Raises
    ------
    TypeError
        If ``path`` is not a ``str`` or path-like.
    ValueError
        If it is not a folder, or lacks one of the files (the message names them).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}")
    folder = Path(path)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder (expected a model folder such as dist/models/all-MiniLM-L6-v2)")
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise ValueError(f"{folder} lacks {', '.join(missing)} (build.py places the whole model folder)")
    return folder


def read_tokenizer(folder: Path) -> tuple[WordPieceTokenizer, int]:
    """The model folder's uncased tokenizer (``vocab.txt``) and its ``max_seq_length`` in word pieces.

    Raises
    ------
    ValueError
        If ``tokenizer_config.json`` does not say ``do_lower_case``, or ``sentence_bert_config.json``
        has no integer ``max_seq_length`` of at least 2, or the vocabulary is not one.
    """
    _expect(folder / "tokenizer_config.json", "do_lower_case", True)
    max_tokens = _read_json(folder / "sentence_bert_config.json").get("max_seq_length")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 2 <= max_tokens:
        raise ValueError(f"{folder / 'sentence_bert_config.json'}: max_seq_length must be an integer >= 2")
    return WordPieceTokenizer.from_file(folder / "vocab.txt"), max_tokens


def text_pieces(tokenizer: WordPieceTokenizer, text: object, name: str, max_pieces: int) -> list[int]:
    """The ids of the first ``max_pieces`` word pieces of ``text`` (no [CLS] or [SEP]).

    Raises
    ------
    TypeError
        If ``text`` is not a ``str``.
    ValueError
        If it has more than ``MAX_TEXT_CHARS`` characters, or no word piece (the message names it
        ``name``).
    """
    text = as_text(text, name, MAX_TEXT_CHARS)
    pieces = tokenizer.encode_pieces(text, max_pieces)
    if not pieces:
        raise ValueError(f"{name} has nothing to embed: it is empty or only whitespace and control characters")
    return pieces


def _read_json(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} is not a JSON object")
    return value


def _expect(path: Path, key: str, wanted: object) -> None:
    value = _read_json(path).get(key, wanted)
    if value != wanted:
        raise ValueError(f"{path}: {key} is {value!r}, only {wanted!r} is supported")
