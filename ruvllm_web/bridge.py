"""The worker's view of the engine: plain functions the JS side calls by name.

This module is the only one written for the worker. It receives numpy arrays,
memoryviews, dicts and Python scalars (the worker converts JS values before
the call) and returns numpy arrays, bytes, dicts and scalars (the worker
converts them back), so it runs and is tested on CPython as well.

Engine objects live in a table keyed by integer handles that the *client*
chooses, so a JS constructor can return at once: ``create(handle, ...)`` is
simply the first message in the queue, and later calls name the same handle.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ruvllm_web import STARTER_AGENTS, OperatorType, scope_name, self_benchmark
from ruvllm_web._version import __version__
from ruvllm_web.intelligent import IntelligentLLM
from ruvllm_web.learning.sona import SonaConfig, SonaInstant
from ruvllm_web.learning.trajectory import TrajectoryBuffer
from ruvllm_web.lora.micro import MicroLoRA
from ruvllm_web.lora.scoped import ScopedLoRA
from ruvllm_web.router import HnswRouter
from ruvllm_web.router_types import RouterConfig
from ruvllm_web.snapshot import JS_SAFE_INTEGER
from ruvllm_web.text.encoder.folder import MAX_TEXT_CHARS, FolderEncoder
from ruvllm_web.text.encoder.sentence_encoder import REQUIRED_FILES, SentenceEncoder
from ruvllm_web.text.lexical import TextEmbedder
from ruvllm_web.text.starter_library import add_starter_library as _add_starter_library
from ruvllm_web.text.starter_library import starter_patterns, starter_task_types
from ruvllm_web.text.static_encoder import STATIC_FILES, StaticEncoder
from ruvllm_web.validation import MAX_TEXT_LENGTH, as_int, as_text, as_vector

#: Longest vector the bridge accepts, a guard against a runaway caller.
MAX_VECTOR_LENGTH = 1 << 20
#: Largest handle number a client may choose.
MAX_HANDLE = 2**31 - 1
#: build.py writes this file into the model folder: the starter library's texts, in
#: ``starter_patterns()`` order, encoded there once by this package's SentenceEncoder on CPython
#: (little-endian float32, one row per text), so that a page seeding an engine with the encoder
#: does not run 482 texts through the model.
STARTER_VECTORS = "starter-vectors.f32"


class WorkerEncoder(SentenceEncoder):
    """A SentenceEncoder that answers the starter library's texts from ``STARTER_VECTORS``.

    Parameters
    ----------
    path : str or os.PathLike
        A model folder, as for :class:`SentenceEncoder`, holding ``STARTER_VECTORS``.

    Raises
    ------
    ValueError
        As :class:`SentenceEncoder`, or if ``STARTER_VECTORS`` is missing, is not
        ``len(starter_patterns()) x dim`` float32 values, or holds a non-finite value.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        file = Path(path) / STARTER_VECTORS
        if not file.is_file():
            raise ValueError(f"{file} is missing (build.py dist writes it next to the model)")
        self._starter_texts = [pattern.text for pattern in starter_patterns()]
        vectors = np.fromfile(file, dtype="<f4")
        if vectors.size != len(self._starter_texts) * self.dim or not np.isfinite(vectors).all():
            raise ValueError(
                f"{file} holds {vectors.size} values, expected {len(self._starter_texts)} x {self.dim} finite "
                "float32s: rebuild with build.py dist"
            )
        self._starter_vectors = vectors.astype(np.float32).reshape(-1, self.dim)

    def encode(self, texts: str | Sequence[str]) -> np.ndarray:
        """As :meth:`SentenceEncoder.encode`; exactly the starter library's texts come from the file."""
        if isinstance(texts, list) and len(texts) == len(self._starter_texts) and texts == self._starter_texts:
            return self._starter_vectors.copy()
        return super().encode(texts)


def _router(config: dict[str, Any] | None = None, seed: int = 0) -> HnswRouter:
    return HnswRouter(RouterConfig(**_keywords(config)) if config else None, seed)


def _sona(dim: int = 384, config: dict[str, Any] | None = None) -> SonaInstant:
    return SonaInstant(dim, SonaConfig.from_dict(config) if config else None)


