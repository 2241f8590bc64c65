"""SONA: three learning loops around a fast and a slow low-rank adapter.

The adapted vector of an input ``x`` (shape ``(dim,)``) is::

    adapt(x) = x + delta_base(x) + delta_instant(x)

where each ``delta(x) = alpha * (x @ A) @ B`` is a :class:`MicroLoRA` term:
``instant`` learns per request, ``base`` learns slowly from consolidations.

:class:`SonaInstant` runs the loops; their parts live beside it in
:mod:`ruvllm_web.learning`: :mod:`~ruvllm_web.learning.consolidation` (the
exact solve of a background tick), :mod:`~ruvllm_web.learning.deep_loop` (one
deep run), :mod:`~ruvllm_web.learning.ewc`, :mod:`~ruvllm_web.learning.kmeans`
and :mod:`~ruvllm_web.learning.trajectory_ring` (the requests waiting for a tick).

Instant loop, per request (:meth:`SonaInstant.instant`, O(dim) work)
    The quality EMA moves ``ema <- ema + beta * (q - ema)``; the advantage
    ``a = q - ema_before`` says whether this request went better or worse than
    usual. When ``|a| >= min_advantage`` the instant adapter takes one step of
    the surrogate loss ``L = -a * cos(adapt(x), d)`` (``d`` the target
    direction: the routed pattern's embedding, or ``x / ||x||``): routing
    scores by cosine, so a better-than-usual request pulls its output toward
    ``d`` and a worse one pushes it away. With ``o = adapt(x)``,
    ``u = o / ||o||`` and ``e = d / ||d||`` the output gradient is::

        dL/do = -a * (e - (u . e) * u) / ||o||

    which vanishes as ``o`` lines up with ``d`` (or with ``-d``): unlike a
    linear score ``<o, d>``, the loss is bounded, so a long run of good
    feedback cannot grow the adapter without limit. ``adapt`` is linear, so
    ``L`` and its weight gradient are the same for ``x`` and ``x / ||x||``:
    the step is taken on the unit input (its norm computed in float64), which
    keeps every product of it near 1 whatever the input's scale. The request
    is recorded as a trajectory.

    Inputs (``x``, ``d``) are embeddings: finite, every value within
    ``[-1e6, 1e6]`` (:func:`~ruvllm_web.validation.as_embedding`); others are
    refused before anything changes.

Background loop, :meth:`SonaInstant.tick` (every ``interval_ms``)
    Runs when the interval has passed and at least ``min_batch`` trajectories
    wait. **The bound**: whatever is waiting, one tick does exactly one of
    these jobs, so at the defaults at most ``max_insert_per_tick`` (4) HNSW
    inserts or one HNSW removal (``max_deep_removals`` 1), never both, plus
    the searches and products listed:

    - *consolidate*: at most ``max_batch`` trajectories, i.e. one
      consolidation solve of ``O(max_batch * dim * r + dim * r^3)`` (a
      ``(max_batch, dim) @ (dim, r)`` product per adapter and ``dim``
      batched ``r x r`` systems); at most
      ``max_learn_per_tick`` router searches (``reinforce_pattern``: no
      graph change); at most ``max_insert_per_tick`` new patterns (one more
      search and one HNSW insert each), and only while the library is not
      full: a consolidating tick never evicts;
    - *evict*: one least-recently-used eviction (one HNSW removal), when the
      library is full and the last consolidating tick had a pattern to add;
    - *deep*: one deep run (k-means over at most ``max_deep_patterns``
      patterns, at most ``max_deep_removals`` HNSW removals) when a deep pass
      is under way or due.

    Evict and deep are *upkeep* jobs: one runs only on the tick right after a
    consolidating tick (when both are wanted they take turns), so
    consolidation keeps going at least every other tick. The defaults (32
    trajectories, 4 searches, 4 inserts, 128 patterns, 1 removal) keep
    every job short at 10k patterns x 384 inside Pyodide, where one
    removal is the costliest and least predictable step (see BENCHMARKS.md,
    bench_process, for what each job costs). (An insert into a library the
    index still searches exactly links up to
    :data:`~ruvllm_web.hnsw.index.LINKS_PER_INSERT` vectors into its lazily
    built graph, or none below half the index's ``exact_threshold``; at
    most 2 graph links per insert either way.) Four inserts rather than
    one: on bench_learning's stream (a request every 20 ms, a tick every
    5) one insert per tick left confirmed routes unlearned and routed less
    accurately than two or four (docs/design-notes.md, "Learning").

    Under sustained load (more trajectories arrive between ticks than a tick
    takes) the bound stays: the worker has the least time to spare then,
    serving the requests themselves. What the load changes is which
    trajectories a tick takes: when more than ``max_batch`` wait, a uniform
    random sample of them (drawn from ``seed`` and the tick count, so a
    reloaded SONA draws the same one), not the oldest. Every waiting
    trajectory has the same chance whatever its position; taking the oldest
    took the same positions of every tick interval (a page firing its
    requests in a fixed order had some of them never learned), and took them
    as old as the ring is long. The others keep waiting in arrival order;
    when the ring (``capacity``) is full the oldest is overwritten. Drawing
    the sample and closing its gaps add ``O(capacity * dim)`` copies to a
    consolidating tick. What is learned under load against a person-paced
    stream: see BENCHMARKS.md, bench_load.

    A consolidating tick

    1. consolidates the instant adapter into the base adapter by an exact
       solve (:func:`~ruvllm_web.learning.consolidation.distil`);
    2. shrinks the instant adapter's ``B`` by ``1 - transfer`` (what moved to
       base leaves the fast weights, so they stay free for new changes);
    3. hands high-quality trajectories (``q >= learn_quality``) with a routed
       agent to the router's pattern library, best quality first: each of the
       first ``max_learn_per_tick`` reinforces its agent's near-duplicate
       (``reinforce_pattern``); one without a near-duplicate is added as a
       new pattern (``learn_pattern``) while fewer than
       ``max_insert_per_tick`` were added this tick and the library is not
       full, else it is not learned (and a full library asks for an
       eviction on the next tick);
    4. every ``consolidate_every`` ticks, anchors the EWC penalty at the
       current base ``B`` (one "EWC task").

What the adapters do to routing (BENCHMARKS.md, bench_learning; docs/design-notes.md, "Learning")
    The base holds what the instant adapter learned, yet at the defaults
    the adapters move an input by a tiny fraction of its length and change
    no route. A strong adapter (``alpha 1``, ``instant_lr 0.5``) does not
    hurt routing, thanks to the bounded instant loss, but changes only a
    handful of outcomes and not the accuracy. Nor do the adapters learn the
    one drift a rank-2 map could undo, a rank-2 "embedding model update"
    (undoing it exactly would restore the accuracy it costs): the base
    reads inputs only through its fixed random code ``x @ A``, the instant
    adapter loses ``transfer`` of itself every tick, and its signal is a
    reward on the routed pattern. The pattern library is what learns
    routes; the EWC penalty does protect an earlier task's routes when the
    rates are strong enough to make them depend on the adapter
    (``tests/unit/learning/test_sona.py``).

Deep loop, :meth:`SonaInstant.deep`: passes over the library in bounded runs
    A *pass* starts when at least ``deep_min_requests`` requests came since
    the last pass started and any of: accumulated quality since then
    ``>= deep_quality``; requests since then ``>= deep_every``; drift
    ``>= drift_threshold``, where drift is ``1 - cos`` between the running
    mean of inputs (an EMA of unit inputs with rate ``drift_beta``) and its
    value when the last pass started. The minimum spacing matters: on a
    stream that mixes many topics the running mean wanders by itself
    (bench_learning's streams carry it past the default threshold), so
    drift alone would fire at every tick. Starting a pass resets those
    counters and the drift reference.

    A pass is a series of *runs*, one per deep job (or per :meth:`deep`
    call). A run works on a *slice*: the ``S = max_deep_patterns`` patterns
    with the smallest ids ``>= `` the pass's cursor. It clusters the slice,
    merges same-agent near-duplicates within each cluster and prunes old,
    unused, unsuccessful patterns, at most ``max_deep_removals`` merges and
    prunes together (each an HNSW removal;
    :func:`~ruvllm_web.learning.deep_loop.tidy_slice`). If more were
    planned, the next run starts at the same cursor (the slice has shrunk
    by what was removed), else the cursor moves ``max(1, S // 2)`` patterns
    on, so consecutive slices overlap by half: every pattern is visited, and
    two patterns less than ``S // 2`` positions apart in id order share a
    slice. The pass ends with the run whose slice reaches the largest id; a
    new pass cannot start before. Same-agent near-duplicates farther apart
    are not merged; the router itself reinforces a learned pattern's
    same-agent near-duplicate instead of adding it (at its own
    ``merge_similarity``), so they come mostly from explicit
    ``add_pattern`` calls, which are consecutive. ``deep(whole=True)``
    (``IntelligentLLM.run_deep``) is the on-demand exception: one run over
    the whole library with no removal budget.

Merging two copies (:meth:`SonaInstant.merged`)
    Two copies of one SONA (two browser tabs sharing one persisted engine)
    merge three-way against their common ancestor: the adapters' weights
    like task vectors, ``W = W_mine + (W_theirs - W_base)`` (within the
    adapters' norm bound), the EWC Fisher and anchor and the counters the
    same way, the quality EMA and the running input mean weighted by each
    copy's requests since the ancestor. Waiting trajectories and the deep
    loop's schedule stay the merging copy's (the other consolidates its own).

Statistics (:meth:`SonaInstant.stats`)
    Per loop: instant updates, background ticks and waiting trajectories,
    deep runs, whether a pass is under way and the last run's report, each
    with its latency (mean, p50,
    p99 over recent runs); plus the quality EMA, drift, patterns learned,
    merged and pruned, EWC tasks and both adapters' delta norms.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.latency import LatencyWindow
from ruvllm_web.learning.consolidation import distil
from ruvllm_web.learning.deep_loop import tidy_slice
from ruvllm_web.learning.ewc import EwcPlusPlus
from ruvllm_web.learning.trajectory_ring import TrajectoryRing
from ruvllm_web.lora.micro import MAX_RANK, MicroLoRA
from ruvllm_web.three_way import three_way_count
from ruvllm_web.validation import as_bool, as_embedding, as_float, as_int, as_quality, as_text

_STATE_VERSION = 2
#: The jobs of a background tick (see the module docstring); ``last_job`` holds one.
_CONSOLIDATE, _EVICT, _DEEP = 0, 1, 2
#: Most values (``capacity * dim`` float32, 64 MiB) the trajectory ring may hold, checked
#: before it is allocated. The ring keeps requests waiting for the next tick (a tick takes
#: ``max_batch``, 32 by default, every ``interval_ms``); at 384 dims this allows 43,690
#: waiting requests, far more than a page sends between ticks (the default holds 1,024).
MAX_RING_VALUES = 2**24
#: Largest per-tick budget (``min_batch``, ``max_batch``, ``max_learn_per_tick``,
#: ``max_insert_per_tick``, ``max_deep_patterns``, ``max_deep_removals``): the largest
#: library a router may hold (``RouterConfig.max_patterns``), beyond which a budget cannot bind.
MAX_TICK_BUDGET = 2**24
#: Largest seed: it reaches the page in ``stats()["config"]``, so it stays within what a JS
#: number holds exactly (the page cannot pass a larger one anyway).
MAX_SEED = snapshot.JS_SAFE_INTEGER
#: The keys of :attr:`SonaInstant.last_deep` (empty before the first deep run); ``pass_done`` is a bool.
_DEEP_REPORT = ("patterns", "start", "clusters", "iterations", "merged", "pruned", "pass_done")


@dataclass(frozen=True)
class SonaConfig:
    """Settings of the three loops; see the module docstring for each rule."""

    rank: int = 2
    alpha: float = 0.1
    instant_lr: float = 0.01
    ema_beta: float = 0.1
    min_advantage: float = 0.05
    interval_ms: float = 100.0
    min_batch: int = 4
    max_batch: int = 32
    max_learn_per_tick: int = 4
    max_insert_per_tick: int = 4
    learn_quality: float = 0.7
    transfer: float = 0.5
    ewc_strength: float = 10.0
    ewc_decay: float = 0.9
    consolidate_every: int = 10
    capacity: int = 1024
    deep_quality: float = 200.0
    deep_every: int = 500
    deep_min_requests: int = 100
    drift_threshold: float = 0.15
    drift_beta: float = 0.01
    max_deep_patterns: int = 128
    max_deep_removals: int = 1
    merge_similarity: float = 0.97
    prune_age: int = 1000
    prune_max_usage: int = 1
    prune_success: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        as_int(self.rank, "rank", 1, MAX_RANK)
        as_int(self.capacity, "capacity", 1, MAX_RING_VALUES)
        as_int(self.seed, "seed", 0, MAX_SEED)
        for name in ("min_batch", "max_batch", "max_learn_per_tick", "max_insert_per_tick", "max_deep_patterns",
                     "max_deep_removals"):
            as_int(getattr(self, name), name, 0 if name == "max_insert_per_tick" else 1, MAX_TICK_BUDGET)
        for name in ("consolidate_every", "deep_every", "deep_min_requests", "prune_age", "prune_max_usage"):
            as_int(getattr(self, name), name, 0 if name == "prune_max_usage" else 1, snapshot.MAX_COUNT)
        for name in ("ema_beta", "min_advantage", "learn_quality", "transfer", "merge_similarity",
                     "prune_success", "drift_threshold", "drift_beta"):
            as_float(getattr(self, name), name, 0.0, 1.0)
        for name in ("alpha", "instant_lr", "interval_ms", "ewc_strength", "deep_quality"):
            as_float(getattr(self, name), name, 0.0, 1e9)
        as_float(self.ewc_decay, "ewc_decay", 0.0, 0.999999)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> SonaConfig:
        """Settings from :meth:`to_dict` output; unknown or ill-typed keys raise."""
        if not isinstance(data, dict):
            raise TypeError(f"SONA config must be a dict, got {type(data).__name__}")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown SONA config keys: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class AdaptationResult:
    """What one instant-loop step did."""

    applied: bool
    latency_us: float
    quality_delta: float
    quality_ema: float
    current_rank: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


class PatternLibrary(Protocol):
    """What the loops need of a router (``HnswRouter`` provides it)."""

    clock: int

    full: bool

    def learn_pattern(self, embedding: object, agent: str, task_type: str, description: str, quality: float) -> int: ...
    def evict(self) -> int: ...
    def reinforce_pattern(self, embedding: object, agent: str, quality: float) -> int | None: ...
    def pattern_ids(self) -> np.ndarray: ...
    def pattern_embedding(self, pattern_id: int) -> np.ndarray: ...
    def pattern(self, pattern_id: int) -> Any: ...
    def merge_patterns(self, keep_id: int, drop_id: int) -> None: ...
    def remove_pattern(self, pattern_id: int) -> None: ...


class SonaInstant:
    """The SONA loop coordinator for one embedding space.

    Parameters
    ----------
    dim : int
        Embedding dimension.
    config : SonaConfig, optional
    router : PatternLibrary, optional
        Pattern library the background and deep loops feed and tidy.
    """

    def __init__(self, dim: int = 384, config: SonaConfig | None = None, router: PatternLibrary | None = None) -> None:
        self.dim = as_int(dim, "dim", 1, 65536)
        self.config = config or SonaConfig()
        if not isinstance(self.config, SonaConfig):
            raise TypeError(f"config must be a SonaConfig, got {type(self.config).__name__}")
        self.router = router
        c = self.config
        if c.capacity * self.dim > MAX_RING_VALUES:
            raise ValueError(
                f"capacity {c.capacity} x dim {self.dim} exceeds the trajectory ring's {MAX_RING_VALUES} values"
            )
        self.instant_lora = MicroLoRA(dim, c.alpha, c.instant_lr, rank=c.rank, seed=c.seed)
        self.base_lora = MicroLoRA(dim, c.alpha, 0.0, rank=c.rank, seed=c.seed)  # set by solves, never stepped
        self.ewc = EwcPlusPlus(self.base_lora.b.size, c.ewc_strength, c.ewc_decay)
        self.trajectories = TrajectoryRing(c.capacity, dim)
        self._scratch = np.empty(dim, dtype=np.float32)
        self._latency = {loop: LatencyWindow() for loop in ("instant", "background", "deep")}
        self._reset_counters()

    def _reset_counters(self) -> None:
        self.quality_ema = 0.5
        self.requests = 0
        self.ticks = 0
        self.deep_runs = 0
        self.patterns_learned = 0
        self.patterns_merged = 0
        self.patterns_pruned = 0
        self.instant_updates = 0
        self.quality_since_deep = 0.0
        self.requests_since_deep = 0
        self.input_mean = np.zeros(self.dim, dtype=np.float32)
        self.deep_mean = np.zeros(self.dim, dtype=np.float32)
        self.last_tick_s = -math.inf
        self.last_deep: dict[str, Any] = {}
        self.deep_cursor = 0
        self.deep_in_pass = 0
        self.last_job = _CONSOLIDATE
        self.last_upkeep = _CONSOLIDATE
        self.room_wanted = 0

    # ---------------------------------------------------------------- adapt
    def adapt(self, x: object) -> np.ndarray:
        """Return ``x + delta_base(x) + delta_instant(x)``, shape ``(dim,)`` float32."""
        return self._adapt_valid(as_embedding(x, self.dim, "input"))

    def _adapt_valid(self, vector: np.ndarray) -> np.ndarray:
        """:meth:`adapt` of an already validated ``(dim,)`` float32 ``vector``."""
        out = self.base_lora.forward(vector)
        self.instant_lora.forward_into(vector, self._scratch)
        out += self._scratch
        out -= vector
        return out

    @property
    def drift(self) -> float:
        """``1 - cos`` between the running input mean and its value at the last deep run."""
        a, b = float(np.linalg.norm(self.input_mean)), float(np.linalg.norm(self.deep_mean))
        if a == 0.0 or b == 0.0:
            return 0.0
        return float(1.0 - np.dot(self.input_mean, self.deep_mean) / (a * b))

    # -------------------------------------------------------------- instant
    def instant(
        self,
        x: object,
        quality: object,
        direction: object = None,
        agent: str = "",
        task_type: str = "",
        context: str = "",
    ) -> AdaptationResult:
        """Run the instant loop for one request; see the module docstring.

        Parameters
        ----------
        x : array-like, shape (dim,)
            The request's input embedding.
        quality : float in [0, 1]
            How well the request was served.
        direction : array-like, shape (dim,), optional
            Unit target direction of the step (default ``x / ||x||``).
        agent, task_type, context : str
            Where the request was routed and its text; kept with the trajectory
            so the background loop can add it to the pattern library.
        """
        started = time.perf_counter()
        vector = as_embedding(x, self.dim, "input")
        q = as_quality(quality)
        target = None if direction is None else as_embedding(direction, self.dim, "direction")
        agent = as_text(agent, "agent")
        task_type = as_text(task_type, "task_type")
        context = as_text(context, "context")
        unit = _direction(vector)
        if unit is None:
            raise ValueError("input is all zeros and has no direction")
        advantage = q - self.quality_ema
        self.quality_ema += self.config.ema_beta * advantage
        applied = False
        if abs(advantage) >= self.config.min_advantage:
            applied = self._instant_step(unit, unit if target is None else target, advantage)
            self.instant_updates += applied
        self.trajectories.push(vector, q, agent, task_type, context)
        beta = self.config.drift_beta
        self.input_mean *= 1.0 - beta
        self.input_mean += beta * unit
        if self.requests_since_deep == 0 and not self.deep_mean.any():
            self.deep_mean[:] = self.input_mean
        self.requests += 1
        self.requests_since_deep += 1
        self.quality_since_deep += q
        latency = (time.perf_counter() - started) * 1e6
        self._latency["instant"].add(latency)
        return AdaptationResult(applied, latency, advantage, self.quality_ema, self.instant_lora.rank)

    def _instant_step(self, unit: np.ndarray, direction: np.ndarray, advantage: float) -> bool:
        """One instant-adapter step of ``L = -advantage * cos(adapt(x), direction)``; see the module docstring.

        ``unit`` is ``x / ||x||``: the adapters are linear, so ``cos(adapt(x), d)``
        and the weight gradient are the same for ``x`` and ``unit``, and the
        unit input keeps every product of the step near 1 whatever ``x``'s scale.
        Returns whether the adapter changed (not for a zero ``direction`` or
        output, or an output already parallel to ``direction``).
        """
        out = self._adapt_valid(unit)
        out_norm = math.sqrt(float(out.dot(out)))
        gradient = _direction(direction)
        if out_norm == 0.0 or gradient is None:
            return False
        out /= np.float32(out_norm)
        gradient -= np.float32(out.dot(gradient)) * out
        gradient *= np.float32(-advantage / out_norm)
        return self.instant_lora.adapt(gradient, unit)

    # ----------------------------------------------------------- background
    def tick(self, now: float | None = None, force: bool = False) -> dict[str, Any] | None:
        """Run the background loop if due; return what it did, or ``None`` if it did not run.

        Parameters
        ----------
        now : float, optional
            Current time in seconds (default ``time.monotonic()``); only gates the interval.
        force : bool
            Run whenever at least one trajectory waits, ignoring interval and ``min_batch``.
        """
        now = time.monotonic() if now is None else as_float(now, "now")
        force = as_bool(force, "force")
        c = self.config
        waiting = self.trajectories.pending
        due = now - self.last_tick_s >= c.interval_ms / 1000.0 and waiting >= c.min_batch
        if not (due or (force and waiting > 0)):
            return None
        started = time.perf_counter()
        self.last_tick_s = now
        job = self._upkeep_job() if self.last_job == _CONSOLIDATE else _CONSOLIDATE
        report: dict[str, Any] = {"trajectories": 0, "distilled": 0, "learned": 0}
        if job == _EVICT:
            report["evicted"] = self.router.evict()
            self.room_wanted = 0
        elif job == _DEEP:
            report["deep"] = self.deep()
        else:
            batch = self.trajectories.take(c.max_batch, np.random.default_rng((c.seed, self.ticks)))
            report["trajectories"] = len(batch.qualities)
            report["distilled"] = distil(self.base_lora, self.instant_lora, self.ewc, batch.inputs, c.transfer)
            report["learned"] = self._learn_patterns(batch) if self.router is not None else 0
        self.last_job = job
        if job != _CONSOLIDATE:
            self.last_upkeep = job
        self.ticks += 1
        if self.ticks % c.consolidate_every == 0:
            self.ewc.consolidate(self.base_lora.b)
        self._latency["background"].add((time.perf_counter() - started) * 1e6)
        return report

    def _upkeep_job(self) -> int:
        """The upkeep job this tick should do (``_EVICT``, ``_DEEP``), or ``_CONSOLIDATE`` if none is wanted."""
        evict = bool(self.room_wanted) and self.router is not None and self.router.full
        deep = bool(self.deep_in_pass) or self._deep_due()
        if evict and deep:
            return _EVICT if self.last_upkeep == _DEEP else _DEEP
        return _EVICT if evict else _DEEP if deep else _CONSOLIDATE

    def _learn_patterns(self, batch: Any) -> int:
        """Hand high-quality routed trajectories to the router within the tick's budget; return how many it took.

        At most ``max_learn_per_tick`` candidates (best quality first) are
        tried, each reinforcing its agent's near-duplicate; of those without
        one, at most ``max_insert_per_tick`` are added as new patterns while
        the library is not full; one turned away by a full library sets
        ``room_wanted`` (the next tick evicts).
        """
        c = self.config
        learned = tried = inserted = 0
        self.room_wanted = 0
        for i in np.argsort(-batch.qualities, kind="stable"):
            if tried >= c.max_learn_per_tick or batch.qualities[i] < c.learn_quality:
                break
            if not batch.agents[i]:
                continue
            tried += 1
            quality = float(batch.qualities[i])
            if self.router.reinforce_pattern(batch.inputs[i], batch.agents[i], quality) is not None:
                learned += 1
            elif self.router.full:
                self.room_wanted = 1
            elif inserted < c.max_insert_per_tick:
                self.router.learn_pattern(batch.inputs[i], batch.agents[i], batch.task_types[i], batch.contexts[i],
                                          quality)
                inserted += 1
                learned += 1
        self.patterns_learned += learned
        return learned

    # ----------------------------------------------------------------- deep
    def _deep_due(self) -> bool:
        c = self.config
        return self.router is not None and self.requests_since_deep >= c.deep_min_requests and (
            self.quality_since_deep >= c.deep_quality
            or self.requests_since_deep >= c.deep_every
            or self.drift >= c.drift_threshold
        )

    def deep(self, whole: bool = False) -> dict[str, Any]:
        """Run the deep loop once on the next slice of the library; return what changed.

        Starts a pass if none is under way (see the module docstring). The
        report: ``patterns`` in the slice, its first id ``start``, ``clusters``,
        Lloyd ``iterations``, ``merged``, ``pruned``, and ``pass_done``.

        Parameters
        ----------
        whole : bool
            Make this run a whole pass on its own: one slice holding every
            pattern, no removal budget (what an explicit "run the deep loop
            now" asks for; its cost grows with the library, so ticks never
            do this). A pass under way is replaced by it.
        """
        if self.router is None:
            raise ValueError("the deep loop needs a pattern library: this SONA has no router")
        whole = as_bool(whole, "whole")
        started = time.perf_counter()
        c = self.config
        if whole or not self.deep_in_pass:
            self.deep_in_pass, self.deep_cursor = 1, 0
            self.quality_since_deep = 0.0
            self.requests_since_deep = 0
            self.deep_mean[:] = self.input_mean
        all_ids = self.router.pattern_ids()
        size = len(all_ids) if whole else c.max_deep_patterns
        begin = int(np.searchsorted(all_ids, self.deep_cursor))
        ids = all_ids[begin : begin + size]
        run = tidy_slice(self.router, ids, c, c.seed + self.deep_runs, len(ids) if whole else c.max_deep_removals)
        pass_done = run.finished and begin + size >= len(all_ids)
        if pass_done:
            self.deep_in_pass, self.deep_cursor = 0, 0
        elif run.finished:
            self.deep_cursor = int(all_ids[begin + max(1, size // 2)])
        self.patterns_merged += run.merged
        self.patterns_pruned += run.pruned
        self.deep_runs += 1
        self.last_deep = {
            "patterns": int(len(ids)),
            "start": int(ids[0]) if len(ids) else 0,
            "clusters": run.clusters,
            "iterations": run.iterations,
            "merged": run.merged,
            "pruned": run.pruned,
            "pass_done": pass_done,
        }
        self._latency["deep"].add((time.perf_counter() - started) * 1e6)
        return self.last_deep

    # ---------------------------------------------------------------- state
    def reset(self) -> None:
        """Forget everything learned: both adapters, the EWC state, trajectories and counters."""
        self.instant_lora.reset()
        self.base_lora.reset()
        self.ewc = EwcPlusPlus(self.base_lora.b.size, self.config.ewc_strength, self.config.ewc_decay)
        self.trajectories.clear()
        for window in self._latency.values():
            window.clear()
        self._reset_counters()

    def stats(self) -> dict[str, Any]:
        """Counts and latencies per loop, quality EMA, drift, library changes, EWC tasks (JSON-able)."""
        return {
            "requests": self.requests,
            "quality_ema": self.quality_ema,
            "drift": self.drift,
            "instant": {"updates": self.instant_updates, **self._latency["instant"].summary()},
            "background": {"ticks": self.ticks, "pending": self.trajectories.pending,
                           **self._latency["background"].summary()},
            "deep": {"runs": self.deep_runs, "in_pass": bool(self.deep_in_pass), "last": self.last_deep,
                     **self._latency["deep"].summary()},
            "patterns_learned": self.patterns_learned,
            "patterns_merged": self.patterns_merged,
            "patterns_pruned": self.patterns_pruned,
            "ewc_tasks": self.ewc.tasks,
            "instant_delta_norm": self.instant_lora.delta_norm(),
            "base_delta_norm": self.base_lora.delta_norm(),
        }

    def merge_conflict(self, other: SonaInstant) -> str:
        """Why ``other``'s learned state cannot merge into this one's, e.g. ``"rank 4 instead of 2"`` (``""``: it can).

        Adapter weights mean the same map only with the same ``dim``, ``rank``,
        ``alpha`` and seed (the seeded ``A`` both adapters start from).
        """
        if not isinstance(other, SonaInstant):
            raise TypeError(f"other must be a SonaInstant, got {type(other).__name__}")
        mine, theirs = (
            {"dim": s.dim, "rank": s.config.rank, "alpha": s.config.alpha, "seed": s.config.seed} for s in (self, other)
        )
        return ", ".join(f"{name} {theirs[name]} instead of {value}" for name, value in mine.items()
                         if theirs[name] != value)

    def merged(self, theirs: SonaInstant, base: SonaInstant | None = None) -> SonaInstant:
        """A new SONA holding this one's learned state plus what ``theirs`` learned since ``base``.

        ``theirs`` and ``base`` are copies of this SONA (two browser tabs
        sharing one persisted engine; ``base`` their common ancestor,
        ``None``: a fresh SONA of this config, i.e. the seeded adapters
        both started from). This SONA is left as it is; the caller swaps
        the result in. Settings, router and latency windows stay this
        SONA's. Each part (:mod:`ruvllm_web.three_way`: exactly this SONA's
        value wherever ``theirs`` kept ``base``'s, and the same values
        whichever of two copies merges the other):

        - both adapters' weights, ``W = W_mine + (W_theirs - W_base)``
          (:meth:`MicroLoRA.merged`: the base adapter's delta merges
          exactly, its ``A`` being fixed; bounded, so it always saves and
          loads). Consolidation moves a share of the instant adapter into
          the base one and keeps their sum (with the seeded ``A`` and no
          EWC pull), so the merged ``delta_base + delta_instant`` holds
          both copies' changes of the sum even where each copy consolidated
          a different share (the instant part may then be below ``base``'s);
        - the EWC state (:meth:`EwcPlusPlus.merged`: Fisher three-way,
          floored at 0; anchor three-way from ``base``'s base ``B``);
        - the counters ``requests``, ``ticks``, ``deep_runs``,
          ``patterns_learned``, ``patterns_merged``, ``patterns_pruned``,
          ``instant_updates`` (and the EWC tasks and adapters'
          ``adapt_count``), ``mine + theirs - base`` within ``[0,
          snapshot.MAX_COUNT]``;
        - the quality EMA and the running input mean (the drift's mean) are
          levels, not sums: adding both changes would count the shared
          history twice (two copies both at 0.8 from 0.5 are not at 1.1).
          Each becomes the mean of both copies' values weighted by their
          requests since ``base``, ``n_m`` and ``n_t`` (both EMAs forget
          ``base``'s value at the same rate per request, so the copy that
          saw more requests holds the better estimate); exactly this
          SONA's value when ``theirs`` saw none, ``theirs``' when this one
          saw none;
        - this SONA's own: the waiting trajectories (``theirs``' are its
          own to consolidate: the other tab keeps running, consolidates them
          into its adapters and library, and its next save merges that in;
          taking them here too would learn each twice, patterns reinforced
          twice, a consolidation counted twice; a tab closed before its next
          tick loses their library learning, not what its instant adapter
          learned from them), and the deep loop's schedule (the pass cursor
          is a pattern id of this library; requests and quality since the
          pass started, its reference mean, the last report, the tick
          timing and job alternation).

        Raises
        ------
        TypeError, ValueError
            If ``theirs`` or ``base`` is not a SONA, or its adapters cannot
            merge with these (:meth:`merge_conflict`).
        """
        if base is None:
            base = SonaInstant(self.dim, self.config)
        for other, name in ((theirs, "theirs"), (base, "base")):
            conflict = self.merge_conflict(other)
            if conflict:
                raise ValueError(f"the SONA of {name} cannot merge with this one: its adapters have {conflict}")
        merged = SonaInstant.from_state(*self.to_state(), self.router)
        merged.instant_lora = self.instant_lora.merged(theirs.instant_lora, base.instant_lora)
        merged.base_lora = self.base_lora.merged(theirs.base_lora, base.base_lora)
        merged.ewc = self.ewc.merged(theirs.ewc, base.ewc, base.base_lora.b)
        for name in ("requests", "ticks", "deep_runs", "patterns_learned", "patterns_merged", "patterns_pruned",
                     "instant_updates"):
            setattr(merged, name, three_way_count(getattr(self, name), getattr(theirs, name), getattr(base, name)))
        mine_new, their_new = (max(0, s.requests - base.requests) for s in (self, theirs))
        if mine_new == 0 and their_new > 0:
            merged.quality_ema = theirs.quality_ema
            merged.input_mean[:] = theirs.input_mean
        elif mine_new > 0 and their_new > 0:
            total = mine_new + their_new
            merged.quality_ema = min(1.0, (mine_new * self.quality_ema + their_new * theirs.quality_ema) / total)
            mine_mean, their_mean = self.input_mean.astype(np.float64), theirs.input_mean.astype(np.float64)
            merged.input_mean[:] = (mine_new * mine_mean + their_new * their_mean) / total
        merged.last_tick_s, merged._latency = self.last_tick_s, self._latency
        return merged

    _COUNTERS = ("quality_ema", "requests", "ticks", "deep_runs", "patterns_learned", "patterns_merged",
                 "patterns_pruned", "instant_updates", "quality_since_deep", "requests_since_deep",
                 "deep_cursor", "deep_in_pass", "last_job", "last_upkeep", "room_wanted")
    #: Counters that version 1 states lack (no deep pass under way then); they load as 0.
    _COUNTERS_SINCE_2 = ("deep_cursor", "deep_in_pass", "last_job", "last_upkeep", "room_wanted")

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(meta, arrays)``: config, counters, both adapters, EWC and waiting trajectories."""
        parts = {
            "instant": self.instant_lora.to_state(),
            "base": self.base_lora.to_state(),
            "ewc": self.ewc.to_state(),
            "trajectories": self.trajectories.to_state(),
        }
        meta: dict[str, Any] = {
            "version": _STATE_VERSION,
            "dim": self.dim,
            "config": self.config.to_dict(),
            "counters": {name: getattr(self, name) if name == "deep_cursor" else snapshot.capped(getattr(self, name))
                         for name in self._COUNTERS},
            "last_deep": self.last_deep,
        }
        arrays = {"input_mean": self.input_mean, "deep_mean": self.deep_mean}
        for prefix, (part_meta, part_arrays) in parts.items():
            meta[prefix] = part_meta
            arrays.update(snapshot.nest(prefix, part_arrays))
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], router: PatternLibrary | None = None
    ) -> SonaInstant:
        """Rebuild from :meth:`to_state` output, validating all of it (``ValueError``).

        Version 1 states (before the exact consolidation) load too: see :func:`_upgrade_version_1`.
        """
        if not isinstance(meta, dict) or meta.get("version") not in (1, _STATE_VERSION):
            raise ValueError(f"SONA state must be a dict with version 1 or {_STATE_VERSION}")
        config, ewc_arrays = meta.get("config"), snapshot.section(arrays, "ewc")
        if meta["version"] == 1:
            config, ewc_arrays = _upgrade_version_1(config, ewc_arrays)
        try:
            sona = cls(meta["dim"], SonaConfig.from_dict(config), router)
            counters = meta["counters"]
            old = meta["version"] == 1
            values = {name: 0 if old and name in cls._COUNTERS_SINCE_2 else counters[name] for name in cls._COUNTERS}
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"corrupted SONA state: {error}") from None
        for name, value in values.items():
            setattr(sona, name, _read_counter(name, value, values["requests_since_deep"]))
        if sona.deep_in_pass > 1 or sona.room_wanted > 1 or sona.last_job > _DEEP or sona.last_upkeep > _DEEP:
            raise ValueError("corrupted SONA state: deep_in_pass, room_wanted, last_job or last_upkeep out of range")

        sona.instant_lora = MicroLoRA.from_state(meta.get("instant"), snapshot.section(arrays, "instant"))
        sona.base_lora = MicroLoRA.from_state(meta.get("base"), snapshot.section(arrays, "base"))
        c = sona.config
        for lora, rate in ((sona.instant_lora, c.instant_lr), (sona.base_lora, None if old else 0.0)):
            if (lora.dim, lora.rank, lora.alpha, lora.seed) != (sona.dim, c.rank, c.alpha, c.seed) or (
                rate is not None and lora.learning_rate != rate
            ):
                raise ValueError("corrupted SONA state: an adapter's settings differ from the SONA config")
        sona.ewc = EwcPlusPlus.from_state(meta.get("ewc"), ewc_arrays, sona.base_lora.b.size)
        if (sona.ewc.strength, sona.ewc.decay) != (c.ewc_strength, c.ewc_decay):
            raise ValueError("corrupted SONA state: EWC settings differ from the SONA config")
        sona.trajectories.load_state(meta.get("trajectories"), snapshot.section(arrays, "trajectories"))
        for name in ("input_mean", "deep_mean"):
            array = arrays.get(name)
            if array is None or array.shape != (sona.dim,) or array.dtype != np.float32 or not np.isfinite(array).all():
                raise ValueError(f"corrupted SONA state: {name} must be {sona.dim} finite float32 values")
            getattr(sona, name)[:] = array
        sona.last_deep = _read_deep_report(meta.get("last_deep"))
        return sona


