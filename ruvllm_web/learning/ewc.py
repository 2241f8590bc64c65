"""EWC++: elastic weight consolidation with a running Fisher estimate, and the penalised solve.

After a consolidation ("task") ends at parameters ``theta*``, later learning
pays the quadratic penalty::

    P(theta) = (1 / 2) * sum_i w_i * (theta_i - theta*_i) ** 2,   w = lambda * F / mean(F)

where ``F`` estimates the diagonal of the Fisher information of what was
learned. EWC++ (Chaudhry et al., 2018) keeps ``F`` as an exponential moving
average instead of recomputing it per task::

    F <- gamma * F + (1 - gamma) * m

with ``m`` the mean squared per-sample loss gradient of one batch (the
empirical Fisher diagonal of that batch), and moves ``theta*`` to the current
parameters at each consolidation, so one penalty protects everything
learned so far at constant memory. Dividing ``F`` by its mean makes the
stiffness ``w`` independent of the gradients' scale: ``lambda`` alone says how
firmly a parameter of average importance is held.

:func:`penalised_least_squares` minimises a least-squares task plus this
penalty exactly (SONA's consolidation into its base adapter).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.three_way import three_way_array, three_way_count
from ruvllm_web.validation import as_float, as_int

_FLOAT32_MAX = float(np.finfo(np.float32).max)


class EwcPlusPlus:
    """Running-Fisher EWC state over one flat parameter vector.

    Parameters
    ----------
    size : int
        Number of parameters.
    strength : float
        ``lambda``, the penalty weight (``>= 0``; 0 disables the penalty).
    decay : float
        ``gamma`` in ``[0, 1)``, the Fisher EMA decay.
    """

    def __init__(self, size: int, strength: float = 10.0, decay: float = 0.9) -> None:
        self.strength = as_float(strength, "ewc strength", 0.0, 1e9)
        self.decay = as_float(decay, "ewc decay", 0.0, 0.999999)
        self.fisher = np.zeros(size, dtype=np.float32)
        self.anchor: np.ndarray | None = None
        self.tasks = 0

    def observe(self, mean_square: np.ndarray) -> None:
        """Fold one batch's mean squared per-sample gradient ``m``, shape ``(size,)``, into ``F``.

        Folded in float64 and stored as float32, an entry beyond float32's
        range as its largest value: ``F`` stays finite (and so saveable) for
        any finite ``m``, and ``w`` only depends on ``F``'s relative values.
        """
        folded = self.decay * self.fisher.astype(np.float64) + (1.0 - self.decay) * np.asarray(mean_square, np.float64)
        self.fisher[:] = np.minimum(folded, _FLOAT32_MAX)

    def stiffness(self) -> np.ndarray:
        """``w = lambda * F / mean(F)`` as float64 ``(size,)``; zeros before the first consolidation.

        Zeros as well while ``lambda`` or ``F`` is zero: nothing is protected then.
        """
        scale = float(self.fisher.mean(dtype=np.float64))
        if self.anchor is None or self.strength == 0.0 or scale <= 0.0:
            return np.zeros(self.fisher.shape, dtype=np.float64)
        return (self.strength / scale) * self.fisher.astype(np.float64)

    def penalty(self, params: np.ndarray) -> float:
        """The penalty value ``P(theta)`` (0 before the first consolidation)."""
        if self.anchor is None:
            return 0.0
        return 0.5 * float(np.dot(self.stiffness(), np.square(params - self.anchor, dtype=np.float64)))

    def consolidate(self, params: np.ndarray) -> None:
        """End a task: anchor the penalty at ``params``."""
        self.anchor = np.asarray(params, dtype=np.float32).ravel().copy()
        self.tasks += 1

    def merged(self, theirs: EwcPlusPlus, base: EwcPlusPlus, base_params: np.ndarray) -> EwcPlusPlus:
        """A new state holding this one plus what ``theirs`` gathered since ``base`` (a three-way merge).

        For two copies of one learner (``base`` their common ancestor, whose
        parameters were ``base_params``). Strength and decay stay this
        state's. Per part (:mod:`ruvllm_web.three_way`: exactly this state's
        value wherever ``theirs`` kept ``base``'s):

        - Fisher: ``F = F_mine + F_theirs - F_base``, floored at 0 and capped
          at float32's largest value (as :meth:`observe` caps it). Each copy
          folded its own batches into ``F``; their changes add, so each
          batch counts once, and a weight either copy found important stays
          important. It is the first-order form of one EMA over both
          streams: ``F_base`` decays in each copy (``gamma^k F_base``, ``k``
          its batches), and ``gamma^k1 + gamma^k2 - 1`` matches
          ``gamma^(k1 + k2)`` to first order in ``1 - gamma^k``; where both
          copies let ``F_base`` decay further than that, the floor keeps ``F``
          a valid (non-negative) importance. The elementwise maximum would
          also keep what either found important, but it counts a weight both
          copies pushed as if one had, and it is not a no-op for an
          unchanged ``theirs`` when this copy's ``F`` decayed below ``F_base``.
        - Anchor: ``theta* = theta*_mine + theta*_theirs - theta*_base``, the
          rule of the parameters themselves: each copy anchored at its own
          parameters, which are ``base_params`` plus its change, so the merged
          anchor is the parameters merged the same way (when both copies
          anchored at their current parameters, it is exactly the merged
          parameters). A copy that has not anchored since ``base`` counts as
          unchanged; before its first anchor ``base``'s anchor stands for
          ``base_params``, where each copy's first anchor started from. No
          anchor only if no copy has one.
        - ``tasks``: ``mine + theirs - base`` (within ``[0, snapshot.MAX_COUNT]``).

        The result is finite (anchor clipped to float32's range) and loads.
        """
        ewc = EwcPlusPlus(self.fisher.size, self.strength, self.decay)
        fisher = three_way_array(self.fisher, theirs.fisher, base.fisher)
        ewc.fisher = np.clip(fisher, 0.0, _FLOAT32_MAX).astype(np.float32)
        start = np.asarray(base_params if base.anchor is None else base.anchor, dtype=np.float32).ravel()
        if _same(theirs.anchor, base.anchor):
            ewc.anchor = _copy(self.anchor)
        elif _same(self.anchor, base.anchor):
            ewc.anchor = _copy(theirs.anchor)
        else:
            mine, other = (start if anchor is None else anchor for anchor in (self.anchor, theirs.anchor))
            ewc.anchor = np.clip(three_way_array(mine, other, start), -_FLOAT32_MAX, _FLOAT32_MAX).astype(np.float32)
        ewc.tasks = three_way_count(self.tasks, theirs.tasks, base.tasks)
        return ewc

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able metadata and arrays for a snapshot."""
        arrays = {"fisher": self.fisher}
        if self.anchor is not None:
            arrays["anchor"] = self.anchor
        return {"strength": self.strength, "decay": self.decay, "tasks": snapshot.capped(self.tasks)}, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], size: int) -> EwcPlusPlus:
        """Rebuild from :meth:`to_state` output, checking shapes; ``ValueError`` when inconsistent."""
        try:
            ewc = cls(size, meta["strength"], meta["decay"])
            tasks = as_int(meta["tasks"], "EWC tasks", 0, snapshot.MAX_COUNT)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"corrupted snapshot: EWC state is incomplete ({error})") from None
        for name in ("fisher", "anchor"):
            array = arrays.get(name)
            if array is None:
                continue
            if array.shape != (size,) or array.dtype != np.float32 or not np.isfinite(array).all():
                raise ValueError(f"corrupted snapshot: EWC {name} must be {size} finite float32 values")
        if "fisher" not in arrays or (arrays["fisher"] < 0).any():
            raise ValueError("corrupted snapshot: EWC fisher is missing or negative")
        ewc.fisher = arrays["fisher"].copy()
        ewc.anchor = arrays["anchor"].copy() if "anchor" in arrays else None
        ewc.tasks = tasks
        return ewc


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether two optional anchors are equal (both absent, or both present with equal values)."""
    return a is b is None or (a is not None and b is not None and np.array_equal(a, b))


def _copy(anchor: np.ndarray | None) -> np.ndarray | None:
    return None if anchor is None else anchor.copy()


def penalised_least_squares(
    h: np.ndarray, targets: np.ndarray, stiffness: np.ndarray, anchor: np.ndarray, ridge: float, start: np.ndarray
) -> np.ndarray:
    """The exact minimiser ``B`` (r, dim) of a least-squares fit plus EWC and ridge penalties.

    Minimises::

        J(B) = ||H B - T||^2 / (2 n) + (1/2) sum W * (B - B*)^2 + (ridge / 2) ||B - B0||^2

    with ``H`` (n, r), ``T`` (n, dim), stiffness ``W`` and anchor ``B*`` (r, dim),
    and ``B0`` (r, dim) the starting point the ridge (if any) pulls toward.
    ``J`` separates over the output columns: with ``G = H^T H / n`` (r, r),
    column ``b_j`` solves the ``r x r`` system::

        (G + diag(W[:, j]) + ridge I) b_j = H^T t_j / n + W[:, j] * B*[:, j] + ridge * B0[:, j]

    All ``dim`` systems are solved in one batched ``np.linalg.solve``: cost
    ``O(n r dim + dim r^3)``. Computed in float64. The systems are symmetric
    positive definite when ``H`` has full column rank or ``ridge > 0``;
    otherwise ``np.linalg.LinAlgError`` may be raised.
    """
    h = np.asarray(h, dtype=np.float64)
    n, r = h.shape
    gram = h.T @ h / n
    rhs = h.T @ np.asarray(targets, dtype=np.float64) / n + stiffness * anchor + ridge * start  # (r, dim)
    systems = np.broadcast_to(gram + ridge * np.eye(r), (rhs.shape[1], r, r)).copy()
    systems[:, np.arange(r), np.arange(r)] += stiffness.T
    return np.linalg.solve(systems, rhs.T[:, :, None])[:, :, 0].T