#: What ``create`` can make, by class name: each takes the JS constructor's options as keywords.
FACTORIES: dict[str, Callable[..., Any]] = {
    "IntelligentLLM": lambda config=None: IntelligentLLM(config),
    "HnswRouter": _router,
    "MicroLoRA": MicroLoRA,
    "ScopedLoRA": ScopedLoRA,
    "SonaInstant": _sona,
    "TextEmbedder": lambda dim=384: TextEmbedder(dim),
    # A model folder in the worker's own file system, where the worker writes the files it fetched.
    "SentenceEncoder": WorkerEncoder,
    "StaticEncoder": StaticEncoder,
    "TrajectoryBuffer": TrajectoryBuffer,
}
#: What ``load`` can restore from a snapshot, by class name.
LOADERS: dict[str, Callable[..., Any]] = {
    "IntelligentLLM": IntelligentLLM.load,
    "HnswRouter": HnswRouter.from_bytes,
}

#: The encoders the worker builds from fetched model files: the files each reads, by class name.
ENCODER_FILES: dict[str, tuple[str, ...]] = {
    "SentenceEncoder": (*REQUIRED_FILES, STARTER_VECTORS),
    "StaticEncoder": STATIC_FILES,
}

_objects: dict[int, Any] = {}


def version_info() -> dict[str, str]:
    """Versions of the engine, numpy and Python, and the platform it runs on."""
    return {
        "ruvllm_web": __version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


def client_constants() -> dict[str, Any]:
    """The engine's constants the JS client checks arguments against, under the client's names.

    ``build.py`` writes them into the client's generated ``constants.js``, so that the client
    never keeps a copy of its own: ``OPERATOR_NAMES`` (``scope_name`` of each operator, by
    number), ``STARTER_AGENTS``, ``BENCHMARK_OPTIONS`` (each self-benchmark's options a page may
    give: all but ``seed``, so that a page's runs are seeded alike), ``MAX_TEXT`` (the longest
    text, characters) and ``ROUTER_CONFIGS`` (``RouterConfig()``, ``RouterConfig.fast()`` and
    ``RouterConfig.high_recall()``, the settings ``HnswRouterConfigWasm`` has, in camelCase).

    Returns
    -------
    dict
        JSON-able values: lists, dicts, strings and numbers.
    """
    routers = {"default": RouterConfig(), "fast": RouterConfig.fast(), "highRecall": RouterConfig.high_recall()}
    return {
        "OPERATOR_NAMES": [scope_name(op) for op in OperatorType],
        "STARTER_AGENTS": list(STARTER_AGENTS),
        "BENCHMARK_OPTIONS": {
            kind: [name for name in names if name != "seed"] for kind, names in self_benchmark.OPTIONS.items()
        },
        "MAX_TEXT": MAX_TEXT_LENGTH,
        "ROUTER_CONFIGS": {name: _client_router(config) for name, config in routers.items()},
    }


def _client_router(config: RouterConfig) -> dict[str, Any]:
    """The settings of ``config`` that ``HnswRouterConfigWasm`` has, by its camelCase names."""
    return {
        "dim": config.dim,
        "m": config.m,
        "efConstruction": config.ef_construction,
        "efSearch": config.ef_search,
        "topK": config.top_k,
        "minConfidence": config.min_confidence,
        "maxPatterns": config.max_patterns,
    }


def l2_normalize(vector: object) -> np.ndarray:
    """Return ``vector / ||vector||_2`` as float32.

    Parameters
    ----------
    vector : array-like of shape (n,)
        Finite values, not all zero, ``1 <= n <= MAX_VECTOR_LENGTH``.

    Raises
    ------
    TypeError, ValueError
        For a non-numeric, empty, oversized, non-finite or zero vector.
    """
    length = len(vector) if hasattr(vector, "__len__") and not isinstance(vector, (str, bytes)) else 0
    values = as_vector(vector, length, "vector")
    as_int(length, "vector length", 1, MAX_VECTOR_LENGTH)
    norm = float(np.linalg.norm(values))
    if norm == 0.0:
        raise ValueError("vector is all zeros and has no direction")
    return values / np.float32(norm)


def create(handle: int, class_name: str, kwargs: dict[str, Any] | None = None) -> int:
    """Construct ``class_name`` from the options ``kwargs`` and keep it under ``handle``; return ``handle``."""
    number = _new_handle(handle)
    _objects[number] = _lookup(FACTORIES, class_name)(**_keywords(kwargs))
    return number


def load(handle: int, class_name: str, data: object, *options: Any) -> int:
    """Restore a ``class_name`` from snapshot ``data`` and keep it under ``handle``; return ``handle``."""
    number = _new_handle(handle)
    _objects[number] = _lookup(LOADERS, class_name)(_as_bytes(data), *options)
    return number


def replace(handle: int, class_name: str, data: object, *options: Any) -> int:
    """Restore a ``class_name`` from snapshot ``data`` in place of the object under ``handle``.

    The snapshot is loaded in full first; only then does it take the handle's place, so a
    refused snapshot leaves the object under ``handle`` exactly as it was. Returns ``handle``.
    """
    current = _object(handle)
    loader = _lookup(LOADERS, class_name)
    if type(current).__name__ != class_name:
        raise TypeError(f"handle {handle} is a {type(current).__name__}, not a {class_name}")
    _objects[int(handle)] = loader(_as_bytes(data), *options)
    return int(handle)


def invoke(handle: int, method: str, *args: Any) -> Any:
    """Call ``method(*args)`` on the object under ``handle``, or read it if it is a property."""
    target = _object(handle)
    name = as_text(method, "method", 100)
    if name.startswith("_") or not hasattr(type(target), name):
        raise ValueError(f"{type(target).__name__} has no method {name!r}")
    value = getattr(target, name)
    if callable(value):
        return plain(value(*args))
    if args:
        raise TypeError(f"{type(target).__name__}.{name} is a property and takes no arguments")
    return plain(value)


def forward_buffers(handle: int, x: object) -> np.ndarray:
    """The zero-allocation forward pass of a MicroLoRA: copy ``x`` into its input buffer, run, return its output buffer."""
    target = _object(handle)
    if not isinstance(target, MicroLoRA):
        raise TypeError(f"handle {handle} is a {type(target).__name__}, not a MicroLoRA")
    np.copyto(target.input_buffer, as_vector(x, target.dim, "input"))
    return target.forward_buffers()


def time_call(call: str, repeats: int, *args: Any) -> list[float]:
    """Run the bridge function ``call(*args)`` ``repeats`` times here; return each call's microseconds.

    The in-worker baseline of the browser benchmarks: the same call, without the crossing (e.g.
    ``time_call("invoke", n, handle, "process", v)`` or ``time_call("encode_texts", n, handle, texts)``).

    Raises
    ------
    ValueError
        If ``call`` is not one of :data:`CALLS` (or is ``time_call`` itself), or ``repeats`` is
        not in ``[1, 100000]``.
    """
    name = as_text(call, "call", 100)
    if name not in CALLS or name == "time_call":
        raise ValueError(f"{name!r} is not a bridge call that can be timed")
    target = globals()[name]
    count = as_int(repeats, "repeats", 1, 100_000)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        target(*args)
        times.append((time.perf_counter() - started) * 1e6)
    return times


def add_starter_library(handle: int, embedder_handle: int) -> int:
    """Add the starter library, embedded by the embedder under ``embedder_handle``, to the object under ``handle``.

    The embedder is a TextEmbedder, a SentenceEncoder or a StaticEncoder. Returns the number of
    patterns added; see :func:`ruvllm_web.text.starter_library.add_starter_library`.
    """
    target = _object(handle)
    embedder = _object(embedder_handle)
    if not isinstance(embedder, (TextEmbedder, FolderEncoder)):
        raise TypeError(
            f"handle {embedder_handle} is a {type(embedder).__name__}, not a TextEmbedder, SentenceEncoder "
            "or StaticEncoder"
        )
    return _add_starter_library(target, embedder)


def encoder_files(class_name: str = "SentenceEncoder") -> list[str]:
    """The files of a model folder the encoder ``class_name`` reads in the worker (the worker fetches these).

    A ``"SentenceEncoder"`` (a WorkerEncoder) reads the model and ``STARTER_VECTORS``; a
    ``"StaticEncoder"`` reads the tokenizer's files and the static token table, not the weights.

    Raises
    ------
    ValueError
        If ``class_name`` names no encoder.
    """
    key = as_text(class_name, "class name", 100)
    if key not in ENCODER_FILES:
        raise ValueError(f"{key!r} is not an encoder; known: {sorted(ENCODER_FILES)}")
    return list(ENCODER_FILES[key])


def encode_texts(handle: int, texts: object) -> np.ndarray:
    """The encoder under ``handle`` on a list of texts: the ``(n, dim)`` vectors, row after row.

    One flat float32 array, so that it crosses to the page as one Float32Array, which the
    client cuts into ``n`` vectors. Raises as :meth:`SentenceEncoder.encode` on a list.
    """
    if not isinstance(texts, list):
        raise TypeError(f"texts must be a list of str, got {type(texts).__name__}")
    return _encoder(handle).encode(texts).reshape(-1)


def invoke_text(handle: int, encoder_handle: int, method: str, text: object, *args: Any) -> Any:
    """``invoke(handle, method, v, *args)`` where ``v`` is ``text`` embedded by the encoder under ``encoder_handle``.

    The text is embedded first: a text the encoder refuses (not a string, empty, too long)
    raises before the object under ``handle`` is touched.
    """
    _object(handle)
    return invoke(handle, method, _encoder(encoder_handle).encode(as_text(text, "text", MAX_TEXT_CHARS)), *args)


def run_benchmark(kind: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the self-benchmark ``kind`` ("hnsw" or "lora") here; see :mod:`ruvllm_web.self_benchmark`."""
    return plain(self_benchmark.run(kind, options))


def scratch_vector(length: int) -> np.ndarray:
    """A new zeroed float32 buffer of ``length`` values, which the worker reuses for incoming vectors."""
    return np.zeros(as_int(length, "length", 1, MAX_VECTOR_LENGTH), dtype=np.float32)


def free(handle: int) -> None:
    """Drop the object under ``handle``."""
    _object(handle)
    del _objects[handle]


def tick_all(now: float | None = None) -> int:
    """Run the background loop of every live object that has one; return how many ran."""
    ran = 0
    for target in list(_objects.values()):
        tick = getattr(target, "tick", None)
        if callable(tick) and tick(now) is not None:
            ran += 1
    return ran


def plain(value: Any) -> Any:
    """Turn a result into something the worker converts to JS without proxies.

    Float32 arrays at the top level stay arrays (they become Float32Arrays);
    other arrays become lists; dataclasses and objects with ``to_dict`` become
    dicts; tuples become lists; numpy scalars become Python numbers.

    Raises
    ------
    ValueError
        For an integer beyond ``+-JS_SAFE_INTEGER`` (``2**53 - 1``) anywhere in
        the result: a JS number cannot hold it exactly, and the worker would
        have to send a BigInt, which the page cannot serialise. Bounded
        snapshots and counters keep the engine from making one.
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float32 and value.ndim == 1:
        return value
    return _nested(value)


def _nested(value: Any) -> Any:
    if isinstance(value, int):
        return value if -JS_SAFE_INTEGER <= value <= JS_SAFE_INTEGER else _unsafe(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu" and value.size and not (
            -JS_SAFE_INTEGER <= int(value.min()) and int(value.max()) <= JS_SAFE_INTEGER
        ):
            _unsafe(int(value.max()) if int(value.max()) > JS_SAFE_INTEGER else int(value.min()))
        return value.tolist()
    if isinstance(value, np.generic):
        return _nested(value.item())
    if isinstance(value, (list, tuple)):
        return [_nested(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _nested(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return _nested(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _nested(dataclasses.asdict(value))
    return value


def _unsafe(value: int) -> Any:
    raise ValueError(
        f"result holds the integer {value}, beyond what a JS number holds exactly (+-{JS_SAFE_INTEGER})"
    )


def _new_handle(handle: object) -> int:
    number = as_int(handle, "handle", 1, MAX_HANDLE)
    if number in _objects:
        raise ValueError(f"handle {number} is already in use")
    return number


def _encoder(handle: object) -> FolderEncoder:
    target = _object(handle)
    if not isinstance(target, FolderEncoder):
        raise TypeError(f"handle {handle} is a {type(target).__name__}, not a SentenceEncoder or StaticEncoder")
    return target


def _object(handle: object) -> Any:
    number = as_int(handle, "handle", 1, MAX_HANDLE)
    if number not in _objects:
        raise ValueError(f"no engine object with handle {number} (freed, or never created)")
    return _objects[number]


def _lookup(table: dict[str, Callable[..., Any]], name: object) -> Callable[..., Any]:
    key = as_text(name, "class name", 100)
    if key not in table:
        raise ValueError(f"unknown engine class {key!r}; known: {sorted(table)}")
    return table[key]


def _as_bytes(data: object) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"snapshot must be bytes (a Uint8Array in JS), got {type(data).__name__}")


def _keywords(kwargs: object) -> dict[str, Any]:
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise TypeError("constructor options must be an object with string keys")
    return kwargs


#: The functions the worker may call by name.
CALLS = (
    "version_info", "l2_normalize", "create", "load", "replace", "invoke", "forward_buffers", "free", "tick_all", "scratch_vector",
    "time_call", "add_starter_library", "starter_task_types", "run_benchmark", "encoder_files", "encode_texts",
    "invoke_text",
)
