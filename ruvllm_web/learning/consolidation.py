"""SONA's consolidation: the exact solve that moves the instant adapter's effect into the base adapter.

A consolidating tick of the background loop (:meth:`~ruvllm_web.learning.sona.SonaInstant.tick`)
calls :func:`distil` on the inputs it took from the ring.

Both adapters start from the same seeded ``A`` (the instant adapter's ``A``
then moves only by its own second-order steps; the base's is never trained),
so the base can represent what the instant adapter learned. For the batch
``X`` (n, dim) of the waiting inputs' directions (each row scaled to unit
length: the adapters are linear, so a row's direction is all it tells about
what to learn; every request weighs the same in the fit, and ``H``, ``M`` and
the Fisher below do not grow with the inputs' scale), with
``H = alpha * X @ A_base`` (n, r), the base's current ``B0`` and the targets
``T = H @ B0 + transfer * delta_instant(X)``, the new base ``B`` minimises::

    ||H B - T||^2 / (2 n) + (1/2) sum W * (B - B*)^2 + (rho / 2) ||B - B0||^2

``B*`` is the EWC anchor (the base ``B`` at the last consolidation) and
``W = c * lambda * F / mean(F)`` its stiffness, scaled by the batch's mean
curvature ``c = trace(H^T H / n) / r`` so that ``lambda = ewc_strength`` says
how firmly a weight of average importance is held relative to how firmly the
batch pulls it; ``rho = 1e-6 c`` is a ridge that only keeps the systems well
posed (batches with ``n < r``). It is solved exactly, one ``r x r`` system per
output column (:func:`~ruvllm_web.learning.ewc.penalised_least_squares`).
Without the penalty and with the instant ``A`` still at its seed, the solution
is ``B0 + transfer * (alpha_i / alpha) * B_instant``: the base then takes over
exactly ``transfer`` of the instant adapter's effect on every input, not only
on the batch. Afterwards the instant adapter's ``B`` shrinks by
``1 - transfer``: what moved to the base leaves the fast weights, so they stay
free for new changes.

The running Fisher ``F`` (EWC++, :class:`~ruvllm_web.learning.ewc.EwcPlusPlus`,
over the base's ``B`` only) folds in, per tick and before the solve, the batch
mean of the squared per-input gradients of the fit at ``B0``:
``m[k, j] = mean_i (H[i, k] * M[i, j])^2`` with ``M = T - H B0`` (what the
tick asks the base to learn). Weights that recent ticks pushed hard are the
ones the penalty holds near the anchor.
"""

from __future__ import annotations

import numpy as np

from ruvllm_web.learning.ewc import EwcPlusPlus, penalised_least_squares
from ruvllm_web.lora.micro import MicroLoRA

#: Ridge of the consolidation solve, relative to the batch's mean curvature.
_RIDGE = 1e-6
#: Floor of a row norm in the consolidation (the smallest positive float64).
_TINY = np.finfo(np.float64).tiny


def distil(base: MicroLoRA, fast: MicroLoRA, ewc: EwcPlusPlus, inputs: np.ndarray, transfer: float) -> int:
    """Consolidate ``fast``'s effect on ``inputs`` (n, dim) into ``base``; see the module docstring.

    Folds the batch's squared gradients into ``ewc``'s Fisher, sets ``base``'s
    ``B`` to the exact penalised solution over the inputs' directions (rows
    scaled to unit length), then shrinks ``fast``'s ``B`` by ``1 - transfer``.
    Returns ``n`` if the base's ``B`` changed, else 0. No inputs, no instant
    effect, or inputs the base's ``A`` does not see (``H = 0``) leave all
    three as they were.
    """
    n = inputs.shape[0]
    if n == 0 or fast.delta_norm() == 0.0:
        return 0
    x = inputs.astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), _TINY)  # a zero row (hand-made state) stays 0
    h = base.alpha * (x @ base.a)
    curvature = float(np.sum(np.square(h))) / h.size
    if curvature == 0.0:
        return 0
    moved = (transfer * fast.alpha) * ((x @ fast.a) @ fast.b)
    start = base.b.astype(np.float64)
    ewc.observe((np.square(h).T @ np.square(moved) / n).ravel())
    anchor = start if ewc.anchor is None else ewc.anchor.reshape(start.shape)
    stiffness = curvature * ewc.stiffness().reshape(start.shape)
    solved = penalised_least_squares(h, h @ start + moved, stiffness, anchor, _RIDGE * curvature, start)
    changed = base.set_b(solved)
    fast.scale_delta(1.0 - transfer)
    return n if changed else 0
