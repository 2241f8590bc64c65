"""The built-in text embedder inside real Pyodide: the same vectors as on CPython, and the same routing.

Only each test's body is shipped into Pyodide, so expected values are either
literals (the digests also pinned in tests/unit/text/test_text_embedder.py) or
computed inside from first principles (the plain-Python feature reference,
brute-force k-NN).
"""

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_embedding_is_the_same_as_on_cpython(selenium):
    import hashlib
    import math

    import numpy as np

    from ruvllm_web import TextEmbedder

    sample = "Refactor the naïve Straße parser: tests, tests, TESTS!"
    embedder = TextEmbedder()
    features = embedder.features(sample)
    lines = "".join(f"{f.kind}|{f.text}|{f.count}|{f.bucket}|{f.value > 0}\n" for f in features)
    assert hashlib.sha256(lines.encode()).hexdigest() == (
        "e9c0edab43feb64d3a328caad5a3bc24a3143efba3e8780ec3df5de0329e7256"
    )
    vector = embedder.embed(sample)
    assert vector.shape == (384,) and vector.dtype == np.float32
    rounded = np.round(vector.astype(np.float64), 5)
    assert hashlib.sha256(rounded.tobytes()).hexdigest() == (
        "8e6f735f90b7dcd1d4f0cf7ddef55bca3d12c04696f6e915d34437f400f107a9"
    )
    reference = np.zeros(384)
    for feature in features:
        reference[feature.bucket] += feature.value
    reference /= math.sqrt(float(reference @ reference))
    assert np.abs(vector - reference).max() < 1e-6
    batch = embedder.embed_batch(["hello world", sample, "a"])
    assert np.array_equal(batch[1], vector) and np.array_equal(batch[2], embedder.embed("a"))
    assert abs(float(np.linalg.norm(batch.astype(np.float64), axis=1).max()) - 1.0) < 1e-6


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_held_out_requests_route_well_in_pyodide(selenium):
    import numpy as np

    from ruvllm_web import STARTER_AGENTS, TextEmbedder, held_out_examples, starter_patterns

    embedder = TextEmbedder()
    index = {agent: i for i, agent in enumerate(STARTER_AGENTS)}
    patterns, held_out = starter_patterns(), held_out_examples()
    train = embedder.embed_batch([p.text for p in patterns])
    labels = np.array([index[p.agent] for p in patterns])
    queries = embedder.embed_batch([r.text for r in held_out])
    truth = np.array([index[r.agent] for r in held_out])
    similarity = queries @ train.T
    votes = np.zeros((len(held_out), len(STARTER_AGENTS)))
    for row, order in enumerate(np.argsort(-similarity, axis=1)[:, :7]):
        for column in order:
            votes[row, labels[column]] += max(float(similarity[row, column]), 0.0)
    accuracy = float((votes.argmax(axis=1) == truth).mean())
    majority = np.bincount(truth).max() / truth.shape[0]
    assert accuracy >= majority + (1.0 - majority) / 2, accuracy


@run_in_pyodide(packages=["numpy", "ruvllm_web"], pytest_assert_rewrites=False)
def test_bad_text_is_refused_in_pyodide(selenium):
    from ruvllm_web import TextEmbedder

    embedder = TextEmbedder()
    for bad, kind in ((None, TypeError), (b"x", TypeError), ("", ValueError), ("?!", ValueError),
                      ("x" * 4097, ValueError)):
        try:
            embedder.embed(bad)
        except kind:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    try:
        embedder.embed_batch("not a list")
    except TypeError:
        pass
    else:
        raise AssertionError("a bare string was accepted as a batch")
