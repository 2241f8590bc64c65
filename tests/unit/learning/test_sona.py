"""SONA's three loops: instant steps follow the advantage, the background loop consolidates
into the base adapter and the pattern library under EWC++, the deep loop merges and prunes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ruvllm_web.learning.sona import SonaConfig, SonaInstant
from ruvllm_web.router import HnswRouter
from ruvllm_web.router_types import RouterConfig

DIM = 32


def unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    rows = rng.normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_quality_ema_and_advantage_gate() -> None:
    sona = SonaInstant(DIM, SonaConfig(ema_beta=0.5, min_advantage=0.2))
    x, d = unit(np.random.default_rng(0), 2)
    first = sona.instant(x, 0.6, d)  # advantage 0.1 < 0.2: no step
    assert not first.applied and first.quality_delta == pytest.approx(0.1)
    assert first.quality_ema == pytest.approx(0.55)
    second = sona.instant(x, 1.0, d)  # advantage 0.45: a step
    assert second.applied and second.quality_ema == pytest.approx(0.775)
    assert sona.stats()["instant"]["updates"] == 1 and sona.requests == 2
    # The default direction is x itself, where a new adapter's output already points: nothing to
    # learn, and it says so.
    fresh = SonaInstant(DIM, SonaConfig(min_advantage=0.0))
    assert not fresh.instant(x, 0.0).applied and fresh.stats()["instant"]["updates"] == 0


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_instant_step_moves_output_cosine_toward_direction_by_sign_of_advantage() -> None:
    rng = np.random.default_rng(1)
    x, d = unit(rng, 2)
    for quality, sign in ((1.0, 1.0), (0.0, -1.0)):
        sona = SonaInstant(DIM, SonaConfig(min_advantage=0.0))
        for _ in range(5):  # B starts at zero: the first step only moves B
            sona.instant(x, 0.5 + 0.5 * sign, d)
        before = cosine(sona.adapt(x), d)
        sona.instant(x, quality, d)
        after = cosine(sona.adapt(x), d)
        assert np.sign(after - before) == sign, (quality, before, after)


def test_instant_loss_is_bounded_so_good_feedback_converges() -> None:
    """L = -a cos(adapt(x), d): a long run of good feedback lines the output up with d, and then stops."""
    rng = np.random.default_rng(10)
    x, d = unit(rng, 2)
    sona = SonaInstant(DIM, SonaConfig(min_advantage=0.0, ema_beta=0.0, alpha=1.0, instant_lr=0.5))
    norms = []
    for step in range(600):
        sona.instant(x, 1.0, d)
        if step % 200 == 199:
            norms.append(sona.instant_lora.delta_norm())
    assert cosine(sona.adapt(x), d) > 0.99
    # The gradient vanishes as the cosine nears 1: the last 200 steps move the adapter less than the first 200.
    assert norms[2] - norms[1] < norms[0]


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


def test_background_moves_the_instant_effect_into_the_base() -> None:
    """A tick's solve gives the base ``transfer`` of the instant adapter's effect on the batch.

    Both adapters start from the same A; the base keeps it, the instant adapter's A moves a little
    with its own steps. Without a penalty the solve is the least-squares fit, so its residual is at
    most that of the candidate ``B0 + transfer * B_instant`` (same alpha), which is exactly
    ``transfer * alpha * X (A_instant - A_0) B_instant``: the bound below, plus float32 rounding.
    """
    config = SonaConfig(min_advantage=0.0, min_batch=1, max_batch=40, transfer=0.5, instant_lr=0.05, alpha=0.5)
    sona = SonaInstant(DIM, config)
    rng = np.random.default_rng(3)
    xs, d = unit(rng, 8), unit(rng)[0]
    a0 = sona.base_lora.a.astype(np.float64).copy()
    np.testing.assert_array_equal(a0, sona.instant_lora.a)
    for i in range(40):
        sona.instant(xs[i % 8], 1.0 if i % 2 else 0.0, d)
    x64 = np.stack([xs[i % 8] for i in range(40)]).astype(np.float64)
    fast_a, fast_b = sona.instant_lora.a.astype(np.float64), sona.instant_lora.b.astype(np.float64)
    wanted = 0.5 * 0.5 * (x64 @ fast_a) @ fast_b  # transfer * delta_instant on the batch
    instant_before = sona.instant_lora.delta_norm()
    assert instant_before > 0 and sona.base_lora.delta_norm() == 0
    report = sona.tick(now=1.0)
    assert report["distilled"] == 40
    got = np.stack([sona.base_lora.forward(x) - x for x in x64.astype(np.float32)]).astype(np.float64)
    bound = np.linalg.norm(0.5 * 0.5 * (x64 @ (fast_a - a0)) @ fast_b)
    error = np.linalg.norm(got - wanted)
    # At these rates the instant A moved little (its steps scale with B, which starts at zero), so the
    # bound says nearly all of the effect transferred; the solve must then meet it.
    assert bound <= 0.05 * np.linalg.norm(wanted), (bound, np.linalg.norm(wanted))
    assert error <= bound + 1e-5 * np.linalg.norm(wanted), (error, bound)
    assert sona.instant_lora.delta_norm() == pytest.approx(0.5 * instant_before, rel=1e-5)


def test_what_is_learned_depends_on_the_inputs_directions_not_their_scale() -> None:
    """The cosine loss and the consolidation over unit rows are scale-free: the same directions at norm 1
    and with values near the accepted range's edge (1e6) teach both adapters and the EWC Fisher the same
    (the Fisher used to grow as the fourth power of the scale, up to Inf in a saveable state)."""
    rng = np.random.default_rng(5)
    xs, d = unit(rng, 12), unit(rng)[0]
    scale = np.float32(1e6 / np.abs(xs).max())
    config = SonaConfig(min_advantage=0.0, min_batch=1, consolidate_every=2, instant_lr=0.05, alpha=0.5)
    small, large = SonaInstant(DIM, config), SonaInstant(DIM, config)
    for step in range(6):
        for i, x in enumerate(xs):
            quality = float((i + step) % 3) / 2
            small.instant(x, quality, d)
            large.instant(x * scale, quality, d)
        small.tick(now=float(step))
        large.tick(now=float(step))
    assert small.ewc.tasks == 3 and small.base_lora.delta_norm() > 0
    np.testing.assert_allclose(large.ewc.fisher, small.ewc.fisher, rtol=1e-3, atol=1e-3 * small.ewc.fisher.max())
    for adapter in ("instant_lora", "base_lora"):
        np.testing.assert_allclose(getattr(large, adapter).b, getattr(small, adapter).b, rtol=1e-3, atol=1e-6)


def test_under_a_saturating_stream_every_position_reaches_the_learner_alike() -> None:
    """50 requests to a tick interval, always in the same order (a page firing the same 50 queries per
    interval), more than a tick takes (16). Taking the oldest took the same 16 positions of every interval
    (148 times each here) and let the others be overwritten once the ring was full; the uniform sample
    reaches each position about as often."""
    rng = np.random.default_rng(11)
    queries = unit(rng, 50)
    config = SonaConfig(min_batch=1, max_batch=16, max_learn_per_tick=16, max_insert_per_tick=16, capacity=128,
                        min_advantage=1.0, deep_every=10**6, deep_quality=1e9, drift_threshold=1.0)
    router = HnswRouter(RouterConfig(dim=DIM))
    sona = SonaInstant(DIM, config, router=router)
    ticks = 150
    for tick in range(ticks):
        for position, x in enumerate(queries):
            sona.instant(x, 1.0, agent=f"q{position}", task_type="t")
        assert sona.tick(now=float(tick))["learned"] == 16
    # The first trajectory of a position adds its pattern, each later one reinforces it (usage + 1).
    reached = {record.agent: record.usage_count + 1 for record in router.patterns()}
    assert sorted(reached) == sorted(f"q{p}" for p in range(50)), "every position reached the library"
    mean = ticks * 16 / 50
    assert 0.4 * mean <= min(reached.values()) and max(reached.values()) <= 1.6 * mean, sorted(reached.values())
    assert sona.trajectories.dropped == ticks * 50 - ticks * 16 - sona.trajectories.pending
    # The sample is drawn from the seed and the tick count: a reloaded SONA takes the same one.
    twin = SonaInstant.from_state(*sona.to_state(), HnswRouter.from_state(*router.to_state()))
    assert twin.tick(now=1e3) == sona.tick(now=1e3)
    assert twin.to_state()[0] == sona.to_state()[0]


def test_penalty_holds_the_base_at_the_anchor_where_the_fisher_is_large() -> None:
    """After one consolidation, a very stiff penalty keeps the weights of above-average Fisher at the anchor."""

    def two_ticks(strength: float) -> tuple[SonaInstant, np.ndarray]:
        config = SonaConfig(min_advantage=0.0, ema_beta=0.0, min_batch=1, transfer=1.0, instant_lr=0.5, alpha=0.5,
                            consolidate_every=1, ewc_strength=strength)
        sona = SonaInstant(DIM, config)
        rng = np.random.default_rng(12)
        xs, targets = unit(rng, 12), unit(rng, 2)
        for x in xs:
            sona.instant(x, 1.0, targets[0])
        sona.tick(force=True)  # the first tick: no anchor yet, the base learns freely; then it is anchored
        anchor = sona.base_lora.b.copy()
        for x in xs:
            sona.instant(x, 1.0, targets[1])
        sona.tick(force=True)
        return sona, anchor

    held, anchor = two_ticks(1e8)
    free, same_anchor = two_ticks(0.0)
    np.testing.assert_array_equal(anchor, same_anchor)
    important = held.ewc.fisher.reshape(anchor.shape) >= held.ewc.fisher.mean()
    assert important.any() and not important.all()
    moved_free = np.abs(free.base_lora.b - anchor)[important]
    moved_held = np.abs(held.base_lora.b - anchor)[important]
    assert moved_free.max() > 0
    # Stiffness >= 1e8 times the batch's mean curvature against a pull of about one curvature.
    assert moved_held.max() <= 1e-4 * moved_free.max(), (moved_held.max(), moved_free.max())


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


def test_ewc_keeps_task_a_routing_accuracy_while_task_b_is_learned() -> None:
    """Forgetting, measured by routing accuracy against brute-force nearest patterns.

    Four patterns: task A's right one ``P_A`` and decoy ``D_A``, the same for B. Task A's requests
    lie at ``0.8 D_A + 0.5 P_A`` (plus noise), so the raw input's nearest pattern is the decoy: only
    the adapter can route them right. Task B's are built the same way, then moved so that their
    code ``x @ A`` equals task A's: a rank-2 adapter sees the two tasks through the same two numbers,
    so what B teaches acts on A's requests too (a constructed conflict). Each request gets feedback
    ``q = 1`` with the right pattern as direction; A is taught for 10 ticks, then B for 20.

    Needs stronger rates than the defaults (alpha 1, instant_lr 0.3; at the defaults the adapter never
    changes a route) and transfer 1 (each tick moves everything into the base). The EWC anchor is set
    when A ends (``consolidate_every = 10``). Design margin: without the penalty, B's longer teaching
    carries A's requests to ``P_B`` with B's own (A's accuracy falls towards 0); with the default
    ``ewc_strength`` the weights A's feedback pushed stay near the anchor (A stays near its accuracy
    after A). The test asks for a gap of at least half of A's evaluation set.
    """

    def accuracies(strength: float) -> tuple[float, float]:
        config = SonaConfig(alpha=1.0, instant_lr=0.3, min_advantage=0.0, ema_beta=0.0, transfer=1.0, min_batch=1,
                            consolidate_every=10, ewc_strength=strength)
        sona = SonaInstant(DIM, config)
        rng = np.random.default_rng(11)
        patterns = unit(rng, 4)  # P_A, D_A, P_B, D_B
        code = np.linalg.qr(sona.base_lora.a.astype(np.float64))[0]  # orthonormal basis of span(A)
        centre_a = 0.8 * patterns[1] + 0.5 * patterns[0]
        centre_b = 0.8 * patterns[3] + 0.5 * patterns[2]
        centre_b += code @ (code.T @ (centre_a - centre_b))  # B's code := A's code

        def requests(centre: np.ndarray, n: int) -> np.ndarray:
            rows = centre + 0.3 * rng.standard_normal((n, DIM)) / np.sqrt(DIM)
            return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

        def accuracy(xs: np.ndarray, right: int) -> float:
            adapted = np.stack([sona.adapt(x) for x in xs]).astype(np.float64)
            scores = adapted / np.linalg.norm(adapted, axis=1, keepdims=True) @ patterns.T.astype(np.float64)
            return float(np.mean(np.argmax(scores, axis=1) == right))

        eval_a = requests(centre_a, 200)
        assert accuracy(eval_a, 0) == 0.0, "the raw inputs route to the decoy"
        for centre, right, ticks in ((centre_a, 0, 10), (centre_b, 2, 20)):
            for _ in range(ticks):
                for x in requests(centre, 8):
                    sona.instant(x, 1.0, patterns[right])
                sona.tick(force=True)
            if right == 0:
                after_a = accuracy(eval_a, 0)
        return after_a, accuracy(eval_a, 0)

    learned, kept_without = accuracies(0.0)
    learned_ewc, kept_with = accuracies(SonaConfig().ewc_strength)
    assert learned == learned_ewc >= 0.9, "no anchor before A ends: both runs learn A identically"
    assert kept_with >= kept_without + 0.5, (learned, kept_without, kept_with)


def as_version_1(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A version-2 SONA state as version 1 wrote it: ``base_lr``, EWC over ``A^T`` then ``B``, no loop position."""
    old_arrays = dict(arrays)
    for name in ("ewc/fisher", "ewc/anchor") & arrays.keys():  # no anchor before the first consolidation
        old_arrays[name] = np.concatenate([np.ones_like(arrays[name]), arrays[name]])
    config = {key: value for key, value in meta["config"].items() if key not in ("max_insert_per_tick", "max_deep_removals")}
    counters = {key: value for key, value in meta["counters"].items() if key not in SonaInstant._COUNTERS_SINCE_2}
    return {**meta, "version": 1, "config": {**config, "base_lr": 0.005}, "counters": counters}, old_arrays


