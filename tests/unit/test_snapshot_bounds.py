"""Crafted snapshots with a valid checksum: every field is bounded, refusals are ValueError, and
nothing a loaded engine returns is beyond what a JS number holds (tests/unit/snapshot_fuzz.py fuzzes all fields)."""

import json

import numpy as np
import pytest

from ruvllm_web import bridge, snapshot
from ruvllm_web.hnsw import HnswIndex
from ruvllm_web.router import MAX_PATTERN_ID, HnswRouter
from ruvllm_web.intelligent import IntelligentLLM
from tests.unit import snapshot_fuzz
from tests.unit.snapshot_fuzz import dump, parse, replaced, sign


def _crafted(blob: bytes, *changes: tuple[tuple, object]) -> bytes:
    document, payload = parse(blob)
    for path, value in changes:
        document = replaced(document, path, value)
    return sign(dump(document), payload)


@pytest.fixture(scope="module")
def engine_blob() -> bytes:
    return snapshot_fuzz.sample_engine()


SONA = ("meta", "sona")
ROUTER = ("meta", "router")


@pytest.mark.parametrize(
    "path, value, message",
    [
        # Counters beyond JS's exact range loaded, then every stats() failed to cross to the page.
        (("meta", "processed"), 2**60, "processed must be <="),
        ((*SONA, "counters", "requests"), 2**53, "requests must be <="),
        ((*ROUTER, "counters", "queries"), 2**63, "queries must be <="),
        ((*ROUTER, "patterns", 0, "usage_count"), 2**53 + 1, "usage_count must be <="),
        ((*SONA, "ewc", "tasks"), 2**60, "EWC tasks must be <="),
        ((*SONA, "instant", "adapt_count"), 2**60, "adapt_count must be <="),
        ((*SONA, "trajectories", "dropped"), 2**60, "dropped must be <="),
        ((*SONA, "last_deep", "merged"), 2**60, "merged must be <="),
        ((*SONA, "last_deep", "start"), 2**53, "start must be <="),
        ((*ROUTER, "patterns", 0, "id"), 2**53, "id must be <="),
        (("meta", "config", "seed"), 2**60, "seed must be <="),
        # Accepted, then failing later or holding nonsense.
        ((*SONA, "counters", "quality_ema"), 1e308, "quality_ema must be in"),
        ((*SONA, "counters", "quality_since_deep"), 1e308, "quality_since_deep must be in"),
        ((*SONA, "config", "rank"), 2**60, "rank must be <="),
        (("meta", "config", "sona", "rank"), 2**60, "rank must be <="),
        ((*SONA, "counters", "requests"), 3.0, "requests must be an integer"),
        ((*SONA, "last_deep"), {"anything": [1, 2]}, "last_deep must be empty or hold"),
        ((*SONA, "instant", "learning_rate"), 0.5, "adapter's settings differ"),
        ((*SONA, "ewc", "strength"), 5.0, "EWC settings differ"),
        (("meta", "config", "sona", "alpha"), 0.2, "component settings differ"),
        ((*ROUTER, "index", "exact_threshold"), 2**62, "exact_threshold must be <="),
        # Refused, but with OverflowError, TypeError, KeyError or AttributeError instead of ValueError.
        ((*SONA, "ewc", "tasks"), 1e308, "EWC tasks must be an integer"),
        ((*SONA, "trajectories", "dropped"), [1], "dropped must be an integer"),
        ((*SONA, "trajectories"), 5, "SONA trajectories are missing"),
        ((*SONA, "ewc"), None, "EWC state is incomplete"),
        ((*ROUTER, "index", "rng", "state", "state"), 2**200, "rng state must be <="),
        ((*ROUTER, "index", "rng", "uinteger"), -1, "rng uinteger must be >="),
        ((*ROUTER, "config", "success_alpha"), 10**400, "success_alpha must be finite"),
    ],
)
def test_hostile_fields_are_refused_with_value_error(engine_blob, path, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        IntelligentLLM.load(_crafted(engine_blob, (path, value)))


def test_missing_parts_are_refused_with_value_error(engine_blob) -> None:
    for path in ((*ROUTER, "index"), (*SONA, "instant"), (*SONA, "base"), (*SONA, "ewc"), (*SONA, "trajectories")):
        with pytest.raises(ValueError):
            IntelligentLLM.load(_crafted(engine_blob, (path, snapshot_fuzz._DELETE)))


def test_a_huge_trajectory_capacity_is_refused_before_allocating() -> None:
    """A 50 KB file declaring capacity 10**6 at 384 dims made the worker allocate 1.5 GB."""
    blob = IntelligentLLM().save()
    for capacity, message in ((10**6, "exceeds the trajectory ring"), (2**24 + 1, "capacity must be <=")):
        config = (*SONA, "config", "capacity"), capacity
        engine_config = ("meta", "config", "sona", "capacity"), capacity
        with pytest.raises(ValueError, match=message):
            IntelligentLLM.load(_crafted(blob, config, engine_config))


def test_counters_at_their_bound_load_work_and_load_again(engine_blob) -> None:
    """A counter at the bound keeps counting (the page still shows it exactly) and saves capped."""
    top = snapshot.MAX_COUNT
    engine = IntelligentLLM.load(_crafted(
        engine_blob, (("meta", "processed"), top), ((*SONA, "counters", "requests"), top),
        ((*ROUTER, "counters", "clock"), top), ((*ROUTER, "counters", "queries"), top),
    ))
    x = np.linspace(-1.0, 1.0, engine.dim, dtype=np.float32)
    engine.process(x, "", 0.9)
    stats = bridge.plain(engine.stats())
    assert stats["processed"] == top + 1 and stats["sona"]["requests"] == top + 1
    again = IntelligentLLM.load(engine.save())
    assert again.processed == top and again.router.clock == top
    json.dumps(bridge.plain(again.stats()))


def test_pattern_ids_stop_at_what_js_holds_exactly(engine_blob) -> None:
    """A router whose next id is the largest one adds it, then refuses the next add with ValueError."""
    engine = IntelligentLLM.load(_crafted(engine_blob, ((*ROUTER, "index", "next_id"), MAX_PATTERN_ID)))
    x = np.linspace(-1.0, 1.0, engine.dim, dtype=np.float32)
    assert engine.add_pattern(x, "a", "t") == MAX_PATTERN_ID
    before = engine.stats()["totalPatterns"]
    with pytest.raises(ValueError, match="no pattern ids left"):
        engine.add_pattern(-x, "a", "t")
    assert engine.stats()["totalPatterns"] == before
    assert IntelligentLLM.load(engine.save()).router.pattern(MAX_PATTERN_ID).agent == "a"
    with pytest.raises(ValueError, match="next pattern id"):
        IntelligentLLM.load(_crafted(engine_blob, ((*ROUTER, "index", "next_id"), MAX_PATTERN_ID + 2)))


def test_index_ids_near_two_to_the_63() -> None:
    """next_id near 2**63 loaded, then overflowed on the next add; an explicit id of 2**63 - 1 could not reload."""
    index = HnswIndex(4)
    index.add(np.ones(4, dtype=np.float32), id=2**63 - 1)
    again = HnswIndex.from_bytes(index.to_bytes())
    assert again.next_id == 2**63 and 2**63 - 1 in again
    with pytest.raises(ValueError, match="no unused ids left"):
        again.add(np.arange(4, dtype=np.float32))
    assert len(again) == 1
    blob = HnswIndex(4).to_bytes()
    crafted = HnswIndex.from_bytes(_crafted(blob, (("meta", "next_id"), 2**63 - 2)))
    assert crafted.add_batch(np.eye(4, dtype=np.float32)[:2]).tolist() == [2**63 - 2, 2**63 - 1]
    with pytest.raises(ValueError, match="next_id must be <="):
        HnswIndex.from_bytes(_crafted(blob, (("meta", "next_id"), 2**63 + 1)))


@pytest.mark.parametrize("latency", [1e300, -1.0])
def test_router_latencies_are_bounded(latency: float) -> None:
    router = HnswRouter.from_bytes(snapshot_fuzz.sample_router())
    meta, arrays = router.to_state()
    arrays["latencies"] = np.array([latency, 5.0])
    with pytest.raises(ValueError, match="latencies are out of range"):
        HnswRouter.from_state(meta, arrays)


def test_valid_snapshots_are_unchanged_by_a_round_trip(engine_blob) -> None:
    """The bounds and caps leave every real engine's bytes as they were."""
    assert IntelligentLLM.load(engine_blob).save() == engine_blob
    router = snapshot_fuzz.sample_router()
    assert HnswRouter.from_bytes(router).to_bytes() == router


@pytest.mark.parametrize("value", [1e37, -2e6, np.nan])
def test_waiting_trajectories_hold_only_inputs_process_accepts(value: float) -> None:
    """A saved input beyond the embedding range used to load, then make the next tick's EWC Fisher
    overflow, so the engine saved a snapshot its own load refused."""
    llm = IntelligentLLM()
    rng = np.random.default_rng(3)
    llm.add_pattern(rng.normal(size=384), "a", "t")
    for _ in range(4):
        llm.process(rng.normal(size=384), "q", 0.9)
    meta, arrays = snapshot.unpack(llm.save(), "IntelligentLLM")
    arrays["sona/trajectories/inputs"][0, 5] = value
    with pytest.raises(ValueError, match="SONA trajectories are inconsistent"):
        IntelligentLLM.load(snapshot.pack("IntelligentLLM", meta, arrays))
