"""Three-way merges of two copies of one engine (two browser tabs keeping one persisted engine):
what either copy learned survives (patterns, SONA's adapters, EWC state and counters), what one
removed and the other left alone goes, statistics add their changes, merging an unchanged store
changes nothing, and bad snapshots change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import HnswRouter, MicroLoRA, RouterConfig, SonaConfig, SonaInstant
from ruvllm_web.intelligent import IntelligentConfig, IntelligentLLM
from ruvllm_web.learning.ewc import EwcPlusPlus

DIM = 16


#: Adapters that learn visibly, a tick per waiting request, an EWC anchor every second tick.
LEARNING = IntelligentConfig(
    router=RouterConfig(dim=DIM),
    sona=SonaConfig(alpha=0.5, instant_lr=0.2, min_batch=1, consolidate_every=2, min_advantage=0.0),
)


def engine() -> IntelligentLLM:
    return IntelligentLLM(IntelligentConfig.with_dim(DIM))


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM)
    return (v / np.linalg.norm(v)).astype(np.float32)


def contents(llm: IntelligentLLM) -> list[tuple[str, str, bytes]]:
    """Every pattern's (agent, description, embedding bytes), sorted: what a merge must keep."""
    router = llm.router
    return sorted((p.agent, p.description, router.pattern_embedding(p.id).tobytes()) for p in router.patterns())


def by_description(llm: IntelligentLLM) -> dict[str, object]:
    return {p.description: p for p in llm.router.patterns()}


def seeded(count: int = 4) -> IntelligentLLM:
    llm = engine()
    for i in range(count):
        llm.add_pattern(unit(i), f"agent{i % 2}", "task", f"base{i}")
    return llm


def test_patterns_learned_in_either_copy_survive_and_the_other_copy_converges() -> None:
    base = seeded().save()
    tab_a, tab_b = IntelligentLLM.load(base), IntelligentLLM.load(base)
    tab_a.learn_pattern(unit(100), "coder", "code", "from a", 1.0)
    tab_b.learn_pattern(unit(200), "writer", "prose", "from b", 1.0)
    tab_b.add_pattern(unit(201), "writer", "prose", "also from b")
    stored_a = tab_a.save()                       # A saves first: nothing to merge
    report = tab_b.merge(stored_a, base)          # B saves next: folds A's in
    assert report == {"added": 1, "removed": 0, "combined": 0, "evicted": 0, "sona": "merged"}
    stored_b = tab_b.save()
    tab_a.merge(stored_b, stored_a)               # A saves again: its base is what it wrote
    assert contents(tab_a) == contents(tab_b)
    assert {"from a", "from b", "also from b"} <= set(by_description(tab_a))
    assert len(tab_a.router) == 7
    assert tab_a.route(unit(200)).agent == "writer" and tab_b.route(unit(100)).agent == "coder"
    assert contents(IntelligentLLM.load(tab_a.save())) == contents(tab_a)   # the merged engine still loads


def test_statistics_add_both_copies_changes_since_the_base() -> None:
    base_engine = seeded()
    base_engine.router.record_outcome(0, True)
    base = base_engine.save()
    mine, theirs = IntelligentLLM.load(base), IntelligentLLM.load(base)
    for _ in range(2):
        mine.router.record_outcome(0, False)
    for _ in range(3):
        theirs.router.record_outcome(0, True)
    theirs.router.record_outcome(1, False)
    for llm in (mine, theirs):
        llm.route(unit(3))
    mine.processed, theirs.processed = 5, 9
    old, ours, other = (llm.router.pattern(0) for llm in (IntelligentLLM.load(base), mine, theirs))
    mine.merge(theirs.save(), base)
    merged = mine.router.pattern(0)
    assert (merged.successes, merged.failures) == (old.successes + 3, old.failures + 2)
    assert merged.success_rate == pytest.approx(ours.success_rate + other.success_rate - old.success_rate)
    assert mine.router.pattern(1).failures == 1            # changed only there: taken as it is
    assert mine.processed == 14
    stats = mine.router.stats()
    base_clock = IntelligentLLM.load(base).router.clock
    assert stats["queries"] == 2 and mine.router.clock == 2 * theirs.router.clock - base_clock


