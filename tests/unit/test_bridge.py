"""The worker bridge on CPython: the calls the JS side relies on, and their refusals."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ruvllm_web import STARTER_AGENTS, SentenceEncoder, StaticEncoder, TextEmbedder, __version__, bridge
from ruvllm_web import starter_patterns
from ruvllm_web import OperatorType, RouterConfig, scope_name, self_benchmark
from ruvllm_web.intelligent import IntelligentLLM
from ruvllm_web.text.encoder.sentence_encoder import REQUIRED_FILES
from ruvllm_web.text.static_encoder import STATIC_FILES
from ruvllm_web.validation import MAX_TEXT_LENGTH


@pytest.fixture(autouse=True)
def empty_table():
    yield
    bridge._objects.clear()


def test_version_info() -> None:
    info = bridge.version_info()
    assert info["ruvllm_web"] == __version__ and info["numpy"] == np.__version__


def test_l2_normalize_returns_unit_float32() -> None:
    out = bridge.l2_normalize(np.array([3, 4], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ([0.0, 0.0], ValueError, "all zeros"),
        ([], ValueError, "length must be >= 1"),
        ("abc", TypeError, "array of numbers"),
        ([1.0, float("inf")], ValueError, "NaN or Inf"),
    ],
)
def test_l2_normalize_refuses_bad_vectors(bad, error, message) -> None:
    with pytest.raises(error, match=message):
        bridge.l2_normalize(bad)


def test_every_call_named_in_calls_exists() -> None:
    assert all(callable(getattr(bridge, name)) for name in bridge.CALLS)


def test_objects_by_handle() -> None:
    bridge.create(7, "MicroLoRA", {"dim": 4, "alpha": 0.5})
    x = np.array([1, 2, 3, 4], dtype=np.float32)
    out = bridge.invoke(7, "forward", x)
    np.testing.assert_array_equal(out, x)  # B starts at zero: identity
    assert bridge.invoke(7, "adapt_count") == 0
    assert bridge.invoke(7, "adapt", np.ones(4, dtype=np.float32)) is True
    np.testing.assert_array_equal(bridge.forward_buffers(7, x), bridge._objects[7].forward(x))
    bridge.free(7)
    with pytest.raises(ValueError, match="no engine object with handle 7"):
        bridge.invoke(7, "forward", x)


def test_replace_restores_in_place_or_changes_nothing() -> None:
    config = {"config": {"router": {"dim": 8}}}
    bridge.create(3, "IntelligentLLM", config)
    bridge.invoke(3, "add_pattern", np.ones(8, dtype=np.float32), "coder", "code", "d")
    kept = bridge._objects[3]
    other = IntelligentLLM({"router": {"dim": 8}})
    for agent in ("a", "b"):
        other.add_pattern(np.arange(1, 9, dtype=np.float32) * (1 if agent == "a" else -1), agent, "t")
    saved = other.save()
    with pytest.raises(ValueError, match="truncated"):
        bridge.replace(3, "IntelligentLLM", saved[:20])
    with pytest.raises(TypeError, match="is a IntelligentLLM, not a HnswRouter"):
        bridge.replace(3, "HnswRouter", saved)
    with pytest.raises(ValueError, match="no engine object with handle 4"):
        bridge.replace(4, "IntelligentLLM", saved)
    assert bridge._objects[3] is kept and len(kept.router) == 1
    assert bridge.replace(3, "IntelligentLLM", saved) == 3
    assert bridge._objects[3].save() == saved


def test_results_become_plain_values() -> None:
    bridge.create(1, "IntelligentLLM", {"config": {"router": {"dim": 8}}})
    bridge.invoke(1, "add_pattern", np.ones(8, dtype=np.float32), "coder", "code", "d")
    routed = bridge.invoke(1, "route", np.ones(8, dtype=np.float32))
    assert routed["agent"] == "coder" and isinstance(routed["neighbors"], list)
    assert isinstance(routed["neighbors"][0], dict)
    assert bridge.invoke(1, "last_result")["agent"] == "coder"
    assert bridge.invoke(1, "dim") == 8
    saved = bridge.invoke(1, "save")
    assert isinstance(saved, bytes)
    bridge.load(2, "IntelligentLLM", memoryview(saved))
    assert isinstance(bridge._objects[2], IntelligentLLM) and bridge.invoke(2, "route", np.ones(8))["agent"] == "coder"


@pytest.mark.parametrize(
    "value", [2**53, -(2**53), {"stats": {"requests": 2**60}}, [1, (2, np.int64(2**62))], np.array([0, 2**53]),
              np.uint64(2**64 - 1)],
)
def test_integers_a_js_number_cannot_hold_are_refused(value) -> None:
    """They became BigInts, which the page could not serialise ("Do not know how to serialize a BigInt")."""
    with pytest.raises(ValueError, match="beyond what a JS number holds exactly"):
        bridge.plain(value)


def test_integers_within_js_range_pass() -> None:
    limit = 2**53 - 1
    assert bridge.plain({"a": [limit, -limit, True, np.int64(7)], "b": np.array([limit])}) == {
        "a": [limit, -limit, True, 7], "b": [limit]}


def test_tick_all_runs_due_background_loops() -> None:
    bridge.create(1, "IntelligentLLM", {"config": {"router": {"dim": 8}, "sona": {"min_batch": 1}}})
    bridge.create(2, "MicroLoRA", {"dim": 8})
    bridge.invoke(1, "add_pattern", np.ones(8, dtype=np.float32), "coder", "code")
    bridge.invoke(1, "process", np.ones(8, dtype=np.float32), "x", 1.0)
    assert bridge.tick_all(1e9) == 1
    assert bridge.tick_all(1e9) == 0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: bridge.create(1, "Nope", {}), ValueError, "unknown engine class 'Nope'"),
        (lambda: bridge.create(0, "MicroLoRA", {}), ValueError, "handle must be >= 1"),
        (lambda: bridge.create(1, "MicroLoRA", {"dimension": 3}), TypeError, "dimension"),
        (lambda: bridge.create(1, "MicroLoRA", ["x"]), TypeError, "options"),
        (lambda: bridge.invoke(99, "forward"), ValueError, "no engine object"),
        (lambda: bridge.load(3, "IntelligentLLM", "text"), TypeError, "snapshot"),
        (lambda: bridge.load(3, "IntelligentLLM", b"junk"), ValueError, "truncated"),
        (lambda: bridge.forward_buffers(5, np.ones(4)), ValueError, "no engine object"),
    ],
)
def test_bad_calls_are_refused(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()
    assert 3 not in bridge._objects


def test_private_and_unknown_methods_are_refused() -> None:
    bridge.create(1, "MicroLoRA", {"dim": 4})
    with pytest.raises(ValueError, match="has no method '_descend'"):
        bridge.invoke(1, "_descend", np.ones(4))
    with pytest.raises(ValueError, match="has no method 'nope'"):
        bridge.invoke(1, "nope")
    with pytest.raises(ValueError, match="already in use"):
        bridge.create(1, "MicroLoRA", {"dim": 4})


def test_time_call_runs_the_call_repeatedly() -> None:
    bridge.create(1, "HnswRouter", {"config": {"dim": 4}})
    times = bridge.time_call("invoke", 3, 1, "add_pattern", np.ones(4, dtype=np.float32), "coder", "code")
    assert len(times) == 3 and all(t >= 0 for t in times)
    assert bridge.invoke(1, "stats")["total_patterns"] == 3
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        bridge.time_call("invoke", 0, 1, "stats")
    for call in ("time_call", "_objects", "plain"):
        with pytest.raises(ValueError, match=f"'{call}' is not a bridge call that can be timed"):
            bridge.time_call(call, 1)


def test_text_embedder_is_constructible_and_embeds() -> None:
    bridge.create(1, "TextEmbedder", {"dim": 128})
    out = bridge.plain(bridge.invoke(1, "embed", "fix the login test"))
    assert out.dtype == np.float32 and out.shape == (128,)
    np.testing.assert_array_equal(out, TextEmbedder(128).embed("fix the login test"))
    bridge.create(2, "TextEmbedder", None)
    assert bridge.invoke(2, "dim") == 384
    with pytest.raises(ValueError, match="dim must be >= 2"):
        bridge.create(3, "TextEmbedder", {"dim": 1})
    with pytest.raises(ValueError, match="no letters or digits"):
        bridge.invoke(1, "embed", "?!")


@pytest.mark.parametrize("class_name", ["IntelligentLLM", "HnswRouter"])
def test_add_starter_library_by_handles(class_name) -> None:
    bridge.create(1, "TextEmbedder", {})
    bridge.create(2, class_name, {})
    assert bridge.add_starter_library(2, 1) == len(starter_patterns())
    bridge.create(3, "TextEmbedder", {"dim": 32})
    with pytest.raises(ValueError, match="embedder makes 32-dim vectors, the target expects 384"):
        bridge.add_starter_library(2, 3)
    with pytest.raises(TypeError, match="handle 2 is a .*, not a TextEmbedder"):
        bridge.add_starter_library(1, 2)
    with pytest.raises(ValueError, match="no engine object with handle 9"):
        bridge.add_starter_library(2, 9)


def test_starter_task_types_and_benchmarks_are_plain_values() -> None:
    types = bridge.starter_task_types()
    assert list(types) == list(STARTER_AGENTS) and all(isinstance(v, list) for v in types.values())
    result = bridge.run_benchmark("hnsw", {"size": 40, "dim": 8, "queries": 4, "k": 3})
    assert all(type(value) in (int, float) for value in result.values())
    assert 0.0 <= result["recall_at_k"] <= 1.0
    with pytest.raises(ValueError, match="unknown benchmark 'x'"):
        bridge.run_benchmark("x", {})


def test_last_timings_through_invoke() -> None:
    bridge.create(1, "IntelligentLLM", {"config": {"router": {"dim": 8}}})
    bridge.invoke(1, "add_pattern", np.ones(8, dtype=np.float32), "coder", "code")
    assert bridge.invoke(1, "last_timings")["total_us"] == 0.0
    bridge.invoke(1, "process", np.ones(8, dtype=np.float32), "x", 1.0)
    assert bridge.invoke(1, "last_timings")["total_us"] > 0.0


@pytest.fixture(scope="module")
def model_folder() -> str:
    folder = Path(__file__).resolve().parents[2] / "dist" / "models" / "all-MiniLM-L6-v2"
    if not (folder / "model.safetensors").is_file():
        raise pytest.UsageError(f"{folder} is missing: run `python build.py dist` (./dev test does) first")
    return str(folder)


def test_sentence_encoder_by_handle(model_folder) -> None:
    # The worker writes the files it fetched into a folder and creates the encoder from it.
    assert bridge.encoder_files() == [*REQUIRED_FILES, bridge.STARTER_VECTORS]
    bridge.create(1, "SentenceEncoder", {"path": model_folder})
    texts = ["fix the failing login test", "write a haiku"]
    flat = bridge.encode_texts(1, texts)
    reference = SentenceEncoder(model_folder).encode(texts)
    assert flat.dtype == np.float32 and flat.shape == (2 * 384,)
    np.testing.assert_array_equal(flat.reshape(2, 384), reference)
    assert bridge.encode_texts(1, []).shape == (0,)
    with pytest.raises(TypeError, match="texts must be a list of str, got str"):
        bridge.encode_texts(1, "one text")
    with pytest.raises(ValueError, match=r"texts\[1\] has nothing to embed"):
        bridge.encode_texts(1, ["fine", " "])
    bridge.create(2, "TextEmbedder", {})
    with pytest.raises(TypeError, match="handle 2 is a TextEmbedder, not a SentenceEncoder"):
        bridge.encode_texts(2, texts)


def test_invoke_text_embeds_then_calls_or_changes_nothing(model_folder) -> None:
    bridge.create(1, "SentenceEncoder", {"path": model_folder})
    bridge.create(2, "IntelligentLLM", {})
    encoder = SentenceEncoder(model_folder)
    bridge.invoke_text(2, 1, "add_pattern", "write a python function that parses dates", "Coder", "code")
    bridge.invoke_text(2, 1, "add_pattern", "find papers about protein folding", "Researcher", "research")
    routed = bridge.invoke_text(2, 1, "route", "implement a helper method converting timestamps")
    assert routed["agent"] == "Coder"
    direct = bridge.invoke(2, "route", encoder.encode("implement a helper method converting timestamps"))
    assert {**routed, "latency_us": 0} == {**direct, "latency_us": 0}
    before = bridge.invoke(2, "save")
    for text, error, message in [
        ("", ValueError, "text has nothing to embed"),
        (["a list"], TypeError, "text must be a string, got list"),
        ("x" * 100_001, ValueError, "text has 100001 characters"),
    ]:
        with pytest.raises(error, match=message):
            bridge.invoke_text(2, 1, "process", text, "ctx", 0.9)
    with pytest.raises(TypeError, match="handle 2 is a IntelligentLLM, not a SentenceEncoder"):
        bridge.invoke_text(2, 2, "process", "a text")
    with pytest.raises(ValueError, match="no engine object with handle 9"):
        bridge.invoke_text(9, 1, "process", "a text")
    assert bridge.invoke(2, "save") == before


def test_add_starter_library_with_a_sentence_encoder(model_folder) -> None:
    bridge.create(1, "SentenceEncoder", {"path": model_folder})
    bridge.create(2, "HnswRouter", {})
    assert bridge.add_starter_library(2, 1) == len(starter_patterns())


def test_static_encoder_by_handle_reads_no_weights(model_folder, tmp_path) -> None:
    # The worker fetches only encoder_files("StaticEncoder"): a folder of just those is enough.
    assert bridge.encoder_files("StaticEncoder") == list(STATIC_FILES)
    assert "model.safetensors" not in STATIC_FILES
    for name in STATIC_FILES:
        shutil.copyfile(Path(model_folder) / name, tmp_path / name)
    bridge.create(1, "StaticEncoder", {"path": str(tmp_path)})
    texts = ["fix the failing login test", "東京は日本の首都です。", "pizza 🍕"]
    flat = bridge.encode_texts(1, texts)
    assert flat.dtype == np.float32 and flat.shape == (3 * 256,)
    np.testing.assert_array_equal(flat.reshape(3, 256), StaticEncoder(model_folder).encode(texts))
    with pytest.raises(ValueError, match=r"texts\[1\] has nothing to embed"):
        bridge.encode_texts(1, ["fine", " "])
    bridge.create(2, "IntelligentLLM", {"config": {"router": {"dim": 256}}})
    assert bridge.add_starter_library(2, 1) == len(starter_patterns())
    text = "implement a helper method converting timestamps"
    routed = bridge.invoke_text(2, 1, "route", text)
    direct = bridge.invoke(2, "route", StaticEncoder(model_folder).encode(text))
    assert {**routed, "latency_us": 0} == {**direct, "latency_us": 0}
    bridge.create(3, "IntelligentLLM", {})
    with pytest.raises(ValueError, match="dim"):
        bridge.add_starter_library(3, 1)
    known = r"'TextEmbedder' is not an encoder; known: \['SentenceEncoder', 'StaticEncoder'\]"
    with pytest.raises(ValueError, match=known):
        bridge.encoder_files("TextEmbedder")


def test_the_workers_encoder_answers_the_starter_texts_from_its_file(model_folder, tmp_path) -> None:
    # build.py wrote the file with SentenceEncoder; a changed copy shows the file is what answers.
    texts = [pattern.text for pattern in starter_patterns()]
    encoder = bridge.WorkerEncoder(model_folder)
    np.testing.assert_allclose(encoder.encode(texts), SentenceEncoder(model_folder).encode(texts), atol=1e-6)
    folder = tmp_path / "model"
    shutil.copytree(model_folder, folder)
    vectors = np.fromfile(folder / bridge.STARTER_VECTORS, dtype="<f4").reshape(len(texts), 384)
    vectors[7] = -vectors[7]
    vectors.tofile(folder / bridge.STARTER_VECTORS)
    changed = bridge.WorkerEncoder(folder)
    np.testing.assert_array_equal(changed.encode(texts), vectors)
    np.testing.assert_array_equal(changed.encode(texts[:3]), encoder.encode(texts[:3]))  # other lists: the model
    np.testing.assert_array_equal(changed.encode(texts[0]), SentenceEncoder(folder).encode(texts[0]))
    vectors[:-1].tofile(folder / bridge.STARTER_VECTORS)
    with pytest.raises(ValueError, match=r"holds 184704 values, expected 482 x 384 finite float32s"):
        bridge.WorkerEncoder(folder)
    (folder / bridge.STARTER_VECTORS).unlink()
    with pytest.raises(ValueError, match="starter-vectors.f32 is missing"):
        bridge.WorkerEncoder(folder)


def test_client_constants_are_the_engines_own_values() -> None:
    constants = bridge.client_constants()
    assert json.loads(json.dumps(constants)) == constants  # build.py writes them into a JS module
    names = constants["OPERATOR_NAMES"]
    assert names == [scope_name(op) for op in OperatorType] and len(names) == 17 and names[12] == "HashJoin"
    assert constants["STARTER_AGENTS"] == list(STARTER_AGENTS)
    assert constants["MAX_TEXT"] == MAX_TEXT_LENGTH
    options = constants["BENCHMARK_OPTIONS"]
    assert sorted(options) == sorted(self_benchmark.KINDS)
    for kind, names in options.items():
        assert names == [name for name in self_benchmark.OPTIONS[kind] if name != "seed"]
    snake = {"efConstruction": "ef_construction", "efSearch": "ef_search", "topK": "top_k",
             "minConfidence": "min_confidence", "maxPatterns": "max_patterns"}
    routers = constants["ROUTER_CONFIGS"]
    made = {name: RouterConfig(**{snake.get(key, key): value for key, value in settings.items()})
            for name, settings in routers.items()}
    assert made == {"default": RouterConfig(), "fast": RouterConfig.fast(), "highRecall": RouterConfig.high_recall()}
