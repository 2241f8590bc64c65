"""Link storage of an HNSW graph: fixed-width int32 rows padded with -1.

Layer 0 is one contiguous ``(capacity, 2 * m)`` int32 matrix, row = slot, so
the search loop reads a node's whole neighbour list as one row. Layers
above 0 hold only about 1/m of the nodes, so each such node keeps its own
``(level, m)`` int32 block in a dict keyed by slot; row ``layer - 1`` is its
list on ``layer``. Links fill each row from the front and unused entries
are -1 everywhere; the search relies on that padding (see
:class:`ruvllm_web.hnsw_index.HnswIndex`).
"""

from __future__ import annotations

import numpy as np


class HnswLinks:
    """Neighbour lists of slots ``0 .. capacity - 1`` on every layer.

    Parameters
    ----------
    m : int
        Links per node on layers >= 1; layer 0 allows ``2 * m``.
    capacity : int
        Initial number of slots.
    """

    def __init__(self, m: int, capacity: int) -> None:
        self.m = m
        self.layer0 = np.full((capacity, 2 * m), -1, dtype=np.int32)
        self.upper: dict[int, np.ndarray] = {}

    def width(self, layer: int) -> int:
        """Most links a node may hold on ``layer``."""
        return 2 * self.m if layer == 0 else self.m

    def row(self, slot: int, layer: int) -> np.ndarray:
        """The padded neighbour row of ``slot`` on ``layer`` (a writable view)."""
        return self.layer0[slot] if layer == 0 else self.upper[slot][layer - 1]

    def neighbours(self, slot: int, layer: int) -> np.ndarray:
        """The neighbours of ``slot`` on ``layer``, without padding."""
        row = self.row(slot, layer)
        return row[row >= 0]

    def set(self, slot: int, layer: int, targets: np.ndarray) -> None:
        """Replace the neighbour list of ``slot`` on ``layer`` by ``targets``."""
        row = self.row(slot, layer)
        row.fill(-1)
        row[: targets.shape[0]] = targets

    def append(self, slot: int, layer: int, target: int) -> bool:
        """Add ``target`` to the list of ``slot`` if there is room; return whether it was added."""
        row = self.row(slot, layer)
        if row[-1] >= 0:  # lists fill from the front, so a full list ends with a link
            return False
        row[row.argmin()] = target  # the first -1: every link is >= 0
        return True

    def add_node(self, slot: int, level: int) -> None:
        """Give ``slot`` empty lists on layers ``0 .. level``."""
        self.layer0[slot] = -1
        if level > 0:
            self.upper[slot] = np.full((level, self.m), -1, dtype=np.int32)

    def drop_node(self, slot: int) -> None:
        """Forget every list of ``slot``."""
        self.layer0[slot] = -1
        self.upper.pop(slot, None)

    def grow(self, capacity: int) -> None:
        """Make room for ``capacity`` slots (never shrinks)."""
        old = self.layer0.shape[0]
        if capacity <= old:
            return
        layer0 = np.full((capacity, 2 * self.m), -1, dtype=np.int32)
        layer0[:old] = self.layer0
        self.layer0 = layer0

    def in_links(self, slot: int, layer: int, high: int) -> np.ndarray:
        """Slots below ``high`` whose list on ``layer`` contains ``slot``, ascending."""
        if layer == 0:
            return np.flatnonzero((self.layer0[:high] == slot).any(axis=1))
        holders = [s for s, block in self.upper.items() if block.shape[0] >= layer and (block[layer - 1] == slot).any()]
        return np.array(sorted(holders), dtype=np.int64)

    def unlinked(self, slots: np.ndarray, high: int) -> bool:
        """Whether ``slots`` have no links on any layer and no slot below ``high`` links to them."""
        own = self.layer0[slots]
        blocks = [self.upper[s] for s in slots.tolist() if s in self.upper]
        if (own >= 0).any() or any((block >= 0).any() for block in blocks):
            return False
        targets = np.zeros(high + 1, dtype=bool)
        targets[slots] = True  # index -1 (padding) lands on the extra last entry, left False
        if targets[self.layer0[:high]].any():
            return False
        return not any(targets[block].any() for block in self.upper.values())

    @property
    def nbytes(self) -> int:
        """Bytes held by link arrays."""
        return self.layer0.nbytes + sum(block.nbytes for block in self.upper.values())

    def to_arrays(self, high: int) -> dict[str, np.ndarray]:
        """Arrays describing slots ``0 .. high - 1``: ``layer0``, ``upper_slots``, ``upper_links``.

        ``upper_links`` stacks the blocks of ``upper_slots`` (ascending) in order.
        """
        slots = sorted(self.upper)
        blocks = [self.upper[s] for s in slots]
        upper_links = np.concatenate(blocks) if blocks else np.empty((0, self.m), dtype=np.int32)
        return {
            "layer0": self.layer0[:high].copy(),
            "upper_slots": np.array(slots, dtype=np.int64),
            "upper_links": upper_links,
        }

    @classmethod
    def from_arrays(cls, m: int, arrays: dict[str, np.ndarray], levels: np.ndarray) -> HnswLinks:
        """Rebuild from :meth:`to_arrays` output, checking it against ``levels`` ``(high,)``.

        ``levels[s]`` is the top layer of slot ``s``, -1 for a free slot.

        Raises
        ------
        ValueError
            On wrong shapes or dtypes, links to free or out-of-range slots,
            self-links, or upper blocks that do not match the levels.
        """
        high = levels.shape[0]
        layer0 = _int_matrix(arrays, "layer0", (high, 2 * m))
        slots = arrays.get("upper_slots")
        if not isinstance(slots, np.ndarray) or slots.dtype != np.int64 or slots.ndim != 1:
            raise ValueError("corrupted HNSW links: upper_slots must be a 1-D int64 array")
        expected_slots = np.flatnonzero(levels > 0)
        if not np.array_equal(slots, expected_slots):
            raise ValueError("corrupted HNSW links: upper_slots do not match the node levels")
        total = int(levels[expected_slots].sum())
        upper_links = _int_matrix(arrays, "upper_links", (total, m))
        live = levels >= 0
        for name, matrix in (("layer0", layer0), ("upper_links", upper_links)):
            if ((matrix < -1) | (matrix >= high)).any():
                raise ValueError(f"corrupted HNSW links: {name} points outside the index")
            targets = matrix[matrix >= 0]
            if not live[targets].all():
                raise ValueError(f"corrupted HNSW links: {name} points to a removed node")
        if (layer0[~live] != -1).any():
            raise ValueError("corrupted HNSW links: a removed node still has links")
        if (layer0 == np.arange(high)[:, None]).any():
            raise ValueError("corrupted HNSW links: a node links to itself on layer 0")
        links = cls(m, high)
        links.layer0 = layer0
        start = 0
        for slot in expected_slots.tolist():
            level = int(levels[slot])
            block = upper_links[start : start + level].copy()
            start += level
            if (block == slot).any():
                raise ValueError("corrupted HNSW links: a node links to itself on an upper layer")
            for layer in range(1, level + 1):
                targets = block[layer - 1][block[layer - 1] >= 0]
                if (levels[targets] < layer).any():
                    raise ValueError(f"corrupted HNSW links: a layer-{layer} link points to a node below that layer")
            links.upper[slot] = block
        return links


def _int_matrix(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int]) -> np.ndarray:
    """Return ``arrays[name]`` if it is an int32 matrix of ``shape``, else raise ValueError."""
    matrix = arrays.get(name)
    if not isinstance(matrix, np.ndarray) or matrix.dtype != np.int32 or matrix.shape != shape:
        raise ValueError(f"corrupted HNSW links: {name} must be int32 of shape {shape}")
    return np.ascontiguousarray(matrix)
