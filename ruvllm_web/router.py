"""HnswRouter: semantic routing of requests to agents over an HNSW index of patterns.

A *pattern* is an embedding (unit length; cosine similarity) with an agent,
a task type, a description and statistics: usage count, successes,
failures and a success rate kept as an exponential moving average.

``route(embedding)`` finds the ``top_k`` nearest patterns; each votes for
its agent with weight :func:`vote_weight`: ``g / (1 - g + delta)`` with
``g = r * max(s, 0)`` the pattern's cosine similarity ``s`` discounted by
its success rate ``r``, and ``delta`` = :data:`VOTE_DISTANCE_FLOOR`. That is
an inverse-distance weight on the discounted distance ``1 - g``: the
nearest trusted patterns count most, a trusted pattern at the query itself
counts ``1 / delta``, and a pattern that keeps failing loses its weight
fast. So one correction (``learn_pattern`` of the right agent at the
request, after ``record_outcome(result, False)``) outvotes the other
neighbours of a confident route, where the linear weight ``r * s`` needed
many corrections inside tight clusters (BENCHMARKS.md, bench_votes).
The winner is the agent with the largest total (ties: alphabetical), its
confidence the winner's share of all votes, in [0, 1]. If every weight is
zero (all neighbours dissimilar or with success rate 0) the nearest
pattern's agent is returned with confidence 0. With no patterns at all the
result has ``agent=None``. A route is a *hit* when its confidence reaches
``min_confidence``.

``add_pattern`` declares a pattern, trusted at success rate 1.0 until
outcomes say otherwise. ``learn_pattern(..., quality)`` reinforces the
nearest pattern of the same agent if its similarity is at least
``merge_similarity`` (usage + 1, success rate moved toward ``quality``),
else adds a pattern whose success rate starts at ``quality``;
``reinforce_pattern`` does the first half only (one search, never a graph
change), for callers that budget inserts.
When ``max_patterns`` is reached, adding evicts the least recently used
pattern (ties: lower success rate, then lower id). ``merge(theirs, base)``
folds what another copy of the router learned into this one (three-way,
patterns identified by content: two browser tabs keeping one engine).

Costs per call stay independent of the number of patterns ``n`` (beyond the
index search itself):

- the eviction order lives in a lazily cleaned heap of
  ``(last_used, success_rate, id)`` entries: every change of a pattern's
  recency or success rate pushes a new entry, stale entries are dropped when
  they reach the top, and the heap is rebuilt once it holds more than
  ``4 n + 64`` entries (amortised O(log n) per change);
- ``learn_pattern``'s near-duplicate of the same agent, and routes filtered by
  a task type held by more than 1/:data:`~ruvllm_web.hnsw.index.FILTER_EXACT_RATIO`
  of the patterns, come from unfiltered searches for ``k`` neighbours that
  keep the matching ones, doubling ``k`` until enough match (or, for
  ``learn_pattern``, the similarity falls below ``merge_similarity``);
- a rarer task type is searched with the index's filter over the ids of that
  task type, which the router keeps per task type.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import fields, make_dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.hnsw.index import FILTER_EXACT_RATIO, HnswIndex
from ruvllm_web.latency import LatencyWindow
from ruvllm_web.router_types import PatternRecord, RouterConfig, RoutingNeighbor, RoutingResult
from ruvllm_web.three_way import three_way, three_way_count
from ruvllm_web.validation import as_bool, as_embedding, as_float, as_int, as_quality, as_text

#: ``delta`` of :func:`vote_weight`: the discounted cosine distance below which a
#: pattern counts as if at the query. A trusted pattern (success rate 1) at the query
#: weighs ``1 / delta`` = 100, one at similarity 0.9 about 8, one at 0.5 about 1.
VOTE_DISTANCE_FLOOR = 0.01


def vote_weight(similarity: float, success_rate: float) -> float:
    """The vote a pattern casts for its agent on a route.

    ``w = g / (1 - g + delta)`` with ``g = r * max(s, 0)``, for cosine
    similarity ``s`` and success rate ``r`` in [0, 1], ``delta`` =
    :data:`VOTE_DISTANCE_FLOOR`. ``w`` is 0 for ``g = 0`` and grows with
    both ``s`` and ``r``; a pattern at the query with ``r = 1`` weighs
    ``1 / delta`` (``s`` may exceed 1 by float rounding; ``w`` stays finite
    and positive for ``s < 1 + delta``).

    Parameters
    ----------
    similarity : float
        Cosine similarity of the pattern to the routed vector.
    success_rate : float
        The pattern's success rate, in [0, 1].

    Returns
    -------
    float
        The weight, >= 0.
    """
    discounted = success_rate * similarity if similarity > 0.0 else 0.0
    return discounted / (1.0 - discounted + VOTE_DISTANCE_FLOOR)


#: Routes whose latency enters the percentiles of :meth:`HnswRouter.stats`.
LATENCY_WINDOW = 1000
#: Largest pattern id. Ids count up from 0, one per pattern ever added, and
#: reach the page in every route, so they stay within what a JS number holds
#: exactly; adding a pattern past it is refused (no real library adds 2**53).
MAX_PATTERN_ID = snapshot.JS_SAFE_INTEGER
#: Largest latency sample a snapshot may hold, microseconds: a day. A route
#: that a suspended tab stretched is still far below; larger values only
#: come from crafted files (their means could overflow).
MAX_LATENCY_US = 86_400e6
_SNAPSHOT_KIND = "HnswRouter"
_STATE_VERSION = 1
_RECORD_FIELDS = [f for f in fields(PatternRecord) if f.name != "id"]
#: The fields of a pattern, in :class:`PatternRecord`'s order, without its ``id``.
_FIELDS = tuple(f.name for f in _RECORD_FIELDS)
#: The mutable record the router holds per pattern: :class:`PatternRecord`'s fields without ``id``.
_Pattern = make_dataclass("_Pattern", [(f.name, f.type) for f in _RECORD_FIELDS], slots=True)
#: ``_values(pattern)`` is the tuple of a pattern's fields in ``_FIELDS`` order.
_values = attrgetter(*_FIELDS)


class HnswRouter:
    """Routes embeddings to agents by similarity-weighted voting of stored patterns.

    Parameters
    ----------
    config : RouterConfig, optional
        Settings; ``RouterConfig()`` by default.
    seed : int
        Seed of the index's level generator.
    """

    def __init__(self, config: RouterConfig | None = None, seed: int = 0) -> None:
        if config is not None and not isinstance(config, RouterConfig):
            raise TypeError(f"config must be a RouterConfig, got {type(config).__name__}")
        self.config = config or RouterConfig()
        c = self.config
        self._index = HnswIndex(
            c.dim, m=c.m, ef_construction=c.ef_construction, ef_search=c.ef_search, seed=as_int(seed, "seed", 0)
        )
        self._patterns: dict[int, _Pattern] = {}
        self._clock = 0
        self._queries = 0
        self._hits = 0
        self._evictions = 0
        self._latency = LatencyWindow(LATENCY_WINDOW)
        self._per_agent: Counter[str] = Counter()
        self._by_task: dict[str, set[int]] = {}
        self._lru: list[tuple[int, float, int]] = []

    def __len__(self) -> int:
        return len(self._patterns)

    @property
    def dim(self) -> int:
        """The embedding dimension (``config.dim``)."""
        return self.config.dim

    @property
    def clock(self) -> int:
        """The operation counter (routes, adds, learns) that pattern ``created``/``last_used`` refer to."""
        return self._clock

    def __contains__(self, pattern_id: object) -> bool:
        return pattern_id in self._index

    @property
    def full(self) -> bool:
        """Whether ``max_patterns`` patterns are held, so that adding one evicts one."""
        return len(self._patterns) >= self.config.max_patterns

    # ------------------------------------------------------------------ routing

    def route(self, embedding: object, task_type: str | None = None) -> RoutingResult:
        """Choose an agent for ``embedding`` ``(dim,)``; see the module docstring for the vote.

        Parameters
        ----------
        embedding : array-like, shape (dim,)
        task_type : str, optional
            Only patterns of this task type vote (a filtered search).
        """
        start = time.perf_counter()
        vector = as_embedding(embedding, self.config.dim)
        wanted = None if task_type is None else as_text(task_type, "task_type")
        return self._route_valid(vector, wanted, start)

    def _route_valid(self, vector: np.ndarray, task_type: str | None, start: float) -> RoutingResult:
        """:meth:`route` of an already validated ``vector`` ``(dim,)`` float32, timed from ``start``.

        For callers inside the package that validated the vector themselves
        (``IntelligentLLM.process`` routes the adapter's output).
        """
        ids, similarities = self._nearest(vector, task_type)
        self._clock += 1
        agent, task, confidence, alternatives, neighbors = self._vote(ids, similarities)
        self._queries += 1
        self._hits += agent is not None and confidence >= self.config.min_confidence
        latency = (time.perf_counter() - start) * 1e6
        self._latency.add(latency)
        return RoutingResult(agent, task, confidence, alternatives, neighbors, latency)

    def _vote(
        self, ids: list[int], similarities: list[float]
    ) -> tuple[str | None, str | None, float, list[tuple[str, float]], list[RoutingNeighbor]]:
        """Tally the votes of the patterns ``ids`` at ``similarities``.

        Returns ``(agent, task_type, confidence, alternatives, neighbors)``
        (see :class:`RoutingResult`); marks the voters used at the current
        clock and counts a use of each pattern that voted for the winner.
        """
        if not ids:
            return None, None, 0.0, [], []
        patterns, clock = self._patterns, self._clock
        votes: dict[str, float] = {}
        voters = [patterns[ident] for ident in ids]
        neighbors = []
        for ident, similarity, pattern in zip(ids, similarities, voters):
            pattern.last_used = clock
            weight = vote_weight(similarity, pattern.success_rate)
            votes[pattern.agent] = votes.get(pattern.agent, 0.0) + weight
            neighbors.append(
                RoutingNeighbor(ident, pattern.agent, pattern.task_type, similarity, weight, pattern.description)
            )
        for ident in ids:
            self._touch(ident)
        total = sum(votes.values())
        if total <= 0.0:
            return voters[0].agent, voters[0].task_type, 0.0, [], neighbors
        ranking = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
        agent = ranking[0][0]
        tasks: dict[str, float] = {}
        for neighbor, pattern in zip(neighbors, voters):
            if pattern.agent == agent:
                tasks[pattern.task_type] = tasks.get(pattern.task_type, 0.0) + neighbor.weight
                pattern.usage_count += 1
        task = min(tasks.items(), key=lambda item: (-item[1], item[0]))[0]
        alternatives = [(name, weight / total) for name, weight in ranking[1:] if weight > 0.0]
        return agent, task, min(1.0, ranking[0][1] / total), alternatives, neighbors

    # ----------------------------------------------------------------- learning

    def add_pattern(self, embedding: object, agent: str, task_type: str, description: str = "") -> int:
        """Add a pattern (success rate 1.0) and return its id."""
        vector = as_embedding(embedding, self.config.dim)
        agent = as_text(agent, "agent", allow_empty=False)
        task_type = as_text(task_type, "task_type")
        description = as_text(description, "description")
        return self._add(vector, agent, task_type, description, 1.0)

    def learn_pattern(self, embedding: object, agent: str, task_type: str, description: str, quality: float) -> int:
        """Reinforce the near-duplicate pattern of ``agent`` or add a new one; return its id.

        ``quality`` in [0, 1] is the observed outcome: it moves the success
        rate of a reinforced pattern, or starts that of a new one.
        """
        vector = as_embedding(embedding, self.config.dim)
        agent = as_text(agent, "agent", allow_empty=False)
        task_type = as_text(task_type, "task_type")
        description = as_text(description, "description")
        quality = as_quality(quality)
        reinforced = self._reinforce(vector, agent, quality)
        if reinforced is not None:
            return reinforced
        return self._add(vector, agent, task_type, description, quality)

    def reinforce_pattern(self, embedding: object, agent: str, quality: float) -> int | None:
        """Reinforce the near-duplicate pattern of ``agent`` as :meth:`learn_pattern` would; never add one.

        Returns the reinforced pattern's id, or ``None`` (and nothing
        changes) when ``agent`` has no pattern with cosine similarity at least
        ``merge_similarity``. Costs one index search, no graph change.
        """
        vector = as_embedding(embedding, self.config.dim)
        agent = as_text(agent, "agent", allow_empty=False)
        return self._reinforce(vector, agent, as_quality(quality))

    def _reinforce(self, vector: np.ndarray, agent: str, quality: float) -> int | None:
        """Usage + 1 and success rate toward ``quality`` for the near-duplicate of ``agent``; its id or None."""
        ids, _ = self._matching(vector, 1, lambda p: p.agent == agent, self.config.merge_similarity)
        if not ids:
            return None
        ident = ids[0]
        pattern = self._patterns[ident]
        self._clock += 1
        pattern.usage_count += 1
        pattern.last_used = self._clock
        pattern.success_rate += self.config.success_alpha * (quality - pattern.success_rate)
        self._touch(ident)
        return ident

    def record_outcome(self, target: int | RoutingResult, success: bool) -> int:
        """Record whether a route worked; return how many patterns were updated.

        ``target`` is a pattern id, or a :class:`RoutingResult`, in which case
        every pattern that voted for the chosen agent (and still exists) is
        updated. Each gets ``successes``/``failures`` + 1 and its success
        rate moved toward 1 or 0.

        Raises
        ------
        ValueError
            If ``target`` is a pattern id that does not exist.
        """
        success = as_bool(success, "success")
        if isinstance(target, RoutingResult):
            ids = [n.pattern_id for n in target.neighbors if n.agent == target.agent and n.pattern_id in self._patterns]
        else:
            ids = [self._known(target)]
        for ident in ids:
            pattern = self._patterns[ident]
            pattern.successes += success
            pattern.failures += not success
            pattern.success_rate += self.config.success_alpha * (float(success) - pattern.success_rate)
            self._touch(ident)
        return len(ids)

    def remove_pattern(self, pattern_id: int) -> None:
        """Remove a pattern. ``ValueError`` if it does not exist."""
        ident = self._known(pattern_id)
        self._index.remove(ident)
        pattern = self._patterns.pop(ident)
        self._per_agent[pattern.agent] -= 1
        if not self._per_agent[pattern.agent]:
            del self._per_agent[pattern.agent]
        group = self._by_task[pattern.task_type]
        group.discard(ident)
        if not group:
            del self._by_task[pattern.task_type]

    def evict(self) -> int:
        """Remove the least recently used pattern (see the module docstring) and return its id.

        What adding to a full library does first; callers that budget graph
        changes (SONA's background loop) call it on a tick of its own.

        Raises
        ------
        ValueError
            If the router holds no pattern.
        """
        if not self._patterns:
            raise ValueError("there is no pattern to evict")
        ident = self._least_recently_used()
        self.remove_pattern(ident)
        self._evictions += 1
        return ident

    def merge_patterns(self, keep_id: int, drop_id: int) -> None:
        """Fold pattern ``drop_id`` into ``keep_id`` and remove it.

        Usage, successes and failures add up; the success rate becomes the
        usage-weighted mean (plain mean if both are unused); ``created`` is
        the earlier and ``last_used`` the later. ``keep_id`` keeps its
        embedding, agent, task type and description.

        Raises
        ------
        ValueError
            If either id does not exist or they are the same.
        """
        keep, drop = self._known(keep_id), self._known(drop_id)
        if keep == drop:
            raise ValueError("merge_patterns needs two different patterns")
        a, b = self._patterns[keep], self._patterns[drop]
        a.success_rate = _pooled_success_rate(a, b)
        # Capped: merging two counts at the snapshot bound must not pass what the page shows exactly.
        a.usage_count = snapshot.capped(a.usage_count + b.usage_count)
        a.successes = snapshot.capped(a.successes + b.successes)
        a.failures = snapshot.capped(a.failures + b.failures)
        a.created = min(a.created, b.created)
        a.last_used = max(a.last_used, b.last_used)
        self._touch(keep)
        self.remove_pattern(drop)

    # ------------------------------------------------------ merging two copies

    def merge(self, theirs: HnswRouter, base: HnswRouter | None = None) -> dict[str, int]:
        """Fold what another copy of this router learned into this one: a three-way merge.

        ``base`` is the common ancestor of both copies (``None``: an empty
        router), ``theirs`` the other copy now. A pattern is identified by
        its content: agent, task type, description and stored (unit-length)
        embedding bytes, the ``k``-th of equal ones by ascending id; those
        never change once added, while reinforcement, outcomes and the deep
        loop's merges change only its statistics. Per pattern:

        - added in one copy: kept (theirs' are inserted here);
        - removed in one copy (evicted, pruned, merged into another) and
          unchanged in the other since ``base``: removed; changed in the
          other: kept as the other has it;
        - in both: each statistic ``s`` becomes ``mine + theirs - base``
          (theirs' or mine when only one changed it; counts at least 0,
          success rate clipped to [0, 1]; both added it independently:
          counts add up and the success rate is the usage-weighted mean, as
          in :meth:`merge_patterns`); ``created`` the earlier,
          ``last_used`` the later.

        Operation times are put on one clock: theirs' after ``base`` come
        after all of mine (shifted by ``mine.clock - base.clock``), and the
        clock advances by ``theirs.clock - base.clock``. Routes, hits and
        evictions add theirs' since ``base``. Settings, latencies and ids
        stay this router's. A full library evicts (least recently used) to
        make room, as adding does. Merging in a ``theirs`` equal to ``base``
        changes nothing.

        Parameters
        ----------
        theirs : HnswRouter
            The other copy, of the same dimension.
        base : HnswRouter, optional
            What both copies started from.

        Returns
        -------
        dict
            ``added``, ``removed``, ``combined`` (patterns whose statistics
            took theirs' changes) and ``evicted`` counts.

        Raises
        ------
        TypeError, ValueError
            If ``theirs`` or ``base`` is not a router of this dimension;
            nothing changes then.
        """
        if base is None:
            base = HnswRouter(RouterConfig(dim=self.dim))
        for other, name in ((theirs, "theirs"), (base, "base")):
            if not isinstance(other, HnswRouter):
                raise TypeError(f"{name} must be an HnswRouter, got {type(other).__name__}")
            if other.dim != self.dim:
                raise ValueError(f"{name} holds {other.dim}-dim patterns, this router {self.dim}-dim")
        mine_keys, their_keys, base_keys = self._content_keys(), theirs._content_keys(), base._content_keys()
        merged_clock = self._clock + max(0, theirs._clock - base._clock)

        def their_time(t: int) -> int:
            return min(merged_clock, t + self._clock - base._clock if t > base._clock else t)

        report = {"added": 0, "removed": 0, "combined": 0, "evicted": 0}
        for key, ident in mine_keys.items():
            mine = self._patterns[ident]
            old = base._patterns[base_keys[key]] if key in base_keys else None
            if key not in their_keys:
                if old is not None and _values(mine) == _values(old):
                    self.remove_pattern(ident)
                    report["removed"] += 1
                continue
            their = theirs._patterns[their_keys[key]]
            if old is not None and _values(their) == _values(old):
                continue
            _combine(mine, their, old, their_time)
            self._touch(ident)
            report["combined"] += 1
        for key, their_id in their_keys.items():
            their = theirs._patterns[their_id]
            if key in mine_keys or (key in base_keys and _values(their) == _values(base._patterns[base_keys[key]])):
                continue
            if self.full:
                self.evict()
                report["evicted"] += 1
            ident = int(self._index._add_rows(theirs._index.vector(their_id).reshape(1, -1), None)[0])
            copy = _Pattern(*_values(their))
            copy.created, copy.last_used = their_time(their.created), their_time(their.last_used)
            self._register(ident, copy)
            report["added"] += 1
        self._clock = merged_clock
        self._queries += max(0, theirs._queries - base._queries)
        self._hits = min(self._queries, self._hits + max(0, theirs._hits - base._hits))
        self._evictions += max(0, theirs._evictions - base._evictions)
        return report

    def _content_keys(self) -> dict[tuple[str, str, str, bytes, int], int]:
        """Each pattern's id under its content key ``(agent, task_type, description, embedding bytes, k)``.

        ``k`` counts the earlier (smaller-id) patterns of equal content, so equal patterns pair up in id order.
        """
        keys: dict[tuple[str, str, str, bytes, int], int] = {}
        seen: Counter[tuple[str, str, str, bytes]] = Counter()
        for ident in sorted(self._patterns):
            pattern = self._patterns[ident]
            content = (pattern.agent, pattern.task_type, pattern.description, self._index.vector(ident).tobytes())
            keys[(*content, seen[content])] = ident
            seen[content] += 1
        return keys

    # ------------------------------------------------------------- inspection

    def pattern(self, pattern_id: int) -> PatternRecord:
        """The record of one pattern. ``ValueError`` if it does not exist."""
        ident = self._known(pattern_id)
        return PatternRecord(ident, *_values(self._patterns[ident]))

    def patterns(self) -> list[PatternRecord]:
        """Records of all patterns, by ascending id."""
        patterns = self._patterns
        return [PatternRecord(i, *_values(patterns[i])) for i in sorted(patterns)]

    def pattern_ids(self) -> np.ndarray:
        """The ids of all patterns, ascending, ``(n,)`` int64."""
        return self._index.ids()

    def pattern_embedding(self, pattern_id: int) -> np.ndarray:
        """The (unit-length) embedding of a pattern, ``(dim,)`` float32."""
        return self._index.vector(self._known(pattern_id))

    def embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids (n,) int64, embeddings (n, dim) float32)`` of all patterns, by ascending id."""
        ids = self._index.ids()
        matrix = np.zeros((ids.shape[0], self.config.dim), dtype=np.float32)
        for row, ident in enumerate(ids.tolist()):
            matrix[row] = self._index.vector(ident)
        return ids, matrix

    def stats(self) -> dict[str, Any]:
        """Counts, hit rate, latency (mean/p50/p99 over the last routes, microseconds), patterns per agent."""
        latency = self._latency.summary()
        return {
            "total_patterns": len(self._patterns),
            "queries": self._queries,
            "hits": self._hits,
            "hit_rate": self._hits / self._queries if self._queries else 0.0,
            "evictions": self._evictions,
            "latency_us": {
                "mean": latency["mean_us"],
                "p50": latency["p50_us"],
                "p99": latency["p99_us"],
                "window": min(self._latency.count, self._latency.size),
            },
            "patterns_per_agent": dict(sorted(self._per_agent.items())),
            "config": self.config.to_dict(),
        }

    # ------------------------------------------------------------ serialisation

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(meta, arrays)`` of the router, the index nested under ``index``."""
        index_meta, index_arrays = self._index.to_state()
        meta = {
            "version": _STATE_VERSION,
            "config": self.config.to_dict(),
            "counters": {name: snapshot.capped(value) for name, value in
                         (("clock", self._clock), ("queries", self._queries), ("hits", self._hits),
                          ("evictions", self._evictions))},
            "patterns": [{"id": i, **dict(zip(_FIELDS, _saved_values(p)))} for i, p in sorted(self._patterns.items())],
            "index": index_meta,
        }
        arrays = snapshot.nest("index", index_arrays)
        arrays["latencies"] = self._latency.samples()
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> HnswRouter:
        """Rebuild a router from :meth:`to_state` output, validating everything (``ValueError``)."""
        if not isinstance(meta, dict) or meta.get("version") != _STATE_VERSION or not isinstance(arrays, dict):
            raise ValueError(f"router state must be a dict with version {_STATE_VERSION}")
        try:
            router = cls(RouterConfig(**meta["config"]))
            counters = meta["counters"]
            clock = as_int(counters["clock"], "clock", 0, snapshot.MAX_COUNT)
            queries = as_int(counters["queries"], "queries", 0, snapshot.MAX_COUNT)
            hits = as_int(counters["hits"], "hits", 0, queries)
            evictions = as_int(counters["evictions"], "evictions", 0, snapshot.MAX_COUNT)
            if not isinstance(meta["patterns"], list) or len(meta["patterns"]) > router.config.max_patterns:
                raise ValueError(f"patterns must be a list of at most max_patterns ({router.config.max_patterns})")
            patterns = {as_int(p["id"], "id", 0, MAX_PATTERN_ID): _read_pattern(p, clock) for p in meta["patterns"]}
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"corrupted router state: {error}") from None
        index = HnswIndex.from_state(meta.get("index"), snapshot.section(arrays, "index"))
        if index.next_id > MAX_PATTERN_ID + 1:
            raise ValueError(f"corrupted router state: next pattern id {index.next_id} is beyond {MAX_PATTERN_ID + 1}")
        c = router.config
        if (index.dim, index.m, index.ef_construction, index.ef_search) != (c.dim, c.m, c.ef_construction, c.ef_search):
            raise ValueError("corrupted router state: index settings differ from the router config")
        if index.metric != "cosine" or sorted(patterns) != index.ids().tolist() or len(patterns) > c.max_patterns:
            raise ValueError("corrupted router state: patterns do not match the index")
        latencies = arrays.get("latencies")
        if not isinstance(latencies, np.ndarray) or latencies.dtype != np.float64 or latencies.ndim != 1:
            raise ValueError("corrupted router state: latencies must be a float64 vector")
        if latencies.shape[0] > LATENCY_WINDOW or not ((latencies >= 0) & (latencies <= MAX_LATENCY_US)).all():
            raise ValueError("corrupted router state: latencies are out of range")
        router._index = index
        for ident, pattern in patterns.items():
            router._register(ident, pattern)
        router._clock, router._queries, router._hits, router._evictions = clock, queries, hits, evictions
        for sample in latencies.tolist():
            router._latency.add(sample)
        return router

    def to_bytes(self) -> bytes:
        """Serialise the router and its index."""
        meta, arrays = self.to_state()
        return snapshot.pack(_SNAPSHOT_KIND, meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> HnswRouter:
        """Load a router saved by :meth:`to_bytes` (``ValueError`` on a bad blob)."""
        meta, arrays = snapshot.unpack(data, _SNAPSHOT_KIND)
        return cls.from_state(meta, arrays)

    # ----------------------------------------------------------------- internals

    def _known(self, pattern_id: object) -> int:
        """``pattern_id`` as an int if it exists; TypeError / ValueError otherwise."""
        ident = as_int(pattern_id, "pattern_id")
        if ident not in self._patterns:
            raise ValueError(f"pattern {ident} does not exist")
        return ident

    def _add(self, vector: np.ndarray, agent: str, task_type: str, description: str, success_rate: float) -> int:
        """Store a validated pattern, evicting the least recently used one when full."""
        if not vector.any():  # exact: the squares of a tiny vector may underflow, its direction is fine
            raise ValueError("embedding is a zero vector, which has no cosine similarity")
        if self._index.next_id > MAX_PATTERN_ID:
            raise ValueError(f"no pattern ids left: ids count up to {MAX_PATTERN_ID}")
        if self.full:
            self.evict()
        self._clock += 1
        ident = self._index.add(vector)
        self._register(ident, _Pattern(agent, task_type, description, 0, success_rate, 0, 0, self._clock, self._clock))
        return ident

    def _register(self, ident: int, pattern: _Pattern) -> None:
        """Hold ``pattern`` (already in the index) under ``ident`` and in the per-agent/task books."""
        self._patterns[ident] = pattern
        self._per_agent[pattern.agent] += 1
        self._by_task.setdefault(pattern.task_type, set()).add(ident)
        self._touch(ident)

    def _touch(self, ident: int) -> None:
        """Record the current eviction key of pattern ``ident`` (see the module docstring)."""
        pattern = self._patterns[ident]
        heapq.heappush(self._lru, (pattern.last_used, pattern.success_rate, ident))
        if len(self._lru) > 4 * len(self._patterns) + 64:
            self._lru = [(p.last_used, p.success_rate, i) for i, p in self._patterns.items()]
            heapq.heapify(self._lru)

    def _least_recently_used(self) -> int:
        """The pattern to evict: least recently used, then lowest success rate, then lowest id."""
        lru = self._lru
        while True:
            last_used, success_rate, ident = lru[0]
            pattern = self._patterns.get(ident)
            if pattern is not None and pattern.last_used == last_used and pattern.success_rate == success_rate:
                return ident
            heapq.heappop(lru)

    def _nearest(self, vector: np.ndarray, task_type: str | None) -> tuple[list[int], list[float]]:
        """The ``top_k`` nearest patterns (of ``task_type`` if given) as ``(ids, similarities)``, nearest first."""
        count = self.config.top_k
        if task_type is None:
            ids, similarities = self._index._search_valid(vector, count, self._index.ef_search, None)
            return ids.tolist(), similarities.tolist()
        group = self._by_task.get(task_type, set())
        if len(group) * FILTER_EXACT_RATIO <= len(self._patterns):
            ids, similarities = self._index.search(vector, count, allowed=group)
            return ids.tolist(), similarities.tolist()
        return self._matching(vector, count, lambda p: p.task_type == task_type)

    def _matching(
        self, vector: np.ndarray, count: int, keep: Callable[[_Pattern], bool], floor: float = -math.inf
    ) -> tuple[list[int], list[float]]:
        """Up to ``count`` nearest patterns with ``keep(pattern)`` true and similarity >= ``floor``.

        Searches ``k = max(2 * count, top_k)`` neighbours and doubles ``k``
        until ``count`` of them match, one falls below ``floor`` (all later
        ones would too), or every pattern has been returned. Returns
        ``(ids, similarities)``, nearest first.
        """
        total = len(self._patterns)
        k = min(total, max(2 * count, self.config.top_k))
        ids: list[int] = []
        similarities: list[float] = []
        while k:
            ids.clear()
            similarities.clear()
            found, scores = self._index._search_valid(vector, k, self._index.ef_search, None)
            for ident, similarity in zip(found.tolist(), scores.tolist()):
                if similarity < floor:
                    return ids, similarities
                if keep(self._patterns[ident]):
                    ids.append(ident)
                    similarities.append(similarity)
                    if len(ids) == count:
                        return ids, similarities
            k = 0 if k >= total else min(total, 2 * k)
        return ids, similarities


def _combine(mine: _Pattern, their: _Pattern, base: _Pattern | None, their_time: Callable[[int], int]) -> None:
    """Give ``mine`` theirs' changes since ``base`` (see :meth:`HnswRouter.merge`), in place."""
    created, last_used = their_time(their.created), their_time(their.last_used)
    if base is None:
        mine.success_rate = _pooled_success_rate(mine, their)
        counts_before = (0, 0, 0)  # both copies added the pattern: each one's counts are all its own
    else:
        mine.success_rate = min(1.0, max(0.0, three_way(mine.success_rate, their.success_rate, base.success_rate)))
        counts_before = (base.usage_count, base.successes, base.failures)
    # Within [0, the snapshot bound]: two tabs' counts added must still be saveable and exact in JS.
    mine.usage_count, mine.successes, mine.failures = (
        three_way_count(m, t, b)
        for m, t, b in zip((mine.usage_count, mine.successes, mine.failures),
                           (their.usage_count, their.successes, their.failures), counts_before)
    )
    mine.created, mine.last_used = min(mine.created, created), max(mine.last_used, last_used)


def _pooled_success_rate(a: _Pattern, b: _Pattern) -> float:
    """The usage-weighted mean of two patterns' success rates (the plain mean when both are unused)."""
    usage = a.usage_count + b.usage_count
    if usage:
        return (a.success_rate * a.usage_count + b.success_rate * b.usage_count) / usage
    return (a.success_rate + b.success_rate) / 2


def _saved_values(pattern: _Pattern) -> tuple[Any, ...]:
    """A pattern's fields as a snapshot holds them: its counters capped (:func:`ruvllm_web.snapshot.capped`)."""
    return tuple(snapshot.capped(v) if type(v) is int else v for v in _values(pattern))


def _read_pattern(record: dict[str, Any], clock: int) -> _Pattern:
    """Validate one saved pattern record."""
    if not isinstance(record, dict) or set(record) != {"id", *_FIELDS}:
        raise ValueError("a pattern record has missing or unknown fields")
    return _Pattern(
        agent=as_text(record["agent"], "agent", allow_empty=False),
        task_type=as_text(record["task_type"], "task_type"),
        description=as_text(record["description"], "description"),
        usage_count=as_int(record["usage_count"], "usage_count", 0, snapshot.MAX_COUNT),
        success_rate=as_float(record["success_rate"], "success_rate", 0.0, 1.0),
        successes=as_int(record["successes"], "successes", 0, snapshot.MAX_COUNT),
        failures=as_int(record["failures"], "failures", 0, snapshot.MAX_COUNT),
        created=as_int(record["created"], "created", 0, clock),
        last_used=as_int(record["last_used"], "last_used", 0, clock),
    )
