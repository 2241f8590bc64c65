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
``x @ W.T``. The choice is :data:`ruvllm_web.row_scores.USES_BLAS`, fixed
by the numpy build, so results are deterministic for a given build.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ruvllm_web.row_scores import USES_BLAS, _einsum

#: Coefficients of erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z / 2), z >= 0 (Press et al.,
#: Numerical Recipes, "erfcc": a Chebyshev fit), highest power of t first.
_ERFC_COEFFICIENTS = (
    0.17087277,
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in float64.

    ``erf(x) = sign(x) * (1 - erfc(|x|))`` with the Chebyshev-fitted ``erfc``
    above. Its absolute error is below 1.2e-7 everywhere (measured against
    :func:`math.erf` on a dense grid in ``tests/unit/test_sentence_encoder.py``),
    about float32's rounding step at 1.
    """
    z = np.abs(x, dtype=np.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.full_like(t, _ERFC_COEFFICIENTS[0])
    for coefficient in _ERFC_COEFFICIENTS[1:]:
        poly *= t
        poly += coefficient
    poly -= z * z
    erfc = t * np.exp(poly)
    return np.copysign(1.0 - erfc, x)


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU ``x / 2 * (1 + erf(x / sqrt(2)))``, computed in float64, returned as float32."""
    wide = x.astype(np.float64)
    return (0.5 * wide * (1.0 + erf(wide * (1.0 / math.sqrt(2.0))))).astype(np.float32)


def dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x W^T + b`` for ``x`` of shape ``(rows, in)`` and ``W`` of shape ``(out, in)``."""
    out = x @ weight.T if USES_BLAS else _einsum("ij,kj->ik", x, weight)
    out += bias
    return out


def attention_scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``q k^T`` per batch row and head: ``(n, L, A, d), (n, L, A, d) -> (n, A, L, L)``."""
    if USES_BLAS:
        return q.transpose(0, 2, 1, 3) @ k.transpose(0, 2, 3, 1)
    return _einsum("blhd,bmhd->bhlm", q, k)


def attention_context(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``P v`` per batch row and head: ``(n, A, L, L), (n, L, A, d) -> (n, L, A, d)``."""
    if USES_BLAS:
        return (p @ v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
    return _einsum("bhlm,bmhd->blhd", p, v)


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, as PyTorch)."""
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = _einsum("...i,...i->...", centred, centred)[..., None] / np.float32(x.shape[-1])
    centred /= np.sqrt(variance + np.float32(eps))
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
            qkv_bias = np.concatenate([take(attention + part + ".bias", (hidden,)) for part in ("query", "key", "value")])
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
                    down=(take(prefix + "output.dense.weight", (hidden, inner)), take(prefix + "output.dense.bias", (hidden,))),
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
            qkv = dense(x, *layer.qkv).reshape(n, length, 3, heads, size)
            scores = attention_scores(qkv[:, :, 0], qkv[:, :, 1])
            if bias is not None:
                scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = attention_context(scores, qkv[:, :, 2]).reshape(n * length, hidden)
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