def test_a_pattern_removed_in_one_copy_goes_unless_the_other_changed_it() -> None:
    base = seeded().save()
    mine, theirs = IntelligentLLM.load(base), IntelligentLLM.load(base)
    theirs.router.remove_pattern(0)               # pruned there, untouched here: goes
    theirs.router.remove_pattern(1)               # pruned there, reinforced here: stays
    mine.router.record_outcome(1, True)
    mine.router.remove_pattern(2)                 # evicted here, reinforced there: comes back
    theirs.router.record_outcome(2, False)
    report = mine.merge(theirs.save(), base)
    assert report == {"added": 1, "removed": 1, "combined": 0, "evicted": 0, "sona": "merged"}
    assert sorted(by_description(mine)) == ["base1", "base2", "base3"]
    assert by_description(mine)["base2"].failures == 1


def test_copies_that_both_added_the_same_pattern_hold_it_once_with_both_counts() -> None:
    mine, theirs = engine(), engine()                # both started from an empty store
    for llm, outcome in ((mine, True), (theirs, False)):
        llm.add_pattern(unit(7), "coder", "code", "same")
        llm.router.record_outcome(0, outcome)
    mine.merge(theirs.save())
    (pattern,) = mine.router.patterns()
    assert (pattern.successes, pattern.failures) == (1, 1)


def test_a_full_library_evicts_to_take_the_other_copys_patterns() -> None:
    small = IntelligentConfig(router=RouterConfig(dim=DIM, max_patterns=3))
    mine, theirs = IntelligentLLM(small), IntelligentLLM(small)
    for i in range(3):
        mine.add_pattern(unit(i), "a", "t", f"mine{i}")
    theirs.add_pattern(unit(50), "b", "t", "theirs")
    report = mine.merge(theirs.save())
    assert report["added"] == 1 and report["evicted"] == 1 and len(mine.router) == 3
    assert "theirs" in by_description(mine)
    assert mine.router.stats()["evictions"] == 1
    IntelligentLLM.load(mine.save())


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["add", "learn", "outcome", "route", "remove", "process", "tick"]), st.integers(0, 40)),
    max_size=12,
)


def apply(llm: IntelligentLLM, operations: list[tuple[str, int]]) -> set[str]:
    """Run ``operations`` on ``llm``; return the descriptions of the patterns it added and still holds."""
    added: set[str] = set()
    for name, seed in operations:
        ids = llm.router.pattern_ids().tolist()
        if name == "add":
            llm.add_pattern(unit(seed), f"agent{seed % 3}", "task", f"{id(llm)}-{seed}-{len(added)}")
            added.add(llm.router.patterns()[-1].description)
        elif name == "learn":
            llm.learn_pattern(unit(seed % 6), f"agent{seed % 3}", "task", f"learned-{id(llm)}-{seed}", 0.8)
        elif name == "outcome" and ids:
            llm.router.record_outcome(ids[seed % len(ids)], seed % 2 == 0)
        elif name == "route":
            llm.route(unit(seed))
        elif name == "remove" and ids:
            llm.router.remove_pattern(ids[seed % len(ids)])
        elif name == "process":
            llm.process(unit(seed), f"request {seed}", None if seed % 5 == 0 else seed / 40)
        elif name == "tick":
            llm.tick(now=(llm.sona.ticks + 1) * 10.0)
    return added & set(by_description(llm))


@settings(max_examples=40, deadline=None)
@given(base_ops=OPERATIONS, ops=OPERATIONS)
def test_merging_an_unchanged_store_changes_nothing(base_ops, ops) -> None:
    start = IntelligentLLM(LEARNING)
    apply(start, base_ops)
    base = start.save()
    mine = IntelligentLLM.load(base)
    apply(mine, ops)
    before = mine.save()
    report = mine.merge(base, base)
    assert report == {"added": 0, "removed": 0, "combined": 0, "evicted": 0, "sona": "merged"}
    assert mine.save() == before


