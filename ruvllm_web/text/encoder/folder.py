"""What every encoder read from a model folder shares: the folder's checks, its tokenizer, and the
text-or-list ``encode`` of word-piece ids.

:class:`FolderEncoder` is the common base of :class:`~ruvllm_web.text.encoder.SentenceEncoder`
(the full model) and :class:`~ruvllm_web.text.static_encoder.StaticEncoder` (the static table):
both cut a text to the same word pieces and take a ``str`` or a list of them alike; they differ
in the ids they keep of a text (:meth:`FolderEncoder._ids`) and in how ids become vectors
(:meth:`FolderEncoder._embed`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ruvllm_web.text.encoder.wordpiece import WordPieceTokenizer
from ruvllm_web.validation import as_text

#: Longest text accepted, in characters. Only the first ``max_tokens - 2`` word pieces count,
#: but the whole text is normalised before it is cut, so its length bounds the work.
MAX_TEXT_CHARS = 100_000


class FolderEncoder:
    """Text to unit-length vectors, from a model folder's uncased WordPiece tokenizer.

    Subclasses set ``_tokenizer``, ``_max_tokens`` and ``_path`` (with :func:`model_folder` and
    :func:`read_tokenizer`) and define :attr:`dim`, :meth:`_ids` and :meth:`_embed`.
    """

    _tokenizer: WordPieceTokenizer
    _max_tokens: int
    _path: Path

    @property
    def dim(self) -> int:
        """Length of every embedding."""
        raise NotImplementedError

    @property
    def max_tokens(self) -> int:
        """Most word pieces a text is cut to, [CLS] and [SEP] included (256): its first
        ``max_tokens - 2`` pieces count."""
        return self._max_tokens

    def tokenize(self, text: str) -> list[int]:
        """The token ids this encoder embeds ``text`` as (the class says which).

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
            Each at most ``MAX_TEXT_CHARS`` characters with at least one word piece (not empty,
            nor only whitespace and control characters). Past ``max_tokens - 2`` word pieces a
            text is cut, not refused.

        Returns
        -------
        ndarray, float32
            Shape ``(dim,)`` for a ``str``, ``(n, dim)`` for a list or tuple (``(0, dim)`` for an
            empty one); unit L2 norm, row ``i`` the vector of ``texts[i]`` (the class says how).

        Raises
        ------
        TypeError
            If ``texts`` is not a ``str``, list or tuple, or an item is not a ``str``.
        ValueError
            If a text is too long or has nothing to embed (the message names its index).
        """
        if isinstance(texts, str):
            return self._embed([self._ids(texts, "text")], ["text"])[0]
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"texts must be a str or a list of str, got {type(texts).__name__}")
        names = [f"texts[{i}]" for i in range(len(texts))]
        return self._embed([self._ids(text, name) for text, name in zip(texts, names)], names)

    def _ids(self, text: object, name: str) -> list[int]:
        """The ids of ``text`` (called ``name`` in errors) that :meth:`_embed` takes."""
        raise NotImplementedError

    def _embed(self, batch: list[list[int]], names: list[str]) -> np.ndarray:
        """``(len(batch), dim)`` float32 unit vectors of the id lists (``names`` name them in errors)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._path)!r})"


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
    expect(folder / "tokenizer_config.json", "do_lower_case", True)
    max_tokens = read_json(folder / "sentence_bert_config.json").get("max_seq_length")
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


def read_json(path: Path) -> dict[str, object]:
    """The JSON object in ``path``; a ``ValueError`` naming the file if it is not one."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} is not a JSON object")
    return value


def expect(path: Path, key: str, wanted: object) -> None:
    """Refuse the JSON file ``path`` unless its ``key`` is ``wanted`` (or absent)."""
    value = read_json(path).get(key, wanted)
    if value != wanted:
        raise ValueError(f"{path}: {key} is {value!r}, only {wanted!r} is supported")
