"""HnswIndex and HnswRouter inside real Pyodide: recall against brute force, exactness
when small, removal, snapshots, bad input and routing, as on CPython."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_index_recall_removal_and_round_trip(selenium):
    import numpy as np

    from ruvllm_web import HnswIndex
    from ruvllm_web.dense import USES_BLAS

    assert not USES_BLAS  # Pyodide's numpy has no BLAS: the einsum kernel is used
    rng = np.random.default_rng(1)
    for dim, noise in ((384, 0.05), (32, 0.15)):  # the 32-dim index is kept for what follows
        centres = rng.standard_normal((10, dim)).astype(np.float32)
        data = (centres[rng.integers(0, 10, 1100)] + noise * rng.standard_normal((1100, dim))).astype(np.float32)
        unit = data / np.linalg.norm(data, axis=1, keepdims=True)
        index = HnswIndex(dim, exact_threshold=0)
        index.add_batch(data[:1000])
        hits = 0
        for query in data[1000:]:
            ids, scores = index.search(query, 10)
            truth = np.argsort(-(unit[:1000] @ (query / np.linalg.norm(query))))[:10]
            hits += len(set(ids.tolist()) & set(truth.tolist()))
            assert np.all(np.diff(scores) <= 0)
        assert hits / 1000 >= 0.95, (dim, hits)
        wide, _ = index.search(data[0], 300, ef=300)  # a wide beam expands 8 nodes per step
        assert len(set(wide.tolist())) == 300
    for ident in range(0, 1000, 4):
        index.remove(ident)
    for ident in range(1, 1000, 37):
        if ident % 4:  # still present
            assert index.search(data[ident], 1)[0][0] == ident
    assert not {int(i) for i in index.search(data[0], 50)[0]} & set(range(0, 1000, 4))
    loaded = HnswIndex.from_bytes(index.to_bytes())
    for query in data[1000:1020]:
        for a, b in zip(index.search(query, 10), loaded.search(query, 10)):
            assert np.array_equal(a, b)


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_copies_churn_keeps_every_node_reachable(selenium):
    """Adds and removals among many copies of 3 vectors (the wasm32 int32 index paths of the in-degree
    bookkeeping and of the reachability repair): every node stays reachable after every operation, and
    the in-degrees equal a count over the lists, also after a round trip."""
    import numpy as np

    from ruvllm_web import HnswIndex

    vectors = np.random.default_rng(13).standard_normal((3, 6)).astype(np.float32)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        index = HnswIndex(6, m=4, ef_construction=16, ef_search=8, exact_threshold=0, seed=seed)
        live = []
        for _ in range(80):
            if live and rng.random() < 0.3:
                index.remove(live.pop(int(rng.integers(len(live)))))
            else:
                live.append(index.add(vectors[rng.integers(3)]))
            layer0 = index._links.layer0
            seen, todo = {index._entry}, [index._entry]
            while todo:
                for target in layer0[todo.pop()].tolist():
                    if target >= 0 and target not in seen:
                        seen.add(target)
                        todo.append(target)
            assert seen >= set(index._slot_of.values()), seed
        for graph in (index, HnswIndex.from_bytes(index.to_bytes())):
            layer0 = graph._links.layer0[: graph._high]
            counted = np.bincount(layer0[layer0 >= 0], minlength=graph._high)
            assert np.array_equal(graph._links.in_degrees(np.arange(graph._high), 0), counted), seed


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_index_small_is_exact_and_bad_input_is_refused(selenium):
    import numpy as np

    from ruvllm_web import HnswIndex

    data = np.random.default_rng(2).standard_normal((60, 8)).astype(np.float32)
    for metric in ("cosine", "dot", "l2"):
        index = HnswIndex(8, metric=metric)
        index.add_batch(data[:50])
        for query in data[50:]:
            if metric == "cosine":
                scores = (data[:50] / np.linalg.norm(data[:50], axis=1, keepdims=True)) @ query
            elif metric == "dot":
                scores = data[:50] @ query
            else:
                scores = -np.linalg.norm(data[:50] - query, axis=1)
            assert index.search(query, 5)[0].tolist() == np.argsort(-scores)[:5].tolist()
    index = HnswIndex(8)
    assert index.search(data[0], 3)[0].shape == (0,)
    for call in (
        lambda: index.add(np.zeros(8)),
        lambda: index.add(np.ones(7)),
        lambda: index.add(np.full(8, np.nan)),
        lambda: index.add(np.array([1, np.inf, -np.inf, 0, 0, 0, 0, 0], dtype=np.float32)),
        lambda: index.search(data[0], 0),
        lambda: index.remove(5),
    ):
        try:
            call()
        except ValueError:
            pass
        else:
            raise AssertionError("bad input was accepted")
    assert len(index) == 0
    # finite values whose squares overflow float32 pass the finiteness check (its exact fallback) in wasm32 too
    index.add(np.full(8, 3e38, dtype=np.float32))
    assert len(index) == 1


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_router_routes_learns_and_round_trips(selenium):
    import json

    import numpy as np

    from ruvllm_web import HnswRouter, RouterConfig

    rng = np.random.default_rng(3)
    code, prose = rng.standard_normal(16), rng.standard_normal(16)
    router = HnswRouter(RouterConfig(dim=16, top_k=5))
    assert router.route(code).agent is None
    for i in range(5):
        router.add_pattern(code + 0.05 * rng.standard_normal(16), "coder", "code")
        router.learn_pattern(prose + 0.05 * rng.standard_normal(16), "writer", "prose", "text", 0.9)
    result = router.route(code)
    assert result.agent == "coder" and 0.5 < result.confidence <= 1.0
    assert router.record_outcome(result, True) >= 1
    assert json.loads(json.dumps(router.stats()))["total_patterns"] == len(router)
    loaded = HnswRouter.from_bytes(router.to_bytes())
    assert loaded.patterns() == router.patterns()
    assert loaded.route(prose).agent == "writer"


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_router_filters_by_task_type_like_brute_force(selenium):
    import numpy as np

    from ruvllm_web import HnswRouter, RouterConfig

    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((50, 16)).astype(np.float32)
    tasks = ["common" if i % 10 else "rare" for i in range(50)]
    router = HnswRouter(RouterConfig(dim=16, top_k=3))
    ids = [router.add_pattern(v, "agent", t) for v, t in zip(vectors, tasks)]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for query in rng.standard_normal((5, 16)).astype(np.float32):
        for task in ("common", "rare"):
            members = [i for i, t in enumerate(tasks) if t == task]
            order = np.argsort(-(unit[members] @ (query / np.linalg.norm(query))))[:3]
            got = [n.pattern_id for n in router.route(query, task_type=task).neighbors]
            assert got == [ids[members[j]] for j in order], (task, got)
