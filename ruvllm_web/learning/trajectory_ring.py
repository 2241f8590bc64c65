"""SONA's ring of recent requests waiting for the background loop.

Each trajectory is (input embedding, quality, routed agent, task type,
context). Embeddings and qualities live in preallocated numpy arrays; the
three strings in parallel Python lists. When the ring is full the oldest
waiting trajectory is overwritten.

A take removes every waiting trajectory when at most ``limit`` wait, and
otherwise a uniform random sample of ``limit`` of them: under sustained
load (more arrive between takes than a take removes) every trajectory then
has the same chance to be taken, whatever its position in the queue, where
taking the oldest would take the same positions of every interval and let
the others be overwritten, always. The ones not taken keep waiting in
arrival order (the gaps are closed by moving them, ``O(pending * dim)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.validation import MAX_EMBEDDING_VALUE, MAX_TEXT_LENGTH, as_int


@dataclass(frozen=True)
class TrajectoryBatch:
    """Trajectories taken from the ring, oldest first."""

    inputs: np.ndarray  # (n, dim) float32
    qualities: np.ndarray  # (n,) float32
    agents: list[str]
    task_types: list[str]
    contexts: list[str]


class TrajectoryRing:
    """A FIFO ring of at most ``capacity`` trajectories of dimension ``dim``."""

    def __init__(self, capacity: int, dim: int) -> None:
        self.capacity = capacity
        self.inputs = np.zeros((capacity, dim), dtype=np.float32)
        self.qualities = np.zeros(capacity, dtype=np.float32)
        self.texts: list[tuple[str, str, str]] = [("", "", "")] * capacity
        self.start = 0
        self.pending = 0
        self.dropped = 0

    def push(self, x: np.ndarray, quality: float, agent: str, task_type: str, context: str) -> None:
        """Append one trajectory, overwriting the oldest when full."""
        slot = (self.start + self.pending) % self.capacity
        if self.pending == self.capacity:
            self.start = (self.start + 1) % self.capacity
            self.dropped += 1
        else:
            self.pending += 1
        self.inputs[slot] = x
        self.qualities[slot] = quality
        self.texts[slot] = (agent, task_type, context)

    def take(self, limit: int, rng: np.random.Generator) -> TrajectoryBatch:
        """Remove and return up to ``limit`` waiting trajectories, oldest first.

        All of them when at most ``limit`` wait; else a uniform random sample
        of ``limit`` drawn with ``rng``, the others kept in arrival order.
        """
        order = (self.start + np.arange(self.pending)) % self.capacity
        chosen = np.ones(self.pending, dtype=bool)
        if self.pending > limit:
            chosen[:] = False
            chosen[rng.choice(self.pending, limit, replace=False)] = True
        slots, kept = order[chosen], order[~chosen]
        texts = [self.texts[s] for s in slots]
        batch = TrajectoryBatch(
            self.inputs[slots],
            self.qualities[slots],
            [t[0] for t in texts],
            [t[1] for t in texts],
            [t[2] for t in texts],
        )
        count = kept.shape[0]
        self.texts[:count] = [self.texts[s] for s in kept]
        self.inputs[:count] = self.inputs[kept]
        self.qualities[:count] = self.qualities[kept]
        self.start, self.pending = 0, count
        return batch

    def clear(self) -> None:
        """Drop every waiting trajectory."""
        self.start = 0
        self.pending = 0

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The waiting trajectories, oldest first, as metadata and arrays."""
        slots = (self.start + np.arange(self.pending)) % self.capacity
        meta = {"texts": [list(self.texts[s]) for s in slots], "dropped": snapshot.capped(self.dropped)}
        return meta, {"inputs": self.inputs[slots], "qualities": self.qualities[slots]}

    def load_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Replace the contents from :meth:`to_state` output, validated first."""
        if not isinstance(meta, dict):
            raise ValueError("corrupted snapshot: SONA trajectories are missing")
        inputs, qualities, texts = arrays.get("inputs"), arrays.get("qualities"), meta.get("texts")
        dim = self.inputs.shape[1]
        if (
            inputs is None or qualities is None or not isinstance(texts, list)
            or inputs.dtype != np.float32 or inputs.ndim != 2 or inputs.shape[1] != dim
            or qualities.dtype != np.float32 or qualities.shape != (inputs.shape[0],)
            or len(texts) != inputs.shape[0] or inputs.shape[0] > self.capacity
            or not all(
                isinstance(t, list) and len(t) == 3 and all(isinstance(s, str) and len(s) <= MAX_TEXT_LENGTH for s in t)
                for t in texts
            )
            # Inputs as process() accepts them: finite and within the embedding range (NaN fails the test).
            or not (np.abs(inputs) <= MAX_EMBEDDING_VALUE).all() or not ((qualities >= 0) & (qualities <= 1)).all()
        ):
            raise ValueError("corrupted snapshot: SONA trajectories are inconsistent")
        try:
            dropped = as_int(meta.get("dropped", 0), "dropped", 0, snapshot.MAX_COUNT)
        except TypeError as error:
            raise ValueError(f"corrupted snapshot: SONA trajectories: {error}") from None
        n = inputs.shape[0]
        self.clear()
        self.inputs[:n] = inputs
        self.qualities[:n] = qualities
        self.texts = [tuple(t) for t in texts] + [("", "", "")] * (self.capacity - n)
        self.pending = n
        self.dropped = dropped
