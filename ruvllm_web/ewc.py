"""EWC++: elastic weight consolidation with a running Fisher estimate.

After a consolidation ("task") ends at parameters ``theta*``, later learning
pays the quadratic penalty::

    P(theta) = (lambda / 2) * sum_i F_i * (theta_i - theta*_i) ** 2
    dP/dtheta = lambda * F * (theta - theta*)

where ``F`` estimates the diagonal of the Fisher information of what was
learned. EWC++ (Chaudhry et al., 2018) keeps ``F`` as an exponential moving
average of squared gradients instead of recomputing it per task::

    F <- gamma * F + (1 - gamma) * g ** 2

and moves ``theta*`` to the current parameters at each consolidation, so one
penalty protects everything learned so far at constant memory. ``F`` is
normalised by its mean in the penalty so ``lambda`` is scale-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ruvllm_web.validation import as_float


class EwcPlusPlus:
    """Running-Fisher EWC penalty over one flat parameter vector.

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

    def observe(self, gradient: np.ndarray) -> None:
        """Fold one task-loss gradient of shape ``(size,)`` into ``F``."""
        self.fisher *= self.decay
        self.fisher += (1.0 - self.decay) * np.square(gradient, dtype=np.float32)

    def penalty_gradient(self, params: np.ndarray) -> np.ndarray:
        """``lambda * F / mean(F) * (theta - theta*)``, zeros before the first consolidation."""
        if self.anchor is None or self.strength == 0.0:
            return np.zeros_like(params)
        scale = float(self.fisher.mean())
        if scale <= 0.0:
            return np.zeros_like(params)
        return (self.strength / scale) * self.fisher * (params - self.anchor)

    def penalty(self, params: np.ndarray) -> float:
        """The penalty value ``P(theta)`` (0 before the first consolidation)."""
        scale = float(self.fisher.mean())
        if self.anchor is None or scale <= 0.0:
            return 0.0
        return 0.5 * self.strength / scale * float(np.dot(self.fisher, np.square(params - self.anchor)))

    def consolidate(self, params: np.ndarray) -> None:
        """End a task: anchor the penalty at ``params``."""
        self.anchor = params.astype(np.float32, copy=True)
        self.tasks += 1

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able metadata and arrays for a snapshot."""
        arrays = {"fisher": self.fisher}
        if self.anchor is not None:
            arrays["anchor"] = self.anchor
        return {"strength": self.strength, "decay": self.decay, "tasks": self.tasks}, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], size: int) -> EwcPlusPlus:
        """Rebuild from :meth:`to_state` output, checking shapes; ``ValueError`` when inconsistent."""
        try:
            ewc = cls(size, meta["strength"], meta["decay"])
            tasks = int(meta["tasks"])
        except (KeyError, TypeError) as error:
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
        ewc.tasks = max(tasks, 0)
        return ewc
