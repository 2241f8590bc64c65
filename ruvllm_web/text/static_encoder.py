"""The fast static tier: text to a vector by table lookups in a table distilled from all-MiniLM-L6-v2.

``StaticEncoder(folder).encode(text)`` takes the word pieces :class:`SentenceEncoder` would see
for ``text`` (the same tokenizer and the same first ``max_tokens - 2`` pieces, without [CLS] and
[SEP]), looks up one row per piece in the static token table (:mod:`.distill` makes it at build
time: ``vocab_size x 256`` float16) and returns the mean of those rows scaled to unit L2 norm.
As model2vec does, pieces that are [UNK] are left out of the mean, unless the text has no other
piece (then its vector is the [UNK] row), so every text the sentence encoder embeds gets a vector
here too. No transformer runs: the cost is the tokenizer's plus one gather and one sum per text
(see BENCHMARKS.md, bench_static_encoder, for its speed and its agreement with the full model).
"""

from __future__ import annotations

import os
from itertools import chain

import numpy as np

from ruvllm_web.text.encoder.folder import FolderEncoder, model_folder, read_tokenizer, text_pieces
from ruvllm_web.text.encoder.safetensors import read_safetensors

#: The static token table's file in the model folder (build.py writes it there).
STATIC_TABLE = "static-256.safetensors"
#: The table's tensor name in that file: shape ``(vocab_size, dim)``.
TABLE_TENSOR = "embeddings"
#: Files of the model folder this reads.
STATIC_FILES = ("vocab.txt", "tokenizer_config.json", "sentence_bert_config.json", STATIC_TABLE)
#: Word pieces summed at once: bounds the gathered rows' memory (pieces x dim float32) in a big batch.
_MAX_GROUP_PIECES = 1 << 14


class StaticEncoder(FolderEncoder):
    """Text to a unit-length 256-dimensional vector from a static token table, in numpy.

    Parameters
    ----------
    path : str or os.PathLike
        A model folder as build.py places it in ``dist/models/all-MiniLM-L6-v2/``; this reads
        ``vocab.txt``, ``tokenizer_config.json``, ``sentence_bert_config.json`` and
        ``static-256.safetensors`` (not the model's weights).

    Raises
    ------
    TypeError
        If ``path`` is not a ``str`` or path-like.
    ValueError
        If the folder or one of its files is missing, or the table is not a finite
        ``(vocab_size, dim)`` floating-point matrix (the message names the file).

    Notes
    -----
    :meth:`tokenize` gives the ids whose table rows make a text's vector (see the module
    docstring). Row ``i`` of :meth:`encode` is ``m / |m|`` with ``m`` the mean of the table rows of
    ``tokenize(texts[i])``, summed in float32 and normalised in float64; a text whose rows sum to
    zero (no direction to scale to unit length) is refused with a ``ValueError`` naming it.

    Examples
    --------
    >>> encoder = StaticEncoder("dist/models/all-MiniLM-L6-v2")  # doctest: +SKIP
    >>> encoder.encode(["fix the failing login test", "plan the migration"]).shape  # doctest: +SKIP
    (2, 256)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        folder = model_folder(path, STATIC_FILES)
        self._tokenizer, self._max_tokens = read_tokenizer(folder)
        file = folder / STATIC_TABLE
        table = read_safetensors(file).get(TABLE_TENSOR)
        if table is None:
            raise ValueError(f"{file} holds no tensor {TABLE_TENSOR!r}")
        if table.ndim != 2 or table.shape[0] != self._tokenizer.vocab_size or table.shape[1] < 1:
            raise ValueError(
                f"{file}: {TABLE_TENSOR!r} has shape {list(table.shape)}, expected "
                f"[{self._tokenizer.vocab_size}, dim] (one row per vocab.txt token)"
            )
        if not np.isfinite(table).all():
            raise ValueError(f"{file}: {TABLE_TENSOR!r} holds a non-finite value")
        self._table = table
        self._path = folder

    @property
    def dim(self) -> int:
        """Length of every embedding (the table's width, 256)."""
        return int(self._table.shape[1])

    def _ids(self, text: object, name: str) -> list[int]:
        pieces = text_pieces(self._tokenizer, text, name, self._max_tokens - 2)
        unknown = self._tokenizer.unk_id
        return [piece for piece in pieces if piece != unknown] or pieces

    def _embed(self, batch: list[list[int]], names: list[str]) -> np.ndarray:
        """Unit-length means of the table rows of each id list, in groups of at most _MAX_GROUP_PIECES pieces."""
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        start = 0
        while start < len(batch):
            stop, pieces = start + 1, len(batch[start])
            while stop < len(batch) and pieces + len(batch[stop]) <= _MAX_GROUP_PIECES:
                pieces += len(batch[stop])
                stop += 1
            group = batch[start:stop]
            lengths = np.fromiter(map(len, group), dtype=np.intp, count=len(group))
            ids = np.fromiter(chain.from_iterable(group), dtype=np.intp, count=pieces)
            offsets = np.zeros(len(group), dtype=np.intp)
            np.cumsum(lengths[:-1], out=offsets[1:])
            # Rows added one after another down axis 0 (no pairwise summation): the same float32
            # sums wherever numpy runs. The mean's 1/count drops out of the normalisation.
            sums = np.add.reduceat(self._table[ids].astype(np.float32), offsets, axis=0).astype(np.float64)
            norms = np.sqrt(np.einsum("ij,ij->i", sums, sums))
            zero = np.flatnonzero(norms == 0.0)
            if zero.size:
                raise ValueError(f"{names[start + int(zero[0])]}'s word pieces' table rows sum to zero: no direction")
            out[start:stop] = sums / norms[:, None]
            start = stop
        return out
