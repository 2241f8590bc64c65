"""A bounded window of latency samples and its summary statistics."""

from __future__ import annotations

import numpy as np


class LatencyWindow:
    """The last ``size`` latency samples (microseconds) in a preallocated ring.

    ``summary()`` gives the count of all samples ever added and the mean, p50
    and p99 of those in the window (linear interpolation between order
    statistics, numpy's default percentile method).
    """

    def __init__(self, size: int = 1024) -> None:
        self._samples = np.zeros(size, dtype=np.float64)
        self.count = 0

    def add(self, microseconds: float) -> None:
        """Record one sample."""
        self._samples[self.count % self._samples.size] = microseconds
        self.count += 1

    @property
    def size(self) -> int:
        """Most samples the window holds."""
        return self._samples.size

    def samples(self) -> np.ndarray:
        """The samples in the window, oldest first, ``(min(count, size),)`` float64 (a copy)."""
        size = self._samples.size
        if self.count <= size:
            return self._samples[: self.count].copy()
        start = self.count % size
        return np.concatenate((self._samples[start:], self._samples[:start]))

    def clear(self) -> None:
        """Drop every sample."""
        self.count = 0

    def summary(self) -> dict[str, float | int]:
        """``{"count", "mean_us", "p50_us", "p99_us"}``; zeros when empty."""
        window = self._samples[: min(self.count, self._samples.size)]
        if window.size == 0:
            return {"count": 0, "mean_us": 0.0, "p50_us": 0.0, "p99_us": 0.0}
        p50, p99 = np.percentile(window, [50, 99])
        return {"count": self.count, "mean_us": float(window.mean()), "p50_us": float(p50), "p99_us": float(p99)}
