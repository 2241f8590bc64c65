"""TopLayers: the exactly scored top of an HNSW graph, checked against a direct computation
from the levels, through any sequence of inserts and removals; and the index searching the
same after a snapshot round trip whatever the cache held."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import HnswIndex
from ruvllm_web.hnsw.top import TOP_EXACT_ROWS, TopLayers


def reference(levels: np.ndarray) -> tuple[int | None, list[int]]:
    """The lowest layer >= 1 with at most TOP_EXACT_ROWS nodes at or above it, and those nodes."""
    top = int(levels.max()) if levels.shape[0] else -1
    for layer in range(1, top + 1):
        members = np.flatnonzero(levels >= layer)
        if members.shape[0] <= TOP_EXACT_ROWS:
            return layer, members.tolist()
    return None, []


def check(top: TopLayers, levels: np.ndarray) -> None:
    layer, slots = top.get(levels)
    want_layer, want_slots = reference(levels)
    assert slots.tolist() == want_slots
    if want_layer is not None:
        assert layer == want_layer


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 400), st.integers(0, 6)),
        min_size=1,
        max_size=120,
    ),
    st.integers(0, 3),
)
def test_cached_top_always_equals_a_fresh_computation(operations, skew) -> None:
    """Inserts (of any level) and removals in any order: the cache never goes stale."""
    levels = np.full(401, -1, dtype=np.int32)
    top = TopLayers()
    rng = np.random.default_rng(skew)
    levels[:300] = np.minimum(rng.geometric(0.5 if skew else 0.9, 300) - 1, 6)  # many nodes high up when skewed
    for slot in range(300):
        top.inserted(int(levels[slot]))
    check(top, levels)
    for insert, slot, level in operations:
        if insert and levels[slot] < 0:
            levels[slot] = level
            top.inserted(level)
        elif not insert and levels[slot] >= 0:
            levels[slot] = -1
            top.removed()
        check(top, levels)
        assert top.get(levels)[1].tolist() == TopLayers().get(levels)[1].tolist()


def test_no_upper_layer_means_no_top() -> None:
    top = TopLayers()
    assert top.get(np.zeros(10, dtype=np.int32))[1].shape == (0,)
    assert top.get(np.zeros(0, dtype=np.int32))[1].shape == (0,)


def test_search_after_removals_is_the_same_after_a_round_trip() -> None:
    """Removing top-layer nodes (entry point included) changes the top; a loaded copy agrees."""
    rng = np.random.default_rng(7)
    data = rng.standard_normal((3000, 24)).astype(np.float32)
    index = HnswIndex(24, exact_threshold=0, seed=3)
    index.add_batch(data)
    layer, slots = index._top.get(index._levels[: index._high])
    assert layer >= 1 and 0 < slots.shape[0] <= TOP_EXACT_ROWS
    for slot in slots[: slots.shape[0] // 2].tolist():
        index.remove(int(index._ids[slot]))
    index.add_batch(rng.standard_normal((200, 24)).astype(np.float32))
    copy = HnswIndex.from_bytes(index.to_bytes())
    for query in rng.standard_normal((50, 24)).astype(np.float32):
        ids, scores = index.search(query, 10, ef=16)
        copy_ids, copy_scores = copy.search(query, 10, ef=16)
        np.testing.assert_array_equal(ids, copy_ids)
        np.testing.assert_array_equal(scores, copy_scores)
