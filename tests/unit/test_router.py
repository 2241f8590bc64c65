"""HnswRouter: similarity- and success-weighted voting, learning and reinforcement, outcomes, eviction,
the pattern library API the SONA deep loop uses, statistics, snapshots and bad input."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import HnswRouter, RouterConfig, RoutingResult
from ruvllm_web.router import VOTE_DISTANCE_FLOOR, vote_weight
from ruvllm_web.latency import LatencyWindow

DIM = 16


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def near(vector: np.ndarray, seed: int, noise: float = 0.05) -> np.ndarray:
    return (vector + noise * np.random.default_rng(seed).standard_normal(DIM)).astype(np.float32)


def two_agent_router(**overrides) -> tuple[HnswRouter, np.ndarray, np.ndarray]:
    router = HnswRouter(RouterConfig(dim=DIM, top_k=5, **overrides))
    code, prose = unit(1), unit(2)
    for i in range(6):
        router.add_pattern(near(code, 10 + i), "coder", "code_generation", f"code {i}")
        router.add_pattern(near(prose, 20 + i), "writer", "writing", f"prose {i}")
    return router, code, prose


def test_presets_and_validation() -> None:
    fast, high = RouterConfig.fast(), RouterConfig.high_recall()
    assert (fast.m, fast.ef_construction, fast.ef_search, fast.top_k) == (16, 100, 50, 5)
    assert (high.m, high.ef_construction, high.ef_search, high.top_k) == (48, 400, 200, 20)
    assert fast.dim == high.dim == 384
    for bad in ({"dim": 0}, {"top_k": 0}, {"min_confidence": 1.5}, {"max_patterns": 0}, {"success_alpha": -0.1}):
        with pytest.raises(ValueError):
            RouterConfig(**bad)
    with pytest.raises(TypeError):
        RouterConfig(top_k=2.5)
    with pytest.raises(TypeError):
        HnswRouter({"dim": 4})


def test_empty_router_says_no_patterns() -> None:
    router = HnswRouter(RouterConfig(dim=DIM))
    result = router.route(unit(0))
    assert result.agent is None and result.task_type is None and result.confidence == 0.0
    assert result.neighbors == [] and result.alternatives == []
    assert router.stats()["queries"] == 1 and router.stats()["hits"] == 0


def test_routes_to_the_agent_of_the_nearest_cluster() -> None:
    router, code, prose = two_agent_router()
    result = router.route(near(code, 99))
    assert result.agent == "coder" and result.task_type == "code_generation"
    assert 0.5 < result.confidence <= 1.0
    assert router.route(near(prose, 98)).agent == "writer"
    assert json.loads(json.dumps(result.to_dict()))["agent"] == "coder"
    assert len(result.neighbors) == 5 and result.latency_us > 0
    assert all(n.description == router.pattern(n.pattern_id).description for n in result.neighbors)
    assert {n.description for n in result.neighbors} <= {f"code {i}" for i in range(6)}


def test_confidence_is_the_weighted_vote_share() -> None:
    router = HnswRouter(RouterConfig(dim=DIM, top_k=3))
    base = unit(3)
    a = router.add_pattern(near(base, 1), "a", "t")
    b = router.add_pattern(near(base, 2), "b", "t")
    c = router.add_pattern(near(base, 3), "b", "t")
    for _ in range(5):
        router.record_outcome(b, False)
    result = router.route(base)
    sims = {i: float(router.pattern_embedding(i) @ base) for i in (a, b, c)}
    rates = {i: router.pattern(i).success_rate for i in (a, b, c)}
    weights = {i: vote_weight(sims[i], rates[i]) for i in (a, b, c)}
    votes = {"a": weights[a], "b": weights[b] + weights[c]}
    winner = max(votes, key=votes.get)
    assert result.agent == winner
    assert result.confidence == pytest.approx(votes[winner] / sum(votes.values()), rel=1e-4)
    assert [name for name, _ in result.alternatives] == [n for n in votes if n != winner]


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1.0, 1.0, allow_nan=False), st.floats(-1.0, 1.0, allow_nan=False),
    st.floats(0.0, 1.0, allow_nan=False), st.floats(0.0, 1.0, allow_nan=False),
)
def test_vote_weight_grows_with_similarity_and_success(s1, s2, r1, r2) -> None:
    (s_low, s_high), (r_low, r_high) = sorted((s1, s2)), sorted((r1, r2))
    assert 0.0 <= vote_weight(s_low, r_low) <= vote_weight(s_high, r_low) <= vote_weight(s_high, r_high)
    assert vote_weight(s_high, r_high) <= 1.0 / VOTE_DISTANCE_FLOOR
    if s_low <= 0.0 or r_low == 0.0:
        assert vote_weight(s_low, r_low) == 0.0
    assert vote_weight(1.0, 1.0) == pytest.approx(1.0 / VOTE_DISTANCE_FLOOR)
    assert vote_weight(1.0 + 1e-6, 1.0) > 0.0


def test_one_correction_relabels_a_confident_route_and_nothing_else() -> None:
    """The demo's correction: the voters failed, the right agent is learned at the request."""
    router = HnswRouter(RouterConfig(dim=DIM, top_k=10))
    base = unit(30)
    for i in range(12):
        router.add_pattern(near(base, 300 + i, 0.1), "tester", "testing", f"test {i}")
    request = near(base, 399, 0.1)
    before = router.route(request)
    assert before.agent == "tester" and before.confidence == 1.0
    assert min(n.similarity for n in before.neighbors) > 0.8  # a tight cluster: a confident route
    router.record_outcome(before, False)
    router.learn_pattern(request, "security", "audit", "the corrected request", 1.0)
    after = router.route(request)
    assert after.agent == "security" and after.task_type == "audit"
    # the linear vote (similarity x success rate) of the same neighbours would still say tester
    linear: dict[str, float] = {}
    for n in after.neighbors:
        linear[n.agent] = linear.get(n.agent, 0.0) + max(n.similarity, 0.0) * router.pattern(n.pattern_id).success_rate
    assert max(linear, key=linear.get) == "tester"
    # other requests of the cluster still go to the tester
    assert all(router.route(near(base, 500 + i, 0.1)).agent == "tester" for i in range(20))


