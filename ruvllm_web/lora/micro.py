"""MicroLoRA: a rank-1..4 low-rank adapter on one embedding space.

The adapter maps an input ``x`` of shape ``(dim,)`` to::

    out = x + alpha * (x @ A) @ B        A: (dim, r), B: (r, dim), r in 1..4

``A`` starts as small seeded Gaussian noise (standard deviation
``1 / sqrt(dim)``) and ``B`` at zero, so a new adapter is the identity.

Learning
--------
Every update is a gradient step of a loss ``L`` whose gradient with respect
to the output, ``g = dL/d(out)`` of shape ``(dim,)``, is known. With
``h = x @ A`` of shape ``(r,)`` the chain rule gives::

    dL/dB = alpha * outer(h, g)            (r, dim)
    dL/dA = alpha * outer(x, B @ g)        (dim, r)

The step is ``theta -= lr * clip(grad)`` where the gradient of ``(A, B)``
together is rescaled to Frobenius norm at most ``max_grad_norm``; after the
step, ``(A, B)`` together is rescaled to norm at most ``max_weight_norm``.
Both bounds keep every weight finite whatever inputs arrive. Because
``B`` starts at zero, ``dL/dA`` is zero at first: ``B`` moves first.

- :meth:`MicroLoRA.adapt`: ``g`` is given (e.g. ``out - target`` for the
  squared error ``0.5 * ||out - target||^2``).
- :meth:`MicroLoRA.adapt_with_reward`: reward ``r``; the surrogate loss is
  ``L = -r * <out, u>`` with ``u = x / ||x||``, so ``g = -r * u``. A positive
  reward raises the adapter's response along the input's own direction,
  ``<out - x, u>``; a negative reward lowers it.
- :meth:`MicroLoRA.accumulate` / :meth:`MicroLoRA.apply_updates`: quality
  ``q`` in ``[0, 1]`` is the reward ``2 q - 1`` (1 reinforces, 0.5 is neutral,
  0 suppresses); gradients are summed, and one step with their mean is taken.

An update that cannot change the weights (no input seen yet, a zero
gradient or reward, a step too small to move any float32 weight) returns
``False`` and is not counted in ``adapt_count``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ruvllm_web.lora import micro_state
from ruvllm_web.three_way import three_way_array, three_way_count
from ruvllm_web.validation import as_float, as_int, as_matrix, as_quality, as_vector

MIN_RANK = 1
MAX_RANK = 4
#: The ruvllm configuration of the integration document: 768 features, rank 2.
RUVLLM_DIM = 768
RUVLLM_RANK = 2
#: Largest accepted dimension (an adapter of this size holds ~2 MB of weights).
MAX_DIM = 65536
#: Largest accepted reward magnitude; the gradient clip bounds its effect anyway.
MAX_REWARD = 1e6
_F32 = np.dtype(np.float32)
# An update of squared norm above _SURE_CHANGE * n * ||weights||^2 certainly
# changes some float32 weight (its largest entry exceeds half an ulp of any
# weight, with a 4x margin for rounding in the norms); smaller ones are checked.
_SURE_CHANGE = 2.0**-46
_TINY_STEP = 2.0**-298


class MicroLoRA:
    """A low-rank adapter ``out = x + alpha * (x @ A) @ B`` that learns online.

    Parameters
    ----------
    dim : int
        Embedding dimension (1..65536). Default 256.
    alpha : float
        Scale of the low-rank term, in ``[0, 1e6]``. Default 0.1.
    learning_rate : float
        Step size, in ``[0, 1e6]``. Default 0.01.
    rank : int
        Rank ``r``; any integer, clamped to ``1..4``. Default 2.
    seed : int
        Seed of the random initial ``A`` (``>= 0``). Default 0.
    max_grad_norm : float
        Gradient norm clip, ``> 0``. Default 10.
    max_weight_norm : float
        Norm bound of ``(A, B)`` together, ``> 0``. Default 100.

    Notes
    -----
    ``input_buffer`` and ``output_buffer`` are preallocated ``(dim,)`` float32
    arrays: write the input into the first, call :meth:`forward_buffers`, read
    the second. Like :meth:`forward_into` this allocates nothing per call.
    """

    def __init__(
        self,
        dim: int = 256,
        alpha: float = 0.1,
        learning_rate: float = 0.01,
        *,
        rank: int = 2,
        seed: int = 0,
        max_grad_norm: float = 10.0,
        max_weight_norm: float = 100.0,
    ) -> None:
        self.dim = as_int(dim, "dim", 1, MAX_DIM)
        self._alpha = as_float(alpha, "alpha", 0.0, 1e6)
        self._alpha_f32 = np.array(self._alpha, dtype=np.float32)  # 0-d: ufuncs skip converting a Python float
        self.learning_rate = as_float(learning_rate, "learning_rate", 0.0, 1e6)
        self.rank = min(max(as_int(rank, "rank"), MIN_RANK), MAX_RANK)
        self.seed = as_int(seed, "seed", 0, 2**63 - 1)
        self.max_grad_norm = _positive(max_grad_norm, "max_grad_norm")
        self.max_weight_norm = _positive(max_weight_norm, "max_weight_norm")
        dim, r = self.dim, self.rank
        # A^T and B are the rows of one (2r, dim) parameter matrix: norms and
        # steps are single numpy calls, and every outer product runs along
        # dim (fast) rather than along r. The gradient has the same layout.
        self._params = np.zeros((2 * r, dim), dtype=np.float32)
        self._flat = self._params.reshape(-1)
        self._at = self._params[:r]
        self._b = self._params[r:]
        self._grad = np.zeros_like(self._params)
        self._grad_flat = self._grad.reshape(-1)
        self._grad_at = self._grad[:r]
        self._grad_b = self._grad[r:]
        self._alpha_b = np.zeros((r, dim), dtype=np.float32)  # alpha * B, for the forward pass
        self._hidden = np.zeros(r, dtype=np.float32)  # h = x @ A
        self._hidden_col = self._hidden.reshape(r, 1)
        self._bg = np.zeros(r, dtype=np.float32)  # B @ g
        self._bg_col = self._bg.reshape(r, 1)
        self._reward_grad = np.zeros(dim, dtype=np.float32)
        # Two input slots: forward writes the spare one and swaps on success,
        # so a refused input never replaces the last good one.
        self._slots = np.zeros((2, dim), dtype=np.float32)
        self._last, self._spare = self._slots[0], self._slots[1]
        self._pending = np.zeros(2 * r * dim, dtype=np.float64)
        self._input_buffer = np.zeros(dim, dtype=np.float32)
        self._output_buffer = np.zeros(dim, dtype=np.float32)
        self.reset()

    @classmethod
    def ruvllm(cls, *, seed: int = 0) -> MicroLoRA:
        """The ruvllm integration preset: 768 features, rank 2, alpha 0.1, lr 0.01."""
        return cls(RUVLLM_DIM, rank=RUVLLM_RANK, seed=seed)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Return to the freshly constructed state: seeded ``A``, zero ``B``, no input, no counts."""
        rng = np.random.default_rng(self.seed)
        self._at[...] = rng.standard_normal((self.dim, self.rank)).T / math.sqrt(self.dim)
        self._b.fill(0.0)
        self._b_changed()
        self._slots.fill(0.0)
        self._pending.fill(0.0)
        self._pending_count = 0
        self._input_buffer.fill(0.0)
        self._output_buffer.fill(0.0)
        self._has_input = False
        self._adapt_count = 0

    @property
    def alpha(self) -> float:
        """Scale of the low-rank term (fixed at construction)."""
        return self._alpha

    @property
    def adapt_count(self) -> int:
        """Number of updates that changed the weights since construction or :meth:`reset`."""
        return self._adapt_count

    @property
    def pending_count(self) -> int:
        """Number of :meth:`accumulate` calls waiting for :meth:`apply_updates`."""
        return self._pending_count

    @property
    def param_count(self) -> int:
        """Number of trainable weights, ``2 * rank * dim``."""
        return self._params.size

    @property
    def memory_bytes(self) -> int:
        """Bytes held by all of this adapter's arrays (weights, scratch, buffers)."""
        arrays = (self._params, self._grad, self._alpha_b, self._hidden, self._bg, self._reward_grad,
                  self._slots, self._pending, self._input_buffer, self._output_buffer)
        return sum(a.nbytes for a in arrays)

    @property
    def a(self) -> np.ndarray:
        """A read-only view of ``A``, shape ``(dim, rank)``."""
        return _read_only(self._at.T)

    @property
    def b(self) -> np.ndarray:
        """A read-only view of ``B``, shape ``(rank, dim)``."""
        return _read_only(self._b)

    @property
    def input_buffer(self) -> np.ndarray:
        """The preallocated ``(dim,)`` float32 input of :meth:`forward_buffers` (write into it)."""
        return self._input_buffer

    @property
    def output_buffer(self) -> np.ndarray:
        """The preallocated ``(dim,)`` float32 output of :meth:`forward_buffers` (read from it)."""
        return self._output_buffer

    @property
    def last_input(self) -> np.ndarray | None:
        """A read-only view of the last input a forward pass accepted, or ``None``."""
        return _read_only(self._last) if self._has_input else None

    def delta_norm(self) -> float:
        """Frobenius norm of the weight change ``alpha * A @ B``, without forming it.

        ``||A B||_F^2 = trace(B^T A^T A B) = sum((A^T A) * (B B^T))``: two
        ``(r, r)`` Gram matrices, computed in float64.
        """
        at = self._at.astype(np.float64)
        b = self._b.astype(np.float64)
        square = float(np.sum((at @ at.T) * (b @ b.T)))
        return self.alpha * math.sqrt(max(square, 0.0))

    # ---------------------------------------------------------------- forward
    def forward(self, x: object) -> np.ndarray:
        """Return ``x + alpha * (x @ A) @ B`` as a new ``(dim,)`` float32 array.

        Raises
        ------
        TypeError, ValueError
            If ``x`` is not a real vector of ``dim`` finite values.
        """
        out = np.empty(self.dim, dtype=np.float32)
        self._forward(self._vector(x, "input"), out)
        return out

    def forward_into(self, x: object, out: np.ndarray) -> np.ndarray:
        """Write the forward pass of ``x`` into ``out`` and return ``out``.

        ``out`` must be a writable C-contiguous float32 array of shape
        ``(dim,)``; it may be ``x`` itself. Allocates nothing when ``x`` is a
        float32 ``(dim,)`` array. Errors as :meth:`forward`; ``out`` is left
        untouched when the input is refused.
        """
        if type(out) is not np.ndarray or out.dtype is not _F32:
            raise TypeError(f"out must be a float32 numpy array of shape ({self.dim},), got {_describe(out)}")
        if out.shape != self._input_buffer.shape:
            raise ValueError(f"out has shape {out.shape}, expected ({self.dim},)")
        self._forward(self._vector(x, "input"), out)
        return out

    def forward_buffers(self) -> np.ndarray:
        """Run the forward pass from ``input_buffer`` into ``output_buffer``; return the latter.

        Allocates nothing. The buffer is not re-checked for shape or dtype
        (this object owns it), but NaN/Inf in it is still refused: it shows up
        in ``x @ A``, which is checked anyway.
        """
        self._forward(self._input_buffer, self._output_buffer)
        return self._output_buffer

    def _forward(self, x: np.ndarray, out: np.ndarray) -> None:
        """Core forward pass; ``x`` and ``out`` are float32 ``(dim,)`` arrays, ``out`` C-contiguous.

        Finiteness of ``x`` is checked here. :class:`~ruvllm_web.lora.scoped.ScopedLoRA`
        calls it directly with arguments it has already vetted.

        A NaN/Inf anywhere in ``x`` makes every ``h_j`` of ``h = x @ A`` non-finite
        (``inf * w`` is ``+-inf`` or NaN for every finite weight ``w``), so
        checking ``h_0``, one scalar, checks all of ``x`` without allocating.
        Nothing but scratch is written before it. A finite input so large that
        ``h_0`` overflows is refused too; one whose other ``h_j`` or output
        overflow (entries beyond ~1e37) gives a non-finite output, with numpy's
        overflow warning, but the weights stay finite even then (see
        :meth:`_raw_gradient`).
        """
        spare = self._spare
        np.copyto(spare, x)
        hidden = self._hidden
        self._at.dot(spare, out=hidden)
        if not math.isfinite(hidden.item(0)):
            raise ValueError("input contains NaN or Inf, or values so large that x @ A overflows float32")
        hidden.dot(self._alpha_b, out=out)
        np.add(out, spare, out=out)
        self._last, self._spare = self._spare, self._last
        self._has_input = True

    # ------------------------------------------------------------------ learn
    def adapt(self, gradient: object, x: object = None) -> bool:
        """Take one gradient step given ``gradient = dL/d(out)``, shape ``(dim,)``.

        Parameters
        ----------
        gradient : array-like
            ``dL/d(out)`` at the output for input ``x``.
        x : array-like, optional
            The input the gradient belongs to; by default the last input a
            forward pass accepted.

        Returns
        -------
        bool
            ``True`` if the weights changed (then ``adapt_count`` grew by one);
            ``False`` if nothing could be learned: no input seen yet, or a
            gradient whose step is zero.
        """
        g = self._vector(gradient, "gradient")
        if x is not None:
            x = as_vector(x, self.dim, "x")
            return self._descend(self._raw_gradient(x, g))
        if not self._has_input:
            if g is gradient:  # the fast path deferred the finiteness check
                as_vector(g, self.dim, "gradient")
            return False
        return self._descend(self._raw_gradient(self._last, g))

    def adapt_with_reward(self, improvement: object, x: object = None) -> bool:
        """Reward-modulated step: raise (reward > 0) or lower (< 0) the response along ``x``.

        With ``u = x / ||x||`` this is :meth:`adapt` with ``g = -improvement * u``,
        the gradient of the surrogate loss ``L = -improvement * <out, u>``.
        The response ``p = <forward(x) - x, u> = alpha * (x @ A) . (B @ u)`` is
        bilinear in ``(A, B)``; a step with ``k = lr * alpha * improvement``
        (times the clip factor) changes it by exactly::

            alpha * (k * (||h||^2 + ||x||^2 ||B u||^2) + k^2 ||x||^2 (h . B u)),   h = x @ A

        and ``|h . B u| ||x|| <= (||h||^2 + ||x||^2 ||B u||^2) / 2``. Capping
        ``|improvement|`` at ``1 / (lr * alpha * ||x||)`` makes ``|k| ||x|| <= 1``,
        so the second term is at most half the first: the response always
        moves with the sign of the reward.

        Parameters
        ----------
        improvement : float
            The reward, in ``[-1e6, 1e6]`` (e.g. ``baseline / exec - 1``).
        x : array-like, optional
            The input rewarded; by default the last input a forward pass accepted.

        Returns
        -------
        bool
            As :meth:`adapt`; ``False`` for a zero reward or a zero input.
        """
        reward = as_float(improvement, "improvement", -MAX_REWARD, MAX_REWARD)
        if x is not None:
            x = as_vector(x, self.dim, "x")
        elif self._has_input:
            x = self._last
        else:
            return False
        if not self._reward_gradient(x, reward):
            return False
        return self._descend(self._raw_gradient(x, self._reward_grad))

    def accumulate(self, x: object, quality: object) -> None:
        """Add the reward step for input ``x`` with reward ``2 * quality - 1`` to the pending sum.

        The gradient is evaluated at the current weights and does not touch
        them; :meth:`apply_updates` takes one step with the mean. ``x`` does not
        become the last input.

        Parameters
        ----------
        x : array-like
            Input vector, shape ``(dim,)``.
        quality : float
            Quality of the response to ``x``, in ``[0, 1]``.
        """
        x = as_vector(x, self.dim, "x")
        reward = 2.0 * as_quality(quality) - 1.0  # capped like adapt_with_reward
        if self._reward_gradient(x, reward):
            np.add(self._pending, self._raw_gradient(x, self._reward_grad)[0], out=self._pending)
        self._pending_count += 1

    def apply_updates(self) -> bool:
        """Take one step with the mean of the accumulated gradients, then clear them.

        Returns
        -------
        bool
            As :meth:`adapt`; ``False`` when nothing was accumulated or the mean is zero.
        """
        if self._pending_count == 0:
            return False
        mean = self._pending / self._pending_count
        self._pending.fill(0.0)
        self._pending_count = 0
        return self._descend((mean, float(mean.dot(mean))))

    # ------------------------------------------------------ direct B access
    def set_b(self, b: object) -> bool:
        """Replace ``B`` by ``b`` (shape ``(rank, dim)``, cast to float32); return whether it changed.

        For learners that solve for ``B`` directly (SONA's consolidation)
        rather than step along a gradient. The weight bound still holds: if
        ``||A||^2 + ||b||^2 > max_weight_norm^2``, ``b`` is scaled by
        ``s = sqrt(max(max_weight_norm^2 - ||A||^2, 0)) / ||b||`` first. A change
        counts in ``adapt_count``; setting the current ``B`` again returns
        ``False``. ``A`` and the last input are left alone.

        Raises
        ------
        TypeError, ValueError
            If ``b`` is not a finite real matrix of shape ``(rank, dim)``; nothing changes then.
        """
        value = as_matrix(b, self.dim, "b")
        if value.shape[0] != self.rank:
            raise ValueError(f"b has {value.shape[0]} rows, expected rank {self.rank}")
        value = self._bounded_b(self._at, value)
        if np.array_equal(value, self._b):
            return False
        self._b[...] = value
        self._b_changed()
        self._adapt_count += 1
        return True

    def _bounded_b(self, at: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``b`` as float32, scaled so that ``||A||^2 + ||b||^2 <= max_weight_norm^2`` holds with ``A^T = at``.

        The scale is ``s = sqrt(max(max_weight_norm^2 - ||A||^2, 0)) / ||b||`` when
        the bound is passed (``A`` is kept: only ``B`` gives way), else 1.
        """
        a_square = float(np.sum(np.square(at, dtype=np.float64)))
        b_square = float(np.sum(np.square(b, dtype=np.float64)))
        limit = self.max_weight_norm**2
        if a_square + b_square > limit:
            b = b * b.dtype.type(math.sqrt(max(limit - a_square, 0.0) / b_square))
        return np.asarray(b, dtype=np.float32)

    def merged(self, theirs: MicroLoRA, base: MicroLoRA) -> MicroLoRA:
        """A new adapter holding this one's weights plus what ``theirs`` learned since ``base`` (three-way).

        ``theirs`` and ``base`` are copies of this adapter (same ``dim`` and
        ``rank``; the caller makes sure that ``alpha`` and the seed of ``A``
        agree, else the weights mean different maps). The low-rank weights
        merge like task vectors: ``W = W_mine + (W_theirs - W_base)`` for ``W`` in ``A``
        and ``B`` (:func:`~ruvllm_web.three_way.three_way_array`, rounded
        once to float32; exactly this adapter's value wherever ``theirs``
        kept ``base``'s). For an adapter whose ``A`` neither copy changed
        (``A`` fixed, e.g. SONA's base adapter) the map's delta
        ``alpha * A @ B`` is linear in ``B``, so it merges exactly as well:
        ``delta = delta_mine + delta_theirs - delta_base``. Where ``A``
        moved, the merged delta differs from that sum by
        ``alpha * (dA_mine @ dB_theirs + dA_theirs @ dB_mine)`` (``d``: the
        change since ``base``), second order in the changes.

        The merged weights keep the adapter's bound,
        ``||(A, B)|| <= max_weight_norm``: past it, ``(A, B)`` is scaled
        back together as after a gradient step, or, when ``A`` is ``base``'s
        (an ``A`` the merge did not move), ``B`` alone as :meth:`set_b`
        does. So the result is finite and loads. ``adapt_count`` adds both
        copies' updates since ``base`` (within ``[0, snapshot.MAX_COUNT]``).
        The last input and the pending gradient sum stay this adapter's:
        they belong to its own next call, not to what was learned.

        Raises
        ------
        TypeError, ValueError
            If ``theirs`` or ``base`` is not a ``MicroLoRA`` of this ``dim``
            and ``rank``. This adapter is never changed.
        """
        for other, name in ((theirs, "theirs"), (base, "base")):
            if not isinstance(other, MicroLoRA):
                raise TypeError(f"{name} must be a MicroLoRA, got {type(other).__name__}")
            if (other.dim, other.rank) != (self.dim, self.rank):
                raise ValueError(f"{name} is a rank-{other.rank} {other.dim}-dim adapter, this one "
                                 f"rank-{self.rank} {self.dim}-dim")
        at = three_way_array(self._at, theirs._at, base._at)
        b = three_way_array(self._b, theirs._b, base._b)
        if not np.array_equal(at, base._at):
            norm = math.sqrt(float(np.sum(np.square(at)) + np.sum(np.square(b))))
            if norm > self.max_weight_norm:
                at, b = at * (self.max_weight_norm / norm), b * (self.max_weight_norm / norm)
        meta, arrays = self.to_state()
        arrays["a"], arrays["b"] = at.T.astype(np.float32), self._bounded_b(at, b)
        meta["adapt_count"] = three_way_count(self._adapt_count, theirs._adapt_count, base._adapt_count)
        return MicroLoRA.from_state(meta, arrays)

    def scale_delta(self, factor: object) -> None:
        """Multiply ``B`` by ``factor`` in ``[0, 1]``, so ``alpha * A @ B`` scales by it too."""
        value = as_float(factor, "factor", 0.0, 1.0)
        self._b *= np.float32(value)
        self._b_changed()

    def _b_changed(self) -> None:
        """Refresh what depends on ``B`` after writing it: ``alpha * B`` and the weight-norm bound."""
        np.multiply(self._b, self._alpha_f32, out=self._alpha_b)
        self._weight_bound = math.sqrt(float(self._flat.dot(self._flat))) * (1.0 + 1e-6)

    def _reward_gradient(self, x: np.ndarray, reward: float) -> bool:
        """Write ``g = -reward * x / ||x||`` into the reward scratch; ``False`` if it is zero.

        ``|reward|`` is capped at ``1 / (lr * alpha * ||x||)``, which keeps the
        step from overshooting (see :meth:`adapt_with_reward`).
        """
        if reward == 0.0:
            return False
        square = float(x.dot(x))
        if not math.isfinite(square):
            square = float(np.dot(x.astype(np.float64), x.astype(np.float64)))
        if square == 0.0:
            return False
        norm = math.sqrt(square)
        limit = self.learning_rate * self.alpha * norm * abs(reward)
        if limit > 1.0:
            reward /= limit
        np.multiply(x, -reward / norm, out=self._reward_grad)
        return True

    def _raw_gradient(self, x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
        """Return ``(raw, ||raw||^2)``: ``raw = grad / alpha`` flat, in the parameter layout ``(A^T; B)``.

        ``dL/dA^T / alpha = outer(B @ g, x)`` and ``dL/dB / alpha = outer(x @ A, g)``,
        both ``(r, dim)``, at the current weights. Computed in the float32
        scratch; recomputed in float64 when float32 overflows. ``g`` may come
        unchecked from the fast path: NaN/Inf in it always reaches the result
        (``0 * inf`` is NaN), so it is refused here, before any state changes.
        """
        self._at.dot(x, out=self._hidden)
        self._b.dot(g, out=self._bg)
        np.multiply(self._bg_col, x, out=self._grad_at)
        np.multiply(self._hidden_col, g, out=self._grad_b)
        square = float(self._grad_flat.dot(self._grad_flat))
        if 0.0 < square < math.inf:
            return self._grad_flat, square
        if square == 0.0 and not self._grad_flat.any():
            return self._grad_flat, 0.0
        as_vector(g, self.dim, "gradient")
        # float32 overflowed (or underflowed): redo it in float64, where it cannot.
        x64, g64 = x.astype(np.float64), g.astype(np.float64)
        at64, b64 = self._at.astype(np.float64), self._b.astype(np.float64)
        raw = np.concatenate((np.outer(b64 @ g64, x64).ravel(), np.outer(at64 @ x64, g64).ravel()))
        return raw, float(raw.dot(raw))

    def _descend(self, gradient: tuple[np.ndarray, float]) -> bool:
        """Apply ``theta -= lr * clip(alpha * raw)`` for ``gradient = (raw, ||raw||^2)``; count a real change.

        ``_weight_bound`` is an upper bound of ``||theta||``, grown by each
        step's norm and recomputed only when it passes ``max_weight_norm``,
        so the weight clip costs nothing while the weights are far from it.
        """
        raw, square = gradient
        norm = self._alpha * math.sqrt(square)
        if norm == 0.0:
            return False
        scale = -self.learning_rate * self._alpha * min(1.0, self.max_grad_norm / norm)
        step, params = self._grad_flat, self._flat
        np.multiply(raw, scale, out=step)
        step_norm = abs(scale) * math.sqrt(square)
        if step_norm * step_norm > step.size * max(_SURE_CHANGE * self._weight_bound**2, _TINY_STEP):
            np.add(params, step, out=params)
        else:
            trial = params + step
            if np.array_equal(trial, params):
                return False
            np.copyto(params, trial)
        self._weight_bound += step_norm
        if self._weight_bound > self.max_weight_norm:
            weight_norm = math.sqrt(float(params.dot(params)))
            if weight_norm > self.max_weight_norm:
                np.multiply(params, self.max_weight_norm / weight_norm, out=params)
                weight_norm = math.sqrt(float(params.dot(params)))
            self._weight_bound = weight_norm * (1.0 + 1e-6)
        np.multiply(self._b, self._alpha_f32, out=self._alpha_b)
        self._adapt_count += 1
        return True

    def _vector(self, value: object, name: str) -> np.ndarray:
        """``value`` itself if it is a float32 ``(dim,)`` array (finiteness checked later), else :func:`as_vector`."""
        if type(value) is np.ndarray and value.dtype is _F32 and value.shape == self._input_buffer.shape:
            return value
        return as_vector(value, self.dim, name)

    # --------------------------------------------------------------- persist
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return ``(meta, arrays)``: JSON-able configuration and counters, and the arrays.

        Arrays: ``a`` (dim, r) and ``b`` (r, dim) float32 weights, ``last_input``
        (dim,) float32, ``pending`` (2 r dim,) float64 accumulated gradient sum
        (the format: :mod:`ruvllm_web.lora.micro_state`).
        """
        return micro_state.to_state(self)

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> MicroLoRA:
        """Rebuild an adapter from :meth:`to_state` output, validating everything.

        Raises
        ------
        ValueError
            If any field is missing, of the wrong type, out of range, or an
            array has the wrong dtype, shape, or non-finite values.
        """
        return micro_state.from_state(cls, meta, arrays, (MIN_RANK, MAX_RANK))

    def to_dict(self) -> dict[str, Any]:
        """Return the whole state as a JSON-able dict (arrays as flat lists of floats).

        float32 and float64 values convert to Python floats exactly, and JSON
        round-trips Python floats exactly, so :meth:`from_dict` is bit-exact.
        """
        return micro_state.to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MicroLoRA:
        """Rebuild an adapter from :meth:`to_dict` output (validated as :meth:`from_state`)."""
        return micro_state.from_dict(cls, data, (MIN_RANK, MAX_RANK))

    def __repr__(self) -> str:
        return (f"MicroLoRA(dim={self.dim}, alpha={self.alpha}, learning_rate={self.learning_rate}, "
                f"rank={self.rank}, adapt_count={self._adapt_count})")


def _positive(value: object, name: str) -> float:
    """A finite float in ``(0, 1e12]``."""
    result = as_float(value, name, 0.0, 1e12)
    if result == 0.0:
        raise ValueError(f"{name} must be > 0, got 0")
    return result


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    return type(value).__name__