@settings(max_examples=40, deadline=None)
@given(base_ops=OPERATIONS, mine_ops=OPERATIONS, their_ops=OPERATIONS)
def test_patterns_added_in_either_copy_survive_a_merge(base_ops, mine_ops, their_ops) -> None:
    start = IntelligentLLM(LEARNING)
    apply(start, base_ops)
    base = start.save()
    mine, theirs = IntelligentLLM.load(base), IntelligentLLM.load(base)
    kept = apply(mine, mine_ops) | apply(theirs, their_ops)
    mine.merge(theirs.save(), base)
    assert kept <= set(by_description(mine))
    reloaded = IntelligentLLM.load(mine.save())
    assert contents(reloaded) == contents(mine)


def snapshot_named(name: object) -> object:
    """The sample snapshot called ``name``, or ``name`` itself."""
    samples = {
        "router": lambda: HnswRouter().to_bytes(),
        "wide": lambda: IntelligentLLM(IntelligentConfig.with_dim(24)).save(),
        "good": lambda: seeded(2).save(),
    }
    return samples[name]() if isinstance(name, str) and name in samples else name


@pytest.mark.parametrize(
    "theirs, base, error, message",
    [
        (b"RUV", None, ValueError, "truncated snapshot"),
        ("not bytes", None, TypeError, "snapshot must be bytes"),
        ("router", None, ValueError, "holds a 'HnswRouter'"),
        ("wide", None, ValueError, "theirs is a 24-dim engine"),
        ("good", "wide", ValueError, "base is a 24-dim engine"),
        ("good", b"\x00" * 40, ValueError, "wrong magic"),
    ],
)
def test_bad_snapshots_are_refused_and_change_nothing(theirs, base, error, message) -> None:
    mine = seeded()
    mine.learn_pattern(unit(9), "coder", "code", "mine", 1.0)
    before = mine.save()
    with pytest.raises(error, match=message):
        mine.merge(snapshot_named(theirs), snapshot_named(base))
    assert mine.save() == before


def test_router_merge_refuses_what_is_not_a_router_of_its_dimension() -> None:
    router = HnswRouter()
    with pytest.raises(TypeError, match="theirs must be an HnswRouter"):
        router.merge(b"bytes")
    with pytest.raises(ValueError, match="base holds 16-dim patterns"):
        router.merge(HnswRouter(), seeded().router)


# ---------------------------------------------------------------- SONA's learned state

def learner() -> IntelligentLLM:
    llm = IntelligentLLM(LEARNING)
    for i in range(6):
        llm.add_pattern(unit(i), f"agent{i % 3}", "task", f"base{i}")
    return llm


def learn(llm: IntelligentLLM, seed: int, requests: int = 24, tick_every: int = 5) -> None:
    """A stream of requests with qualities, and a background tick every ``tick_every`` of them."""
    rng = np.random.default_rng(seed)
    for i in range(requests):
        llm.process(unit(int(rng.integers(1_000_000))), f"r{seed}-{i}", float(rng.uniform()))
        if i % tick_every == tick_every - 1:
            llm.tick(now=float(llm.sona.ticks + 1) * 10.0)


def weights(llm: IntelligentLLM) -> dict[str, np.ndarray]:
    """Every learned SONA array: both adapters' ``A`` and ``B``, the EWC Fisher and anchor."""
    sona = llm.sona
    found = {f"{name}.{part}": np.array(getattr(getattr(sona, f"{name}_lora"), part))
             for name in ("instant", "base") for part in ("a", "b")}
    found["fisher"] = sona.ewc.fisher.copy()
    if sona.ewc.anchor is not None:
        found["anchor"] = sona.ewc.anchor.copy()
    return found


def three_way(mine: np.ndarray, theirs: np.ndarray, base: np.ndarray) -> np.ndarray:
    return (mine.astype(np.float64) + theirs.astype(np.float64) - base.astype(np.float64)).astype(np.float32)