def test_failures_shift_the_route() -> None:
    router = HnswRouter(RouterConfig(dim=DIM, top_k=4))
    base = unit(4)
    bad = router.add_pattern(near(base, 1, 0.01), "bad", "t")
    router.add_pattern(near(base, 2, 0.3), "good", "t")
    assert router.route(base).agent == "bad"
    for _ in range(20):
        result = router.route(base)
        router.record_outcome(result, result.agent == "good")
    assert router.route(base).agent == "good"
    assert router.pattern(bad).failures > 0 and router.pattern(bad).success_rate < 0.5


def test_learn_pattern_reinforces_near_duplicates_of_the_same_agent_only() -> None:
    router = HnswRouter(RouterConfig(dim=DIM, merge_similarity=0.95))
    base = unit(5)
    first = router.learn_pattern(base, "coder", "code", "write code", 0.8)
    again = router.learn_pattern(near(base, 1, 0.01), "coder", "code", "write code", 0.2)
    assert again == first and len(router) == 1
    record = router.pattern(first)
    assert record.usage_count == 1 and record.success_rate == pytest.approx(0.8 + 0.1 * (0.2 - 0.8))
    other_agent = router.learn_pattern(base, "writer", "code", "same text", 0.9)
    far = router.learn_pattern(unit(6), "coder", "code", "different", 0.5)
    assert len({first, other_agent, far}) == 3 and len(router) == 3
    assert router.pattern(other_agent).success_rate == pytest.approx(0.9)


def test_reinforce_pattern_only_ever_reinforces() -> None:
    router, code, _ = two_agent_router(merge_similarity=0.9)
    target = router.route(code).neighbors[0]
    before = router.pattern(target.pattern_id)
    assert router.reinforce_pattern(code, target.agent, 0.0) == target.pattern_id
    after = router.pattern(target.pattern_id)
    assert after.usage_count == before.usage_count + 1 and after.last_used == router.clock
    assert after.success_rate == pytest.approx(before.success_rate * 0.9)
    # the same as learn_pattern would have done, without adding anything when nothing is near enough
    state = router.to_bytes()
    assert router.reinforce_pattern(code, "nobody", 1.0) is None
    assert router.reinforce_pattern(-code, target.agent, 1.0) is None
    assert router.to_bytes() == state and len(router) == 12


