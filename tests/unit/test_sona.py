"""SONA's three loops: instant steps follow the advantage, the background loop consolidates
into the base adapter and the pattern library under EWC++, the deep loop merges and prunes."""

from __future__ import annotations

import numpy as np
import pytest

from ruvllm_web.hnsw_router import HnswRouter
from ruvllm_web.router_types import RouterConfig
from ruvllm_web.sona import SonaConfig, SonaInstant

DIM = 32


def unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    rows = rng.normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_quality_ema_and_advantage_gate() -> None:
    sona = SonaInstant(DIM, SonaConfig(ema_beta=0.5, min_advantage=0.2))
    x = unit(np.random.default_rng(0))[0]
    first = sona.instant(x, 0.6)  # advantage 0.1 < 0.2: no step
    assert not first.applied and first.quality_delta == pytest.approx(0.1)
    assert first.quality_ema == pytest.approx(0.55)
    second = sona.instant(x, 1.0)  # advantage 0.45: a step
    assert second.applied and second.quality_ema == pytest.approx(0.775)
    assert sona.stats()["instant"]["updates"] == 1 and sona.requests == 2


def test_instant_step_moves_output_toward_direction_by_sign_of_advantage() -> None:
    rng = np.random.default_rng(1)
    x, d = unit(rng, 2)
    for quality, sign in ((1.0, 1.0), (0.0, -1.0)):
        sona = SonaInstant(DIM, SonaConfig(min_advantage=0.0))
        for _ in range(5):  # B starts at zero: the first step only moves B
            sona.instant(x, 0.5 + 0.5 * sign, d)
        before = float(np.dot(sona.adapt(x), d))
        sona.instant(x, quality, d)
        after = float(np.dot(sona.adapt(x), d))
        assert np.sign(after - before) == sign, (quality, before, after)


def test_tick_is_gated_by_interval_and_batch_size() -> None:
    sona = SonaInstant(DIM, SonaConfig(interval_ms=100, min_batch=3, min_advantage=0.0))
    rng = np.random.default_rng(2)
    for x in unit(rng, 2):
        sona.instant(x, 1.0)
    assert sona.tick(now=10.0) is None  # only 2 waiting
    sona.instant(unit(rng)[0], 1.0)
    assert sona.tick(now=10.0)["trajectories"] == 3
    sona.instant(unit(rng)[0], 1.0)
    assert sona.tick(now=10.05) is None  # interval not over, and too few
    assert sona.tick(now=10.05, force=True)["trajectories"] == 1
    assert sona.ticks == 2 and sona.trajectories.pending == 0


def test_background_distils_instant_into_base() -> None:
    sona = SonaInstant(DIM, SonaConfig(min_advantage=0.0, min_batch=1, transfer=0.5, instant_lr=0.05))
    rng = np.random.default_rng(3)
    xs, d = unit(rng, 8), unit(rng)[0]
    for i in range(40):
        sona.instant(xs[i % 8], 1.0 if i % 2 else 0.0, d)
    instant_before = sona.instant_lora.delta_norm()
    assert instant_before > 0 and sona.base_lora.delta_norm() == 0
    report = sona.tick(now=1.0)
    assert report["distilled"] > 0
    assert sona.instant_lora.delta_norm() == pytest.approx(0.5 * instant_before, rel=1e-5)
    assert sona.base_lora.delta_norm() > 0


def test_background_turns_good_routed_requests_into_patterns() -> None:
    router = HnswRouter(RouterConfig(dim=DIM))
    sona = SonaInstant(DIM, SonaConfig(min_batch=1, learn_quality=0.7), router=router)
    rng = np.random.default_rng(4)
    good, bad = unit(rng, 2)
    sona.instant(good, 0.9, agent="coder", task_type="code", context="write a parser")
    sona.instant(bad, 0.2, agent="tester", task_type="test", context="flaky")
    sona.tick(now=1.0)
    records = router.patterns()
    assert [(r.agent, r.description) for r in records] == [("coder", "write a parser")]
    np.testing.assert_allclose(router.pattern_embedding(records[0].id), good, atol=1e-6)


