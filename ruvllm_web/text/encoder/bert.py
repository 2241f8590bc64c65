"""The BERT encoder forward pass in numpy (inference only, float32).

For token ids ``t`` (batch ``n``, length ``L``) and an attention mask ``m``
(1 for a token, 0 for padding), with hidden size ``H``, ``A`` heads of size
``d = H / A``:

- embeddings: ``x = LN(word[t] + position[0..L-1] + token_type[0])``;
- each layer: ``q, k, v = x Wq^T + bq, x Wk^T + bk, x Wv^T + bv`` split into
  heads; ``P = softmax(q k^T / sqrt(d) + b)`` per head, where ``b`` is 0 at a
  key with ``m = 1`` and the most negative float32 at padding (so padding
  gets weight exactly 0); ``x = LN(x + concat(P v) Wo^T + bo)``;
  ``x = LN(x + GELU(x Wi^T + bi) Wout^T + bout)``;
- ``LN(y) = (y - mean(y)) / sqrt(var(y) + eps) * gamma + beta`` over the
  hidden axis; ``GELU(y) = y * Phi(y) = y / 2 * (1 + erf(y / sqrt(2)))`` (the
  exact GELU, not the tanh approximation).

Dense products keep ``W`` in PyTorch's ``(out, in)`` layout. Without BLAS
(Pyodide's numpy) they are ``einsum("ij,kj->ik", x, W)``, whose kernel reads
both operands along their contiguous axis; with BLAS (CPython's wheels),
``x @ W.T``. The choice is :data:`ruvllm_web.dense.USES_BLAS`, fixed
by the numpy build, so results are deterministic for a given build.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ruvllm_web.dense import USES_BLAS, c_einsum as _einsum

try:  # numpy >= 2: the clip ufunc itself, without np.clip's Python-level argument handling
    from numpy._core.umath import clip as _clip
except ImportError:  # pragma: no cover - numpy 1.x keeps it under numpy.core
    from numpy.core.umath import clip as _clip

#: The normal CDF Phi is tabulated at steps of 1 / _PHI_STEPS on [-_PHI_LIMIT, _PHI_LIMIT].
_PHI_STEPS = 1024
_PHI_LIMIT = 8


@functools.cache
def _phi_table() -> tuple[np.ndarray, np.ndarray]:
    """Phi at the grid points and the slope to the next point (0 after the last), float32.

    Computed once with :func:`math.erfc` (double precision): ``Phi(v) = erfc(-v / sqrt 2) / 2``.
    """
    grid = np.arange(-_PHI_LIMIT * _PHI_STEPS, _PHI_LIMIT * _PHI_STEPS + 1) / _PHI_STEPS
    phi = np.array([0.5 * math.erfc(-value / math.sqrt(2.0)) for value in grid.tolist()])
    phi[0], phi[-1] = 0.0, 1.0  # so that GELU is exactly 0 and x beyond the table
    slope = np.append(np.diff(phi), 0.0)
    return phi.astype(np.float32), slope.astype(np.float32)


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU ``x Phi(x) = x / 2 * (1 + erf(x / sqrt 2))`` of a float32 array, as float32.

    ``Phi`` is interpolated linearly in a table of its values at steps of ``h = 1/1024`` on
    ``[-8, 8]`` (0 and 1 beyond, where it differs from them by less than 7e-16). The
    interpolation error is at most ``h^2 / 8 max|Phi''| = 2.9e-8`` in ``Phi`` and
    ``h^2 / 8 max|x Phi''(x)| = 3.6e-8`` in the GELU; with float32's rounding of the table
    and the arithmetic, the result is within ``2.5e-7 max(1, |x|)`` of the exact GELU, about
    one float32 rounding step (``tests/unit/text/test_sentence_encoder.py`` checks it against
    :func:`math.erfc`). A table lookup is a third of the array operations of an erf
    approximation's polynomial.
    """
    table, slope = _phi_table()
    position = _clip(x, np.float32(-_PHI_LIMIT), np.float32(_PHI_LIMIT))
    position *= np.float32(_PHI_STEPS)
    position += np.float32(_PHI_LIMIT * _PHI_STEPS)
    index = position.astype(np.intp)
    position -= index
    position *= slope[index]
    position += table[index]
    position *= x
    return position


def dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x W^T + b`` for ``x`` of shape ``(rows, in)`` and ``W`` of shape ``(out, in)``."""
    out = x @ weight.T if USES_BLAS else _einsum("ij,kj->ik", x, weight)
    out += bias
    return out


def attention(qkv: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """Multi-head attention ``softmax(q k^T + b) v`` of projected queries, keys and values.

    Parameters
    ----------
    qkv : ndarray, float32, shape ``(n, L, 3, A, d)``
        Queries (already scaled by ``1/sqrt(d)``), keys and values per token and head.
    bias : ndarray, float32, shape ``(n, 1, 1, L)``, or None
        Added to every score row: 0 at tokens, the most negative float32 at padding.

    Returns
    -------
    ndarray, float32, shape ``(n L, A d)``
        The heads' outputs side by side, one row per token.

    Both products are batched ``matmul`` over (batch, head) on contiguous copies of the operands
    (``L x 3 A d`` values, small against the products): inside Pyodide (no BLAS) ``einsum``'s
    inner loops would run over only ``d`` or ``L`` values here (see BENCHMARKS.md, bench_encoder).
    """
    n, length, _, heads, size = qkv.shape
    queries = qkv[:, :, 0].transpose(0, 2, 1, 3).copy()  # (n, A, L, d)
    keys = qkv[:, :, 1].transpose(0, 2, 3, 1).copy()  # (n, A, d, L)
    values = qkv[:, :, 2].transpose(0, 2, 1, 3).copy()  # (n, A, L, d)
    scores = queries @ keys
    if bias is not None:
        scores += bias
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return (scores @ values).transpose(0, 2, 1, 3).reshape(n * length, heads * size)


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis of a 2-D ``x`` (biased variance, as PyTorch), in a new array.

    The statistics come from C reductions on ``(rows, 1)`` columns: ``x.mean`` and ``x.var`` add
    Python-level overhead per call, which matters at a short text's size in Pyodide (see
    BENCHMARKS.md, bench_encoder).
    """
    scale = np.float32(1.0 / x.shape[-1])
    mean = np.add.reduce(x, axis=-1, keepdims=True)
    mean *= scale
    centred = x - mean
    deviation = _einsum("ij,ij->i", centred, centred)[:, None]
    deviation *= scale
    deviation += np.float32(eps)
    np.sqrt(deviation, out=deviation)
    centred /= deviation
    centred *= gamma
    centred += beta
    return centred