def test_vote_matches_a_brute_force_tally() -> None:
    """Agent, task type, confidence, alternatives and usage counts against a plain recount of the neighbours."""
    rng = np.random.default_rng(11)
    router = HnswRouter(RouterConfig(dim=DIM, top_k=7))
    for i in range(40):
        router.add_pattern(unit(100 + i), f"agent{i % 3}", f"task{i % 4}", str(i))
    for i in range(0, 40, 3):
        router.record_outcome(i, bool(i % 2))
    for seed in range(20):
        query = unit(500 + seed) + 0.3 * rng.standard_normal(DIM).astype(np.float32)
        usage = {r.id: r.usage_count for r in router.patterns()}
        rates = {r.id: r.success_rate for r in router.patterns()}
        result = router.route(query)
        weights = [(n.agent, n.task_type, vote_weight(n.similarity, rates[n.pattern_id])) for n in result.neighbors]
        totals: dict[str, float] = {}
        for agent, _, weight in weights:
            totals[agent] = totals.get(agent, 0.0) + weight
        ranking = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        tasks: dict[str, float] = {}
        for agent, task, weight in weights:
            if agent == ranking[0][0]:
                tasks[task] = tasks.get(task, 0.0) + weight
        total = sum(totals.values())
        assert result.agent == ranking[0][0] and result.confidence == pytest.approx(ranking[0][1] / total)
        assert result.task_type == sorted(tasks.items(), key=lambda item: (-item[1], item[0]))[0][0]
        assert result.alternatives == pytest.approx([(a, w / total) for a, w in ranking[1:] if w > 0.0])
        for n in result.neighbors:
            record = router.pattern(n.pattern_id)
            assert record.usage_count == usage[n.pattern_id] + (n.agent == result.agent)
            assert record.last_used == router.clock
            assert n.weight == pytest.approx(vote_weight(n.similarity, rates[n.pattern_id]))


def test_task_type_filter() -> None:
    router, code, _ = two_agent_router()
    result = router.route(code, task_type="writing")
    assert result.agent == "writer" and all(n.task_type == "writing" for n in result.neighbors)
    assert router.route(code, task_type="unknown").agent is None


def test_max_patterns_evicts_the_least_recently_used() -> None:
    router = HnswRouter(RouterConfig(dim=DIM, max_patterns=3, top_k=1))
    ids = [router.add_pattern(unit(i), f"agent{i}", "t") for i in range(3)]
    router.route(unit(0))  # pattern 0 is now the most recently used
    newest = router.add_pattern(unit(7), "agent7", "t")
    assert len(router) == 3 and ids[1] not in router and ids[0] in router and newest in router
    assert router.stats()["evictions"] == 1


def test_pattern_library_api_for_the_deep_loop() -> None:
    router, code, _ = two_agent_router()
    records = router.patterns()
    assert [r.id for r in records] == sorted(r.id for r in records) and len(records) == 12
    ids, matrix = router.embeddings()
    assert ids.tolist() == [r.id for r in records] and matrix.shape == (12, DIM)
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(matrix[3], router.pattern_embedding(int(ids[3])))
    keep, drop = records[0].id, records[2].id
    router.record_outcome(keep, True)
    router.record_outcome(drop, False)
    router.route(code)
    before_keep, before_drop = router.pattern(keep), router.pattern(drop)
    router.merge_patterns(keep, drop)
    merged = router.pattern(keep)
    assert drop not in router and len(router) == 11
    assert merged.usage_count == before_keep.usage_count + before_drop.usage_count
    assert (merged.successes, merged.failures) == (1, 1)
    assert merged.created == min(before_keep.created, before_drop.created)
    assert json.loads(json.dumps(merged.to_dict()))["id"] == keep
    with pytest.raises(ValueError):
        router.merge_patterns(keep, keep)
    router.remove_pattern(keep)
    assert keep not in router and all(n.pattern_id != keep for n in router.route(code).neighbors)