def test_deep_loop_merges_duplicates_and_prunes_failures() -> None:
    router = HnswRouter(RouterConfig(dim=DIM, merge_similarity=1.0))
    rng = np.random.default_rng(5)
    base = unit(rng, 3)
    keep = router.add_pattern(base[0], "coder", "code")
    twin = router.add_pattern(base[0] + 1e-4, "coder", "code")
    other_agent = router.add_pattern(base[0] + 2e-4, "tester", "test")
    doomed = router.add_pattern(base[1], "tester", "test")
    for _ in range(30):
        router.record_outcome(doomed, False)
    healthy = router.add_pattern(base[2], "coder", "code")
    sona = SonaInstant(DIM, SonaConfig(prune_age=1, merge_similarity=0.99), router=router)
    report = sona.deep(whole=True)  # one run, no removal budget
    ids = {r.id for r in router.patterns()}
    assert keep in ids and twin not in ids, "same-agent near-duplicates merge into the older"
    assert other_agent in ids, "another agent's pattern is never merged"
    assert doomed not in ids and healthy in ids
    assert report["merged"] == 1 and report["pruned"] == 1
    assert sona.stats()["patterns_merged"] == 1 and sona.stats()["deep"]["runs"] == 1


def test_deep_loop_is_triggered_by_request_count() -> None:
    router = HnswRouter(RouterConfig(dim=DIM))
    sona = SonaInstant(DIM, SonaConfig(deep_every=5, deep_min_requests=5, min_batch=1, deep_quality=1e9), router=router)
    rng = np.random.default_rng(6)
    for x in unit(rng, 5):
        sona.instant(x, 0.5)
    assert "deep" in sona.tick(now=1.0)
    assert sona.deep_runs == 1 and sona.requests_since_deep == 0


def test_deep_loop_waits_for_its_minimum_spacing_even_under_drift() -> None:
    router = HnswRouter(RouterConfig(dim=DIM))
    config = SonaConfig(deep_min_requests=20, drift_threshold=0.0, drift_beta=1.0, min_batch=1, deep_quality=1e9)
    sona = SonaInstant(DIM, config, router=router)
    rng = np.random.default_rng(9)
    deep_at = []
    for step, x in enumerate(unit(rng, 50)):  # every input points elsewhere: drift is always high
        sona.instant(x, 0.5)
        if "deep" in sona.tick(now=float(step), force=True):
            deep_at.append(step)
    assert deep_at == [19, 39], deep_at


def test_ewc_protects_an_earlier_task() -> None:
    """Learn task A, then task B on the base adapter; A's gain survives better with EWC++."""

    def gain_on_a(strength: float) -> tuple[float, float]:
        config = SonaConfig(min_advantage=0.0, min_batch=1, max_batch=64, transfer=1.0, instant_lr=0.05,
                            base_lr=0.05, ewc_strength=strength, consolidate_every=1, alpha=0.5, ema_beta=0.0)
        sona = SonaInstant(DIM, config)
        rng = np.random.default_rng(7)
        task_a, task_b = unit(rng, 16), unit(rng, 16)
        target_a, target_b = unit(rng)[0], unit(rng)[0]

        def score(xs: np.ndarray, target: np.ndarray) -> float:
            return float(np.mean([np.dot(sona.adapt(x) - x, target) for x in xs]))

        for _ in range(30):
            for x in task_a:
                sona.instant(x, 1.0, target_a)
            sona.tick(force=True)
        after_a = score(task_a, target_a)
        for _ in range(30):
            for x in task_b:
                sona.instant(x, 1.0, target_b)
            sona.tick(force=True)
        return after_a, score(task_a, target_a)

    learned, kept_without = gain_on_a(0.0)
    learned_ewc, kept_with = gain_on_a(50.0)
    assert learned > 0 and learned_ewc > 0
    assert kept_with / learned_ewc > kept_without / learned, (kept_with, learned_ewc, kept_without, learned)


