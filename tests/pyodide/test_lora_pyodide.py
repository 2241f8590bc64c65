"""MicroLoRA, ScopedLoRA and TrajectoryBuffer inside real Pyodide: the key learning, allocation,
refusal and persistence checks of the unit tests, run on Pyodide's numpy (no BLAS)."""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_adapt_matches_finite_differences(selenium):
    import numpy as np
    from ruvllm_web import MicroLoRA

    lora = MicroLoRA(8, 0.5, 0.1, rank=3, seed=3, max_grad_norm=1e9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        lora.forward(rng.standard_normal(8).astype(np.float32))
        lora.adapt(rng.standard_normal(8).astype(np.float32))
    x, target = rng.standard_normal(8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    a0, b0 = lora.a.astype(np.float64), lora.b.astype(np.float64)
    assert lora.adapt(lora.forward(x) - target)
    x64, t64 = x.astype(np.float64), target.astype(np.float64)

    def loss(a, b):
        return 0.5 * float(np.sum((x64 + lora.alpha * (x64 @ a) @ b - t64) ** 2))

    for weights, after, is_a in ((a0, lora.a, True), (b0, lora.b, False)):
        numeric = np.zeros_like(weights)
        for index in np.ndindex(weights.shape):
            plus, minus = weights.copy(), weights.copy()
            plus[index] += 1e-6
            minus[index] -= 1e-6
            pair = ((plus, b0), (minus, b0)) if is_a else ((a0, plus), (a0, minus))
            numeric[index] = (loss(*pair[0]) - loss(*pair[1])) / 2e-6
        step = (after.astype(np.float64) - weights) / -lora.learning_rate
        assert np.allclose(step, numeric, rtol=2e-3, atol=2e-5)


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_adapt_learns_a_hidden_low_rank_map(selenium):
    import math

    import numpy as np
    from ruvllm_web import MicroLoRA

    dim, rng = 32, np.random.default_rng(7)
    hidden = 0.1 * (rng.standard_normal((dim, 2)) / math.sqrt(dim)) @ rng.standard_normal((2, dim))
    train = rng.standard_normal((64, dim)).astype(np.float32)
    held_out = rng.standard_normal((64, dim)).astype(np.float32)
    lora = MicroLoRA(dim, 0.1, 0.5, rank=2, seed=1)

    def loss():
        a, b = lora.a.astype(np.float64), lora.b.astype(np.float64)
        errors = [x + 0.1 * (x @ a) @ b - (x + x @ hidden) for x in held_out.astype(np.float64)]
        return float(np.mean(np.sum(np.square(errors), axis=1)))

    start = loss()
    for step in range(1000):
        x = train[step % 64]
        lora.adapt(lora.forward(x) - (x + x @ hidden).astype(np.float32))
    assert loss() <= 0.1 * start and lora.adapt_count == 1000


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_reward_sign_and_no_op_updates(selenium):
    import numpy as np
    from ruvllm_web import MicroLoRA

    lora = MicroLoRA(16, 0.5, 0.05, seed=2)
    assert lora.adapt(np.ones(16, dtype=np.float32)) is False  # no input yet
    x = np.random.default_rng(1).standard_normal(16).astype(np.float32)
    u = x.astype(np.float64) / np.linalg.norm(x)
    for reward in (3.0, -3.0, 1e6, -1e6):
        lora.forward(x)
        before = float((lora.forward(x) - x) @ u)
        assert lora.adapt_with_reward(reward)
        assert np.sign(float((lora.forward(x) - x) @ u) - before) == np.sign(reward)
    count = lora.adapt_count
    assert lora.adapt(np.zeros(16, dtype=np.float32)) is False and lora.adapt_count == count


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_zero_allocation_forward_has_no_net_allocation(selenium):
    import tracemalloc

    import numpy as np
    from ruvllm_web import MicroLoRA

    lora = MicroLoRA(256)
    x = np.random.default_rng(3).standard_normal(256).astype(np.float32)
    out = np.empty(256, dtype=np.float32)
    lora.input_buffer[:] = x
    for call in (lambda: lora.forward_into(x, out), lora.forward_buffers):
        for _ in range(10):
            call()
        tracemalloc.start()
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(2000):
            call()
        end, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # No array survives a call. Pyodide's numpy has no BLAS: its dot takes a
        # transient workspace that it frees before returning, so the peak is a
        # few KB, the same for 1 call or 2000.
        assert end - start <= 64
        assert peak - start < 16384
    assert np.array_equal(lora.output_buffer, lora.forward(x))


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_refusals_leave_state_unchanged(selenium):
    import json

    import numpy as np
    from ruvllm_web import MicroLoRA, ScopedLoRA, TrajectoryBuffer

    lora = MicroLoRA(8, 0.5, 0.1)
    lora.forward(np.ones(8, dtype=np.float32))
    lora.adapt(np.ones(8, dtype=np.float32))
    scoped = ScopedLoRA(8)
    buffer = TrajectoryBuffer(4, 8)
    buffer.record(np.ones(8, dtype=np.float32), 2, 1, 10.0, 20.0)
    states = [json.dumps(obj.to_dict()) for obj in (lora, scoped, buffer)]
    bad = [
        (lambda: lora.forward(np.ones(7)), ValueError),
        (lambda: lora.forward(np.full(8, np.nan, dtype=np.float32)), ValueError),
        (lambda: lora.adapt("g"), TypeError),
        (lambda: scoped.forward(17, np.ones(8)), ValueError),
        (lambda: scoped.forward(2, [np.inf] * 8), ValueError),
        (lambda: buffer.record(np.ones(8), 2, 1, 0.0, 20.0), ValueError),
        (lambda: buffer.record(np.ones(8), 2, 1, float("nan"), 20.0), ValueError),
        (lambda: buffer.record(np.ones(8), 99, 1, 1.0, 20.0), ValueError),
    ]
    for call, error in bad:
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"no {error.__name__}")
    assert [json.dumps(obj.to_dict()) for obj in (lora, scoped, buffer)] == states


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_scoped_transfer_and_trajectory_statistics(selenium):
    import numpy as np
    from ruvllm_web import OperatorType, ScopedLoRA, TrajectoryBuffer, scope_name

    assert [scope_name(op) for op in (0, 9, 12, 16)] == ["Scan", "HnswScan", "HashJoin", "Materialize"]
    dim, rng = 16, np.random.default_rng(9)
    hidden = 0.1 * (rng.standard_normal((dim, 2)) / 4) @ rng.standard_normal((2, dim))
    train = rng.standard_normal((32, dim)).astype(np.float32)
    scoped = ScopedLoRA(dim, 0.1, 0.5)
    probe = train[0]
    start = float(np.sum((probe + probe @ hidden - probe) ** 2))
    for step in range(400):
        x = train[step % 32]
        scoped.adapt(OperatorType.JOIN, scoped.forward(OperatorType.JOIN, x) - (x + x @ hidden).astype(np.float32))
    assert float(np.sum((scoped.forward(OperatorType.HASH_JOIN, probe) - (probe + probe @ hidden)) ** 2)) < 0.2 * start
    assert np.array_equal(scoped.forward(OperatorType.SCAN, probe), probe)

    buffer = TrajectoryBuffer(3, dim)
    for i, (attention, exec_ms, baseline_ms) in enumerate([(1, 10.0, 20.0), (2, 10.0, 5.0), (1, 10.0, 12.0),
                                                            (3, 10.0, 40.0)]):
        buffer.record(train[i], i, attention, exec_ms, baseline_ms)
    assert len(buffer) == 3 and buffer.total_count == 4
    assert buffer.best_improvement() == 3.0 and buffer.best_attention() == 3
    assert abs(buffer.success_rate() - 2 / 3) < 1e-12 and buffer.high_quality_count(0.5) == 1
    assert buffer.recent(2).op_types.tolist() == [2, 3]
    copy = TrajectoryBuffer.from_state(*buffer.to_state())
    assert copy.to_dict() == buffer.to_dict()


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_trajectories_count_by_operator_on_wasm32(selenium):
    # np.bincount takes intp (int32 here): the op column must not reach it as int64.
    import numpy as np
    from ruvllm_web import bridge, scope_name

    handle = bridge.create(901, "TrajectoryBuffer", {"capacity": 4, "dim": 8})
    for op in (2, 2, 16, 0, 2):
        bridge.invoke(handle, "record", np.ones(8, dtype=np.float32), op, 0, 10.0, 20.0)
    counts = bridge.invoke(handle, "count_by_operator")
    assert list(counts) == [scope_name(op) for op in range(17)]
    assert (counts["Scan"], counts["Join"], counts["Materialize"], sum(counts.values())) == (1, 2, 1, 4)
    bridge.free(handle)
