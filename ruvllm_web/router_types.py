"""Records of the HNSW router: its settings, its patterns and its routing decisions.

All are dataclasses; ``to_dict()`` gives a JSON-able dict (the JS client's shape).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ruvllm_web.validation import as_float, as_int


@dataclass(frozen=True)
class RouterConfig:
    """Settings of an :class:`~ruvllm_web.router.HnswRouter`.

    Attributes
    ----------
    dim : int
        Embedding length.
    m, ef_construction, ef_search : int
        HNSW parameters (see :class:`~ruvllm_web.hnsw.index.HnswIndex`).
        ``ef_construction`` 100, half the index's own default: measured on
        bench_hnsw's 10k and 100k data inside Pyodide, its graph gives at
        least the recall of ef_construction 200 for the same rows scored per
        query, and an insert costs about half (BENCHMARKS.md, "ef_construction
        100 against 200"); a router inserts while it serves (learn_pattern,
        SONA's ticks), so it takes the cheaper build.
        ``ef_search`` 32: on bench_process's 10k x 384 library the agent
        voted over the graph's top 10 was the one voted over the exact top
        10 as often as at ef 50 (all queries at noise 1 and 2; 98.5% vs
        98.75% at noise 4), for ~30% less search time (BENCHMARKS.md).
    top_k : int
        Nearest patterns that vote on a route.
    min_confidence : float
        A route whose confidence (winner's vote share) reaches this is a *hit*.
    max_patterns : int
        Most patterns kept; adding one more evicts the least recently used
        (ties: lower success rate, then lower id).
    merge_similarity : float
        ``learn_pattern`` reinforces an existing pattern of the same agent
        whose cosine similarity to the new embedding is at least this,
        instead of adding a new one.
    success_alpha : float
        Rate of the success-rate moving average:
        ``rate += success_alpha * (outcome - rate)``.
    """

    dim: int = 384
    m: int = 16
    ef_construction: int = 100
    ef_search: int = 32
    top_k: int = 10
    min_confidence: float = 0.5
    max_patterns: int = 10_000
    merge_similarity: float = 0.95
    success_alpha: float = 0.1

    def __post_init__(self) -> None:
        as_int(self.dim, "dim", 1, 1 << 16)
        as_int(self.m, "m", 2, 256)
        as_int(self.ef_construction, "ef_construction", 1, 1 << 16)
        as_int(self.ef_search, "ef_search", 1, 1 << 16)
        as_int(self.top_k, "top_k", 1, 1024)
        as_float(self.min_confidence, "min_confidence", 0.0, 1.0)
        as_int(self.max_patterns, "max_patterns", 1, 1 << 24)
        as_float(self.merge_similarity, "merge_similarity", -1.0, 1.0)
        as_float(self.success_alpha, "success_alpha", 0.0, 1.0)

    @classmethod
    def fast(cls, dim: int = 384) -> RouterConfig:
        """Low latency: M 16, ef_construction 100, ef_search 50, top_k 5."""
        return cls(dim=dim, m=16, ef_construction=100, ef_search=50, top_k=5)

    @classmethod
    def high_recall(cls, dim: int = 384) -> RouterConfig:
        """High recall: M 48, ef_construction 400, ef_search 200, top_k 20."""
        return cls(dim=dim, m=48, ef_construction=400, ef_search=200, top_k=20)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return asdict(self)


@dataclass(frozen=True)
class PatternRecord:
    """A snapshot of one pattern's description and statistics.

    ``created`` and ``last_used`` are values of the router's operation
    counter (it counts routes, learns and adds), not wall-clock times.
    """

    id: int
    agent: str
    task_type: str
    description: str
    usage_count: int
    success_rate: float
    successes: int
    failures: int
    created: int
    last_used: int

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-able dict."""
        return asdict(self)


@dataclass(frozen=True)
class RoutingNeighbor:
    """One pattern that voted on a route: its similarity, vote weight and description.

    The weight is :func:`~ruvllm_web.router.vote_weight` of the similarity and the pattern's success rate.
    """

    pattern_id: int
    agent: str
    task_type: str
    similarity: float
    weight: float
    description: str

    def to_dict(self) -> dict[str, Any]:
        """The neighbour as a JSON-able dict."""
        return asdict(self)


@dataclass(frozen=True)
class RoutingResult:
    """A routing decision.

    Attributes
    ----------
    agent : str or None
        The winning agent; ``None`` when the router has no patterns (or the
        filter admits none): no agent is invented.
    task_type : str or None
        The task type carrying most of the winner's vote.
    confidence : float
        The winner's share of the total vote, in [0, 1].
    alternatives : list of (agent, share)
        The other agents that received votes, best first.
    neighbors : list of RoutingNeighbor
        The patterns that voted, nearest first.
    latency_us : float
        Time spent in ``route``, microseconds.
    """

    agent: str | None
    task_type: str | None
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    neighbors: list[RoutingNeighbor] = field(default_factory=list)
    latency_us: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-able dict (alternatives as ``{"agent", "share"}`` objects)."""
        return {
            "agent": self.agent,
            "task_type": self.task_type,
            "confidence": self.confidence,
            "alternatives": [{"agent": a, "share": s} for a, s in self.alternatives],
            "neighbors": [n.to_dict() for n in self.neighbors],
            "latency_us": self.latency_us,
        }