def test_state_round_trip_gives_identical_behaviour() -> None:
    router = HnswRouter(RouterConfig(dim=DIM))
    sona = SonaInstant(DIM, SonaConfig(min_advantage=0.0, min_batch=2), router=router)
    rng = np.random.default_rng(8)
    xs = unit(rng, 6)
    for i, x in enumerate(xs):
        sona.instant(x, (i % 3) / 2, agent="a", task_type="t")
    sona.tick(now=1.0)
    sona.instant(xs[0], 0.9, agent="a")
    meta, arrays = sona.to_state()
    twin = SonaInstant.from_state(meta, arrays, HnswRouter.from_state(*router.to_state()))
    for x in xs:
        np.testing.assert_array_equal(twin.adapt(x), sona.adapt(x))
    assert twin.tick(now=5.0, force=True) == sona.tick(now=5.0, force=True)
    np.testing.assert_array_equal(twin.adapt(xs[1]), sona.adapt(xs[1]))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda s: s.instant(np.ones(DIM - 1), 0.5), ValueError, "expected 32"),
        (lambda s: s.instant(np.full(DIM, np.nan), 0.5), ValueError, "NaN"),
        (lambda s: s.instant(np.ones(DIM), 1.5), ValueError, "quality"),
        (lambda s: s.instant(np.zeros(DIM), 0.5), ValueError, "all zeros"),
        (lambda s: s.instant(np.ones(DIM), 0.5, agent=3), TypeError, "agent"),
        (lambda s: s.instant(np.ones(DIM), 0.5, context="x" * 5000), ValueError, "context"),
        (lambda s: s.deep(), ValueError, "no router"),
    ],
)
def test_bad_input_changes_nothing(call, error, message) -> None:
    sona = SonaInstant(DIM)
    sona.instant(np.ones(DIM), 0.9)
    before = sona.to_state()
    with pytest.raises(error, match=message):
        call(sona)
    after = sona.to_state()
    assert before[0] == after[0]
    for name in before[1]:
        np.testing.assert_array_equal(before[1][name], after[1][name])


class CountingRouter(HnswRouter):
    """A real router that also records the pattern-library calls the loops make on it."""

    def __init__(self, config: RouterConfig) -> None:
        super().__init__(config)
        self.calls: list[tuple[str, int]] = []

    def reinforce_pattern(self, embedding, agent, quality):
        self.calls.append(("search", -1))
        return super().reinforce_pattern(embedding, agent, quality)

    def learn_pattern(self, embedding, agent, task_type, description, quality):
        self.calls.append(("insert", -1))
        return super().learn_pattern(embedding, agent, task_type, description, quality)

    def remove_pattern(self, pattern_id):
        self.calls.append(("remove", pattern_id))
        super().remove_pattern(pattern_id)

    def pattern_embedding(self, pattern_id):
        self.calls.append(("read", pattern_id))
        return super().pattern_embedding(pattern_id)

    def take_calls(self) -> dict[str, list[int]]:
        calls: dict[str, list[int]] = {"search": [], "insert": [], "remove": [], "read": []}
        for kind, ident in self.calls:
            calls[kind].append(ident)
        self.calls.clear()
        return calls