def test_stats_are_json_and_count_hits() -> None:
    router, code, prose = two_agent_router(min_confidence=0.6)
    for i in range(10):
        router.route(near(code, 100 + i))
    router.route(code + prose)
    stats = router.stats()
    assert json.loads(json.dumps(stats)) == stats
    assert stats["total_patterns"] == 12 and stats["queries"] == 11
    assert 10 <= stats["hits"] <= 11 and stats["hit_rate"] == stats["hits"] / 11
    assert stats["patterns_per_agent"] == {"coder": 6, "writer": 6}
    assert 0 < stats["latency_us"]["p50"] <= stats["latency_us"]["p99"]


def test_round_trip_keeps_routes_and_statistics() -> None:
    router, code, prose = two_agent_router()
    router.record_outcome(router.route(code), False)
    loaded = HnswRouter.from_bytes(router.to_bytes())
    assert loaded.patterns() == router.patterns()
    assert loaded.stats()["latency_us"] == router.stats()["latency_us"]
    assert loaded.stats()["queries"] == router.stats()["queries"]
    for query in (code, prose, code + prose):
        a, b = router.route(query), loaded.route(query)
        assert (a.agent, a.confidence, a.neighbors) == (b.agent, b.confidence, b.neighbors)
    assert loaded.to_bytes() != b"" and isinstance(router.route(code), RoutingResult)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda meta, arrays: meta["patterns"].pop(),
        lambda meta, arrays: meta["patterns"][0].__setitem__("success_rate", 2.0),
        lambda meta, arrays: meta["patterns"][0].__setitem__("agent", 5),
        lambda meta, arrays: meta["patterns"][0].__setitem__("last_used", 10**9),
        lambda meta, arrays: meta["config"].__setitem__("dim", 17),
        lambda meta, arrays: meta["counters"].__setitem__("hits", 10**6),
        lambda meta, arrays: arrays.__setitem__("latencies", np.array([np.nan])),
        lambda meta, arrays: arrays.pop("index/stored"),
    ],
)
def test_corrupted_state_is_refused(tamper) -> None:
    router, code, _ = two_agent_router()
    router.route(code)
    meta, arrays = router.to_state()
    tamper(meta, arrays)
    with pytest.raises(ValueError):
        HnswRouter.from_state(meta, arrays)
    blob = router.to_bytes()
    for bad in (blob[:-1], blob[:50] + b"\x00" + blob[51:]):
        with pytest.raises(ValueError):
            HnswRouter.from_bytes(bad)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda r: r.route(np.ones(DIM - 1)), ValueError),
        (lambda r: r.route(np.full(DIM, np.nan)), ValueError),
        (lambda r: r.route(np.zeros(DIM)), ValueError),
        (lambda r: r.route("text"), TypeError),
        (lambda r: r.route(np.ones(DIM), task_type=3), TypeError),
        (lambda r: r.add_pattern(np.zeros(DIM), "a", "t"), ValueError),
        (lambda r: r.add_pattern(np.ones(DIM), "", "t"), ValueError),
        (lambda r: r.add_pattern(np.ones(DIM), "a" * 5000, "t"), ValueError),
        (lambda r: r.add_pattern(np.ones(DIM), None, "t"), TypeError),
        (lambda r: r.learn_pattern(np.ones(DIM), "a", "t", "d", 1.5), ValueError),
        (lambda r: r.learn_pattern(np.ones(DIM), "a", "t", "d", "high"), TypeError),
        (lambda r: r.reinforce_pattern(np.ones(DIM - 1), "a", 0.5), ValueError),
        (lambda r: r.reinforce_pattern(np.ones(DIM), "", 0.5), ValueError),
        (lambda r: r.reinforce_pattern(np.ones(DIM), "a", -0.1), ValueError),
        (lambda r: r.record_outcome(999, True), ValueError),
        (lambda r: r.record_outcome(0, "yes"), TypeError),
        (lambda r: r.remove_pattern(999), ValueError),
        (lambda r: r.remove_pattern("0"), TypeError),
        (lambda r: r.merge_patterns(0, 999), ValueError),
        (lambda r: r.pattern_embedding(999), ValueError),
        (lambda r: r.route(np.full(DIM, 3e38)), ValueError),
        (lambda r: r.add_pattern(np.full(DIM, 1e15), "a", "t"), ValueError),
        (lambda r: r.learn_pattern(np.full(DIM, -1e7), "a", "t", "d", 1.0), ValueError),
        (lambda r: r.reinforce_pattern(np.full(DIM, 1e7), "a", 1.0), ValueError),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(call, error) -> None:
    router = HnswRouter(RouterConfig(dim=DIM, max_patterns=2))
    router.add_pattern(unit(1), "a", "t")
    router.add_pattern(unit(2), "b", "t")
    before = router.to_bytes()
    with pytest.raises(error):
        call(router)
    assert router.to_bytes() == before


