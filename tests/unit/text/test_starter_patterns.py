"""The starter pattern library and its held-out set: well-formed, disjoint, and useful for routing.

Usefulness is checked by the same measurement the benchmark reports: embed the
library with the built-in embedder, classify every held-out request by an
exact (brute-force) similarity-weighted k-NN vote, and require the accuracy to
close at least half the gap between the majority-class baseline and perfect.
"""

import re
import unicodedata
from collections import Counter

import numpy as np

from ruvllm_web import STARTER_AGENTS, TextEmbedder, held_out_examples, starter_patterns
from ruvllm_web.validation import MAX_TEXT_LENGTH

PATTERNS = starter_patterns()
HELD_OUT = held_out_examples()


def canonical(text: str) -> str:
    """Case-, width- and punctuation-insensitive form, to catch near-verbatim duplicates."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold()))


def test_every_agent_has_examples_of_several_task_types() -> None:
    per_agent = Counter(p.agent for p in PATTERNS)
    assert set(per_agent) == set(STARTER_AGENTS) and len(STARTER_AGENTS) == 8
    assert min(per_agent.values()) >= 25
    for agent in STARTER_AGENTS:
        task_types = Counter(p.task_type for p in PATTERNS if p.agent == agent)
        assert len(task_types) >= 3 and min(task_types.values()) >= 5
    assert Counter(r.agent for r in HELD_OUT).keys() == per_agent.keys()
    assert min(Counter(r.agent for r in HELD_OUT).values()) >= 10


def test_records_are_well_formed() -> None:
    for record in PATTERNS:
        assert record.text.strip() == record.text and 10 <= len(record.text) <= MAX_TEXT_LENGTH
        assert record.description and record.task_type == record.task_type.lower()
    known_task_types = {(p.agent, p.task_type) for p in PATTERNS}
    for request in HELD_OUT:
        assert (request.agent, request.task_type) in known_task_types


def test_no_duplicates_and_held_out_is_disjoint_from_the_library() -> None:
    library = [canonical(p.text) for p in PATTERNS]
    held_out = [canonical(r.text) for r in HELD_OUT]
    assert len(set(library)) == len(library)
    assert len(set(held_out)) == len(held_out)
    assert not set(library) & set(held_out)


def test_calls_return_fresh_lists() -> None:
    first = starter_patterns()
    first.clear()
    assert starter_patterns() == PATTERNS and len(PATTERNS) > 0


def knn_accuracy(train: np.ndarray, labels: np.ndarray, queries: np.ndarray, truth: np.ndarray, k: int) -> float:
    similarity = queries @ train.T
    votes = np.zeros((queries.shape[0], len(STARTER_AGENTS)))
    for row, order in enumerate(np.argsort(-similarity, axis=1)[:, :k]):
        for column in order:
            votes[row, labels[column]] += max(float(similarity[row, column]), 0.0)
    return float((votes.argmax(axis=1) == truth).mean())


def test_knn_routing_of_held_out_requests_beats_the_majority_class_by_far() -> None:
    embedder = TextEmbedder()
    index = {agent: i for i, agent in enumerate(STARTER_AGENTS)}
    train = embedder.embed_batch([p.text for p in PATTERNS])
    labels = np.array([index[p.agent] for p in PATTERNS])
    queries = embedder.embed_batch([r.text for r in HELD_OUT])
    truth = np.array([index[r.agent] for r in HELD_OUT])
    majority = np.bincount(truth).max() / truth.shape[0]
    accuracy = knn_accuracy(train, labels, queries, truth, k=7)
    assert accuracy >= majority + (1.0 - majority) / 2
    # The signal is in the texts: with the library's labels shuffled, k-NN falls to chance.
    shuffled = np.random.default_rng(0).permutation(labels)
    assert knn_accuracy(train, shuffled, queries, truth, k=7) < majority + (1.0 - majority) / 4
