"""OperatorType numbering and categories, and ScopedLoRA: per-operator adapters, category fallback
blending, transfer through the category (and not across categories), refusals and persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ruvllm_web import snapshot
from ruvllm_web.lora.operators import (
    CATEGORY_MEMBERS,
    OperatorCategory,
    OperatorType,
    as_operator,
    category_name,
    category_of,
    scope_name,
)
from ruvllm_web.lora.scoped import FALLBACK_ADAPTATIONS, ScopedLoRA

DIM = 16
NAMES = ["Scan", "Filter", "Join", "Aggregate", "Project", "Sort", "Limit", "GroupBy", "IndexScan", "HnswScan",
         "IvfFlatScan", "NestedLoopJoin", "HashJoin", "MergeJoin", "VectorDistance", "Rerank", "Materialize"]


def vector(seed: int, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def state_of(scoped: ScopedLoRA) -> str:
    return json.dumps(scoped.to_dict())


def test_operator_numbering_and_names_follow_the_spec() -> None:
    assert len(OperatorType) == 17
    assert [scope_name(op) for op in range(17)] == NAMES
    assert [int(op) for op in OperatorType] == list(range(17))
    assert ScopedLoRA.scope_name(0) == "Scan" and ScopedLoRA.scope_name(OperatorType.HASH_JOIN) == "HashJoin"
    assert OperatorType.JOIN == 2 and OperatorType.MATERIALIZE == 16


def test_categories_are_exactly_the_spec_sets() -> None:
    expected = {"Scan": {0, 8, 9, 10}, "Join": {2, 11, 12, 13}, "Aggregation": {3, 7}, "Transform": {1, 4},
                "Order": {5, 6}, "Vector": {14, 15}, "Utility": {16}}
    assert {category_name(c): {int(op) for op in ops} for c, ops in CATEGORY_MEMBERS.items()} == expected
    assert all(op in CATEGORY_MEMBERS[category_of(op)] for op in OperatorType)
    assert category_of(12) is OperatorCategory.JOIN


@pytest.mark.parametrize("value, error", [(-1, ValueError), (17, ValueError), ("2", TypeError), (2.0, TypeError),
                                          (True, TypeError), (None, TypeError)])
def test_bad_operators_are_refused(value, error) -> None:
    with pytest.raises(error, match="op_type"):
        as_operator(value)
    scoped = ScopedLoRA(DIM)
    scoped.forward(2, vector(1))
    before = state_of(scoped)
    for call in (lambda: scoped.forward(value, vector(2)), lambda: scoped.adapt(value, vector(3)),
                 lambda: scoped.adapt_with_reward(value, 0.5), lambda: scoped.adapt_count(value),
                 lambda: scoped.reset_scope(value), lambda: scope_name(value)):
        with pytest.raises(error):
            call()
    assert state_of(scoped) == before


def test_new_scoped_adapter_is_the_identity_everywhere() -> None:
    scoped = ScopedLoRA(DIM)
    x = vector(4)
    assert all(np.array_equal(scoped.forward(op, x), x) for op in OperatorType)
    assert scoped.total_adapt_count() == 0 and scoped.category_fallback
    assert scoped.param_count == 24 * 2 * 2 * DIM


def test_blend_weight_grows_with_the_operators_own_count() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1)
    op = OperatorType.HASH_JOIN
    for count in range(FALLBACK_ADAPTATIONS + 2):
        x = vector(100 + count)
        own, category = scoped.operator_adapter(op), scoped.category_adapter(op)
        w = min(count, FALLBACK_ADAPTATIONS) / FALLBACK_ADAPTATIONS
        assert scoped.blend_weight(op) == w
        expected = w * own.forward(x).astype(np.float64) + (1 - w) * category.forward(x).astype(np.float64)
        np.testing.assert_allclose(scoped.forward(op, x), expected, rtol=1e-6, atol=1e-6)
        assert scoped.adapt(op, vector(200 + count))
        assert scoped.adapt_count(op) == count + 1
    scoped.set_category_fallback(False)
    assert scoped.blend_weight(op) == 1.0


def test_fallback_off_uses_only_the_operators_adapter() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1, category_fallback=False)
    x = vector(5)
    scoped.forward(OperatorType.JOIN, x)
    scoped.adapt(OperatorType.JOIN, vector(6))
    assert np.array_equal(scoped.forward(OperatorType.HASH_JOIN, x), x)  # category trained, but not used
    np.testing.assert_array_equal(scoped.forward(OperatorType.JOIN, x),
                                  scoped.operator_adapter(OperatorType.JOIN).forward(x))


def test_every_adaptation_trains_the_operator_and_its_category_only() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1)
    before = scoped.to_dict()["adapters"]
    scoped.forward(OperatorType.MERGE_JOIN, vector(7))
    assert scoped.adapt_with_reward(OperatorType.MERGE_JOIN, 0.8)
    after = scoped.to_dict()["adapters"]
    changed = {i for i, (a, b) in enumerate(zip(before, after)) if a["b"] != b["b"]}
    assert changed == {int(OperatorType.MERGE_JOIN), 17 + int(OperatorCategory.JOIN)}
    assert scoped.adapt_count(OperatorType.MERGE_JOIN) == 1 and scoped.total_adapt_count() == 1


def test_learning_on_one_join_transfers_to_another_join_and_not_to_a_scan() -> None:
    """Train Join (2) toward x + x W; unadapted HashJoin (12) gets closer to it, Scan (0) stays the identity."""
    rng = np.random.default_rng(9)
    hidden = 0.1 * (rng.standard_normal((DIM, 2)) / 4) @ rng.standard_normal((2, DIM))
    train = rng.standard_normal((32, DIM)).astype(np.float32)
    held_out = rng.standard_normal((32, DIM)).astype(np.float32)
    scoped = ScopedLoRA(DIM, 0.1, 0.5)

    def loss(op: OperatorType) -> float:
        probe = ScopedLoRA.from_dict(scoped.to_dict())  # forward records inputs: probe a copy
        return float(np.mean([np.sum((probe.forward(op, x) - (x + x @ hidden)) ** 2) for x in held_out]))

    start_hash, start_scan = loss(OperatorType.HASH_JOIN), loss(OperatorType.SCAN)
    for step in range(400):
        x = train[step % len(train)]
        out = scoped.forward(OperatorType.JOIN, x)
        scoped.adapt(OperatorType.JOIN, out - (x + x @ hidden).astype(np.float32))
    assert scoped.adapt_count(OperatorType.HASH_JOIN) == 0
    assert loss(OperatorType.HASH_JOIN) <= 0.2 * start_hash
    assert loss(OperatorType.SCAN) == start_scan
    x = held_out[0]
    assert np.array_equal(scoped.forward(OperatorType.SCAN, x), x)


def test_adapt_before_any_input_says_so() -> None:
    scoped = ScopedLoRA(DIM)
    assert scoped.adapt(OperatorType.SORT, vector(1)) is False
    assert scoped.adapt_with_reward(OperatorType.SORT, 1.0) is False
    assert scoped.total_adapt_count() == 0
    scoped.forward(OperatorType.LIMIT, vector(2))
    scoped.reset_scope(OperatorType.LIMIT)  # the reset forgets the manager's last input with its own
    assert scoped.adapt_with_reward(OperatorType.SORT, 1.0) is False
    assert scoped.total_adapt_count() == 0 and scoped.to_dict()["last_op"] is None


def test_the_documents_sequence_adapts_at_the_managers_last_input() -> None:
    """forward_array(SCAN, input) then adapt_with_reward(JOIN, 0.25), as the learning-wasm document has it."""
    x = np.full(DIM, 0.1, dtype=np.float32)
    scoped = ScopedLoRA(DIM, 0.1, 0.01)
    scoped.forward(OperatorType.SCAN, x)
    assert scoped.adapt_with_reward(OperatorType.JOIN, 0.25) is True
    assert scoped.adapt_count(OperatorType.SCAN) == 0 and scoped.adapt_count(OperatorType.JOIN) == 1
    assert scoped.total_adapt_count() == 1
    assert scoped.operator_adapter(OperatorType.JOIN).last_input is None  # a reward records no input
    # The same step as rewarding Join at x itself: both Join's own adapter and the Join category's.
    twin = ScopedLoRA(DIM, 0.1, 0.01)
    twin.forward(OperatorType.JOIN, x)
    twin.adapt_with_reward(OperatorType.JOIN, 0.25)
    for op in (OperatorType.JOIN, OperatorType.HASH_JOIN):
        np.testing.assert_array_equal(scoped.category_adapter(op).forward(x), twin.category_adapter(op).forward(x))
    np.testing.assert_array_equal(scoped.operator_adapter(OperatorType.JOIN).forward(x),
                                  twin.operator_adapter(OperatorType.JOIN).forward(x))
    # A gradient step takes the latest input of any operator, which then becomes the operator's own.
    y = vector(5)
    scoped.forward(OperatorType.LIMIT, y)
    assert scoped.adapt(OperatorType.SORT, vector(6)) is True and scoped.adapt_count(OperatorType.SORT) == 1
    np.testing.assert_array_equal(scoped.operator_adapter(OperatorType.SORT).last_input, y)


def test_the_managers_last_input_survives_a_snapshot_and_old_states_still_load() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1)
    scoped.forward(OperatorType.FILTER, vector(1))
    meta, arrays = snapshot.unpack(snapshot.pack("ScopedLoRA", *scoped.to_state()), "ScopedLoRA")
    copy = ScopedLoRA.from_state(meta, arrays)
    assert copy.adapt_with_reward(OperatorType.RERANK, 0.5) and scoped.adapt_with_reward(OperatorType.RERANK, 0.5)
    assert state_of(copy) == state_of(scoped)
    older = scoped.to_dict()
    del older["last_op"]  # a state saved before the manager kept its last input
    assert ScopedLoRA.from_dict(older).adapt_with_reward(OperatorType.SORT, 0.5) is False
    for bad in (17, "2", 2.5):
        with pytest.raises(ValueError, match="invalid ScopedLoRA state: last_op"):
            ScopedLoRA.from_dict({**scoped.to_dict(), "last_op": bad})


def test_bad_vectors_and_scalars_change_nothing() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1)
    scoped.forward(OperatorType.JOIN, vector(1))
    scoped.adapt(OperatorType.JOIN, vector(2))
    before = state_of(scoped)
    bad_calls = [
        (lambda: scoped.forward(2, np.ones(DIM + 1)), ValueError),
        (lambda: scoped.forward(2, np.full(DIM, np.nan, dtype=np.float32)), ValueError),
        (lambda: scoped.forward(12, np.full(DIM, np.inf, dtype=np.float32)), ValueError),
        (lambda: scoped.adapt(2, [np.nan] * DIM), ValueError),
        (lambda: scoped.adapt(2, "gradient"), TypeError),
        (lambda: scoped.adapt_with_reward(2, float("inf")), ValueError),
        (lambda: scoped.adapt_with_reward(2, "0.5"), TypeError),
        (lambda: scoped.set_category_fallback(1), TypeError),
    ]
    for call, error in bad_calls:
        with pytest.raises(error):
            call()
    assert state_of(scoped) == before


def test_reset_scope_and_reset_all() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1)
    for op in (OperatorType.JOIN, OperatorType.SCAN):
        scoped.forward(op, vector(int(op)))
        scoped.adapt(op, vector(10 + int(op)))
    scoped.reset_scope(OperatorType.JOIN)
    assert scoped.adapt_count(OperatorType.JOIN) == 0 and scoped.adapt_count(OperatorType.SCAN) == 1
    assert scoped.category_adapter(OperatorType.JOIN).adapt_count == 1  # shared: kept
    scoped.reset_all()
    assert state_of(scoped) == state_of(ScopedLoRA(DIM, 0.5, 0.1))


def test_state_round_trips_through_a_snapshot_and_json() -> None:
    scoped = ScopedLoRA(DIM, 0.5, 0.1, rank=3, seed=4, category_fallback=False)
    scoped.forward(OperatorType.RERANK, vector(1))
    scoped.adapt(OperatorType.RERANK, vector(2))
    meta, arrays = snapshot.unpack(snapshot.pack("ScopedLoRA", *scoped.to_state()), "ScopedLoRA")
    copy = ScopedLoRA.from_state(meta, arrays)
    assert state_of(copy) == state_of(scoped)
    assert state_of(ScopedLoRA.from_dict(json.loads(state_of(scoped)))) == state_of(scoped)
    x = vector(3)
    assert np.array_equal(copy.forward(OperatorType.RERANK, x), scoped.forward(OperatorType.RERANK, x))


@pytest.mark.parametrize("change", [
    lambda m, a: m.update(adapters=m["adapters"][:-1]),
    lambda m, a: m.update(category_fallback="yes"),
    lambda m, a: m["adapters"][3].update(seed=99),
    lambda m, a: m["adapters"][20].update(dim=8),
    lambda m, a: a.pop("5.b"),
    lambda m, a: a["7.a"].__setitem__((0, 0), np.inf),
])
def test_inconsistent_states_are_refused(change) -> None:
    meta, arrays = ScopedLoRA(DIM).to_state()
    change(meta, arrays)
    with pytest.raises(ValueError, match="invalid"):
        ScopedLoRA.from_state(meta, arrays)