def diverged() -> tuple[bytes, IntelligentLLM, IntelligentLLM]:
    """A learned base snapshot and two copies of it that each learned a stream of their own since."""
    start = learner()
    learn(start, 1)
    base = start.save()
    mine, theirs = IntelligentLLM.load(base), IntelligentLLM.load(base)
    learn(mine, 2)
    learn(theirs, 3, requests=31, tick_every=4)
    return base, mine, theirs


def test_both_copies_adapter_changes_since_the_base_add_up() -> None:
    base, mine, theirs = diverged()
    old, ours, other = (weights(llm) for llm in (IntelligentLLM.load(base), mine, theirs))
    assert all(not np.array_equal(ours[name], old[name]) for name in ("instant.b", "base.b", "instant.a", "fisher"))
    assert all(not np.array_equal(other[name], old[name]) for name in ("instant.b", "base.b", "instant.a", "fisher"))
    report = mine.merge(theirs.save(), base)
    assert report["sona"] == "merged"
    merged = weights(mine)
    for name in ("instant.a", "instant.b", "base.a", "base.b", "anchor"):
        np.testing.assert_allclose(merged[name], three_way(ours[name], other[name], old[name]), rtol=1e-6, atol=0)
    np.testing.assert_allclose(merged["fisher"], np.maximum(three_way(ours["fisher"], other["fisher"], old["fisher"]),
                                                            0), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(merged["base.a"], old["base.a"])   # never trained: the seeded A stays
    # The base adapter's A is fixed, so its map itself merges: delta = mine + theirs - base.
    alpha = mine.sona.base_lora.alpha
    delta = {key: alpha * found["base.a"].astype(np.float64) @ found["base.b"].astype(np.float64)
             for key, found in (("mine", ours), ("theirs", other), ("base", old), ("merged", merged))}
    np.testing.assert_allclose(delta["merged"], delta["mine"] + delta["theirs"] - delta["base"], rtol=1e-5, atol=1e-12)


def test_counters_add_both_copies_changes_and_the_quality_ema_is_request_weighted() -> None:
    base, mine, theirs = diverged()
    old = IntelligentLLM.load(base).sona
    ours, other = mine.sona, theirs.sona
    before = {name: getattr(ours, name) for name in ("requests", "ticks", "instant_updates", "patterns_learned")}
    expected = {name: before[name] + getattr(other, name) - getattr(old, name) for name in before}
    tasks = ours.ewc.tasks + other.ewc.tasks - old.ewc.tasks
    counts = (ours.instant_lora.adapt_count + other.instant_lora.adapt_count - old.instant_lora.adapt_count,
              ours.base_lora.adapt_count + other.base_lora.adapt_count - old.base_lora.adapt_count)
    n_mine, n_theirs = ours.requests - old.requests, other.requests - old.requests
    ema = (n_mine * ours.quality_ema + n_theirs * other.quality_ema) / (n_mine + n_theirs)
    mean = (n_mine * ours.input_mean.astype(np.float64) + n_theirs * other.input_mean) / (n_mine + n_theirs)
    waiting, deep_mean = ours.trajectories.pending, ours.deep_mean.copy()
    mine.merge(theirs.save(), base)
    merged = mine.sona
    assert {name: getattr(merged, name) for name in before} == expected
    assert merged.ewc.tasks == tasks and tasks > old.ewc.tasks
    assert (merged.instant_lora.adapt_count, merged.base_lora.adapt_count) == counts
    assert merged.quality_ema == pytest.approx(ema, rel=1e-12)
    np.testing.assert_allclose(merged.input_mean, mean, rtol=1e-6)
    assert merged.trajectories.pending == waiting                     # theirs' wait for their own ticks
    np.testing.assert_array_equal(merged.deep_mean, deep_mean)        # the deep schedule stays this engine's


def test_copies_started_from_nothing_merge_relative_to_the_seeded_adapters() -> None:
    mine, theirs, fresh = learner(), learner(), IntelligentLLM(LEARNING)
    learn(mine, 4)
    learn(theirs, 5)
    ours, other, start = weights(mine), weights(theirs), weights(fresh)
    assert np.abs(start["instant.a"]).max() > 0.1                     # A is seeded, not zero
    mine.merge(theirs.save())
    merged = weights(mine)
    for name in ("instant.a", "instant.b", "base.a", "base.b"):
        np.testing.assert_allclose(merged[name], three_way(ours[name], other[name], start[name]), rtol=1e-6, atol=0)
    # Neither anchor has a counterpart in the fresh engine: each started from its base B, zero there.
    np.testing.assert_allclose(merged["anchor"], ours["anchor"] + other["anchor"], rtol=1e-6, atol=0)
    assert mine.sona.requests == 48


def test_a_merged_engine_saves_and_loads_what_it_holds() -> None:
    base, mine, theirs = diverged()
    mine.merge(theirs.save(), base)
    saved = mine.save()
    reloaded = IntelligentLLM.load(saved)
    assert reloaded.save() == saved
    for name, array in weights(mine).items():
        np.testing.assert_array_equal(weights(reloaded)[name], array)
    x = unit(77)
    np.testing.assert_array_equal(reloaded.process(x), mine.process(x))


@settings(max_examples=20, deadline=None)
@given(base_ops=OPERATIONS, mine_ops=OPERATIONS, their_ops=OPERATIONS)
def test_copies_merging_each_other_get_the_same_adapters_for_any_streams(base_ops, mine_ops, their_ops) -> None:
    start = learner()
    apply(start, base_ops)
    base = start.save()
    mine, theirs = IntelligentLLM.load(base), IntelligentLLM.load(base)
    apply(mine, mine_ops)
    apply(theirs, their_ops)
    stored_mine = mine.save()
    mine.merge(theirs.save(), base)
    theirs.merge(stored_mine, base)
    assert weights(mine).keys() == weights(theirs).keys()
    for name, array in weights(mine).items():
        np.testing.assert_array_equal(weights(theirs)[name], array)
    assert mine.sona.quality_ema == theirs.sona.quality_ema
    np.testing.assert_array_equal(mine.sona.input_mean, theirs.sona.input_mean)
    assert IntelligentLLM.load(mine.save()).save() == mine.save()


@pytest.mark.parametrize("change, difference", [
    ({"rank": 3}, "rank 3 instead of 2"),
    ({"alpha": 0.25}, "alpha 0.25 instead of 0.5"),
])
def test_other_adapter_shapes_merge_only_the_patterns_and_say_so(change, difference) -> None:
    mine = learner()
    learn(mine, 6)
    other_config = IntelligentConfig(router=LEARNING.router, sona=SonaConfig(**{**LEARNING.sona.to_dict(), **change}))
    theirs = IntelligentLLM(other_config)
    theirs.add_pattern(unit(300), "writer", "prose", "theirs")
    learn(theirs, 7)
    before = mine.sona.to_state()
    report = mine.merge(theirs.save())
    assert report["sona"] == f"kept this engine's: theirs' adapters have {difference}"
    assert report["added"] >= 1 and "theirs" in by_description(mine)
    after = mine.sona.to_state()
    assert after[0] == before[0]
    assert after[1].keys() == before[1].keys()
    assert all(np.array_equal(after[1][name], array) for name, array in before[1].items())


def test_an_engine_of_another_seed_keeps_its_sona_and_says_so() -> None:
    mine = learner()
    theirs = IntelligentLLM(IntelligentConfig(router=LEARNING.router, sona=LEARNING.sona, seed=5))
    report = mine.merge(theirs.save(), learner().save())
    assert report["sona"] == "kept this engine's: theirs' adapters have seed 5 instead of 0"


def test_ewc_merge_keeps_an_anchor_only_one_copy_set_and_floors_the_fisher() -> None:
    base = EwcPlusPlus(4)
    base.observe(np.array([8.0, 8.0, 0.0, 0.0]))                       # F = 0.8 each on the first two
    start = np.arange(4, dtype=np.float32)                              # base's parameters
    mine, theirs = (EwcPlusPlus.from_state(*base.to_state(), 4) for _ in range(2))
    for _ in range(10):                                                 # both forget the first weights
        mine.observe(np.array([0.0, 0.0, 1.0, 0.0]))
        theirs.observe(np.array([0.0, 0.0, 0.0, 1.0]))
    mine.consolidate(start + 1.0)
    merged = mine.merged(theirs, base, start)
    np.testing.assert_array_equal(merged.anchor, start + 1.0)          # only mine anchored: mine's stands
    assert merged.tasks == 1
    assert (merged.fisher[:2] == 0).all() and (merged.fisher[2:] > 0.6).all()
    theirs.consolidate(start - 2.0)
    np.testing.assert_array_equal(mine.merged(theirs, base, start).anchor, start - 1.0)   # both: changes add
    np.testing.assert_array_equal(theirs.merged(mine, base, start).anchor, start - 1.0)


def lora(scale_a: float, b: np.ndarray) -> MicroLoRA:
    """A 16-dim rank-2 adapter whose ``A`` is the seeded one times ``scale_a`` and whose ``B`` is ``b``."""
    state = MicroLoRA(DIM, 0.5, 0.1, rank=2).to_dict()
    state["a"] = (np.array(state["a"]) * scale_a).tolist()
    state["b"] = b.ravel().tolist()
    return MicroLoRA.from_dict(state)


def norm(adapter: MicroLoRA) -> float:
    """``||(A, B)||``, in float64."""
    return float(np.linalg.norm(np.concatenate([adapter.a.ravel(), adapter.b.ravel()]).astype(np.float64)))


def test_merged_weights_keep_the_adapters_norm_bound() -> None:
    base = MicroLoRA(DIM, 0.5, 0.1, rank=2)
    direction = np.random.default_rng(1).normal(size=(2, DIM))
    big_b = (90.0 / np.linalg.norm(direction) * direction).astype(np.float32)
    fixed_a = lora(1.0, big_b).merged(lora(1.0, big_b), base)       # both moved only B, far: B gives way
    np.testing.assert_array_equal(fixed_a.a, base.a)
    assert 99.99 < norm(fixed_a) <= 100.0 * (1 + 1e-6)
    np.testing.assert_allclose(fixed_a.b / np.linalg.norm(fixed_a.b), big_b / np.linalg.norm(big_b), rtol=1e-5)
    scale = 60.0 / np.sqrt(2.0)                                        # ||A|| ~ 60 in each copy
    copy = lora(scale, big_b * 0.5)
    trained = copy.merged(copy, base)                                  # both trained A: scaled together
    assert 99.99 < norm(trained) <= 100.0 * (1 + 1e-6)
    a, b = (2.0 * np.array(part, np.float64) - np.array(start, np.float64)
            for part, start in ((copy.a, base.a), (copy.b, base.b)))
    factor = 100.0 / np.sqrt(np.sum(a * a) + np.sum(b * b))
    np.testing.assert_allclose(trained.a, factor * a, rtol=1e-5)
    np.testing.assert_allclose(trained.b, factor * b, rtol=1e-5)
    reloaded = MicroLoRA.from_state(*trained.to_state())
    np.testing.assert_array_equal(reloaded.b, trained.b)


def test_adapter_merge_refuses_other_shapes_and_types() -> None:
    mine = MicroLoRA(DIM, rank=2)
    with pytest.raises(TypeError, match="theirs must be a MicroLoRA"):
        mine.merged("adapter", mine)
    with pytest.raises(ValueError, match="base is a rank-3 16-dim adapter, this one rank-2 16-dim"):
        mine.merged(mine, MicroLoRA(DIM, rank=3))
    with pytest.raises(ValueError, match="the SONA of theirs cannot merge with this one: its adapters have dim 8"):
        SonaInstant(DIM).merged(SonaInstant(8))
