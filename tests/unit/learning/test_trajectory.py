"""TrajectoryBuffer: ring-buffer order and overwriting, improvement statistics against brute force,
recent() batches, refusals that store nothing, and persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import snapshot
from ruvllm_web.learning.trajectory import TrajectoryBuffer
from ruvllm_web.lora.operators import OperatorType

DIM = 8


def embedding(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def filled(capacity: int = 5, count: int = 8) -> TrajectoryBuffer:
    buffer = TrajectoryBuffer(capacity, DIM)
    for i in range(count):
        buffer.record(embedding(i), i % 17, i % 3, 10.0 + i, 12.0 + 3 * (i % 4) - 2 * (i % 3))
    return buffer


def test_record_returns_the_improvement_and_counts() -> None:
    buffer = TrajectoryBuffer(3, DIM)
    assert buffer.record(embedding(0), OperatorType.JOIN, 5, 45.2, 120.5) == pytest.approx(120.5 / 45.2 - 1)
    assert buffer.record(embedding(1).tolist(), np.int64(2), 1, 10, 5) == pytest.approx(-0.5)
    assert len(buffer) == 2 and buffer.total_count == 2


def test_empty_buffer_statistics() -> None:
    buffer = TrajectoryBuffer(4, DIM)
    assert (buffer.success_rate(), buffer.mean_improvement(), buffer.best_improvement()) == (0.0, 0.0, 0.0)
    assert buffer.best_attention() is None and buffer.high_quality_count(0.0) == 0
    assert sum(buffer.count_by_operator().values()) == 0 and len(buffer.count_by_operator()) == 17
    assert buffer.recent(10).embeddings.shape == (0, DIM)


def test_ring_buffer_keeps_the_newest_in_order() -> None:
    buffer = filled(capacity=5, count=8)
    assert len(buffer) == 5 and buffer.total_count == 8
    batch = buffer.recent(10)
    np.testing.assert_array_equal(batch.embeddings, np.stack([embedding(i) for i in range(3, 8)]))
    assert batch.op_types.tolist() == [3, 4, 5, 6, 7]
    assert buffer.recent(2).op_types.tolist() == [6, 7]
    assert buffer.recent(0).op_types.shape == (0,)


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(1, 12),
       rows=st.lists(st.tuples(st.integers(0, 16), st.integers(0, 4), st.floats(0.01, 1000), st.floats(0.01, 1000)),
                     max_size=40),
       threshold=st.floats(-1, 5))
def test_statistics_match_brute_force(capacity, rows, threshold) -> None:
    buffer = TrajectoryBuffer(capacity, DIM)
    for i, (op, attention, exec_ms, baseline_ms) in enumerate(rows):
        buffer.record(embedding(i), op, attention, exec_ms, baseline_ms)
    held = rows[-capacity:] if rows else []
    assert len(buffer) == len(held) and buffer.total_count == len(rows)
    if not held:
        return
    improvements = [b / e - 1 for _, _, e, b in held]
    assert buffer.success_rate() == sum(v > 0 for v in improvements) / len(held)
    assert buffer.mean_improvement() == pytest.approx(np.mean(improvements))
    assert buffer.best_improvement() == max(improvements)
    assert buffer.high_quality_count(threshold) == sum(v > threshold for v in improvements)
    by_attention = {}
    for (_, attention, _, _), value in zip(held, improvements):
        by_attention.setdefault(attention, []).append(value)
    means = {a: np.mean(v) for a, v in by_attention.items()}
    best = max(means.values())
    assert buffer.best_attention() in {a for a, m in means.items() if m >= best - 1e-9}  # rounding-level ties
    names = buffer.count_by_operator()
    assert [names[k] for k in names] == [sum(op == i for op, *_ in held) for i in range(17)]
    np.testing.assert_allclose(buffer.recent(len(held)).improvements, improvements)


def test_clear_forgets_but_total_keeps_counting() -> None:
    buffer = filled()
    buffer.clear()
    assert len(buffer) == 0 and buffer.total_count == 8 and buffer.best_attention() is None
    buffer.record(embedding(9), 0, 0, 1.0, 2.0)
    assert len(buffer) == 1 and buffer.recent(5).op_types.tolist() == [0]


@pytest.mark.parametrize("args, error", [
    ((np.ones(DIM - 1, dtype=np.float32), 0, 0, 1.0, 2.0), ValueError),
    ((np.full(DIM, np.nan, dtype=np.float32), 0, 0, 1.0, 2.0), ValueError),
    ((np.r_[np.ones(DIM - 1), np.inf].astype(np.float32), 0, 0, 1.0, 2.0), ValueError),
    (([np.nan] * DIM, 0, 0, 1.0, 2.0), ValueError),
    (("embedding", 0, 0, 1.0, 2.0), TypeError),
    ((None, 0, 0, 1.0, 2.0), TypeError),
    ((np.ones(DIM), 17, 0, 1.0, 2.0), ValueError),
    ((np.ones(DIM), -1, 0, 1.0, 2.0), ValueError),
    ((np.ones(DIM), 2.0, 0, 1.0, 2.0), TypeError),
    ((np.ones(DIM), True, 0, 1.0, 2.0), TypeError),
    ((np.ones(DIM), 0, -1, 1.0, 2.0), ValueError),
    ((np.ones(DIM), 0, "5", 1.0, 2.0), TypeError),
    ((np.ones(DIM), 0, 0, 0.0, 2.0), ValueError),
    ((np.ones(DIM), 0, 0, -3.0, 2.0), ValueError),
    ((np.ones(DIM), 0, 0, float("nan"), 2.0), ValueError),
    ((np.ones(DIM), 0, 0, float("inf"), 2.0), ValueError),
    ((np.ones(DIM), 0, 0, 1.0, 0.0), ValueError),
    ((np.ones(DIM), 0, 0, 1.0, float("inf")), ValueError),
    ((np.ones(DIM), 0, 0, "1", 2.0), TypeError),
    ((np.ones(DIM), 0, 0, 1e-300, 1e300), ValueError),
])
def test_bad_records_are_refused_and_store_nothing(args, error) -> None:
    buffer = filled()
    before = json.dumps(buffer.to_dict())
    with pytest.raises(error):
        buffer.record(*args)
    assert json.dumps(buffer.to_dict()) == before


@pytest.mark.parametrize("call, error", [
    (lambda b: b.high_quality_count("0.5"), TypeError), (lambda b: b.high_quality_count(float("nan")), ValueError),
    (lambda b: b.recent(-1), ValueError), (lambda b: b.recent(1.5), TypeError),
    (lambda b: TrajectoryBuffer(0, DIM), ValueError), (lambda b: TrajectoryBuffer(5, 0), ValueError),
    # Each argument in range, their product 640 GB: refused before anything is allocated.
    (lambda b: TrajectoryBuffer(10_000_000, 16384), ValueError),
])
def test_bad_queries_and_configurations_are_refused(call, error) -> None:
    with pytest.raises(error):
        call(filled())


@pytest.mark.parametrize("count", [0, 3, 8])
def test_state_round_trips_through_a_snapshot_and_json(count: int) -> None:
    buffer = filled(capacity=5, count=count)
    meta, arrays = snapshot.unpack(snapshot.pack("TrajectoryBuffer", *buffer.to_state()), "TrajectoryBuffer")
    for copy in (TrajectoryBuffer.from_state(meta, arrays),
                 TrajectoryBuffer.from_dict(json.loads(json.dumps(buffer.to_dict())))):
        assert json.dumps(copy.to_dict()) == json.dumps(buffer.to_dict())
        assert copy.total_count == buffer.total_count and len(copy) == len(buffer)
        copy.record(embedding(99), 1, 1, 1.0, 3.0)
        buffer_copy = TrajectoryBuffer.from_dict(buffer.to_dict())
        buffer_copy.record(embedding(99), 1, 1, 1.0, 3.0)
        assert json.dumps(copy.to_dict()) == json.dumps(buffer_copy.to_dict())


@pytest.mark.parametrize("change", [
    lambda m, a: m.update(capacity=0),
    lambda m, a: m.update(total_count=1),
    lambda m, a: a.update(op_types=a["op_types"] + 20),
    lambda m, a: a.update(exec_ms=-a["exec_ms"]),
    lambda m, a: a.update(baseline_ms=a["baseline_ms"].astype(np.float32)),
    lambda m, a: a["embeddings"].__setitem__((0, 0), np.nan),
    lambda m, a: a.update(embeddings=a["embeddings"][:, :-1]),
    lambda m, a: a.pop("attention_types"),
])
def test_inconsistent_states_are_refused(change) -> None:
    meta, arrays = filled().to_state()
    change(meta, arrays)
    with pytest.raises(ValueError, match="invalid TrajectoryBuffer state"):
        TrajectoryBuffer.from_state(meta, arrays)
