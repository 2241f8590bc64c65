"""Distil all-MiniLM-L6-v2 into the static token table of :class:`StaticEncoder` (model2vec's method).

Run once at build time (build.py caches the result). With ``V`` the vocabulary, ``K`` the ids of
``V`` except the ``[unusedN]`` placeholders (no text produces them), in id order:

1. **One forward pass per token.** For each ``t`` in ``K``, ``h_t`` is the mean over the three
   positions of the model's last hidden states for the input ``[SEP] t [CLS]`` (attention on all
   three, token type 0). The special tokens in reverse order are model2vec's framing.
2. **PCA to 256 dimensions.** ``X`` stacks the ``h_t`` (float64), ``mu`` is their mean and
   ``C = (X - mu)^T (X - mu)``. ``W`` holds the eigenvectors of ``C`` for its 256 largest
   eigenvalues, in decreasing order, each signed so that its largest-magnitude component is
   positive (eigenvectors are defined up to sign; this makes the table unique). ``Y = (X - mu) W``.
3. **Zipf-estimated SIF weighting.** The ``r``-th row of ``Y`` (``r = 0, 1, ...``; BERT's
   vocabulary lists pieces roughly by decreasing frequency) has the estimated probability
   ``p_r = (1 / (r + 2)) / sum_k 1 / (k + 2)`` and is scaled by ``a / (a + p_r)`` with
   ``a = 1e-4``, which damps frequent pieces as smooth inverse frequency does.
4. The table has one row per token of ``V``: ``Y``'s rows at ``K``, zero elsewhere, as float16.

Every step runs in a fixed order with fixed batches and nothing random, so the same model files
and numpy build give the same bytes (tests/build_py checks a fresh distillation against the
cached one). :data:`DISTILL_VERSION` is part of the cache key: change it with any change here
that changes the table.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np

from ruvllm_web.text.encoder.bert import BertConfig, BertEncoder
from ruvllm_web.text.encoder.safetensors import read_safetensors, safetensors_bytes
from ruvllm_web.text.encoder.wordpiece import WordPieceTokenizer
from ruvllm_web.text.static_encoder import TABLE_TENSOR

#: The version of this distillation code; a new value makes build.py distil again.
DISTILL_VERSION = 1
#: Width of the table (PCA components kept).
PCA_DIMS = 256
#: The SIF coefficient ``a`` of step 3.
SIF_COEFFICIENT = 1e-4
#: Vocabulary entries left out of the table (zero rows): BERT's placeholders.
_UNUSED = re.compile(r"\[unused\d+\]")
#: Tokens run through the model per forward pass (each a 3-token input).
_BATCH = 1024


def distill_static_table(folder: str | Path) -> bytes:
    """The static token table of the model in ``folder``, as a safetensors file's bytes.

    Parameters
    ----------
    folder : str or Path
        A sentence-transformers model folder with ``config.json``, ``vocab.txt`` and
        ``model.safetensors``, as build.py places it.

    Returns
    -------
    bytes
        A safetensors file with the float16 tensor ``embeddings`` of shape
        ``(vocab_size, PCA_DIMS)`` (the module docstring's steps) and metadata naming the method,
        :data:`DISTILL_VERSION` and the sha256 of the weights and vocabulary it came from.

    Raises
    ------
    ValueError
        If the folder's files do not describe a BERT model (as for :class:`SentenceEncoder`),
        or the vocabulary has no more than ``PCA_DIMS`` usable tokens.
    """
    folder = Path(folder)
    config = BertConfig.from_file(folder / "config.json")
    model = BertEncoder(config, read_safetensors(folder / "model.safetensors"))
    tokenizer = WordPieceTokenizer.from_file(folder / "vocab.txt")
    kept = np.array([i for i, token in enumerate(tokenizer.vocab) if not _UNUSED.fullmatch(token)], dtype=np.int64)
    if kept.size <= PCA_DIMS:
        raise ValueError(f"{folder / 'vocab.txt'} has {kept.size} usable tokens, more than {PCA_DIMS} needed")
    states = token_states(model, kept, tokenizer.sep_id, tokenizer.cls_id)
    table = np.zeros((tokenizer.vocab_size, PCA_DIMS), dtype=np.float16)
    table[kept] = sif_weights(kept.size)[:, None] * principal_components(states, PCA_DIMS)
    metadata = {
        "method": "model2vec: [SEP] t [CLS] mean, PCA, Zipf SIF",
        "distill_version": str(DISTILL_VERSION),
        "pca_dims": str(PCA_DIMS),
        "sif_coefficient": repr(SIF_COEFFICIENT),
        "model_sha256": _sha256(folder / "model.safetensors"),
        "vocab_sha256": _sha256(folder / "vocab.txt"),
    }
    return safetensors_bytes({TABLE_TENSOR: table}, metadata)


def token_states(model: BertEncoder, ids: np.ndarray, sep_id: int, cls_id: int) -> np.ndarray:
    """Step 1: ``(len(ids), hidden)`` float64, row ``i`` the mean last hidden state of ``[SEP] ids[i] [CLS]``."""
    states = np.empty((ids.size, model.config.hidden_size))
    for start in range(0, ids.size, _BATCH):
        tokens = ids[start : start + _BATCH]
        inputs = np.empty((tokens.size, 3), dtype=np.int64)
        inputs[:, 0], inputs[:, 1], inputs[:, 2] = sep_id, tokens, cls_id
        hidden = model.forward(inputs, np.ones(inputs.shape, dtype=bool))
        states[start : start + tokens.size] = hidden.astype(np.float64).mean(axis=1)
    return states


def principal_components(x: np.ndarray, dims: int) -> np.ndarray:
    """Step 2: the rows of ``x`` ``(n, d)`` centred and projected on their first ``dims`` principal axes.

    Returns ``(x - mean) W`` ``(n, dims)`` float64, ``W`` the unit eigenvectors of the scatter matrix
    for its ``dims`` largest eigenvalues, in decreasing order, each with its largest-magnitude
    component positive.
    """
    centred = x - x.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)  # eigenvalues ascending
    axes = vectors[:, ::-1][:, :dims]
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), np.arange(dims)])
    return centred @ (axes * signs)


def sif_weights(count: int) -> np.ndarray:
    """Step 3: ``a / (a + p_r)`` for ranks ``r = 0 .. count - 1``, Zipf's ``p_r`` proportional to ``1 / (r + 2)``."""
    inverse_rank = 1.0 / np.arange(2, count + 2, dtype=np.float64)
    probability = inverse_rank / inverse_rank.sum()
    return SIF_COEFFICIENT / (SIF_COEFFICIENT + probability)


def main(argv: list[str] | None = None) -> int:
    """``python -m ruvllm_web.text.distill MODEL_FOLDER OUT``: write the table of the model in MODEL_FOLDER to OUT.

    build.py runs this with a single-threaded BLAS, so that the bytes do not depend on the thread count.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m ruvllm_web.text.distill MODEL_FOLDER OUT", file=sys.stderr)
        return 2
    Path(args[1]).write_bytes(distill_static_table(args[0]))
    return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    sys.exit(main())
