"""IntelligentLLM.last_timings: per-stage wall times of the last process() call, never part of a snapshot."""

import json

import numpy as np
import pytest

from ruvllm_web import IntelligentLLM, snapshot

KEYS = {"lora_us", "route_us", "sona_us", "total_us"}


def engine(dim: int = 16) -> IntelligentLLM:
    llm = IntelligentLLM({"router": {"dim": dim}})
    rng = np.random.default_rng(0)
    for p in range(8):
        llm.add_pattern(rng.standard_normal(dim), f"agent{p % 3}", "task")
    return llm


def test_zeros_before_the_first_process_call() -> None:
    llm = engine()
    assert llm.last_timings == dict.fromkeys(KEYS, 0.0)
    llm.route(np.ones(16))
    assert llm.last_timings == dict.fromkeys(KEYS, 0.0), "route() is not process()"


def test_every_stage_is_timed_after_process() -> None:
    llm = engine()
    llm.process(np.ones(16), "q", 0.9)
    timings = llm.last_timings
    assert set(timings) == KEYS and all(timings[key] > 0 for key in KEYS)
    assert timings["lora_us"] + timings["route_us"] + timings["sona_us"] <= timings["total_us"]


def test_a_copy_is_returned_and_a_refused_call_keeps_the_last_timings() -> None:
    llm = engine()
    llm.process(np.ones(16), "q", 0.9)
    timings = llm.last_timings
    llm.last_timings["total_us"] = -1.0
    assert llm.last_timings == timings
    with pytest.raises(ValueError, match="quality"):
        llm.process(np.ones(16), "q", 1.5)
    assert llm.last_timings == timings


def test_timings_are_not_in_snapshots_and_reset_clears_them() -> None:
    llm = engine()
    llm.process(np.ones(16), "q", 0.9)
    meta, _ = snapshot.unpack(llm.save(), "IntelligentLLM")
    text = json.dumps(meta)
    assert not any(key in text for key in KEYS)
    assert IntelligentLLM.load(llm.save()).last_timings == dict.fromkeys(KEYS, 0.0)
    llm.reset()
    assert llm.last_timings == dict.fromkeys(KEYS, 0.0)


def test_last_timings_is_read_only() -> None:
    with pytest.raises(AttributeError):
        engine().last_timings = {}