def test_version_1_state_loads_with_the_b_half_of_its_ewc_arrays() -> None:
    sona = SonaInstant(DIM, SonaConfig(min_advantage=0.0, min_batch=1, consolidate_every=1))
    rng = np.random.default_rng(13)
    for x in unit(rng, 6):
        sona.instant(x, 1.0, unit(rng)[0])
    sona.tick(force=True)
    meta, arrays = sona.to_state()
    loaded = SonaInstant.from_state(*as_version_1(meta, arrays))
    np.testing.assert_array_equal(loaded.ewc.fisher, sona.ewc.fisher)
    np.testing.assert_array_equal(loaded.ewc.anchor, sona.ewc.anchor)
    assert loaded.config == sona.config
    with pytest.raises(ValueError, match="version 1 or 2"):
        SonaInstant.from_state({**meta, "version": 3}, arrays)


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
        (lambda s: s.instant(np.full(DIM, 3e38), 0.1), ValueError, "accepted range"),
        (lambda s: s.instant(np.ones(DIM), 0.1, direction=np.full(DIM, 1e9)), ValueError, "accepted range"),
        (lambda s: s.adapt(np.full(DIM, 1e9)), ValueError, "accepted range"),
        (lambda s: s.tick(now=1.0, force="yes"), TypeError, "force"),
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
    old_meta, old_arrays = as_version_1(meta, arrays)
    loaded = SonaInstant.from_state(old_meta, old_arrays, router)
    assert (loaded.deep_cursor, loaded.deep_in_pass, loaded.last_job, loaded.room_wanted) == (0, 0, 0, 0)
    with pytest.raises(ValueError, match="version"):
        SonaInstant.from_state({**meta, "version": 3}, arrays, router)
    meta, arrays = sona.to_state()
    meta["counters"]["last_job"] = 3
    with pytest.raises(ValueError, match="last_job"):
        SonaInstant.from_state(meta, arrays, router)
