"""IntelligentLLM: the integration point: route -> adapt -> learn, in one engine.

A request's embedding ``x`` (shape ``(dim,)``) goes through, in the order of
the spec (route -> LoRA -> SONA)::

    r = router.route(x)         similarity- and success-weighted vote over the top_k patterns
                                (no agent for an all-zero vector, which has no direction)
    a = sona.adapt(x)           x + delta_base(x) + delta_instant(x)   (x itself with use_lora off)
    learn from quality q        (when q is given)
        router.record_outcome(r, q >= 0.5)       the voters' success rates move
        sona.instant(x, q, d)   quality EMA, one adapter step toward (q above
                                the EMA) or away from (q below it) d, the
                                routed agent's nearest pattern; trajectory kept
    return a

Routes compare the request with the patterns as they were given (raw
embeddings, which is also what the library stores); the adapters shape the
vector handed back to the page, learning from the routed agent's pattern.

``last_timings`` holds the wall time of each stage of the last ``process``
call (adapt, route, learn, and the whole call). It describes a run, not
the engine's state, so snapshots leave it out and a loaded engine starts
from zeros.

``tick()`` runs SONA's background loop: a bounded consolidation into the
base adapter and the pattern library, or one bounded slice of the deep loop
(see :mod:`ruvllm_web.learning.sona` for the per-tick bound). With ``use_sona``
off, nothing is learned beyond the outcome statistics and explicit
``learn_pattern`` calls.

Everything is deterministic for a given seed and call sequence, so a saved
engine and its reload answer identically.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ruvllm_web import snapshot
from ruvllm_web.learning.sona import MAX_SEED, AdaptationResult, SonaConfig, SonaInstant
from ruvllm_web.router import HnswRouter
from ruvllm_web.router_types import RouterConfig, RoutingResult
from ruvllm_web.validation import as_bool, as_embedding, as_int, as_quality, as_text

_SNAPSHOT_KIND = "IntelligentLLM"
_STATE_VERSION = 1


@dataclass(frozen=True)
class IntelligentConfig:
    """Settings of the whole engine.

    Attributes
    ----------
    router : RouterConfig
        Router settings; its ``dim`` is the engine's embedding dimension.
    sona : SonaConfig
        Adapter and learning-loop settings.
    use_lora : bool
        Return the adapted vector (on) or the input unchanged (off). Routing
        always uses the input; SONA trains the adapters either way.
    use_sona : bool
        Learn per request and in the background (on), or only keep outcome statistics (off).
    seed : int
        Seed of the index levels and the adapters' initial weights.
    """

    router: RouterConfig = field(default_factory=RouterConfig)
    sona: SonaConfig = field(default_factory=SonaConfig)
    use_lora: bool = True
    use_sona: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.router, RouterConfig):
            raise TypeError(f"router must be a RouterConfig, got {type(self.router).__name__}")
        if not isinstance(self.sona, SonaConfig):
            raise TypeError(f"sona must be a SonaConfig, got {type(self.sona).__name__}")
        as_bool(self.use_lora, "use_lora")
        as_bool(self.use_sona, "use_sona")
        as_int(self.seed, "seed", 0, MAX_SEED)

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self.router.dim

    @classmethod
    def with_dim(cls, dim: int, **settings: Any) -> IntelligentConfig:
        """Default settings at embedding dimension ``dim``."""
        return cls(router=RouterConfig(dim=as_int(dim, "dim", 1, 1 << 16)), **settings)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return {**asdict(self), "router": self.router.to_dict(), "sona": self.sona.to_dict()}

    @classmethod
    def from_dict(cls, data: object) -> IntelligentConfig:
        """Settings from :meth:`to_dict` output (or any subset of its keys)."""
        if not isinstance(data, dict):
            raise TypeError(f"config must be a dict, got {type(data).__name__}")
        unknown = set(data) - {"router", "sona", "use_lora", "use_sona", "seed"}
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        values = dict(data)
        if "router" in values:
            router = values["router"]
            if not isinstance(router, dict):
                raise TypeError("config.router must be a dict")
            values["router"] = RouterConfig(**router)
        if "sona" in values:
            values["sona"] = SonaConfig.from_dict(values["sona"])
        return cls(**values)


class IntelligentLLM:
    """Router + adapters + SONA learning loops behind one object; see the module docstring.

    Parameters
    ----------
    config : IntelligentConfig or dict, optional
        Settings (defaults: 384 dimensions, rank-2 adapters, all learning on).
    """

    def __init__(self, config: IntelligentConfig | dict[str, Any] | None = None) -> None:
        if isinstance(config, dict):
            config = IntelligentConfig.from_dict(config)
        self.config = config or IntelligentConfig()
        if not isinstance(self.config, IntelligentConfig):
            raise TypeError(f"config must be an IntelligentConfig, got {type(self.config).__name__}")
        self._build()

    def _build(self) -> None:
        c = self.config
        sona_config = c.sona if c.sona.seed == c.seed else SonaConfig.from_dict({**c.sona.to_dict(), "seed": c.seed})
        self.router = HnswRouter(c.router, seed=c.seed)
        self.sona = SonaInstant(c.dim, sona_config, router=self.router)
        self._last_result: RoutingResult | None = None
        self._timings = _zero_timings()
        self.processed = 0

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self.config.dim

    @property
    def last_result(self) -> RoutingResult | None:
        """The routing decision of the last :meth:`process` or :meth:`route` call, if any."""
        return self._last_result

    @property
    def last_timings(self) -> dict[str, float]:
        """Wall time of each stage of the last :meth:`process` call, in microseconds.

        Keys: ``route_us`` (routing the input), ``lora_us`` (adapting it),
        ``sona_us`` (recording the outcome and SONA's instant
        step; next to nothing when no quality was given), ``total_us`` (the
        whole call, argument checks included, so at least the sum of the
        others). All 0.0 before the first call. A fresh dict each time; not
        part of snapshots (a timing describes a run, not the engine's state).
        """
        return dict(self._timings)

    # -------------------------------------------------------------- requests
    def process(self, input: object, context: str = "", quality: object = None) -> np.ndarray:
        """Route ``input``, adapt it and learn from ``quality``; return the adapted vector ``(dim,)``.

        Parameters
        ----------
        input : array-like, shape (dim,)
            An embedding: finite, every value in ``[-1e6, 1e6]``
            (:data:`~ruvllm_web.validation.MAX_EMBEDDING_VALUE`), like every
            embedding this engine takes. Anything else raises ``ValueError`` or
            ``TypeError`` before anything is routed, counted or learned.
        context : str
            The request's text or any label; kept with the trajectory and used
            as the description of a pattern learned from it.
        quality : float in [0, 1], optional
            How well this request was served; ``None`` routes and adapts without learning.
        """
        started = time.perf_counter()
        x = as_embedding(input, self.dim, "input")
        context = as_text(context, "context")
        q = None if quality is None else as_quality(quality)
        route_started = time.perf_counter()
        result = self._route(x)
        lora_started = time.perf_counter()
        adapted = self._adapted(x)
        sona_started = time.perf_counter()
        self.processed += 1
        if q is not None and result.agent is not None:
            self.router.record_outcome(result, q >= 0.5)
            if self.config.use_sona:
                direction = self.router.pattern_embedding(result.neighbors[0].pattern_id)
                for neighbor in result.neighbors:
                    if neighbor.agent == result.agent:
                        direction = self.router.pattern_embedding(neighbor.pattern_id)
                        break
                self.sona.instant(x, q, direction, result.agent, result.task_type or "", context)
        finished = time.perf_counter()
        self._timings = {
            "route_us": (lora_started - route_started) * 1e6,
            "lora_us": (sona_started - lora_started) * 1e6,
            "sona_us": (finished - sona_started) * 1e6,
            "total_us": (finished - started) * 1e6,
        }
        return adapted

    def route(self, input: object) -> RoutingResult:
        """Route ``input`` without adapting or learning anything."""
        return self._route(as_embedding(input, self.dim, "input"))

    def _route(self, x: np.ndarray) -> RoutingResult:
        """Route a validated input; an all-zero one has no direction and gets no agent."""
        if x.any():
            result = self.router._route_valid(x, None, time.perf_counter())
        else:
            result = RoutingResult(None, None, 0.0)
        self._last_result = result
        return result

    def adapt(self, input: object, quality: object) -> AdaptationResult:
        """Run SONA's instant loop on ``input`` with ``quality`` (no routing); see :meth:`SonaInstant.instant`."""
        x = as_embedding(input, self.dim, "input")
        q = as_quality(quality)
        return self.sona.instant(x, q)

    def add_pattern(self, embedding: object, agent: str, task_type: str, description: str = "") -> int:
        """Add a pattern to the router; return its id."""
        return self.router.add_pattern(embedding, agent, task_type, description)

    def learn_pattern(self, embedding: object, agent: str, task_type: str, description: str, quality: object) -> int:
        """Teach the router (reinforce or add a pattern of ``agent``) and take an instant adapter step toward it.

        Returns the id of the reinforced or added pattern.
        """
        x = as_embedding(embedding, self.dim, "embedding")
        q = as_quality(quality)
        as_text(agent, "agent", allow_empty=False)
        as_text(task_type, "task_type")
        as_text(description, "description")
        _require_direction(x)
        pattern_id = self.router.learn_pattern(x, agent, task_type, description, q)
        if self.config.use_sona:
            self.sona.instant(x, q, self.router.pattern_embedding(pattern_id), "", task_type, description)
        return pattern_id

    def record_outcome(self, success: object) -> int:
        """Record whether the last routed request went well; return how many patterns were updated."""
        success = as_bool(success, "success")
        if self._last_result is None or self._last_result.agent is None:
            raise ValueError("there is no routed request to record an outcome for")
        return self.router.record_outcome(self._last_result, success)

    def tick(self, now: float | None = None) -> dict[str, Any] | None:
        """Run SONA's background loop if it is due (``None`` if it did not run or SONA is off)."""
        if not self.config.use_sona:
            return None
        return self.sona.tick(now)

    def run_deep(self) -> dict[str, Any]:
        """Run SONA's deep loop now over the whole library (one run, no slice); return what it changed.

        Its cost grows with the library (k-means over every pattern); the
        background loop's ticks only ever run bounded slices of it.
        """
        return self.sona.deep(whole=True)

    def _adapted(self, x: np.ndarray) -> np.ndarray:
        """The adapters' output for a validated ``x`` ``(dim,)`` float32 (a copy of ``x`` when ``use_lora`` is off)."""
        return self.sona._adapt_valid(x) if self.config.use_lora else x.copy()

    # ----------------------------------------------------------------- state
    def stats(self) -> dict[str, Any]:
        """Statistics of every component (JSON-able): router, lora, sona, totalPatterns, ..."""
        sona = self.sona
        return {
            "router": self.router.stats(),
            "lora": {
                "rank": sona.instant_lora.rank,
                "instant_delta_norm": sona.instant_lora.delta_norm(),
                "base_delta_norm": sona.base_lora.delta_norm(),
                "instant_adapt_count": sona.instant_lora.adapt_count,
                "base_adapt_count": sona.base_lora.adapt_count,
                "param_count": sona.instant_lora.param_count + sona.base_lora.param_count,
            },
            "sona": sona.stats(),
            "totalPatterns": len(self.router),
            "processed": self.processed,
            "config": self.config.to_dict(),
        }

    def reset(self) -> None:
        """Forget everything: patterns, adapters, SONA state and counters (the config stays)."""
        self._build()

    def save(self) -> bytes:
        """The whole engine as one snapshot (see docs/snapshot-format.md)."""
        router_meta, router_arrays = self.router.to_state()
        sona_meta, sona_arrays = self.sona.to_state()
        meta = {
            "version": _STATE_VERSION,
            "config": self.config.to_dict(),
            "processed": snapshot.capped(self.processed),
            "router": router_meta,
            "sona": sona_meta,
        }
        arrays = {**snapshot.nest("router", router_arrays), **snapshot.nest("sona", sona_arrays)}
        return snapshot.pack(_SNAPSHOT_KIND, meta, arrays)

    def merge(self, theirs: object, base: object = None) -> dict[str, int | str]:
        """Fold what another copy of this engine learned into this one (a three-way merge).

        For two tabs that keep one engine in the browser: ``theirs`` is the
        other copy's snapshot, ``base`` the snapshot both copies last shared
        (``None``: they started from nothing, i.e. from a fresh engine of
        this config and seed). Learned weights and counts merge as
        ``mine + (theirs - base)``, both copies' changes since ``base``
        applied once (:mod:`ruvllm_web.three_way`):

        - the pattern libraries as :meth:`HnswRouter.merge` describes
          (patterns learned in either copy survive; patterns one copy
          removed and the other left alone go);
        - SONA's learned state as :meth:`SonaInstant.merged` describes: both
          adapters' weights (task-vector addition of the low-rank
          matrices, within the adapters' norm bound), the EWC Fisher
          (floored at 0) and anchor, the learning counters; the quality EMA
          and the drift's running mean as the request-weighted mean of both
          copies'. The waiting trajectories and the deep loop's schedule
          stay this engine's (the other copy consolidates its own: taking
          them too would learn them twice). Only when the other copy's (or
          ``base``'s) adapters are of another shape (``dim``, ``rank``, ``alpha`` or
          seed differ, so their weights mean another map) does SONA stay
          this engine's, and the report says why;
        - ``processed`` adds theirs' requests since ``base``.

        The settings stay this engine's. Merging in a ``theirs`` equal to
        ``base`` changes nothing (``save()`` writes the same bytes), and two
        copies merging each other (same ``base``) get the same adapters.

        Parameters
        ----------
        theirs : bytes
            A snapshot from :meth:`save` of the other copy.
        base : bytes, optional
            A snapshot from :meth:`save` of the common ancestor.

        Returns
        -------
        dict
            ``added``, ``removed``, ``combined`` and ``evicted`` pattern
            counts, and ``sona``: ``"merged"``, or why SONA's state was not.

        Raises
        ------
        TypeError, ValueError
            If a snapshot is not bytes, is truncated, corrupted, foreign or
            of another dimension; the engine is left exactly as it was.
        """
        other = IntelligentLLM.load(theirs)
        common = None if base is None else IntelligentLLM.load(base)
        conflicts = []
        for engine, name in ((other, "theirs"), (common, "base")):
            if engine is None:
                continue
            if engine.dim != self.dim:
                raise ValueError(f"{name} is a {engine.dim}-dim engine, this one is {self.dim}-dim")
            conflict = self.sona.merge_conflict(engine.sona)
            if conflict:
                conflicts.append(f"{name}' adapters have {conflict}")
        # Everything that can fail runs before the first change: a refused merge leaves this engine as it was.
        sona = None if conflicts else self.sona.merged(other.sona, None if common is None else common.sona)
        report: dict[str, int | str] = {**self.router.merge(other.router, None if common is None else common.router)}
        if sona is not None:
            self.sona = sona
        self.processed += max(0, other.processed - (0 if common is None else common.processed))
        report["sona"] = "merged" if sona is not None else f"kept this engine's: {'; '.join(conflicts)}"
        return report

    @classmethod
    def load(cls, data: object, config: IntelligentConfig | dict[str, Any] | None = None) -> IntelligentLLM:
        """Rebuild an engine from :meth:`save` output.

        ``config``, when given, replaces the saved switches (``use_lora``,
        ``use_sona``); its dimension and adapter shape must match the snapshot.

        Raises
        ------
        ValueError
            If the snapshot is truncated, corrupted, foreign, of a future
            version, or does not match ``config``.
        """
        meta, arrays = snapshot.unpack(data, _SNAPSHOT_KIND)
        if not isinstance(meta, dict) or meta.get("version") != _STATE_VERSION:
            raise ValueError(f"engine snapshot version {meta.get('version')!r} is not {_STATE_VERSION}")
        try:
            saved = IntelligentConfig.from_dict(meta["config"])
            processed = as_int(meta["processed"], "processed", 0, snapshot.MAX_COUNT)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"corrupted engine snapshot: {error}") from None
        if isinstance(config, dict):
            config = IntelligentConfig.from_dict(config)
        if config is not None:
            if not isinstance(config, IntelligentConfig):
                raise TypeError(f"config must be an IntelligentConfig, got {type(config).__name__}")
            if config.dim != saved.dim or config.sona.rank != saved.sona.rank:
                raise ValueError(
                    f"config (dim {config.dim}, rank {config.sona.rank}) does not match the snapshot "
                    f"(dim {saved.dim}, rank {saved.sona.rank})"
                )
        engine = cls.__new__(cls)
        engine.config = saved if config is None else IntelligentConfig(
            saved.router, saved.sona, config.use_lora, config.use_sona, saved.seed
        )
        engine.router = HnswRouter.from_state(meta.get("router"), snapshot.section(arrays, "router"))
        engine.sona = SonaInstant.from_state(meta.get("sona"), snapshot.section(arrays, "sona"), engine.router)
        sona_config = SonaConfig.from_dict({**saved.sona.to_dict(), "seed": saved.seed})  # as _build makes it
        if engine.router.config != saved.router or engine.sona.dim != saved.dim or engine.sona.config != sona_config:
            raise ValueError("corrupted engine snapshot: component settings differ from the engine config")
        engine._last_result = None
        engine._timings = _zero_timings()
        engine.processed = processed
        return engine


def _zero_timings() -> dict[str, float]:
    """The stage timings before any :meth:`IntelligentLLM.process` call."""
    return {"lora_us": 0.0, "route_us": 0.0, "sona_us": 0.0, "total_us": 0.0}


def _require_direction(x: np.ndarray) -> None:
    if not x.any():
        raise ValueError("input is all zeros and has no direction")