def test_every_tick_stays_within_its_documented_budget() -> None:
    """One job per tick, at most one graph change: consolidate (<= max_batch trajectories, <= max_learn_per_tick
    searches, <= max_insert_per_tick inserts into a library with room, no eviction), evict (one removal, only when
    a full library turned a pattern away) or deep (one slice, <= max_deep_removals); upkeep jobs never follow
    each other."""
    router = CountingRouter(RouterConfig(dim=DIM, max_patterns=12, merge_similarity=0.9))
    config = SonaConfig(max_batch=16, max_learn_per_tick=3, max_insert_per_tick=1, max_deep_patterns=10,
                        max_deep_removals=1, deep_min_requests=10, deep_every=10, deep_quality=1e9, prune_age=5,
                        prune_success=0.9, merge_similarity=0.9, min_batch=1, capacity=4096)
    sona = SonaInstant(DIM, config, router=router)
    rng = np.random.default_rng(21)
    topics = unit(rng, 40)
    jobs = []
    for step in range(160):
        for _ in range(20):
            topic = int(rng.integers(40))
            x = topics[topic] + 0.02 * rng.standard_normal(DIM).astype(np.float32)
            sona.instant(x, float(rng.random()), agent=f"agent{topic % 3}", task_type="t", context=str(step))
        if step % 3 == 0 and len(router):  # fail some patterns so that the deep loop has something to prune
            router.record_outcome(int(router.pattern_ids()[step % len(router)]), False)
        pending, size, evictions, wanted = sona.trajectories.pending, len(router), router.stats()["evictions"], \
            sona.room_wanted
        report = sona.tick(now=float(step))
        calls = router.take_calls()
        if "deep" in report:
            deep = report["deep"]
            jobs.append("deep")
            assert sona.trajectories.pending == pending and not calls["search"] and not calls["insert"]
            assert len(calls["read"]) == deep["patterns"] <= config.max_deep_patterns
            assert len(calls["remove"]) == deep["merged"] + deep["pruned"] <= config.max_deep_removals
        elif "evicted" in report:
            jobs.append("evict")
            assert wanted and size == router.config.max_patterns and calls["remove"] == [report["evicted"]]
            assert not calls["search"] and not calls["insert"] and not calls["read"]
            assert sona.trajectories.pending == pending and router.stats()["evictions"] == evictions + 1
        else:
            jobs.append("consolidate")
            assert pending - sona.trajectories.pending == report["trajectories"] == min(pending, config.max_batch)
            assert len(calls["search"]) <= config.max_learn_per_tick and len(calls["insert"]) <= 1
            assert not calls["remove"] and not calls["read"] and router.stats()["evictions"] == evictions
            assert len(router) == size + len(calls["insert"]) <= router.config.max_patterns
    pairs = list(zip(jobs, jobs[1:]))
    assert all("consolidate" in pair for pair in pairs), "upkeep jobs never follow each other"
    assert jobs.count("deep") >= 20 and jobs.count("evict") >= 10 and ("evict", "consolidate") in pairs
    assert sona.patterns_pruned > 0


def planted_library(n_pairs: int, seed: int) -> tuple[HnswRouter, set[int], set[int]]:
    """A library with same-agent twins (adjacent ids), other-agent near twins, and failing patterns.

    Returns the router and the brute-force reference: the ids that merging drops (the larger id of every
    same-agent pair with cosine >= 0.97) and the ids that pruning removes (old, unused, success rate < 0.3).
    """
    rng = np.random.default_rng(seed)
    router = HnswRouter(RouterConfig(dim=DIM))
    for i, base in enumerate(unit(rng, 4 * n_pairs)):
        router.add_pattern(base, f"agent{i % 4}", "t")
        if i % 4 == 1:
            router.add_pattern(base + 0.005 * rng.standard_normal(DIM).astype(np.float32), f"agent{i % 4}", "t")
        elif i % 4 == 2:
            router.add_pattern(base + 0.005 * rng.standard_normal(DIM).astype(np.float32), "someone else", "t")
    for ident in router.pattern_ids().tolist()[::7]:
        for _ in range(20):
            router.record_outcome(int(ident), False)
    ids, rows = router.embeddings()
    for _ in range(3):
        router.route(rows[0])  # age every pattern past prune_age
    records = {r.id: r for r in router.patterns()}
    usage = {i: r.usage_count for i, r in records.items()}
    rate = {i: r.success_rate for i, r in records.items()}
    sims = rows @ rows.T
    dropped = set()
    for i, j in zip(*np.nonzero(np.triu(sims >= 0.97, k=1))):
        keep, drop = int(ids[i]), int(ids[j])
        if records[keep].agent == records[drop].agent:  # no chains here: each twin pair stands alone
            total = usage[keep] + usage[drop]
            rate[keep] = (rate[keep] * usage[keep] + rate[drop] * usage[drop]) / total if total else (
                (rate[keep] + rate[drop]) / 2)
            usage[keep] = total
            dropped.add(drop)
    pruned = {i for i in records if rate[i] < 0.3 and usage[i] <= 1 and i not in dropped}
    return router, dropped, pruned


