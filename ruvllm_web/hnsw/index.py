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
matrix-vector product), which is both faster and exact at that size (see
:data:`DEFAULT_EXACT_THRESHOLD`), so their graph is built only as the index
approaches that size: while it holds at most ``exact_threshold // 2``
vectors, a new vector is only stored and waits; from then on every insert queues its vector and links the
:data:`LINKS_PER_INSERT` oldest waiting ones into the graph, in insertion
order, so the queue is empty once the index holds ``exact_threshold``
vectors, before any search needs the graph (a search walks the graph only
beyond ``exact_threshold`` vectors; removals only empty the queue sooner).
Linking in insertion order builds the graph that linking at once would have
built, link for link, unless vectors are removed while others wait. A small
index (a router's few hundred patterns) thus never pays for a graph it does
not search.

Where the rest lives: the exact scan, the greedy descent and the beam search
in :mod:`ruvllm_web.hnsw.search`; the saved state and its checks in
:mod:`ruvllm_web.hnsw.index_state`; the link storage in
:mod:`ruvllm_web.hnsw.links`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.hnsw import index_state, search
from ruvllm_web.hnsw.heuristic import copies_of, select_neighbours
from ruvllm_web.hnsw.index_state import MAX_ID, MAX_LEVEL, Contents
from ruvllm_web.hnsw.links import HnswLinks
from ruvllm_web.hnsw.metric import Metric
from ruvllm_web.hnsw.row_scores import row_dots
from ruvllm_web.hnsw.top import TopLayers
from ruvllm_web.validation import as_int, as_matrix, as_text, as_vector

#: Indexes up to this many vectors are searched exactly by default: exact
#: search costs a fixed time per vector, a graph search at the default
#: ``ef_search`` grows far more slowly, and inside Pyodide at 384 dims the two
#: cross near this size (BENCHMARKS.md, bench_hnsw); on CPython with BLAS the
#: crossover lies higher.
DEFAULT_EXACT_THRESHOLD = 5000
#: A filtered search whose filter admits at most 1/FILTER_EXACT_RATIO of the
#: vectors scores the admitted ones exactly instead of walking the graph.
FILTER_EXACT_RATIO = 5
#: Largest ``exact_threshold``: more vectors than an index can hold in wasm32's
#: 4 GiB (a 384-dim vector alone takes 1.5 KiB), so any larger value means the
#: same as this one, "always search exactly".
MAX_EXACT_THRESHOLD = 2**31 - 1
#: Waiting vectors linked per insert once the index holds more than
#: ``exact_threshold // 2`` (the new one joins the queue first): the queue, at most
#: ``exact_threshold // 2`` long, shrinks by one per insert, so it is empty by the
#: time the index holds ``exact_threshold`` vectors, and an insert costs at most
#: two links (one more than linking every vector at once).
LINKS_PER_INSERT = 2


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
        self.seed = as_int(seed, "seed", 0, MAX_ID)
        self._exact_threshold = as_int(exact_threshold, "exact_threshold", 0, MAX_EXACT_THRESHOLD)
        self._level_scale = 1.0 / math.log(self.m)
        self._rng = np.random.default_rng(self.seed)
        self._stored = np.zeros((0, self._metric.width), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._levels = np.zeros(0, dtype=np.int32)
        self._unvisited = search.unvisited_mask(0)
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
        ids = None if id is None else [as_int(id, "id", 0, MAX_ID)]
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
        """Return ``(meta, arrays)``: JSON-able settings and the numpy arrays of the index.

        The layout and its versions: :mod:`ruvllm_web.hnsw.index_state`.
        """
        high = self._high
        settings = {name: getattr(self, name) for name in index_state.SETTINGS}
        contents = Contents(
            self._stored[:high].copy(),
            self._ids[:high].copy(),
            self._levels[:high].copy(),
            self._links,
            self._waiting,
            self._entry,
            self._max_level,
            self._next_id,
            self._rng.bit_generator.state,
        )
        return index_state.to_state(settings, contents)

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> HnswIndex:
        """Rebuild an index from :meth:`to_state` output, validating everything.

        Raises
        ------
        ValueError
            If any setting or array is missing, of the wrong type or shape,
            or inconsistent with the rest (the input is treated as untrusted).
        """
        settings = index_state.read_settings(meta)
        try:
            index = cls(**settings)
        except (TypeError, ValueError) as error:
            raise ValueError(f"corrupted HNSW state: {error}") from None
        index._restore(index_state.read_contents(meta, arrays, index._metric, index.m, index.exact_threshold))
        return index

    def to_bytes(self) -> bytes:
        """Serialise the index (see :mod:`ruvllm_web.snapshot` for the container)."""
        meta, arrays = self.to_state()
        return snapshot.pack(index_state.SNAPSHOT_KIND, meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> HnswIndex:
        """Load an index saved by :meth:`to_bytes`.

        Raises
        ------
        ValueError
            If ``data`` is truncated, corrupted, of a future version or not an index.
        """
        meta, arrays = snapshot.unpack(data, index_state.SNAPSHOT_KIND)
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
        values = [as_int(int(v), "id", 0, MAX_ID) for v in array.tolist()]
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
            if self._next_id + count - 1 > MAX_ID:
                raise ValueError(f"no unused ids left: {count} more would pass the largest id {MAX_ID}")
            ids = list(range(self._next_id, self._next_id + count))
        for ident in ids:
            if ident in self._slot_of:
                self._remove_slot(self._slot_of[ident])
        self._reserve(count)
        levels = np.minimum(np.floor(-np.log1p(-self._rng.random(count)) * self._level_scale), MAX_LEVEL)
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
        self._unvisited = search.unvisited_mask(capacity)
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
        """Find an entry to layer ``floor`` from the top (:func:`ruvllm_web.hnsw.search.descend`)."""
        top_layers = self._top.get(self._linked_levels())
        return search.descend(self._stored, self._links.upper, top_layers, self._entry, self._max_level, query, floor)

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
        """Beam search of width ``ef`` on ``layer`` from ``entries`` (:func:`ruvllm_web.hnsw.search.beam`)."""
        return search.beam(self._stored, self._links, self._unvisited, query, entries, ef, layer, allowed)

    def _graph_search(
        self, query: np.ndarray, count: int, ef: int, allowed: bytes | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Descend, beam-search layer 0, return the best ``count`` ``(slots, internal scores)``, best first."""
        top = self._beam(query, self._descend(query, 0), ef, 0, allowed)[:count]
        return np.array([s for _, s in top], dtype=np.int64), np.array([-v for v, _ in top], dtype=np.float32)

    def _exact(self, query: np.ndarray, count: int, slots: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Score every live slot (or ``slots``) and return the best ``count`` ``(slots, scores)``, best first."""
        high = self._high
        return search.exact(self._stored[:high], self._ids[:high], query, count, slots)

    def _restore(self, contents: Contents) -> None:
        """Load checked ``contents`` (:func:`ruvllm_web.hnsw.index_state.read_contents`) into this fresh index."""
        high = contents.stored.shape[0]
        self._stored, self._ids, self._levels = contents.stored, contents.ids, contents.levels
        self._unvisited = search.unvisited_mask(high)
        self._links = contents.links
        self._slot_of = {int(i): int(s) for s, i in enumerate(contents.ids.tolist()) if i >= 0}
        self._free = np.flatnonzero(contents.ids < 0).tolist()
        self._waiting = contents.waiting
        self._high = high
        self._entry, self._max_level, self._next_id = contents.entry, contents.max_level, contents.next_id
        self._rng.bit_generator.state = contents.rng