def _direction(vector: np.ndarray) -> np.ndarray | None:
    """``vector / ||vector||`` as float32 ``(dim,)``, or ``None`` for a zero vector.

    The norm is taken in float64, where the squares of float32 values can
    neither overflow nor underflow: a tiny nonzero input has a direction too.
    """
    wide = vector.astype(np.float64)
    norm = math.sqrt(float(wide.dot(wide)))
    return None if norm == 0.0 else (wide / norm).astype(np.float32)


def _read_counter(name: str, value: object, requests_since_deep: object) -> int | float:
    """One saved SONA counter, checked against its bound (``ValueError``; see docs/snapshot-format.md)."""
    try:
        if name == "quality_ema":
            return as_quality(value, name)
        if name == "quality_since_deep":  # a sum of qualities in [0, 1], one per request since the pass
            limit = requests_since_deep if type(requests_since_deep) is int else 0
            return as_float(value, name, 0.0, min(limit, snapshot.MAX_COUNT))
        if name in ("deep_cursor", "start"):  # pattern ids
            return as_int(value, name, 0, snapshot.JS_SAFE_INTEGER)
        return as_int(value, name, 0, snapshot.MAX_COUNT)
    except (TypeError, ValueError) as error:
        raise ValueError(f"corrupted SONA state: {error}") from None


