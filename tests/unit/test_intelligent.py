"""IntelligentLLM: route -> adapt -> learn end to end, feedback changes routes, snapshots
round-trip bit-exactly, and bad input or a bad snapshot changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from ruvllm_web import snapshot
from ruvllm_web.intelligent import IntelligentConfig, IntelligentLLM

DIM = 48


def engine(**settings) -> IntelligentLLM:
    return IntelligentLLM(IntelligentConfig.with_dim(DIM, **settings))


def clusters(seed: int = 0, agents: int = 3, per: int = 6, spread: float = 0.15) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(agents, DIM))
    rows, labels = [], []
    for a, centre in enumerate(centres):
        for _ in range(per):
            v = centre / np.linalg.norm(centre) + rng.normal(0, spread, DIM)
            rows.append(v / np.linalg.norm(v))
            labels.append(f"agent{a}")
    return np.array(rows, dtype=np.float32), labels


def test_empty_engine_routes_to_no_agent_and_still_adapts() -> None:
    llm = engine()
    x = np.ones(DIM, dtype=np.float32)
    out = llm.process(x, "hello", 0.9)
    assert out.shape == (DIM,) and out.dtype == np.float32
    assert llm.last_result.agent is None and llm.route(x).agent is None
    assert llm.stats()["totalPatterns"] == 0


def test_an_all_zero_input_gets_no_route_and_teaches_nothing() -> None:
    llm = engine()
    llm.add_pattern(np.ones(DIM), "a", "t")
    before = llm.sona.to_state()[0]
    out = llm.process(np.zeros(DIM, dtype=np.float32), "user query", 0.9)
    assert not out.any() and llm.last_result.agent is None
    after = llm.sona.to_state()[0]
    assert (after["counters"], after["trajectories"]) == (before["counters"], before["trajectories"])


def test_routes_to_the_agent_of_the_nearest_cluster() -> None:
    llm = engine()
    rows, labels = clusters()
    for row, label in zip(rows, labels):
        llm.add_pattern(row, label, "task", "seed")
    for row, label in zip(rows, labels):
        assert llm.route(row).agent == label


def test_routes_use_the_input_and_the_adapters_shape_what_process_returns() -> None:
    """The spec's order, route -> LoRA -> SONA: adapters taught to carry a request to another agent's
    pattern change the vector ``process`` returns, not the route (the library holds raw embeddings)."""
    from ruvllm_web.learning.sona import SonaConfig

    llm = engine(sona=SonaConfig(alpha=1.0, instant_lr=0.5, min_advantage=0.0, ema_beta=0.0))
    rng = np.random.default_rng(4)
    near, far = rng.normal(size=(2, DIM)).astype(np.float32)
    llm.add_pattern(near, "near", "t")
    llm.add_pattern(far, "far", "t")
    x = (near + 0.1 * rng.normal(size=DIM)).astype(np.float32)
    for _ in range(40):
        llm.sona.instant(x, 1.0, far)
    adapted = llm.sona.adapt(x)
    cosine = lambda u, v: float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))  # noqa: E731
    assert cosine(adapted, far) > cosine(adapted, near), "the adapters carry x to the other pattern"
    assert llm.route(x).agent == "near"
    np.testing.assert_array_equal(llm.process(x, "q"), adapted)
    assert llm.last_result.agent == "near"
    raw = IntelligentLLM.load(llm.save(), IntelligentConfig.with_dim(DIM, use_lora=False))
    np.testing.assert_array_equal(raw.process(x, "q"), x)
    assert raw.last_result.agent == "near"


def test_negative_feedback_changes_the_next_similar_route() -> None:
    llm = engine()
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, DIM)).astype(np.float32)
    llm.add_pattern(a, "wrong", "t")
    llm.add_pattern(a + 0.8 * b, "right", "t")
    query = a + 0.3 * b  # nearer "wrong" (cosine ~0.96 vs ~0.89 for unit-ish a, b)
    assert llm.route(query).agent == "wrong"
    for _ in range(15):
        llm.process(query, "q", 0.0 if llm.route(query).agent == "wrong" else 1.0)
    assert llm.route(query).agent == "right"


def test_learn_pattern_teaches_a_new_agent() -> None:
    llm = engine()
    rows, labels = clusters(seed=2)
    for row, label in zip(rows, labels):
        llm.add_pattern(row, label, "task")
    novel = np.random.default_rng(9).normal(size=DIM).astype(np.float32)
    llm.learn_pattern(novel, "newcomer", "new_task", "a new kind of request", 1.0)
    result = llm.route(novel)
    assert (result.agent, result.task_type) == ("newcomer", "new_task")


def test_background_tick_adds_confirmed_requests_as_patterns() -> None:
    llm = engine()
    rows, labels = clusters(seed=3)
    llm.add_pattern(rows[0], labels[0], "task")
    before = len(llm.router)
    for row in rows[1:6]:
        llm.process(row, "similar request", 1.0)
    llm.tick(now=100.0)
    assert len(llm.router) > before
    assert llm.stats()["sona"]["patterns_learned"] > 0


def test_stats_are_json_able_and_complete() -> None:
    import json

    llm = engine()
    rows, labels = clusters(seed=4)
    for row, label in zip(rows, labels):
        llm.add_pattern(row, label, "task")
    llm.process(rows[0], "x", 0.8)
    stats = json.loads(json.dumps(llm.stats()))
    assert {"router", "lora", "sona", "totalPatterns"} <= set(stats)
    assert stats["totalPatterns"] == len(rows) and stats["router"]["queries"] == 1


def test_save_load_is_bit_exact_and_behaves_identically() -> None:
    llm = engine()
    rows, labels = clusters(seed=5)
    for row, label in zip(rows[::2], labels[::2]):
        llm.add_pattern(row, label, "task", "seed")
    for i, row in enumerate(rows):
        llm.process(row, f"r{i}", float(i % 2))
    llm.tick(now=1.0)
    twin = IntelligentLLM.load(llm.save())
    assert twin.sona.to_state()[0] == llm.sona.to_state()[0]
    for i, row in enumerate(rows):
        np.testing.assert_array_equal(twin.process(row, "again", 0.7), llm.process(row, "again", 0.7))
        assert twin.last_result.agent == llm.last_result.agent
        assert twin.last_result.confidence == llm.last_result.confidence
    assert twin.tick(now=9.0) == llm.tick(now=9.0)


def test_load_with_config_switches_learning_off() -> None:
    llm = engine()
    llm.add_pattern(np.ones(DIM), "a", "t")
    quiet = IntelligentLLM.load(llm.save(), IntelligentConfig.with_dim(DIM, use_sona=False))
    assert not quiet.config.use_sona
    with pytest.raises(ValueError, match="does not match the snapshot"):
        IntelligentLLM.load(llm.save(), IntelligentConfig.with_dim(DIM + 1))


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "checksum"),
        (lambda b: b"GARBAGE!" + b[8:], "magic"),
        (lambda b: snapshot.pack("HnswRouter", {}, {}), "expected a 'IntelligentLLM'"),
        (lambda b: snapshot.pack("IntelligentLLM", {"version": 99}, {}), "version"),
    ],
)
def test_bad_snapshots_are_refused(mangle, message) -> None:
    llm = engine()
    llm.add_pattern(np.ones(DIM), "a", "t")
    with pytest.raises(ValueError, match=message):
        IntelligentLLM.load(mangle(llm.save()))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda e: e.process(np.ones(DIM + 1), "c", 0.5), ValueError, f"expected {DIM}"),
        (lambda e: e.process(np.full(DIM, np.inf), "c", 0.5), ValueError, "NaN or Inf"),
        (lambda e: e.process(np.ones(DIM), "c", 2.0), ValueError, "quality"),
        (lambda e: e.process(np.ones(DIM), "c", "high"), TypeError, "quality"),
        (lambda e: e.process(np.ones(DIM), 7, 0.5), TypeError, "context"),
        (lambda e: e.process(np.ones(DIM), "x" * 10_000, 0.5), ValueError, "context"),
        (lambda e: e.learn_pattern(np.zeros(DIM), "a", "t", "d", 0.5), ValueError, "all zeros"),
        (lambda e: e.process("text", "c", 0.5), TypeError, "input"),
        (lambda e: e.learn_pattern(np.ones(DIM), "", "t", "d", 0.5), ValueError, "agent"),
        (lambda e: e.learn_pattern(np.ones(DIM), "a", "t", "d", -0.1), ValueError, "quality"),
        (lambda e: e.add_pattern(np.ones(DIM), None, "t"), TypeError, "agent"),
        (lambda e: e.router.remove_pattern(12345), ValueError, "does not exist"),
        (lambda e: e.adapt(np.ones(DIM), float("nan")), ValueError, "quality"),
        # finite float32 values beyond the accepted range: refused before anything is counted or routed
        (lambda e: e.process(np.full(DIM, 1e15), "c", 0.9), ValueError, r"\[-1e\+06, 1e\+06\]"),
        (lambda e: e.process(np.eye(DIM)[0] * np.float32(3e38), "c", 0.9), ValueError, "at index 0"),
        (lambda e: e.route(np.full(DIM, -2e6)), ValueError, "accepted range"),
        (lambda e: e.adapt(np.full(DIM, 1e7), 0.9), ValueError, "accepted range"),
        (lambda e: e.learn_pattern(np.full(DIM, 1e16), "a", "t", "d", 0.9), ValueError, "accepted range"),
        (lambda e: e.add_pattern(np.full(DIM, 1e16), "a", "t"), ValueError, "accepted range"),
    ],
)
def test_bad_input_leaves_the_engine_exactly_as_it_was(call, error, message) -> None:
    llm = engine()
    rows, labels = clusters(seed=6)
    for row, label in zip(rows, labels):
        llm.add_pattern(row, label, "task")
    llm.process(rows[0], "warm", 0.9)
    before = llm.save()
    with pytest.raises(error, match=message):
        call(llm)
    assert llm.save() == before
