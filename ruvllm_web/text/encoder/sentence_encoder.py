"""Sentence embeddings of sentence-transformers' all-MiniLM-L6-v2, computed by numpy.

``SentenceEncoder(folder).encode(text)`` equals the reference
``SentenceTransformer(folder).encode(text)`` (to float32 rounding, checked in
the tests against vectors made by sentence-transformers + torch): BERT's uncased
WordPiece tokenizer (:mod:`.wordpiece`), at most ``max_tokens`` (256) word
pieces with [CLS] and [SEP], the 6-layer BERT encoder (:mod:`.bert`), the mean
of the last hidden states over the tokens, scaled to unit L2 norm.
"""

from __future__ import annotations

import os

import numpy as np

from ruvllm_web.text.encoder.bert import BertConfig, BertEncoder
from ruvllm_web.text.encoder.folder import FolderEncoder, model_folder, read_json, read_tokenizer, text_pieces
from ruvllm_web.text.encoder.safetensors import read_safetensors
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


class SentenceEncoder(FolderEncoder):
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

    Notes
    -----
    :meth:`tokenize` gives the ids the model sees: [CLS], the text's first ``max_tokens - 2``
    word pieces, [SEP]. :meth:`encode` runs a list in groups of similar length, padded under an
    attention mask, so row ``i`` equals ``encode(texts[i])`` to float32 rounding.

    Examples
    --------
    >>> encoder = SentenceEncoder("dist/models/all-MiniLM-L6-v2")  # doctest: +SKIP
    >>> encoder.encode("fix the failing login test").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        folder = model_folder(path, REQUIRED_FILES)
        pooling = read_json(folder / "1_Pooling/config.json")
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

    def _ids(self, text: object, name: str) -> list[int]:
        pieces = text_pieces(self._tokenizer, text, name, self._max_tokens - 2)
        return [self._tokenizer.cls_id, *pieces, self._tokenizer.sep_id]

    def _embed(self, batch: list[list[int]], names: list[str]) -> np.ndarray:
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
