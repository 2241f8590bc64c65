"""Link storage of an HNSW graph: fixed-width int32 rows padded with -1.

Layer 0 is one contiguous ``(capacity, 2 * m)`` int32 matrix, row = slot, so
the search loop reads a node's whole neighbour list as one row. Layers
above 0 hold only about 1/m of the nodes, so each such node keeps its own
``(level, m)`` int32 block in a dict keyed by slot; row ``layer - 1`` is its
list on ``layer``. Links fill each row from the front and unused entries
are -1 everywhere; the search relies on that padding (see
:class:`ruvllm_web.hnsw.index.HnswIndex`).

Beside the lists, the in-degree of every node on every layer (how many
lists hold it) is kept up to date by every change, so the index can tell
in O(1) whether dropping a link would leave a node that no search can
reach (:meth:`HnswLinks.in_degrees`). It is derived data: rebuilt from the
lists on load, never stored.
"""

from __future__ import annotations

import numpy as np

_NO_LINKS = np.empty(0, dtype=np.int32)


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
        self._in0 = np.zeros(capacity + 1, dtype=np.int32)  # + 1: the padding -1 counts into a sentinel
        self._in_upper: dict[int, np.ndarray] = {}

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

    def in_degrees(self, slots: np.ndarray, layer: int) -> np.ndarray:
        """``(len(slots),)`` int32: how many lists on ``layer`` hold each of ``slots``."""
        if layer == 0:
            return self._in0[slots]
        return np.array([self._in_upper[s][layer - 1] for s in slots.tolist()], dtype=np.int32)

    def set(self, slot: int, layer: int, targets: np.ndarray) -> None:
        """Replace the neighbour list of ``slot`` on ``layer`` by ``targets``."""
        row = self.row(slot, layer)
        if row[0] >= 0:  # an empty list holds nobody
            self._count(row, layer, -1)
        row.fill(-1)
        row[: targets.shape[0]] = targets
        self._count(targets, layer, 1)

    def link_back(self, slots: list[int], layer: int, target: int) -> list[int]:
        """Add ``target`` to the list of each of ``slots`` that has room; return the slots whose lists are full."""
        full = []
        for slot in slots:
            row = self.row(slot, layer)
            if row[-1] >= 0:  # lists fill from the front, so a full list ends with a link
                full.append(slot)
            else:
                row[row.argmin()] = target  # the first -1: every link is >= 0
        added = len(slots) - len(full)
        if layer == 0:
            self._in0[target] += added
        else:
            self._in_upper[target][layer - 1] += added
        return full

    def add_node(self, slot: int, level: int) -> None:
        """Give ``slot`` empty lists on layers ``0 .. level`` (nothing links to a new node yet)."""
        self.layer0[slot] = -1
        self._in0[slot] = 0
        if level > 0:
            self.upper[slot] = np.full((level, self.m), -1, dtype=np.int32)
            self._in_upper[slot] = np.zeros(level, dtype=np.int32)

    def drop_node(self, slot: int) -> None:
        """Forget every list of ``slot`` (the lists holding ``slot`` are the caller's to change first)."""
        for layer in range(len(self._in_upper.get(slot, ())) + 1):
            self.set(slot, layer, _NO_LINKS)
        self.upper.pop(slot, None)
        self._in_upper.pop(slot, None)

    def _count(self, targets: np.ndarray, layer: int, change: int) -> None:
        """Add ``change`` to the in-degree on ``layer`` of each of ``targets`` (a list holds a node once; -1 is padding)."""
        if layer == 0:
            self._in0[targets] += change
        else:
            for target in targets.tolist():
                if target >= 0:
                    self._in_upper[target][layer - 1] += change

    def grow(self, capacity: int) -> None:
        """Make room for ``capacity`` slots (never shrinks)."""
        old = self.layer0.shape[0]
        if capacity <= old:
            return
        layer0 = np.full((capacity, 2 * self.m), -1, dtype=np.int32)
        layer0[:old] = self.layer0
        self.layer0 = layer0
        self._in0 = np.concatenate([self._in0[:old], np.zeros(capacity - old + 1, dtype=np.int32)])

    def in_links(self, slot: int, layer: int, high: int) -> np.ndarray:
        """Slots below ``high`` whose list on ``layer`` contains ``slot``, ascending."""
        if layer == 0:
            return np.flatnonzero((self.layer0[:high] == slot).any(axis=1))
        holders = [s for s, block in self.upper.items() if block.shape[0] >= layer and (block[layer - 1] == slot).any()]
        return np.array(sorted(holders), dtype=np.int64)

    def reachable(self, entry: int, high: int) -> np.ndarray:
        """``(high,)`` bool: the slots a walk along layer-0 links from ``entry`` reaches (breadth first, vectorised)."""
        seen = np.zeros(high + 1, dtype=bool)
        seen[-1] = True  # the padding -1 indexes this extra entry: never a frontier node
        seen[entry] = True
        frontier = np.array([entry], dtype=np.int64)
        while frontier.shape[0]:
            targets = np.unique(self.layer0[frontier])
            frontier = targets[~seen[targets]]
            seen[frontier] = True
        return seen[:high]

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
        upper = sum(block.nbytes for block in self.upper.values())
        return self.layer0.nbytes + self._in0.nbytes + upper + sum(c.nbytes for c in self._in_upper.values())

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
            ordered = np.sort(matrix, axis=1)
            if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)).any():
                raise ValueError(f"corrupted HNSW links: a list in {name} holds a node twice")
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
        links._recount()
        return links

    def _recount(self) -> None:
        """Recompute every in-degree from the lists."""
        self._in0 = np.bincount(self.layer0[self.layer0 >= 0], minlength=self.layer0.shape[0] + 1).astype(np.int32)
        self._in_upper = {slot: np.zeros(block.shape[0], dtype=np.int32) for slot, block in self.upper.items()}
        for block in self.upper.values():
            for layer, row in enumerate(block, start=1):
                self._count(row, layer, 1)


def _int_matrix(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int]) -> np.ndarray:
    """Return ``arrays[name]`` if it is an int32 matrix of ``shape``, else raise ValueError."""
    matrix = arrays.get(name)
    if not isinstance(matrix, np.ndarray) or matrix.dtype != np.int32 or matrix.shape != shape:
        raise ValueError(f"corrupted HNSW links: {name} must be int32 of shape {shape}")
    return np.ascontiguousarray(matrix)
