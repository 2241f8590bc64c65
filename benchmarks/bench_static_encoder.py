"""Benchmark of StaticEncoder (the static token table) against SentenceEncoder (the full model).

Runs unchanged on CPython and inside Pyodide (``benchmarks/run.py`` mounts ``dist/models`` at
``/models`` there). Prints one JSON document:

- ``speed``: microseconds per text, p50 of ``--repeats`` runs, for the starter library's and
  held-out texts (578 requests, about 11 word pieces each): the static tier's ``encode(list)``
  (bulk), one ``encode`` per text, and its tokenizer alone (its floor: the rest is one gather and
  one sum); the full model's ``encode(list)`` on the first ``--full-texts`` of them, timed in the
  same run; and ``full_over_static``, the ratio of the two bulk figures;
- ``quality``: against the full model. Held-out routing as bench_embedder.py measures it: top-1
  agent accuracy of a similarity-weighted k-NN vote (k = 7) over the starter library, and of an
  ``IntelligentLLM`` seeded with ``add_starter_library`` (``route`` per request), for both
  encoders; ``knn_agreement``, how often the static tier's k-NN picks the full model's agent.
  Similarity agreement: the mean Spearman rank correlation of each held-out request's similarities
  to the 482 starter texts, the mean overlap of their 10 nearest starter texts, and the Spearman
  correlation of all pairwise similarities of the 55 reference texts of tests/fixtures/encoder
  (CPython only; the quality figures are the same in both runtimes);
- ``load_s``: seconds each constructor takes.

Usage::

    python benchmarks/run.py bench_static_encoder.py      # both runtimes
    python benchmarks/bench_static_encoder.py --repeats 5  # CPython (PYTHONPATH=.)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from bench_encoder import p50  # the benchmark's own folder is on sys.path in both runtimes
from ruvllm_web import (
    STARTER_AGENTS,
    IntelligentConfig,
    IntelligentLLM,
    SentenceEncoder,
    StaticEncoder,
    held_out_examples,
    starter_patterns,
)

PYODIDE = sys.platform == "emscripten"
DEFAULT_MODEL = "/models/all-MiniLM-L6-v2" if PYODIDE else str(
    Path(__file__).resolve().parents[1] / "dist" / "models" / "all-MiniLM-L6-v2"
)
#: The reference texts of the encoder's tests (not in Pyodide's file system: CPython reports their figure).
FIXTURE_TEXTS = None if PYODIDE else Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "encoder"
K = 7


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks along the last axis (similarities have no ties that matter)."""
    return np.argsort(np.argsort(x, axis=-1, kind="stable"), axis=-1, kind="stable").astype(np.float64)


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b``."""
    ra, rb = ranks(a), ranks(b)
    ra -= ra.mean(axis=-1, keepdims=True)
    rb -= rb.mean(axis=-1, keepdims=True)
    return (ra * rb).sum(axis=-1) / np.sqrt((ra * ra).sum(axis=-1) * (rb * rb).sum(axis=-1))


def knn_agents(similarity: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's winner of a vote of its K most similar labelled columns, weighted by max(similarity, 0)."""
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :K]
    votes = np.zeros((similarity.shape[0], len(STARTER_AGENTS)))
    weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0.0)
    np.add.at(votes, (np.arange(similarity.shape[0])[:, None], labels[nearest]), weights)
    return votes.argmax(axis=1)


def routed_agents(library: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Agent indices ``queries`` are routed to by an IntelligentLLM holding the starter library as ``library``.

    ``library`` is the starter texts' vectors in ``starter_patterns()`` order, so the engine holds
    what ``add_starter_library`` would give it (the full model's come from the build's file, not
    from running 482 texts through the model again).
    """
    engine = IntelligentLLM(IntelligentConfig.with_dim(library.shape[1]))
    for pattern, vector in zip(starter_patterns(), library):
        engine.add_pattern(vector, pattern.agent, pattern.task_type, pattern.description)
    return np.array([STARTER_AGENTS.index(engine.route(query).agent) for query in queries])


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the model folder (build.py places it in dist/models)")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--full-texts", type=int, default=64, help="texts the full model's bulk time is taken on")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    static = StaticEncoder(args.model)
    static_load = time.perf_counter() - start
    start = time.perf_counter()
    full = SentenceEncoder(args.model)
    full_load = time.perf_counter() - start

    patterns, held_out = starter_patterns(), held_out_examples()
    library, requests = [p.text for p in patterns], [r.text for r in held_out]
    texts = library + requests
    pieces = sum(len(static.tokenize(text)) for text in texts) / len(texts)
    bulk = p50(lambda: static.encode(texts), args.repeats) / len(texts)
    single = p50(lambda: [static.encode(text) for text in texts], max(args.repeats // 2, 3)) / len(texts)
    tokenize = p50(lambda: [static.tokenize(text) for text in texts], args.repeats) / len(texts)
    subset = texts[: args.full_texts]
    full_bulk = p50(lambda: full.encode(subset), max(args.repeats // 4, 3)) / len(subset)

    index = {agent: i for i, agent in enumerate(STARTER_AGENTS)}
    labels = np.array([index[p.agent] for p in patterns])
    truth = np.array([index[r.agent] for r in held_out])
    full_library = np.frombuffer(Path(args.model, "starter-vectors.f32").read_bytes(), dtype="<f4")
    full_library = full_library.reshape(len(patterns), full.dim).astype(np.float64)
    full_queries = full.encode(requests).astype(np.float64)
    static_library = static.encode(library).astype(np.float64)
    static_queries = static.encode(requests).astype(np.float64)
    full_similarity, static_similarity = full_queries @ full_library.T, static_queries @ static_library.T
    full_knn, static_knn = knn_agents(full_similarity, labels), knn_agents(static_similarity, labels)
    nearest = [np.argsort(-s, axis=1, kind="stable")[:, :10] for s in (full_similarity, static_similarity)]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(*nearest)])

    fixture = None
    if FIXTURE_TEXTS is not None:
        reference = json.loads((FIXTURE_TEXTS / "vectors.json").read_text())["texts"]
        pairs = np.triu_indices(len(reference), 1)
        a, b = (e.encode(reference).astype(np.float64) for e in (static, full))
        fixture = float(spearman_rows((a @ a.T)[pairs], (b @ b.T)[pairs]))

    return {
        "runtime": {"python": platform.python_version(), "numpy": np.__version__, "pyodide": PYODIDE},
        "load_s": {"static": static_load, "full": full_load},
        "speed": {
            "texts": len(texts),
            "pieces_per_text": pieces,
            "static_bulk_us_per_text": bulk * 1e6,
            "static_one_by_one_us_per_text": single * 1e6,
            "static_tokenize_us_per_text": tokenize * 1e6,
            "full_bulk_us_per_text": full_bulk * 1e6,
            "full_texts_timed": len(subset),
            "full_over_static": full_bulk / bulk,
        },
        "quality": {
            "held_out_requests": len(requests),
            "knn_top1": {"static": float((static_knn == truth).mean()), "full": float((full_knn == truth).mean())},
            "router_top1": {
                "static": float((routed_agents(static_library, static_queries) == truth).mean()),
                "full": float((routed_agents(full_library, full_queries) == truth).mean()),
            },
            "knn_agreement": float((static_knn == full_knn).mean()),
            "similarity_spearman_held_out_vs_library": float(spearman_rows(static_similarity, full_similarity).mean()),
            "top10_neighbour_overlap": float(overlap),
            "similarity_spearman_reference_texts": fixture,
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=1))
