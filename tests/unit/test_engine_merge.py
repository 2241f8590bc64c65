"""Three-way merges of two copies of one engine (two browser tabs keeping one persisted engine):
what either copy learned survives, what one removed and the other left alone goes, statistics
add their changes, merging an unchanged store changes nothing, and bad snapshots change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import HnswRouter, RouterConfig
from ruvllm_web.intelligent import IntelligentConfig, IntelligentLLM

DIM = 16


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
    assert report == {"added": 1, "removed": 0, "combined": 0, "evicted": 0}
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
    assert report == {"added": 1, "removed": 1, "combined": 0, "evicted": 0}
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
    st.tuples(st.sampled_from(["add", "learn", "outcome", "route", "remove"]), st.integers(0, 40)), max_size=12
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
    return added & set(by_description(llm))


@settings(max_examples=40, deadline=None)
@given(base_ops=OPERATIONS, ops=OPERATIONS)
def test_merging_an_unchanged_store_changes_nothing(base_ops, ops) -> None:
    start = engine()
    apply(start, base_ops)
    base = start.save()
    mine = IntelligentLLM.load(base)
    apply(mine, ops)
    before = mine.save()
    report = mine.merge(base, base)
    assert report == {"added": 0, "removed": 0, "combined": 0, "evicted": 0}
    assert mine.save() == before


@settings(max_examples=40, deadline=None)
@given(base_ops=OPERATIONS, mine_ops=OPERATIONS, their_ops=OPERATIONS)
def test_patterns_added_in_either_copy_survive_a_merge(base_ops, mine_ops, their_ops) -> None:
    start = engine()
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
