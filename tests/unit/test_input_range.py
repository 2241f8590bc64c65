"""Every input the engine accepts keeps it saveable: after any sequence of accepted requests, ticks and
deep runs, ``IntelligentLLM.load(engine.save())`` succeeds and the reloaded engine saves the same bytes.
Values beyond the accepted range (``|x| <= 1e6``) are refused up front, changing nothing."""

from __future__ import annotations

import numpy as np
import pytest

from ruvllm_web.intelligent import IntelligentConfig, IntelligentLLM
from ruvllm_web.sona import SonaConfig

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
