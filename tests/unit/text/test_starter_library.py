"""add_starter_library and starter_task_types: the starter library seeded into a router or an engine.

Routing after seeding is checked against an exact reference: the similarity-weighted vote of the
top_k most similar library patterns, computed by brute force with numpy.
"""

from collections import Counter

import numpy as np
import pytest

from ruvllm_web import (
    STARTER_AGENTS,
    HnswRouter,
    IntelligentLLM,
    RouterConfig,
    TextEmbedder,
    add_starter_library,
    held_out_examples,
    starter_patterns,
    starter_task_types,
)
from ruvllm_web.router import vote_weight

PATTERNS = starter_patterns()


@pytest.mark.parametrize("make", [HnswRouter, IntelligentLLM])
def test_adds_every_starter_pattern_embedded(make) -> None:
    target, embedder = make(), TextEmbedder()
    assert add_starter_library(target, embedder) == len(PATTERNS)
    router = target if isinstance(target, HnswRouter) else target.router
    records = router.patterns()
    assert [(r.agent, r.task_type, r.description) for r in records] == [
        (p.agent, p.task_type, p.description) for p in PATTERNS
    ]
    for record in records[::37]:
        text = PATTERNS[records.index(record)].text
        np.testing.assert_allclose(router.pattern_embedding(record.id), embedder.embed(text), atol=1e-7)


def test_routing_equals_the_brute_force_vote() -> None:
    embedder = TextEmbedder()
    engine = IntelligentLLM()
    add_starter_library(engine, embedder)
    library = embedder.embed_batch([p.text for p in PATTERNS]).astype(np.float64)
    agents = np.array([p.agent for p in PATTERNS])
    top_k = engine.config.router.top_k
    for request in held_out_examples():
        query = embedder.embed(request.text).astype(np.float64)
        similarity = library @ query
        nearest = np.argsort(-similarity, kind="stable")[:top_k]
        votes: Counter[str] = Counter()
        for row in nearest:
            votes[str(agents[row])] += vote_weight(float(similarity[row]), 1.0)
        expected = sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]
        assert engine.route(embedder.embed(request.text)).agent == expected, request.text


def test_a_dimension_mismatch_is_refused_and_adds_nothing() -> None:
    router = HnswRouter(RouterConfig(dim=64))
    before = router.to_bytes()
    with pytest.raises(ValueError, match="embedder makes 384-dim vectors, the target expects 64"):
        add_starter_library(router, TextEmbedder())
    assert len(router) == 0 and router.to_bytes() == before


@pytest.mark.parametrize(
    "target, embedder, message",
    [
        (HnswRouter(), "not an embedder", "embedder must be a TextEmbedder, SentenceEncoder or StaticEncoder, got str"),
        (object(), TextEmbedder(), "target must have dim and add_pattern"),
        (TextEmbedder(), TextEmbedder(), "target must have dim and add_pattern"),
    ],
)
def test_wrong_kinds_are_refused(target, embedder, message) -> None:
    with pytest.raises(TypeError, match=message):
        add_starter_library(target, embedder)


def test_task_types_per_agent_in_library_order() -> None:
    types = starter_task_types()
    assert list(types) == list(STARTER_AGENTS)
    for agent in STARTER_AGENTS:
        assert types[agent] == list(dict.fromkeys(p.task_type for p in PATTERNS if p.agent == agent))
    types["Coder"].append("changed")
    assert "changed" not in starter_task_types()["Coder"]
