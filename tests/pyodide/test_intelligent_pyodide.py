"""IntelligentLLM inside real Pyodide (Node): process, route, learn_pattern and tick change what it
routes as on CPython; a saved engine reloads bit-exactly and answers identically; a corrupt snapshot
is refused and leaves the running engine untouched."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_process_route_learn_and_tick(selenium):
    import numpy as np
    from ruvllm_web import IntelligentConfig, IntelligentLLM

    dim, rng = 48, np.random.default_rng(11)
    centres = rng.standard_normal((3, dim)).astype(np.float32)
    llm = IntelligentLLM(IntelligentConfig.with_dim(dim))
    for a, centre in enumerate(centres):
        llm.add_pattern(centre, f"agent{a}", f"task{a}", "seed")
    for a, centre in enumerate(centres):
        query = centre + 0.2 * rng.standard_normal(dim).astype(np.float32)
        out = llm.process(query, "request", None)
        assert out.dtype == np.float32 and out.shape == (dim,)
        assert llm.last_result.agent == f"agent{a}" and llm.route(query).agent == f"agent{a}"

    novel = rng.standard_normal(dim).astype(np.float32)
    llm.learn_pattern(novel, "newcomer", "new_task", "a new kind of request", 1.0)
    assert (llm.route(novel).agent, llm.route(novel).task_type) == ("newcomer", "new_task")

    before = len(llm.router)
    for _ in range(6):  # confirmed routes near agent0 wait for the background loop
        llm.process(centres[0] + 0.3 * rng.standard_normal(dim).astype(np.float32), "confirmed", 1.0)
    report = llm.tick(now=1000.0)
    assert report is not None and report["trajectories"] >= 6 and report["learned"] > 0
    assert len(llm.router) > before
    stats = llm.stats()
    assert stats["sona"]["background"]["ticks"] == 1 and stats["totalPatterns"] == len(llm.router)
    assert llm.tick(now=1000.01) is None  # the interval has not passed


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_save_load_round_trip_is_bit_exact(selenium):
    import numpy as np
    from ruvllm_web import IntelligentConfig, IntelligentLLM

    dim, rng = 32, np.random.default_rng(12)
    llm = IntelligentLLM(IntelligentConfig.with_dim(dim))
    rows = rng.standard_normal((24, dim)).astype(np.float32)
    for i, row in enumerate(rows[:12]):
        llm.add_pattern(row, f"agent{i % 3}", "task", "seed")
    for i, row in enumerate(rows):
        llm.process(row, f"r{i}", float(i % 2))
        if i % 5 == 4:
            llm.learn_pattern(row, f"agent{(i + 1) % 3}", "task", "fix", 1.0)
    llm.tick(now=50.0)
    blob = llm.save()
    twin = IntelligentLLM.load(blob)
    assert twin.save() == blob
    for i, row in enumerate(rows):
        assert np.array_equal(twin.process(row, "again", 0.7), llm.process(row, "again", 0.7))
        assert twin.last_result.to_dict() | {"latency_us": 0} == llm.last_result.to_dict() | {"latency_us": 0}
    assert twin.tick(now=99.0) == llm.tick(now=99.0)
    assert np.array_equal(twin.sona.instant_lora.b, llm.sona.instant_lora.b)
    assert np.array_equal(twin.sona.base_lora.a, llm.sona.base_lora.a)


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_corrupt_snapshots_are_refused_and_change_nothing(selenium):
    import numpy as np
    from ruvllm_web import IntelligentConfig, IntelligentLLM

    dim, rng = 16, np.random.default_rng(13)
    llm = IntelligentLLM(IntelligentConfig.with_dim(dim))
    for i in range(6):
        llm.add_pattern(rng.standard_normal(dim).astype(np.float32), f"agent{i % 2}", "task")
    llm.process(rng.standard_normal(dim).astype(np.float32), "warm", 0.9)
    good = llm.save()
    vector = np.ones(dim, dtype=np.float32)
    refusals = [  # (what is tried, the error it must raise)
        (lambda: IntelligentLLM.load(good[: len(good) // 2]), ValueError),  # truncated
        (lambda: IntelligentLLM.load(good[:100] + bytes([good[100] ^ 1]) + good[101:]), ValueError),  # bit flip
        (lambda: IntelligentLLM.load(b"GARBAGE!" + good[8:]), ValueError),  # foreign magic
        (lambda: IntelligentLLM.load(b""), ValueError),
        (lambda: IntelligentLLM.load("not bytes"), (TypeError, ValueError)),
        (lambda: llm.process(np.ones(dim + 1, dtype=np.float32), "c", 0.5), ValueError),
        (lambda: llm.process(np.full(dim, np.nan, dtype=np.float32), "c", 0.5), ValueError),
        (lambda: llm.process(np.full(dim, 1e15, dtype=np.float32), "c", 0.9), ValueError),  # beyond [-1e6, 1e6]
        (lambda: llm.learn_pattern(vector, "a", "t", "d", 1.5), ValueError),
        (lambda: llm.process(vector, 7, 0.5), TypeError),
    ]
    for number, (call, errors) in enumerate(refusals):
        try:
            call()
        except errors:
            pass
        else:
            raise AssertionError(f"refusal {number} raised nothing")
        assert llm.save() == good, f"refusal {number} changed the engine"


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_inputs_at_the_range_edges_keep_the_snapshot_loadable(selenium):
    import numpy as np
    from ruvllm_web import IntelligentConfig, IntelligentLLM

    llm, rng = IntelligentLLM(IntelligentConfig.with_dim(16)), np.random.default_rng(14)
    for step in range(60):  # values at the edge (1e6), tiny (squares underflow) and ordinary, in turn
        x = rng.standard_normal(16)
        x = (x * ([1e6, 1e-30, 1.0][step % 3] / np.abs(x).max())).astype(np.float32)
        if step < 6:
            llm.learn_pattern(x, f"agent{step % 2}", "task", "seed", 1.0)
        llm.process(x, f"request {step}", float(step % 2))
        llm.tick(now=float(step))
    llm.run_deep()
    saved = llm.save()
    assert IntelligentLLM.load(saved).save() == saved
