"""Built-in text embedder: routing accuracy on held-out requests, and embedding speed.

Accuracy: the starter library is embedded, then each held-out request is
classified by (a) a similarity-weighted k-NN vote over exact cosine
similarities, (b) the nearest agent centroid and (c) the real router: an
``IntelligentLLM()`` seeded with ``add_starter_library``, ``route(embed(text))``
(also timed: seeding, and route per request). Reported: top-1 agent
accuracy overall and per agent, the most frequent confusions, the
majority-class baseline, and leave-one-out k-NN accuracy on the starter
library itself (the figure used when tuning the embedder; the held-out set is
never used for tuning).

Speed: microseconds per text for ``embed`` (one call per text) and
``embed_batch``, against the baseline of a naive per-feature implementation
(plain-Python features, one numpy update per feature), measured in the same
run, reported as ratios.

With ``--encoder dist/models/all-MiniLM-L6-v2`` the accuracy is that of the
:class:`SentenceEncoder` instead (speed: seeding and routing only; see
bench_encoder.py for the encoder's own speed).

Usage: ``python benchmarks/bench_embedder.py [--quick] [--k K] [--encoder FOLDER]``; prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from ruvllm_web import (
    STARTER_AGENTS,
    IntelligentLLM,
    SentenceEncoder,
    TextEmbedder,
    add_starter_library,
    held_out_examples,
    starter_patterns,
)

#: Neighbour counts whose accuracy is reported alongside the headline ``--k``.
SWEEP_K = (1, 3, 5, 7, 9, 13)


def knn_vote(similarity: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Similarity-weighted k-NN vote.

    ``similarity`` is ``(q, n)`` cosine similarities of ``q`` queries to ``n``
    labelled rows, ``labels`` ``(n,)`` int agent indices. Each query's ``k``
    most similar rows vote with weight ``max(similarity, 0)``; returns the
    ``(q,)`` winners (ties go to the lower agent index).
    """
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0.0)
    votes = np.zeros((similarity.shape[0], len(STARTER_AGENTS)))
    np.add.at(votes, (np.arange(similarity.shape[0])[:, None], labels[nearest]), weights)
    return votes.argmax(axis=1)