@dataclass(frozen=True)
class BertConfig:
    """The architecture numbers of a BERT encoder (``config.json``'s fields of the same names)."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def from_file(cls, path: str | Path) -> BertConfig:
        """Read ``config.json`` of a BERT model with the exact GELU and absolute positions.

        Raises
        ------
        ValueError
            If a field is missing or not a positive number, the hidden size is not a
            multiple of the head count, or the model is not that kind of BERT.
        """
        config = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise ValueError(f"{path} is not a JSON object")
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: hidden_act is {config['hidden_act']!r}, only 'gelu' (exact) is supported")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute position embeddings are supported")
        values: dict[str, int | float] = {}
        for name in cls.__dataclass_fields__:
            value = config.get(name)
            kind = float if name == "layer_norm_eps" else int
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{path}: {name} must be a positive number, got {value!r}")
            if kind is int and value != int(value):
                raise ValueError(f"{path}: {name} must be an integer, got {value!r}")
            values[name] = kind(value)
        result = cls(**values)  # type: ignore[arg-type]
        if result.hidden_size % result.num_attention_heads:
            raise ValueError(f"{path}: hidden_size {result.hidden_size} is not a multiple of the head count")
        return result


class BertEncoder:
    """A BERT encoder's weights, ready for :meth:`forward`.

    Parameters
    ----------
    config : BertConfig
        The architecture.
    tensors : dict of str to ndarray
        The Hugging Face ``BertModel`` state dict (``embeddings.*``, ``encoder.layer.<i>.*``),
        float32 or float16; other entries (``pooler.*``, ``position_ids``) are ignored.

    Raises
    ------
    ValueError
        If a tensor is missing or has the wrong shape.
    """

    def __init__(self, config: BertConfig, tensors: dict[str, np.ndarray]) -> None:
        hidden, inner = config.hidden_size, config.intermediate_size
        self.config = config

        def take(name: str, shape: tuple[int, ...]) -> np.ndarray:
            if name not in tensors:
                raise ValueError(f"the weights lack tensor {name!r}")
            tensor = tensors[name]
            if tensor.shape != shape:
                raise ValueError(f"tensor {name!r} has shape {tensor.shape}, expected {shape}")
            if tensor.dtype.kind != "f":
                raise ValueError(f"tensor {name!r} has dtype {tensor.dtype}, expected floating point")
            return np.ascontiguousarray(tensor, dtype=np.float32)

        def norm(prefix: str) -> tuple[np.ndarray, np.ndarray]:
            return take(prefix + ".weight", (hidden,)), take(prefix + ".bias", (hidden,))

        self.word = take("embeddings.word_embeddings.weight", (config.vocab_size, hidden))
        self.position = take("embeddings.position_embeddings.weight", (config.max_position_embeddings, hidden))
        self.token_type = take("embeddings.token_type_embeddings.weight", (config.type_vocab_size, hidden))[0]
        self.embedding_norm = norm("embeddings.LayerNorm")
        # 1/sqrt(d) folded into the query projection: one scaling of a (rows, H) matrix at load
        # instead of one of every (heads, L, L) score matrix.
        scale = np.float32(1.0 / math.sqrt(hidden // config.num_attention_heads))
        self.layers = []
        for index in range(config.num_hidden_layers):
            prefix = f"encoder.layer.{index}."
            attention = prefix + "attention.self."
            qkv_weight = np.concatenate(
                [take(attention + part + ".weight", (hidden, hidden)) for part in ("query", "key", "value")]
            )
            qkv_bias = np.concatenate(
                [take(attention + part + ".bias", (hidden,)) for part in ("query", "key", "value")]
            )
            qkv_weight[:hidden] *= scale
            qkv_bias[:hidden] *= scale
            self.layers.append(
                _Layer(
                    qkv=(qkv_weight, qkv_bias),
                    out=(
                        take(prefix + "attention.output.dense.weight", (hidden, hidden)),
                        take(prefix + "attention.output.dense.bias", (hidden,)),
                    ),
                    attention_norm=norm(prefix + "attention.output.LayerNorm"),
                    up=(
                        take(prefix + "intermediate.dense.weight", (inner, hidden)),
                        take(prefix + "intermediate.dense.bias", (inner,)),
                    ),
                    down=(
                        take(prefix + "output.dense.weight", (hidden, inner)),
                        take(prefix + "output.dense.bias", (hidden,)),
                    ),
                    output_norm=norm(prefix + "output.LayerNorm"),
                )
            )

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last hidden states.

        Parameters
        ----------
        ids : ndarray of int, shape ``(n, L)``
            Token ids, each below ``vocab_size``; ``L <= max_position_embeddings``.
        mask : ndarray of bool, shape ``(n, L)``
            True at tokens, False at padding.

        Returns
        -------
        ndarray, float32, shape ``(n, L, hidden_size)``
            Rows at padding positions are computed but meaningless.
        """
        config = self.config
        n, length = ids.shape
        hidden, heads = config.hidden_size, config.num_attention_heads
        size = hidden // heads
        eps = config.layer_norm_eps
        x = self.word[ids.reshape(-1)]
        x += np.tile(self.position[:length], (n, 1))
        x += self.token_type
        x = layer_norm(x, *self.embedding_norm, eps)
        bias = None
        if not mask.all():
            bias = np.where(mask, np.float32(0.0), np.finfo(np.float32).min).astype(np.float32)[:, None, None, :]
        for layer in self.layers:
            context = attention(dense(x, *layer.qkv).reshape(n, length, 3, heads, size), bias)
            attended = dense(context, *layer.out)
            attended += x
            x = layer_norm(attended, *layer.attention_norm, eps)
            output = dense(gelu(dense(x, *layer.up)), *layer.down)
            output += x
            x = layer_norm(output, *layer.output_norm, eps)
        return x.reshape(n, length, hidden)


@dataclass(frozen=True)
class _Layer:
    """One transformer layer's weights: (weight, bias) pairs and LayerNorm (gamma, beta) pairs."""

    qkv: tuple[np.ndarray, np.ndarray]
    out: tuple[np.ndarray, np.ndarray]
    attention_norm: tuple[np.ndarray, np.ndarray]
    up: tuple[np.ndarray, np.ndarray]
    down: tuple[np.ndarray, np.ndarray]
    output_norm: tuple[np.ndarray, np.ndarray]
