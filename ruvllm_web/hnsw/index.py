"""HnswIndex: a Hierarchical Navigable Small World graph (Malkov & Yashunin, 2018).

Parameters, as in the paper and hnswlib:

``m``
    Links per node on layers >= 1 (``2 * m`` on layer 0). Higher: better
    recall on hard data, more memory (``8 * m`` bytes per vector on layer 0)
    and slower inserts.
``ef_construction``
    Beam width while inserting. Higher: a better graph, slower inserts.
``ef_search``
    Default beam width while searching (at least ``k`` is used). Higher:
    better recall, slower queries.

Every node gets a random top layer ``floor(-ln(U) * mL)`` with
``mL = 1 / ln(m)``. A query descends greedily from the entry point through
the upper layers, then runs a beam search of width ``ef`` on layer 0. New
nodes choose their links with the neighbour-selection heuristic
(:mod:`ruvllm_web.hnsw.heuristic`) and are linked back; a neighbour whose
list overflows re-selects its links with the same heuristic, except that
it never drops the last link to a node (such a node could no longer be
reached; :meth:`HnswIndex._relink`). Removal unlinks a node for real:
every node that pointed to it re-selects its links among its remaining
ones and the removed node's, and a new entry point is chosen if needed.

Indexes of at most ``exact_threshold`` vectors are searched exactly (one
matrix-vector product), which is both faster and exact at that size, so
their graph is built only as the index approaches that size: while it holds
at most ``exact_threshold // 2`` vectors, a new vector is only stored and
waits; from then on every insert queues its vector and links the
:data:`LINKS_PER_INSERT` oldest waiting ones into the graph, in insertion
order, so the queue is empty once the index holds ``exact_threshold``
vectors, before any search needs the graph (a search walks the graph only
beyond ``exact_threshold`` vectors; removals only empty the queue sooner).
Linking in insertion order builds the graph that linking at once would have
built, link for link, unless vectors are removed while others wait. A small
index (a router's few hundred patterns) thus never pays for a graph it does
not search.

Storage: stored rows (see :mod:`ruvllm_web.hnsw.metric`) live in one
contiguous ``(capacity, width)`` float32 matrix; a node's *slot* is its row.
Ids are the caller's (or assigned counting up from 0) and are mapped to
slots. Capacity doubles when full (``add_batch`` grows to at least what it
needs); slots of removed vectors are reused, smallest first.

Search-loop design, for Pyodide where each numpy call costs microseconds
whatever its size: the few nodes of the top layers are scored with one
product (:mod:`ruvllm_web.hnsw.top`), the layers below them are walked
greedily (one product over a node's link row per step). On the bottom layer
each step takes up to :func:`expansion_batch` unexpanded nodes that still
beat the worst kept result, gathers their padded link rows at once, drops
visited nodes with one gather from a boolean "unvisited" mask (the padding -1
indexes a sentinel slot that is never unvisited; a search clears the marks it
set, all at once, when it ends), scores the rest with one
``(n, width) @ (width,)`` product against the negated query, keeps those
below the worst kept negated score, and merges them into the kept list (a
sorted list of ``(-score, slot)`` trimmed to ``ef``) and the frontier (the
kept entries not yet expanded) with C-level list operations.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.hnsw.heuristic import copies_of, select_neighbours
from ruvllm_web.hnsw.links import HnswLinks
from ruvllm_web.hnsw.metric import Metric
from ruvllm_web.hnsw.row_scores import row_dots
from ruvllm_web.hnsw.top import TopLayers
from ruvllm_web.validation import as_int, as_matrix, as_text, as_vector

#: Indexes up to this many vectors are searched exactly by default. Measured
#: inside Pyodide 0.27.7 at 384 dims (BENCHMARKS.md, bench_hnsw): exact search
#: costs about 0.19 us per vector (0.34 ms at 1k, 1.9 ms at 10k), the graph at
#: 10k about 0.9 ms at ef 32 and 1.3 ms at ef 64, so at the default ef_search
#: of 50 the crossover lies near 5k; on CPython with BLAS it lies higher.
DEFAULT_EXACT_THRESHOLD = 5000
#: A filtered search whose filter admits at most 1/FILTER_EXACT_RATIO of the
#: vectors scores the admitted ones exactly instead of walking the graph.
FILTER_EXACT_RATIO = 5
_MAX_ID = 2**63 - 1
_MAX_LEVEL = 32
#: Largest ``exact_threshold``: more vectors than an index can hold in wasm32's
#: 4 GiB (a 384-dim vector alone takes 1.5 KiB), so any larger value means the
#: same as this one, "always search exactly".
MAX_EXACT_THRESHOLD = 2**31 - 1
#: The level generator's state as numpy's PCG64 reports it: two 128-bit words, a cached 32-bit half.
_RNG_WORD = 2**128
#: A beam of width ``ef`` expands up to ``min(MAX_EXPANSION_BATCH, 3 + ef // 16)``
#: nodes per step: fewer steps cost fewer numpy calls, larger batches expand
#: nodes a smaller one would have dropped. Measured inside Pyodide, 3,000 x 384
#: clustered: one node per step takes 166 kernel calls per insert, batches of
#: up to 8 take 29 for 7% more rows scored (build 3.3x faster). Searches at
#: 10k and 100k x 384, batch sizes interleaved in one process: at ef 32, 4-5
#: nodes beat 8 by 7-10% at equal recall; at ef 16, 3-5 are within 2%; at
#: ef 64, 5-8 within 3%. Insert beams (ef_construction >= 80) keep 8.
MAX_EXPANSION_BATCH = 8
#: Waiting vectors linked per insert once the index holds more than
#: ``exact_threshold // 2`` (the new one joins the queue first): the queue, at most
#: ``exact_threshold // 2`` long, shrinks by one per insert, so it is empty by the
#: time the index holds ``exact_threshold`` vectors, and an insert costs at most
#: two links (one more than linking every vector at once).
LINKS_PER_INSERT = 2
_SNAPSHOT_KIND = "HnswIndex"
#: Version 2 adds the ``waiting`` array (slots not yet linked, oldest first); version 1 loads with none.
_STATE_VERSION = 2


def _unvisited_mask(capacity: int) -> np.ndarray:
    """All of ``capacity`` slots unvisited, plus the sentinel slot (index -1, the links' padding), never unvisited."""
    mask = np.ones(capacity + 1, dtype=bool)
    mask[-1] = False
    return mask


def expansion_batch(ef: int) -> int:
    """Nodes a beam of width ``ef`` expands together per step (see :data:`MAX_EXPANSION_BATCH`)."""
    return min(MAX_EXPANSION_BATCH, 3 + ef // 16)


class HnswIndex:
    """Approximate nearest-neighbour index over vectors of ``dim`` values.

    Parameters
    ----------
    dim : int
        Vector length.
    m : int
        Links per node on upper layers, ``2 * m`` on layer 0 (2 .. 256).
    ef_construction : int
        Beam width while inserting (>= 1).
    ef_search : int
        Default beam width while searching (>= 1).
    metric : {"cosine", "dot", "l2"}
        Score returned by :meth:`search`, higher is better: cosine
        similarity, dot product, or negative Euclidean distance.
    seed : int
        Seed of the level generator; the same calls with the same seed build
        the same graph.
    exact_threshold : int
        Indexes of at most this many vectors are searched exactly, and link
        their vectors into the graph lazily (module docstring); 0 links
        every vector on insert and always walks the graph.
    """

    def __init__(
        self,
        dim: int,
        *,
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 50,
        metric: str = "cosine",
        seed: int = 0,
        exact_threshold: int = DEFAULT_EXACT_THRESHOLD,
    ) -> None:
        self.dim = as_int(dim, "dim", 1, 1 << 16)
        self.m = as_int(m, "m", 2, 256)
        self.ef_construction = as_int(ef_construction, "ef_construction", 1, 1 << 16)
        self.ef_search = as_int(ef_search, "ef_search", 1, 1 << 16)
        self.metric = as_text(metric, "metric", max_length=16)
        self._metric = Metric(self.metric, self.dim)
        self.seed = as_int(seed, "seed", 0, _MAX_ID)
        self._exact_threshold = as_int(exact_threshold, "exact_threshold", 0, MAX_EXACT_THRESHOLD)
        self._level_scale = 1.0 / math.log(self.m)
        self._rng = np.random.default_rng(self.seed)
        self._stored = np.zeros((0, self._metric.width), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._levels = np.zeros(0, dtype=np.int32)
        self._unvisited = _unvisited_mask(0)
        self._links = HnswLinks(self.m, 0)
        self._top = TopLayers()
        self._slot_of: dict[int, int] = {}
        self._waiting: list[int] = []
        self._free: list[int] = []
        self._high = 0
        self._entry = -1
        self._max_level = -1
        self._next_id = 0

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, (int, np.integer)) and not isinstance(item, bool) and int(item) in self._slot_of

    def __repr__(self) -> str:
        return f"HnswIndex(dim={self.dim}, m={self.m}, metric={self.metric!r}, size={len(self)})"

    @property
    def exact_threshold(self) -> int:
        """Indexes of at most this many vectors are searched exactly (see the module docstring).

        It may be changed; lowering it links every waiting vector into the
        graph at once, so that a larger index never has unlinked vectors.
        """
        return self._exact_threshold

    @exact_threshold.setter
    def exact_threshold(self, value: int) -> None:
        value = as_int(value, "exact_threshold", 0, MAX_EXACT_THRESHOLD)
        if value < self._exact_threshold:
            self._link_waiting(len(self._waiting))
        self._exact_threshold = value

    @property
    def waiting(self) -> int:
        """Vectors stored but not yet linked into the graph (see the module docstring)."""
        return len(self._waiting)

    @property
    def next_id(self) -> int:
        """The id :meth:`add` assigns next: one more than any id ever used (0 at first), at most ``2**63``."""
        return self._next_id

    @property
    def capacity(self) -> int:
        """Vectors the index holds before its storage next grows."""
        return self._stored.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes of numpy storage held (vectors, links, ids, levels, visited marks)."""
        arrays = (self._stored, self._ids, self._levels, self._unvisited)
        return sum(a.nbytes for a in arrays) + self._links.nbytes

    def ids(self) -> np.ndarray:
        """The ids of all vectors in the index, ascending, as int64."""
        return np.array(sorted(self._slot_of), dtype=np.int64)

    def vector(self, id: int) -> np.ndarray:
        """A copy of the stored vector of ``id`` ``(dim,)``; unit length under cosine.

        Raises
        ------
        ValueError
            If ``id`` is not in the index.
        """
        slot = self._slot(id)
        return self._stored[slot, : self.dim].copy()

    def search(
        self, query: object, k: int = 10, ef: int | None = None, allowed: Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` best matches of ``query``, best first.

        Parameters
        ----------
        query : array-like, shape (dim,)
        k : int
            Results wanted (>= 1); fewer come back only if fewer exist.
        ef : int, optional
            Beam width on layer 0 (default ``ef_search``; at least ``k`` is used).
        allowed : iterable of int, optional
            A filter: only these ids may be returned. Ids not in the index
            are ignored. When the filter admits few vectors (at most
            ``exact_threshold``, or at most 1/5 of the index) they are scored
            exactly; otherwise the graph is walked through all nodes but only
            admitted ones are collected, and if that finds fewer than
            ``min(k, admitted)`` the admitted vectors are scored exactly, so
            a filtered search never returns fewer results than exist.

        Returns
        -------
        ids : ndarray, shape (min(k, available),), int64
        scores : ndarray, same shape, float32
            Cosine similarity, dot product or negative Euclidean distance.

        Raises
        ------
        TypeError, ValueError
            On a malformed query (wrong length, NaN/Inf, zero under cosine),
            ``k`` or ``ef`` below 1 or not integers, or a malformed filter.
        """
        vector = as_vector(query, self.dim, "query")
        k = as_int(k, "k", 1)
        ef = self.ef_search if ef is None else as_int(ef, "ef", 1)
        allowed_slots = None if allowed is None else self._allowed_slots(allowed)
        return self._search_valid(vector, k, ef, allowed_slots)

    def _search_valid(
        self, vector: np.ndarray, k: int, ef: int, allowed_slots: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`search` of a validated query ``(dim,)`` float32, ``k, ef >= 1`` and filter slots (or ``None``).

        For callers inside the package that validated the query themselves
        (the router's route path); raises ``ValueError`` only for a zero
        query under cosine.
        """
        query_row, _ = self._metric.query_row(vector)
        pool = len(self) if allowed_slots is None else allowed_slots.shape[0]
        count = min(k, pool)
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if allowed_slots is None:
            if len(self) <= self.exact_threshold:
                slots, internal = self._exact(query_row, count, None)
            else:
                slots, internal = self._graph_search(query_row, count, max(ef, count), None)
        elif pool <= self.exact_threshold or pool * FILTER_EXACT_RATIO <= len(self):
            slots, internal = self._exact(query_row, count, allowed_slots)
        else:
            mask = np.zeros(self._high, dtype=np.uint8)
            mask[allowed_slots] = 1
            slots, internal = self._graph_search(query_row, count, max(ef, count), mask.tobytes())
            if slots.shape[0] < count:
                slots, internal = self._exact(query_row, count, allowed_slots)
        slots, scores = self._metric.final_results(self._stored, slots, internal, vector)
        return self._ids[slots], scores

    # ---------------------------------------------------------------- mutations

    def add(self, vector: object, id: int | None = None) -> int:
        """Insert ``vector`` ``(dim,)`` and return its id.

        With ``id`` of a vector already in the index, that vector is replaced
        (removed and inserted again under the same id). Without ``id`` the
        next unused id is assigned (one more than any id ever used), so ids
        of removed vectors are never handed out again.

        Raises
        ------
        TypeError, ValueError
            On a malformed vector (wrong length, NaN/Inf, zero under cosine)
            or an id that is not an integer in ``[0, 2**63 - 1]``; the index
            is left unchanged.
        """
        row = as_vector(vector, self.dim, "vector")
        ids = None if id is None else [as_int(id, "id", 0, _MAX_ID)]
        stored = self._metric.stored_rows(row.reshape(1, self.dim), "vector")
        return int(self._add_rows(stored, ids)[0])

    def add_batch(self, vectors: object, ids: object | None = None) -> np.ndarray:
        """Insert the rows of ``vectors`` ``(n, dim)``; return their ids ``(n,)`` int64.

        Faster per vector than repeated :meth:`add`: arguments are checked,
        converted and stored once for the whole batch. ``ids`` (optional,
        ``(n,)`` distinct non-negative integers) name the rows; rows whose id
        is already present replace that vector. Nothing changes on error.
        """
        matrix = as_matrix(vectors, self.dim, "vectors")
        id_list = None if ids is None else self._batch_ids(ids, matrix.shape[0])
        stored = self._metric.stored_rows(matrix, "vectors")
        return self._add_rows(stored, id_list)

    def remove(self, id: int) -> None:
        """Remove the vector ``id``, unlinking it from the graph.

        Raises
        ------
        TypeError
            If ``id`` is not an integer.
        ValueError
            If ``id`` is not in the index.
        """
        self._remove_slot(self._slot(id))

    # ------------------------------------------------------------ serialisation

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return ``(meta, arrays)``: JSON-able settings and the numpy arrays of the index."""
        high = self._high
        meta = {
            "version": _STATE_VERSION,
            "dim": self.dim,
            "m": self.m,
            "ef_construction": self.ef_construction,
            "ef_search": self.ef_search,
            "metric": self.metric,
            "seed": self.seed,
            "exact_threshold": self._exact_threshold,
            "entry": self._entry,
            "max_level": self._max_level,
            "next_id": self._next_id,
            "rng": self._rng.bit_generator.state,
        }
        arrays = {
            "stored": self._stored[:high].copy(),
            "ids": self._ids[:high].copy(),
            "levels": self._levels[:high].copy(),
            "waiting": np.array(self._waiting, dtype=np.int64),
        }
        arrays.update(self._links.to_arrays(high))
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> HnswIndex:
        """Rebuild an index from :meth:`to_state` output, validating everything.

        Raises
        ------
        ValueError
            If any setting or array is missing, of the wrong type or shape,
            or inconsistent with the rest (the input is treated as untrusted).
        """
        if not isinstance(meta, dict) or meta.get("version") not in (1, _STATE_VERSION):
            raise ValueError(f"HNSW state must be a dict with version 1 or {_STATE_VERSION}")
        try:
            index = cls(
                meta["dim"],
                m=meta["m"],
                ef_construction=meta["ef_construction"],
                ef_search=meta["ef_search"],
                metric=meta["metric"],
                seed=meta["seed"],
                exact_threshold=meta["exact_threshold"],
            )
            entry = as_int(meta["entry"], "entry", -1, _MAX_ID)
            max_level = as_int(meta["max_level"], "max_level", -1, _MAX_LEVEL)
            next_id = as_int(meta["next_id"], "next_id", 0, _MAX_ID + 1)  # one past the largest id
            index._rng.bit_generator.state = _rng_state(meta["rng"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"corrupted HNSW state: {error}") from None
        if meta["version"] == 1 and isinstance(arrays, dict):  # version 1 linked every vector at once
            arrays = {**arrays, "waiting": np.zeros(0, dtype=np.int64)}
        index._restore(arrays, entry, max_level, next_id)
        return index

    def to_bytes(self) -> bytes:
        """Serialise the index (see :mod:`ruvllm_web.snapshot` for the container)."""
        meta, arrays = self.to_state()
        return snapshot.pack(_SNAPSHOT_KIND, meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> HnswIndex:
        """Load an index saved by :meth:`to_bytes`.

        Raises
        ------
        ValueError
            If ``data`` is truncated, corrupted, of a future version or not an index.
        """
        meta, arrays = snapshot.unpack(data, _SNAPSHOT_KIND)
        return cls.from_state(meta, arrays)

    # ----------------------------------------------------------------- internals

    def _slot(self, id: object) -> int:
        """The slot of ``id``; TypeError for a non-integer, ValueError if absent."""
        key = as_int(id, "id")
        slot = self._slot_of.get(key)
        if slot is None:
            raise ValueError(f"id {key} is not in the index")
        return slot

    def _batch_ids(self, ids: object, count: int) -> list[int]:
        """Validate caller-given ids for a batch of ``count`` rows."""
        array = np.asarray(ids) if not isinstance(ids, (str, bytes, dict, set)) else None
        if array is None or (array.size and array.dtype.kind not in "iu") or array.dtype == np.bool_:
            raise TypeError("ids must be an array of integers")
        if array.shape != (count,):
            raise ValueError(f"ids has shape {array.shape}, expected ({count},)")
        values = [as_int(int(v), "id", 0, _MAX_ID) for v in array.tolist()]
        if len(set(values)) != count:
            raise ValueError("ids must be distinct")
        return values

    def _allowed_slots(self, allowed: Iterable[int]) -> np.ndarray:
        """Slots of the ids in a filter, ascending and distinct; ids not present are ignored."""
        if isinstance(allowed, (str, bytes, dict)) or not isinstance(allowed, (Iterable, np.ndarray)):
            raise TypeError(f"allowed must be a collection of integer ids, got {type(allowed).__name__}")
        values = list(allowed.tolist() if isinstance(allowed, np.ndarray) else allowed)
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"allowed must hold integer ids, got {type(value).__name__}")
        slot_of = self._slot_of
        slots = {slot_of[v] for v in map(int, values) if v in slot_of}
        return np.array(sorted(slots), dtype=np.int64)

    def _add_rows(self, stored: np.ndarray, ids: list[int] | None) -> np.ndarray:
        """Insert validated stored rows ``(n, width)`` under ``ids`` (or new ids)."""
        count = stored.shape[0]
        if ids is None:
            if self._next_id + count - 1 > _MAX_ID:
                raise ValueError(f"no unused ids left: {count} more would pass the largest id {_MAX_ID}")
            ids = list(range(self._next_id, self._next_id + count))
        for ident in ids:
            if ident in self._slot_of:
                self._remove_slot(self._slot_of[ident])
        self._reserve(count)
        levels = np.minimum(np.floor(-np.log1p(-self._rng.random(count)) * self._level_scale), _MAX_LEVEL)
        for row, ident, level in zip(stored, ids, levels.astype(np.int64).tolist()):
            slot = heapq.heappop(self._free) if self._free else self._high
            self._high = max(self._high, slot + 1)
            self._insert(slot, row, ident, level)
        self._next_id = max(self._next_id, max(ids) + 1)
        return np.array(ids, dtype=np.int64)

    def _reserve(self, count: int) -> None:
        """Grow storage so ``count`` more vectors fit: at least double, at least what is needed."""
        needed = self._high + max(0, count - len(self._free))
        old = self.capacity
        if needed <= old:
            return
        capacity = max(needed, 2 * old, 16 if count == 1 else 0)
        stored = np.zeros((capacity, self._metric.width), dtype=np.float32)
        stored[:old] = self._stored
        ids = np.full(capacity, -1, dtype=np.int64)
        ids[:old] = self._ids
        levels = np.full(capacity, -1, dtype=np.int32)
        levels[:old] = self._levels
        self._stored, self._ids, self._levels = stored, ids, levels
        self._unvisited = _unvisited_mask(capacity)
        self._links.grow(capacity)

    def _insert(self, slot: int, row: np.ndarray, ident: int, level: int) -> None:
        """Store ``row`` at ``slot`` with top layer ``level``; queue it, and link what is due (module docstring)."""
        self._stored[slot] = row
        self._ids[slot] = ident
        self._levels[slot] = level
        self._slot_of[ident] = slot
        self._links.add_node(slot, level)
        self._waiting.append(slot)
        if len(self) > self._exact_threshold // 2:
            self._link_waiting(LINKS_PER_INSERT)

    def _link_waiting(self, count: int) -> None:
        """Link the ``count`` oldest waiting slots (all, if fewer wait) into the graph, oldest first.

        Each leaves the queue just before it is linked, so the graph it is
        linked into holds exactly the slots linked before it.
        """
        for _ in range(min(count, len(self._waiting))):
            self._link(self._waiting.pop(0))

    def _link(self, slot: int) -> None:
        """Link the stored ``slot`` into layers ``0 .. its level`` of the graph of the linked slots.

        When a beam finds a copy of ``slot``'s vector first, the candidates
        gain the copies nearest ``slot`` (:meth:`_with_nearest_copies`), and
        after an insert whose layer-0 beam did, reachability is repaired
        (:meth:`_reconnect`).
        """
        level = int(self._levels[slot])
        self._top.inserted(level)
        if self._entry < 0:
            self._entry, self._max_level = slot, level
            return
        query, offset = self._metric.as_query(self._stored[slot])
        found = self._descend(query, level)
        copy = False
        for layer in range(min(level, self._max_level), -1, -1):
            found = self._beam(query, found, self.ef_construction, layer, None)
            copy = bool(copies_of(self._stored[found[0][1] : found[0][1] + 1], self._stored[slot])[0])
            self._connect(slot, layer, self._with_nearest_copies(slot, layer, found) if copy else found, offset)
        if level > self._max_level:
            self._entry, self._max_level = slot, level
        if copy:
            self._reconnect()

    def _linked_levels(self) -> np.ndarray:
        """``levels[:high]`` with waiting slots at -1 (as if absent): the levels of the graph's nodes."""
        levels = self._levels[: self._high]
        if not self._waiting:
            return levels
        levels = levels.copy()
        levels[self._waiting] = -1
        return levels

    def _descend(self, query: np.ndarray, floor: int) -> list[tuple[float, int]]:
        """Find an entry to layer ``floor`` from the top; return ``[(-score, slot)]``.

        The top layers are scored exactly (:mod:`ruvllm_web.hnsw.top`) when
        they lie above ``floor``; below them, or from the entry point when
        they do not, each layer is walked greedily: move to the best-scoring
        neighbour of the current node while it beats the current node, one
        product over the node's link row per step, no heaps, no visited marks.
        """
        stored, upper = self._stored, self._links.upper
        top_layer, top = self._top.get(self._linked_levels())
        if top.shape[0] and top_layer > floor:
            scores = row_dots(stored.take(top, axis=0), query)
            best = int(scores.argmax())
            node, score, layer = int(top[best]), float(scores[best]), top_layer - 1
        else:
            node, layer = self._entry, self._max_level
            score = float(row_dots(stored[node : node + 1], query)[0])
        for layer in range(layer, floor, -1):
            while True:
                row = upper[node][layer - 1]
                # The padding -1 gathers the last stored row; its score is skipped below.
                scores = row_dots(stored.take(row, axis=0), query).tolist()
                current = node
                for link, value in zip(row.tolist(), scores):
                    if link >= 0 and value > score:  # the first best link that beats the current node
                        node, score = link, value
                if node == current:
                    break
        return [(-score, node)]

    def _with_nearest_copies(self, slot: int, layer: int, found: list[tuple[float, int]]) -> list[tuple[float, int]]:
        """``found`` (best first, starting with a copy of ``slot``'s vector) and the copies nearest ``slot``.

        Copies of one vector link to the copies nearest them in slot order
        (:mod:`ruvllm_web.hnsw.heuristic`), but with more copies than the
        beam keeps it finds the first ones by slot, so a new copy would link
        only to far copies, which drop it again. Walking the copies' links
        towards ``slot`` (to the linked copy nearest it, while that gets
        nearer) reaches its neighbours in the band; they join the
        candidates with the copies' score.
        """
        row = self._stored[slot]
        best_score, current = found[0][0], found[0][1]
        listed = {s for _, s in found}
        extra: list[tuple[float, int]] = []
        while True:
            links = self._links.neighbours(current, layer)
            links = links[copies_of(self._stored[links], row) & (links != slot)].tolist()
            nearer = min(links, key=lambda c: abs(c - slot), default=current)
            if abs(nearer - slot) >= abs(current - slot):
                return extra + found
            current = nearer
            for copy in links:
                if copy not in listed:
                    listed.add(copy)
                    extra.append((best_score, copy))

    def _connect(self, slot: int, layer: int, found: list[tuple[float, int]], offset: float) -> None:
        """Link ``slot`` to the heuristic's choice among ``found`` ``[(-score, slot)]`` (best first) and link those back.

        Neighbours with room take the link back first; full ones re-select
        among their links and ``slot`` afterwards, so that ``slot`` is only
        kept against the heuristic (:meth:`_relink`) when no list took it.
        """
        candidates = np.array([s for _, s in found], dtype=np.int64)
        scores = -np.array([negative for negative, _ in found], dtype=np.float32)
        rows = self._stored[candidates]
        chosen = candidates[
            select_neighbours(rows, scores, offset, self.m, self._metric, self._stored[slot], candidates, slot)
        ]
        self._links.set(slot, layer, chosen)
        for neighbour in self._links.link_back(chosen.tolist(), layer, slot):
            self._take_in(neighbour, layer, slot)

    def _relink(self, node: int, layer: int, candidates: np.ndarray, keep: int = -1) -> None:
        """Set the links of ``node`` on ``layer`` to the heuristic's choice among ``candidates``, stranding none.

        A candidate the heuristic drops that no other list on ``layer``
        holds would be unreachable (no search could enter it), so it is
        kept after all (and so is ``keep``, a candidate that must stay):
        in a free place of the list, else instead of the worst chosen link
        whose target another list also holds (the rule Lucene adopted
        against disconnected HNSW nodes). A list full of targets held by
        ``node`` alone strands the rest (not seen in practice).
        """
        query, offset = self._metric.as_query(self._stored[node])
        rows = self._stored[candidates]
        scores = row_dots(rows, query)
        order = np.argsort(-scores, kind="stable")
        candidates, rows, scores = candidates[order], rows[order], scores[order]
        width = self._links.width(layer)
        chosen = candidates[
            select_neighbours(rows, scores, offset, width, self._metric, self._stored[node], candidates, node)
        ]
        self._links.set(node, layer, chosen)
        held = self._links.in_degrees(candidates, layer)  # ``node`` is never among its own candidates
        if keep >= 0 or not held.all():
            stranded = candidates[(held == 0) | (candidates == keep)]
            self._links.set(node, layer, self._keeping(chosen, stranded, layer, width))

    def _take_in(self, holder: int, layer: int, node: int, keep: int = -1) -> None:
        """Re-select the links of ``holder`` on ``layer`` among its current ones and ``node`` (:meth:`_relink`)."""
        self._relink(holder, layer, np.append(self._links.neighbours(holder, layer), node), keep)

    def _keeping(self, chosen: np.ndarray, stranded: np.ndarray, layer: int, width: int) -> np.ndarray:
        """``chosen`` (the list just set) with ``stranded`` added: in free places, else instead of shared targets."""
        links = chosen.tolist()
        degrees = self._links.in_degrees(chosen, layer).tolist()
        for target in stranded.tolist():
            if target in links:  # ``keep``, when the heuristic chose it anyway
                continue
            if len(links) < width:
                links.append(target)
                degrees.append(1)
                continue
            shared = [i for i, degree in enumerate(degrees) if degree > 1]
            if shared:
                links[shared[-1]], degrees[shared[-1]] = target, 1
        return np.array(links, dtype=np.int64)

    def _reconnect(self) -> None:
        """Make every linked node reachable from the entry point on layer 0 again.

        Among exact copies, adding or removing one can leave a few copies
        linked only to each other (every list can hold only some of the
        copies, :mod:`ruvllm_web.hnsw.heuristic`), an island no search
        enters although each of them is held by some list. Each node the
        walk from the entry point misses joins the list of the nearest node
        it reaches that can take it (:meth:`_relink` with ``keep``), then the
        walk is redone; a node is repaired at most once per call (a repair
        that strands another node cannot loop). The walk covers the whole
        graph, so it runs only after adding a copy and after removing a
        vector next to one: without copies, islands were seen only with
        tiny settings (m 2-4, ef_construction 8, 4 dimensions, tight
        clusters), never at the defaults (BENCHMARKS.md).
        """
        linked = self._linked_levels() >= 0
        tried: set[int] = set()  # each node is repaired at most once, so the loop ends
        while self._entry >= 0:
            reached = self._links.reachable(self._entry, self._high)
            missed = [slot for slot in np.flatnonzero(linked & ~reached).tolist() if slot not in tried]
            if not missed:
                return
            orphan = missed[0]
            tried.add(orphan)
            holders = np.flatnonzero(linked & reached)
            query, _ = self._metric.as_query(self._stored[orphan])
            for holder in holders[np.argsort(-row_dots(self._stored[holders], query), kind="stable")].tolist():
                self._take_in(holder, 0, orphan, keep=orphan)
                if (self._links.neighbours(holder, 0) == orphan).any():
                    break

    def _adopt(self, orphan: int, layer: int) -> None:
        """Give ``orphan``, which no list on ``layer`` holds, a holder: the first of its own neighbours there."""
        neighbours = self._links.neighbours(orphan, layer)
        if neighbours.shape[0]:
            self._take_in(int(neighbours[0]), layer, orphan)

    def _remove_slot(self, slot: int) -> None:
        """Unlink ``slot`` (or take it off the waiting queue), repair the lists that pointed to it, free the slot.

        On each layer ``slot``'s own links go first, then every list that
        held ``slot`` re-selects among its other links and ``slot``'s
        (:meth:`_relink`, which strands no candidate), and a former
        neighbour of ``slot`` that no list holds any more is adopted
        (:meth:`_adopt`; only possible when no list held ``slot``).
        """
        level = int(self._levels[slot])
        if slot in self._waiting:  # never linked: nothing points to it
            self._waiting.remove(slot)
            level = -1
        near = self._links.neighbours(slot, 0)
        had_copies = level >= 0 and bool(copies_of(self._stored[near], self._stored[slot]).any())
        for layer in range(level + 1):
            outgoing = self._links.neighbours(slot, layer)
            self._links.set(slot, layer, outgoing[:0])
            for holder in self._links.in_links(slot, layer, self._high).tolist():
                kept = self._links.neighbours(holder, layer)
                candidates = np.union1d(kept[kept != slot], outgoing[outgoing != holder])
                self._relink(holder, layer, candidates)
            for orphan in outgoing[self._links.in_degrees(outgoing, layer) == 0].tolist():
                self._adopt(orphan, layer)
        self._links.drop_node(slot)
        del self._slot_of[int(self._ids[slot])]
        self._ids[slot] = -1
        self._levels[slot] = -1
        self._top.removed()
        self._stored[slot] = 0.0
        heapq.heappush(self._free, slot)
        if slot == self._entry:  # the new entry: a linked node of the top level, if any is left
            levels = self._linked_levels()
            best = int(np.argmax(levels)) if levels.shape[0] else -1
            self._entry, self._max_level = (best, int(levels[best])) if best >= 0 and levels[best] >= 0 else (-1, -1)
        if had_copies:
            self._reconnect()

    def _beam(
        self, query: np.ndarray, entries: list[tuple[float, int]], ef: int, layer: int, allowed: bytes | None
    ) -> list[tuple[float, int]]:
        """Beam search of width ``ef`` on ``layer`` from ``entries``; return up to ``ef`` ``(-score, slot)``, best first.

        Entries and results carry *negated* scores, so ascending order is
        best first. Each step expands up to ``expansion_batch(ef)``
        unexpanded nodes that still beat the worst kept score together (see
        :meth:`_expand`). Without a filter the candidates are the kept
        entries not yet expanded: a sorted Python list (the frontier) beside
        the kept one (at most ``ef`` entries), each step taking the first
        ones and cutting the frontier where the kept list ends, since a
        candidate that falls out of the kept list can never be expanded; no
        heap and no scan over expanded entries. With ``allowed`` (a byte
        per slot, nonzero = admitted) see :meth:`_filtered_beam`.
        """
        if not entries:
            return []
        entry_slots = [slot for _, slot in entries]
        self._unvisited[entry_slots] = False
        marked: list[list[int] | np.ndarray] = [entry_slots]
        try:
            if allowed is None:
                return self._unfiltered_beam(query, entries, ef, layer, marked)
            return self._filtered_beam(query, entries, ef, layer, allowed, marked)
        finally:
            self._unvisited[np.concatenate(marked)] = True

    def _unfiltered_beam(
        self,
        query: np.ndarray,
        entries: list[tuple[float, int]],
        ef: int,
        layer: int,
        marked: list[list[int] | np.ndarray],
    ) -> list[tuple[float, int]]:
        """The loop of :meth:`_beam` without a filter; the slots it marks visited are appended to ``marked``."""
        negated = -query
        batch_size = expansion_batch(ef)
        kept = sorted(entries)
        del kept[ef:]
        frontier = list(kept)
        worst = kept[-1][0] if len(kept) >= ef else math.inf
        while frontier:
            batch = [slot for _, slot in frontier[:batch_size]]
            del frontier[:batch_size]
            found = self._expand(batch, layer, marked, negated, worst)
            if found:
                items = list(zip(found.values(), found.keys()))
                kept.extend(items)
                kept.sort()
                del kept[ef:]
                frontier.extend(items)
                frontier.sort()
                if len(kept) >= ef:
                    worst = kept[-1][0]
                    del frontier[bisect.bisect_right(frontier, kept[-1]) :]
        return kept

    def _filtered_beam(
        self,
        query: np.ndarray,
        entries: list[tuple[float, int]],
        ef: int,
        layer: int,
        allowed: bytes,
        marked: list[list[int] | np.ndarray],
    ) -> list[tuple[float, int]]:
        """The loop of :meth:`_beam` with a filter: every node is walked, only admitted ones are kept.

        Candidates live in a heap of their own, as non-admitted nodes are
        walked but never kept. The slots it marks visited are appended to ``marked``.
        """
        negated = -query
        batch_size = expansion_batch(ef)
        candidates = list(entries)
        heapq.heapify(candidates)
        kept = sorted(item for item in entries if allowed[item[1]])
        del kept[ef:]
        worst = kept[-1][0] if len(kept) >= ef else math.inf
        pop = heapq.heappop
        while candidates and candidates[0][0] <= worst:
            batch = [pop(candidates)[1]]
            while candidates and len(batch) < batch_size and candidates[0][0] <= worst:
                batch.append(pop(candidates)[1])
            found = self._expand(batch, layer, marked, negated, worst)
            for slot, negative in found.items():
                heapq.heappush(candidates, (negative, slot))
                if allowed[slot]:
                    kept.append((negative, slot))
            if len(kept) >= ef:
                kept.sort()
                del kept[ef:]
                worst = kept[-1][0]
        kept.sort()
        return kept

    def _expand(
        self, batch: list[int], layer: int, marked: list[list[int] | np.ndarray], negated: np.ndarray, worst: float
    ) -> dict[int, float]:
        """Expand the nodes ``batch`` on ``layer``; return ``{slot: -score}`` of their new neighbours below ``worst``.

        One gather of the padded link rows, one gather of their unvisited
        marks (the padding -1 indexes the sentinel slot, never unvisited),
        marking the new ones visited (and appending them to ``marked``), one
        gather of the rows and one product with the negated query for all of them.
        A dict keyed by slot drops slots listed by two nodes of the batch (their
        two scores may differ in the last bit, e.g. under BLAS, so a set of
        ``(score, slot)`` pairs would keep both).
        """
        unvisited = self._unvisited
        if layer == 0:
            neighbours = self._links.layer0.take(batch, axis=0).ravel()
        else:
            upper = self._links.upper
            neighbours = np.concatenate([upper[node][layer - 1] for node in batch])
        neighbours = neighbours.compress(unvisited.take(neighbours))
        if not neighbours.shape[0]:
            return {}
        unvisited[neighbours] = False
        marked.append(neighbours)
        scores = row_dots(self._stored.take(neighbours, axis=0), negated).tolist()
        if worst < math.inf:
            return {slot: score for slot, score in zip(neighbours.tolist(), scores) if score < worst}
        return dict(zip(neighbours.tolist(), scores))

    def _graph_search(
        self, query: np.ndarray, count: int, ef: int, allowed: bytes | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Descend, beam-search layer 0, return the best ``count`` ``(slots, internal scores)``, best first."""
        top = self._beam(query, self._descend(query, 0), ef, 0, allowed)[:count]
        return np.array([s for _, s in top], dtype=np.int64), np.array([-v for v, _ in top], dtype=np.float32)

    def _exact(self, query: np.ndarray, count: int, slots: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Score every live slot (or ``slots``) and return the best ``count`` ``(slots, scores)``, best first."""
        if slots is None:
            scores = row_dots(self._stored[: self._high], query)
            scores[self._ids[: self._high] < 0] = -np.inf
            slots = np.arange(self._high)
        else:
            scores = row_dots(self._stored[slots], query)
        if count < scores.shape[0]:
            top = np.argpartition(-scores, count - 1)[:count]
        else:
            top = np.arange(scores.shape[0])
        top = top[np.argsort(-scores[top], kind="stable")]
        return slots[top], scores[top]

    def _restore(self, arrays: dict[str, np.ndarray], entry: int, max_level: int, next_id: int) -> None:
        """Load validated-on-the-way arrays into this fresh index."""
        if not isinstance(arrays, dict):
            raise ValueError("corrupted HNSW state: arrays must be a dict")
        stored = arrays.get("stored")
        ids = arrays.get("ids")
        levels = arrays.get("levels")
        if not isinstance(stored, np.ndarray) or stored.dtype != np.float32 or stored.ndim != 2:
            raise ValueError("corrupted HNSW state: stored must be a float32 matrix")
        high = stored.shape[0]
        if stored.shape[1] != self._metric.width:
            raise ValueError(f"corrupted HNSW state: stored rows have {stored.shape[1]} values, expected {self._metric.width}")
        if not isinstance(ids, np.ndarray) or ids.dtype != np.int64 or ids.shape != (high,):
            raise ValueError(f"corrupted HNSW state: ids must be int64 of shape ({high},)")
        if not isinstance(levels, np.ndarray) or levels.dtype != np.int32 or levels.shape != (high,):
            raise ValueError(f"corrupted HNSW state: levels must be int32 of shape ({high},)")
        live = ids >= 0
        live_ids = ids[live]
        if not np.isfinite(stored).all():
            raise ValueError("corrupted HNSW state: stored vectors contain NaN or Inf")
        if np.unique(live_ids).shape[0] != live_ids.shape[0] or (live_ids >= next_id).any() or (ids < -1).any():
            raise ValueError("corrupted HNSW state: ids are repeated, negative or not below next_id")
        if not np.array_equal(levels < 0, ~live) or (levels < -1).any() or (levels > _MAX_LEVEL).any():
            raise ValueError("corrupted HNSW state: levels do not match the live ids")
        if self.metric == "cosine" and live.any():
            norms = np.sqrt(np.einsum("ij,ij->i", stored[live], stored[live]))
            if np.abs(norms - 1.0).max() > 1e-3:
                raise ValueError("corrupted HNSW state: cosine vectors are not unit length")
        waiting = self._waiting_mask(arrays.get("waiting"), live)
        linked = live & ~waiting
        if linked.any():
            if not (0 <= entry < high and linked[entry] and levels[entry] == max_level == levels[linked].max()):
                raise ValueError("corrupted HNSW state: entry point is not a linked node of the top level")
        elif entry != -1 or max_level != -1:
            raise ValueError("corrupted HNSW state: an index without linked nodes has an entry point")
        links = HnswLinks.from_arrays(self.m, arrays, levels)
        if waiting.any() and not links.unlinked(np.flatnonzero(waiting), high):
            raise ValueError("corrupted HNSW state: a waiting node has links or is linked to")
        self._stored, self._ids, self._levels = stored, ids, levels
        self._unvisited = _unvisited_mask(high)
        self._links = links
        self._slot_of = {int(i): int(s) for s, i in enumerate(ids.tolist()) if i >= 0}
        self._free = np.flatnonzero(~live).tolist()
        self._waiting = arrays["waiting"].tolist()
        self._high = high
        self._entry, self._max_level, self._next_id = entry, max_level, next_id

    def _waiting_mask(self, waiting: object, live: np.ndarray) -> np.ndarray:
        """Validate a state's ``waiting`` slots against the ``live`` mask; return them as a mask ``(high,)``."""
        if not isinstance(waiting, np.ndarray) or waiting.dtype != np.int64 or waiting.ndim != 1:
            raise ValueError("corrupted HNSW state: waiting must be a 1-D int64 array")
        high = live.shape[0]
        if ((waiting < 0) | (waiting >= high)).any() or not live[waiting].all():
            raise ValueError("corrupted HNSW state: waiting holds a slot that is not a live node")
        if np.unique(waiting).shape[0] != waiting.shape[0]:
            raise ValueError("corrupted HNSW state: waiting holds a slot twice")
        if waiting.shape[0] and int(live.sum()) > self._exact_threshold:
            raise ValueError("corrupted HNSW state: nodes wait in an index searched through its graph")
        mask = np.zeros(high, dtype=bool)
        mask[waiting] = True
        return mask


def _rng_state(state: object) -> dict[str, Any]:
    """``state`` checked to be a PCG64 state as ``bit_generator.state`` reports it (``ValueError`` if not).

    numpy itself raises OverflowError or TypeError for some malformed states,
    or accepts extra keys, so every field is checked here first.
    """
    if (
        not isinstance(state, dict) or set(state) != {"bit_generator", "state", "has_uint32", "uinteger"}
        or state["bit_generator"] != "PCG64" or not isinstance(state["state"], dict)
        or set(state["state"]) != {"state", "inc"}
    ):
        raise ValueError("rng must be the state of a PCG64 generator")
    for word in ("state", "inc"):
        as_int(state["state"][word], f"rng {word}", 0, _RNG_WORD - 1)
    as_int(state["has_uint32"], "rng has_uint32", 0, 1)
    as_int(state["uinteger"], "rng uinteger", 0, 2**32 - 1)
    return state