def centroid_predict(train: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Nearest agent centroid (mean of the agent's unit vectors, re-normalised) by cosine."""
    centroids = np.zeros((len(STARTER_AGENTS), train.shape[1]))
    np.add.at(centroids, labels, train)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return (queries @ centroids.T).argmax(axis=1)


def leave_one_out_knn(train: np.ndarray, labels: np.ndarray, k: int) -> float:
    """k-NN accuracy on the training set, each row classified by all the others."""
    similarity = train @ train.T
    np.fill_diagonal(similarity, -np.inf)
    return float((knn_vote(similarity, labels, k) == labels).mean())


def accuracy_report(predicted: np.ndarray, truth: np.ndarray) -> dict[str, object]:
    """Overall and per-agent top-1 accuracy, and the confusions (true -> predicted) by count."""
    agents = STARTER_AGENTS
    per_agent = {agent: round(float((predicted[truth == i] == i).mean()), 4) for i, agent in enumerate(agents)}
    confusions = Counter(f"{agents[t]} -> {agents[p]}" for t, p in zip(truth.tolist(), predicted.tolist()) if t != p)
    return {
        "top1": round(float((predicted == truth).mean()), 4),
        "per_agent": per_agent,
        "confusions": dict(confusions.most_common()),
    }


def embed_all(embedder: TextEmbedder | SentenceEncoder, texts: list[str]) -> np.ndarray:
    """``texts`` embedded in one batch, ``(len(texts), 384)``."""
    return embedder.encode(texts) if isinstance(embedder, SentenceEncoder) else embedder.embed_batch(texts)


def router_predict(embedder: TextEmbedder | SentenceEncoder, texts: list[str]) -> tuple[np.ndarray, float, float]:
    """Route ``texts`` with a fresh ``IntelligentLLM`` seeded with the starter library.

    Returns the ``(q,)`` predicted agent indices, the seeding time in ms and
    the mean ``route`` time per request in microseconds (embedding excluded).
    """
    engine = IntelligentLLM()
    start = time.perf_counter()
    add_starter_library(engine, embedder)
    seed_ms = (time.perf_counter() - start) * 1e3
    vectors = embed_all(embedder, texts)
    start = time.perf_counter()
    agents = [engine.route(vector).agent for vector in vectors]
    route_us = (time.perf_counter() - start) / len(texts) * 1e6
    return np.array([STARTER_AGENTS.index(agent) for agent in agents]), seed_ms, route_us


def naive_embed(embedder: TextEmbedder, text: str) -> np.ndarray:
    """The baseline: features computed one by one, one numpy update per feature."""
    vector = np.zeros(embedder.dim, dtype=np.float32)
    for feature in embedder.features(text):
        vector[feature.bucket] += feature.value
    vector /= np.linalg.norm(vector)
    return vector


def per_call_us(function: Callable[[], object], calls: int, repeats: int) -> float:
    """Best-of-``repeats`` wall time of ``calls`` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def lexical_speed(
    embedder: TextEmbedder, texts: list[str], library: list[str], queries: np.ndarray, repeats: int
) -> dict[str, float]:
    """Microseconds per text of ``embed`` and ``embed_batch`` against the naive per-feature baseline.

    ``queries`` are ``embedder.embed_batch(texts)``, compared with the naive vectors.
    """
    naive_vectors = np.stack([naive_embed(embedder, text) for text in texts])
    single_us = per_call_us(lambda: [embedder.embed(text) for text in texts], 1, repeats) / len(texts)
    batch_us = per_call_us(lambda: embedder.embed_batch(texts), 1, repeats) / len(texts)
    naive_us = per_call_us(lambda: [naive_embed(embedder, text) for text in texts], 1, repeats) / len(texts)
    library_ms = per_call_us(lambda: embedder.embed_batch(library), 1, repeats) / 1000
    return {
        "mean_words_per_text": round(sum(len(t.split()) for t in texts) / len(texts), 1),
        "embed_us_per_text": round(single_us, 1),
        "embed_batch_us_per_text": round(batch_us, 1),
        "naive_per_feature_us_per_text": round(naive_us, 1),
        "speedup_embed_vs_naive": round(naive_us / single_us, 2),
        "speedup_embed_batch_vs_naive": round(naive_us / batch_us, 2),
        "embed_starter_library_ms": round(library_ms, 2),
        "max_abs_difference_vs_naive": float(np.abs(naive_vectors - queries).max()),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer timing repeats")
    parser.add_argument("--k", type=int, default=7, help="neighbours in the headline k-NN vote")
    parser.add_argument(
        "--encoder", help="a SentenceEncoder model folder (dist/models/all-MiniLM-L6-v2): its accuracy, no speed"
    )
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 5

    embedder = TextEmbedder()
    patterns = starter_patterns()
    held_out = held_out_examples()
    agent_index = {agent: i for i, agent in enumerate(STARTER_AGENTS)}
    chosen = SentenceEncoder(args.encoder) if args.encoder else embedder
    train = embed_all(chosen, [p.text for p in patterns])
    train_labels = np.array([agent_index[p.agent] for p in patterns])
    queries = embed_all(chosen, [r.text for r in held_out])
    truth = np.array([agent_index[r.agent] for r in held_out])
    similarity = queries @ train.T
    majority = np.bincount(truth, minlength=len(STARTER_AGENTS)).max() / truth.shape[0]

    texts = [r.text for r in held_out]
    routed, seed_ms, route_us = router_predict(chosen, texts)
    speed = {"add_starter_library_ms": round(seed_ms, 1), "router_route_us_per_request": round(route_us, 1)}
    if not args.encoder:
        speed.update(lexical_speed(embedder, texts, [p.text for p in patterns], queries, repeats))

    results: dict[str, object] = {
        "benchmark": "bench_embedder",
        "python": platform.python_version(),
        "platform": sys.platform,
        "numpy": np.__version__,
        "embedder": {"sentence_encoder": args.encoder} if args.encoder else embedder.config(),
        "starter_patterns": len(patterns),
        "held_out_requests": len(held_out),
        "accuracy": {
            "k": args.k,
            "knn": accuracy_report(knn_vote(similarity, train_labels, args.k), truth),
            "nearest_centroid": accuracy_report(centroid_predict(train, train_labels, queries), truth),
            "router": accuracy_report(routed, truth),
            "knn_top1_by_k": {
                k: round(float((knn_vote(similarity, train_labels, k) == truth).mean()), 4) for k in SWEEP_K
            },
            "majority_class_baseline": round(float(majority), 4),
            "starter_leave_one_out_knn_top1_by_k": {
                k: round(leave_one_out_knn(train, train_labels, k), 4) for k in SWEEP_K
            },
        },
        "speed": speed,
    }
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