def _read_deep_report(report: object) -> dict[str, Any]:
    """The saved report of the last deep run: empty, or its keys with bounded counts (``ValueError``)."""
    if report is None or report == {}:
        return {}
    if not isinstance(report, dict) or set(report) != set(_DEEP_REPORT) or not isinstance(report["pass_done"], bool):
        raise ValueError(f"corrupted SONA state: last_deep must be empty or hold {list(_DEEP_REPORT)}")
    checked = {name: _read_counter(name, report[name], 0) for name in _DEEP_REPORT[:-1]}
    return {**checked, "pass_done": report["pass_done"]}


def _upgrade_version_1(config: object, ewc_arrays: dict[str, np.ndarray]) -> tuple[object, dict[str, np.ndarray]]:
    """Version 1 -> 2: drop the config's ``base_lr``; keep the ``B`` half of the EWC arrays.

    Version 1 trained the base adapter by gradient steps (``base_lr``) and kept
    its EWC state over all base parameters, laid out ``A^T`` then ``B``.
    """
    if isinstance(config, dict):
        config = {key: value for key, value in config.items() if key != "base_lr"}
    halves = {name: array[array.shape[0] // 2 :] for name, array in ewc_arrays.items() if array.ndim == 1}
    return config, {**ewc_arrays, **halves}