def test_filtered_routes_match_brute_force_over_the_task_type() -> None:
    """A common task type (post-filtered unfiltered searches) and a rare one (the index's filter)."""
    router = HnswRouter(RouterConfig(dim=DIM, top_k=4))
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((60, DIM)).astype(np.float32)
    tasks = ["common" if i % 10 else "rare" for i in range(60)]
    ids = [router.add_pattern(v, f"agent{i % 3}", t) for i, (v, t) in enumerate(zip(vectors, tasks))]
    unit_rows = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for query in rng.standard_normal((10, DIM)).astype(np.float32):
        for task in ("common", "rare"):
            members = [i for i, t in enumerate(tasks) if t == task]
            scores = unit_rows[members] @ (query / np.linalg.norm(query))
            expected = [ids[members[j]] for j in np.argsort(-scores, kind="stable")[:4]]
            assert [n.pattern_id for n in router.route(query, task_type=task).neighbors] == expected


def test_learn_pattern_looks_past_closer_patterns_of_other_agents() -> None:
    router = HnswRouter(RouterConfig(dim=DIM, top_k=2, merge_similarity=0.9))
    base = unit(5)
    for i in range(30):  # thirty near-copies of another agent crowd the nearest neighbours
        router.add_pattern(near(base, 200 + i, 0.001), "other", "t")
    mine = router.add_pattern(near(base, 1, 0.1), "mine", "t")
    nearest = router.route(base).neighbors
    assert [n.agent for n in nearest] == ["other", "other"]  # top_k would not reach "mine"
    assert router.learn_pattern(base, "mine", "t", "again", 1.0) == mine and len(router) == 31
    far = router.learn_pattern(unit(6), "mine", "t", "elsewhere", 1.0)
    assert far != mine and len(router) == 32


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "route", "fail", "learn", "reinforce", "evict"]),
                          st.integers(0, 9)), max_size=60))
def test_eviction_follows_the_documented_order(operations) -> None:
    """Each eviction removes the pattern with the least (last_used, success_rate, id) just before the add;
    reinforcing never adds nor evicts."""
    router = HnswRouter(RouterConfig(dim=DIM, max_patterns=4, top_k=2))
    for action, seed in operations:
        before = {r.id: (r.last_used, r.success_rate, r.id) for r in router.patterns()}
        if action == "route":
            router.route(unit(seed))
        elif action == "fail":
            if before:
                router.record_outcome(sorted(before)[seed % len(before)], False)
        elif action == "evict":
            if before:
                assert router.evict() == min(before, key=before.__getitem__)
                assert {r.id for r in router.patterns()} == set(before) - {min(before, key=before.__getitem__)}
            else:
                with pytest.raises(ValueError, match="no pattern"):
                    router.evict()
        elif action == "reinforce":
            reinforced = router.reinforce_pattern(unit(seed), f"agent{seed % 2}", 0.5)
            assert {r.id for r in router.patterns()} == set(before) and reinforced in {None, *before}
        else:
            call = router.add_pattern if action == "add" else router.learn_pattern
            args = ("d", 0.5) if action == "learn" else ()
            new = call(unit(seed), f"agent{seed % 2}", "t", *args)
            gone = set(before) - {r.id for r in router.patterns()}
            if gone:
                assert gone == {min(before, key=before.__getitem__)} and new not in before
        assert len(router) <= 4 and router.full == (len(router) == 4)


def test_latency_window_keeps_the_latest_samples_oldest_first() -> None:
    window = LatencyWindow(4)
    assert window.samples().tolist() == []
    for sample in range(1, 7):
        window.add(float(sample))
    assert window.samples().tolist() == [3.0, 4.0, 5.0, 6.0] and window.count == 6 and window.size == 4
    assert window.summary()["p50_us"] == 4.5
