"""Every input the engine accepts keeps it saveable: after any sequence of accepted requests, ticks and
deep runs, ``IntelligentLLM.load(engine.save())`` succeeds and the reloaded engine saves the same bytes.
Values beyond the accepted range (``|x| <= 1e6``) are refused up front, changing nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web.intelligent import IntelligentConfig, IntelligentLLM
from ruvllm_web.learning.sona import SonaConfig
from ruvllm_web.validation import MAX_EMBEDDING_VALUE

DIM = 8


def engine_with_patterns(seed: int = 0, **sona: object) -> IntelligentLLM:
    llm = IntelligentLLM(IntelligentConfig.with_dim(DIM, sona=SonaConfig(**sona)))
    rng = np.random.default_rng(seed)
    for i in range(4):
        llm.add_pattern(rng.normal(size=DIM), f"agent{i % 2}", "t", f"seed {i}")
    return llm


def assert_save_round_trips(llm: IntelligentLLM) -> None:
    saved = llm.save()
    twin = IntelligentLLM.load(saved)
    assert twin.save() == saved
    assert np.isfinite(llm.sona.ewc.fisher).all()


def test_huge_finite_inputs_are_refused_so_the_snapshot_stays_loadable() -> None:
    """The issue's scenario: requests with |x| ~ 1e15 used to pass every check, the background loop wrote
    Inf into the EWC state, and save() wrote a snapshot that load() refused."""
    llm = engine_with_patterns()
    rng = np.random.default_rng(1)
    for step in range(40):
        x = rng.normal(size=DIM) * 1e15
        with pytest.raises(ValueError, match=r"outside the accepted range \[-1e\+06, 1e\+06\]"):
            llm.process(x, "huge", 0.9)
        llm.process(x / 1e10, "within range", float(step % 2))  # the same directions, values ~1e5
        llm.tick(now=float(step))
    llm.run_deep()
    assert llm.processed == 40
    assert_save_round_trips(llm)


def test_inputs_so_small_that_their_squares_underflow_are_learned_from() -> None:
    """A tiny but nonzero input has a direction: routed and learned from like any other, never refused
    half-way (it used to be refused as "all zeros" after its outcome had been recorded)."""
    llm = engine_with_patterns()
    x = np.zeros(DIM, dtype=np.float32)
    x[:2] = 1e-30
    llm.process(x, "tiny", 0.95)
    assert llm.last_result.agent is not None and llm.sona.requests == 1
    llm.sona.tick(force=True)
    assert_save_round_trips(llm)


# Values of every magnitude the range admits, its edges included.
_VALUES = st.one_of(
    st.sampled_from([MAX_EMBEDDING_VALUE, -MAX_EMBEDDING_VALUE, 0.0, 1e-38, -1e-30, 1e-45]),
    st.floats(-MAX_EMBEDDING_VALUE, MAX_EMBEDDING_VALUE, allow_nan=False, width=32),
)
_VECTORS = st.lists(_VALUES, min_size=DIM, max_size=DIM).filter(lambda v: any(v))
_STEPS = st.lists(
    st.tuples(st.sampled_from(["process", "learn", "adapt", "tick", "deep"]), _VECTORS, st.floats(0.0, 1.0)),
    min_size=1,
    max_size=24,
)


@settings(max_examples=60, deadline=None)
@given(steps=_STEPS)
def test_any_accepted_sequence_saves_a_snapshot_that_loads_as_the_same_engine(steps) -> None:
    llm = engine_with_patterns(min_batch=1, consolidate_every=2, instant_lr=0.5, alpha=1.0)
    for i, (kind, values, quality) in enumerate(steps):
        x = np.array(values, dtype=np.float32)
        if kind == "process":
            llm.process(x, f"request {i}", quality)
        elif kind == "learn":
            llm.learn_pattern(x, f"agent{i % 3}", "t", f"taught {i}", quality)
        elif kind == "adapt":
            llm.adapt(x, quality)
        elif kind == "tick":
            llm.tick(now=float(i))
        else:
            llm.run_deep()
    llm.tick(now=1e6)
    assert_save_round_trips(llm)


_ANY_FLOAT32 = st.one_of(
    st.sampled_from([3.4e38, -3e38, 1e15, 1e-30, 1e-45, 0.0, np.nan, np.inf]),
    st.floats(width=32),
)


@settings(max_examples=80, deadline=None)
@given(
    call=st.sampled_from(["process", "route", "adapt", "learn_pattern", "add_pattern"]),
    values=st.lists(_ANY_FLOAT32, min_size=DIM, max_size=DIM),
    quality=st.one_of(st.floats(0.0, 1.0), st.sampled_from([-0.5, 1.5, np.nan])),
)
def test_a_call_either_succeeds_or_changes_nothing(call, values, quality) -> None:
    """Validate fully, then mutate: whatever the vector, a refused call leaves the engine as it was."""
    llm = engine_with_patterns()
    llm.process(np.ones(DIM), "warm", 0.9)
    before = llm.save()
    x = np.array(values, dtype=np.float32)
    calls = {
        "process": lambda: llm.process(x, "c", quality),
        "route": lambda: llm.route(x),
        "adapt": lambda: llm.adapt(x, quality),
        "learn_pattern": lambda: llm.learn_pattern(x, "agent0", "t", "d", quality),
        "add_pattern": lambda: llm.add_pattern(x, "agent0", "t"),
    }
    try:
        calls[call]()
    except ValueError:
        assert llm.save() == before
    else:
        assert_save_round_trips(llm)