def test_incremental_deep_passes_merge_and_prune_like_the_one_shot_loop_and_brute_force() -> None:
    config = {"prune_age": 1, "merge_similarity": 0.97, "prune_success": 0.3, "prune_max_usage": 1}
    router, dropped, pruned = planted_library(40, seed=30)
    assert len(dropped) >= 30 and len(pruned) >= 20 and not dropped & pruned
    expected = set(router.pattern_ids().tolist()) - dropped - pruned

    one_shot = SonaInstant(DIM, SonaConfig(**config), router=router).deep(whole=True)
    assert one_shot["pass_done"] and one_shot["patterns"] == len(expected | dropped | pruned)
    assert set(router.pattern_ids().tolist()) == expected

    router, _, _ = planted_library(40, seed=30)
    counting = CountingRouter(RouterConfig(dim=DIM))
    counting.__dict__.update(router.__dict__)  # the same library, with its calls recorded
    counting.calls = []
    everyone = set(counting.pattern_ids().tolist())
    sona = SonaInstant(DIM, SonaConfig(max_deep_patterns=16, max_deep_removals=2, **config), router=counting)
    runs, starts = 0, []
    while True:
        report = sona.deep()
        runs += 1
        starts.append(report["start"])
        assert report["merged"] + report["pruned"] <= 2 and report["patterns"] <= 16
        if report["pass_done"]:
            break
    visited = set(counting.take_calls()["read"])
    assert visited == everyone, "every pattern is visited in one pass"
    assert set(counting.pattern_ids().tolist()) == expected
    assert sona.patterns_merged == len(dropped) and sona.patterns_pruned == len(pruned)
    assert starts == sorted(starts) and runs > len(everyone) // 8, "slices move on by half, or stay to finish"
    assert not sona.deep_in_pass and sona.deep()["start"] == min(expected), "the next pass starts from the top"


def test_a_deep_pass_survives_a_snapshot_bit_exactly() -> None:
    config = SonaConfig(max_deep_patterns=16, max_deep_removals=2, prune_age=1, min_batch=1, deep_min_requests=1,
                        deep_every=1)
    router, _, _ = planted_library(20, seed=31)
    sona = SonaInstant(DIM, config, router=router)
    rng = np.random.default_rng(32)
    for x in unit(rng, 4):
        sona.instant(x, 0.9, agent="agent0", task_type="t")
    assert "deep" in sona.tick(now=1.0)
    assert sona.deep_in_pass and sona.deep_cursor > 0 or sona.last_deep["merged"] + sona.last_deep["pruned"] == 2
    twin_router = HnswRouter.from_state(*router.to_state())
    twin = SonaInstant.from_state(*sona.to_state(), twin_router)
    assert twin.to_state()[0] == sona.to_state()[0]
    for step in range(2, 40):
        assert twin.tick(now=float(step), force=True) == sona.tick(now=float(step), force=True)
    assert twin_router.to_bytes() == router.to_bytes()


def test_a_version_1_state_loads_with_no_deep_pass_under_way() -> None:
    router = HnswRouter(RouterConfig(dim=DIM))
    sona = SonaInstant(DIM, SonaConfig(max_deep_patterns=4), router=router)
    for x in unit(np.random.default_rng(33), 10):
        router.add_pattern(x, "a", "t")
    sona.deep()
    meta, arrays = sona.to_state()
    assert meta["version"] == 2 and meta["counters"]["deep_in_pass"] == 1
    for name in ("deep_cursor", "deep_in_pass", "last_job", "last_upkeep", "room_wanted"):
        del meta["counters"][name]
    meta["version"] = 1
    loaded = SonaInstant.from_state(meta, arrays, router)
    assert (loaded.deep_cursor, loaded.deep_in_pass, loaded.last_job, loaded.room_wanted) == (0, 0, 0, 0)
    meta["version"] = 3
    with pytest.raises(ValueError, match="version"):
        SonaInstant.from_state(meta, arrays, router)
    meta, arrays = sona.to_state()
    meta["counters"]["last_job"] = 3
    with pytest.raises(ValueError, match="last_job"):
        SonaInstant.from_state(meta, arrays, router)
