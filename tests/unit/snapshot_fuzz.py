"""A structured fuzzer for snapshots, shared by tests/unit/test_snapshot_fuzz.py and benchmarks/fuzz_snapshots.py.

A case is a snapshot of a real engine, router or index with one or more
mutations: a metadata value (any node of the JSON document, leaves and
containers alike) replaced by a hostile value or deleted, an unknown key
added, or bytes flipped, cut or appended, in the header, the metadata or the
payload. Metadata and payload mutations are re-signed (the checksum and
lengths made right again), so they reach the components' own checks.

Every case must be refused with ``ValueError`` or load into an object that
works (:func:`check`): anything else is a crash.
"""

from __future__ import annotations

import copy
import json
import random
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ruvllm_web import bridge, snapshot
from ruvllm_web.hnsw import HnswIndex
from ruvllm_web.router import HnswRouter
from ruvllm_web.intelligent import IntelligentLLM
from ruvllm_web.learning.sona import SonaConfig
from ruvllm_web.router_types import RouterConfig

_HEADER = struct.Struct("<8sHHIQII")
Path = tuple[Any, ...]
# Twenty levels of lists: with the path to any field, past the metadata's depth bound.
_NESTED: list[Any] = []
for _ in range(19):
    _NESTED = [_NESTED]

#: Values a hostile file puts in any field: bounds and just past them, the edges of
#: int32/int64/JS numbers, huge and tiny floats, NaN/Inf, wrong types, deep nesting.
HOSTILE: tuple[Any, ...] = (
    -1, 0, 1, 2, 3, 4, 5, 2**16, 2**24 + 1, 2**31, 2**32 + 1, 10**6,
    snapshot.MAX_COUNT, snapshot.MAX_COUNT + 1, 2**53 - 1, 2**53, 2**63 - 1, 2**63, 2**64, 2**128, -(2**63),
    10**400, 0.5, 1.5, -0.0, 1e-308, 1e308, -1e308, float("inf"), float("nan"),
    True, False, None, "", "x" * 5000, "PCG64", "cosine", [], {}, [0], [-1], {"a": 1}, _NESTED,
)
#: A cheaper list for the unit test: one of each kind of trouble.
HOSTILE_QUICK: tuple[Any, ...] = (
    -1, 0, 2, 2**31, snapshot.MAX_COUNT, snapshot.MAX_COUNT + 1, 2**53, 2**63, 2**128, 10**400,
    0.5, 1e308, float("nan"), True, None, "x" * 5000, [], {"a": 1}, _NESTED,
)


def sample_engine() -> bytes:
    """An 8-dim engine that has routed, learned, ticked (its ring wrapped) and run the deep loop."""
    config = {"router": RouterConfig(dim=8).to_dict(),
              "sona": SonaConfig(capacity=8, min_batch=1, deep_min_requests=1, deep_every=5).to_dict()}
    engine = IntelligentLLM(config)
    rng = np.random.default_rng(0)
    for i in range(6):
        engine.add_pattern(rng.normal(size=8).astype(np.float32), f"agent{i % 3}", f"task{i % 2}", f"pattern {i}")
    for i in range(12):
        engine.process(rng.normal(size=8).astype(np.float32), f"request {i}", float(rng.random()))
        if i % 4 == 3:
            engine.tick(float(i))
    engine.run_deep()
    for i in range(10):
        engine.process(rng.normal(size=8).astype(np.float32), f"late {i}", 0.95)
    return engine.save()


def sample_router() -> bytes:
    """An 8-dim router with patterns, one removed, routes and outcomes."""
    router = HnswRouter(RouterConfig(dim=8, max_patterns=16))
    rng = np.random.default_rng(1)
    for i in range(7):
        router.add_pattern(rng.normal(size=8).astype(np.float32), f"agent{i % 2}", "task", "")
    router.remove_pattern(2)
    for _ in range(5):
        router.record_outcome(router.route(rng.normal(size=8).astype(np.float32)), True)
    return router.to_bytes()


def sample_index() -> bytes:
    """A 4-dim graph index (links on several layers, one free slot) and a lazily linked one."""
    index = HnswIndex(4, m=2, ef_construction=8, exact_threshold=0, seed=3)
    index.add_batch(np.random.default_rng(2).normal(size=(24, 4)).astype(np.float32))
    index.remove(5)
    return index.to_bytes()


def sample_waiting_index() -> bytes:
    """A 4-dim index whose vectors wait to be linked (exact search), under l2."""
    index = HnswIndex(4, metric="l2", exact_threshold=10)
    index.add_batch(np.random.default_rng(4).normal(size=(7, 4)).astype(np.float32))
    return index.to_bytes()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "IntelligentLLM": sample_engine, "HnswRouter": sample_router, "HnswIndex": sample_index,
    "HnswIndex/waiting": sample_waiting_index,
}


def parse(blob: bytes) -> tuple[dict[str, Any], bytes]:
    """A valid snapshot's metadata document and payload."""
    meta_len = _HEADER.unpack_from(blob)[3]
    return json.loads(blob[_HEADER.size : _HEADER.size + meta_len]), blob[_HEADER.size + meta_len :]


def sign(metadata: bytes, payload: bytes) -> bytes:
    """A snapshot of these metadata bytes and payload, with right lengths and checksum."""
    checksum = zlib.crc32(payload, zlib.crc32(metadata))
    header = _HEADER.pack(snapshot.MAGIC, snapshot.FORMAT_VERSION, 0, len(metadata), len(payload), checksum, 0)
    return header + metadata + payload


def dump(document: object) -> bytes:
    """JSON as a hostile writer makes it: NaN and Infinity allowed, big ints as digits."""
    return json.dumps(document, separators=(",", ":"), allow_nan=True).encode()


def paths(node: object, prefix: Path = ()) -> list[Path]:
    """Every node of a JSON document below its root (containers before their children)."""
    found: list[Path] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def replaced(document: dict[str, Any], path: Path, value: object) -> dict[str, Any]:
    """A copy of ``document`` with the node at ``path`` set to ``value`` (deleted if ``value`` is ``_DELETE``)."""
    result = copy.deepcopy(document)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return result


_DELETE = object()


def metadata_cases(document: dict[str, Any], payload: bytes, values: tuple[Any, ...]) -> list[bytes]:
    """Each node replaced by each of ``values``, deleted, and each object given an unknown key; re-signed."""
    cases = []
    for path in paths(document):
        for value in (*values, _DELETE):
            cases.append(sign(dump(replaced(document, path, value)), payload))
    for path in [(), *paths(document)]:
        node = document
        for key in path:
            node = node[key]
        if isinstance(node, dict):
            grown = copy.deepcopy(document)
            target = grown
            for key in path:
                target = target[key]
            target["unknown"] = 1
            cases.append(sign(dump(grown), payload))
    return cases


def byte_cases(blob: bytes, rng: random.Random, count: int) -> list[bytes]:
    """``count`` damaged copies: flips anywhere, cuts and extensions, raw or re-signed."""
    document, payload = parse(blob)
    metadata = blob[_HEADER.size : len(blob) - len(payload)]
    cases = []
    for _ in range(count):
        choice = rng.randrange(6)
        if choice == 0:  # flip any byte, checksum left as is
            data = bytearray(blob)
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            cases.append(bytes(data))
        elif choice == 1:  # cut or extend the file, header left as is
            cut = rng.randrange(len(blob))
            cases.append(blob[:cut] if rng.random() < 0.5 else blob + bytes(rng.randrange(1, 64)))
        elif choice == 2 and payload:  # flip payload bytes, re-signed: array contents change
            data = bytearray(payload)
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            cases.append(sign(metadata, bytes(data)))
        elif choice == 3:  # flip metadata bytes, re-signed: broken or changed JSON
            data = bytearray(metadata)
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            cases.append(sign(bytes(data), payload))
        elif choice == 4:  # cut or extend the payload, re-signed
            cut = rng.randrange(len(payload) + 1)
            tail = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
            cases.append(sign(metadata, payload[:cut] if rng.random() < 0.5 else payload + tail))
        else:  # cut the metadata, re-signed
            cases.append(sign(metadata[: rng.randrange(len(metadata))], payload))
    return cases


def random_cases(blob: bytes, rng: random.Random, count: int) -> list[bytes]:
    """``count`` cases of one to three hostile values at random nodes, re-signed (the campaign's bulk)."""
    document, payload = parse(blob)
    all_paths = paths(document)
    cases = []
    for _ in range(count):
        mutated = document
        for _ in range(rng.randrange(1, 4)):
            candidates = paths(mutated) or all_paths
            value = _DELETE if rng.random() < 0.1 else rng.choice(HOSTILE)
            mutated = replaced(mutated, rng.choice(candidates), value)
        cases.append(sign(dump(mutated), payload))
    return cases


def check(kind: str, blob: bytes) -> bool:
    """Load ``blob`` as ``kind``; ``False`` if refused with ValueError, ``True`` if it loads and works.

    Any other exception propagates (a crash), as does a failure of the
    loaded object to work: results must cross to JS (``bridge.plain`` and
    JSON), and its snapshot must load again. An engine works when
    ``stats()``, ``process``, ``route``, ``save()`` and loading that succeed,
    and its background loop runs first (what a loaded engine meets in the worker).
    """
    loader, work = _KINDS[kind.split("/")[0]]
    try:
        loaded = loader(blob)
    except ValueError:
        return False
    if isinstance(loaded, IntelligentLLM):
        _add_unless_ids_ran_out(lambda: _crosses(loaded.tick(1e9)), "no pattern ids left")
    work(loaded)
    return True


def _crosses(value: object) -> None:
    """``value`` as the worker sends it: through ``bridge.plain``, then to JSON as the page stores it."""
    json.dumps(bridge.plain(value), default=lambda array: array.tolist())


def _query(dim: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, dim, dtype=np.float32) + np.float32(0.25)


def _work_engine(engine: IntelligentLLM) -> None:
    _crosses(engine.stats())
    x = _query(engine.dim)
    _crosses(engine.process(x, "after load", 0.9))
    _crosses(engine.route(x))
    _crosses(IntelligentLLM.load(engine.save()).stats())


def _work_router(router: HnswRouter) -> None:
    _crosses(router.stats())
    x = _query(router.config.dim)
    _crosses(router.route(x))
    _add_unless_ids_ran_out(lambda: router.add_pattern(-x, "fuzz", "task"), "no pattern ids left")
    _crosses(HnswRouter.from_bytes(router.to_bytes()).stats())


def _work_index(index: HnswIndex) -> None:
    x = _query(index.dim)
    index.search(x, 3)
    _add_unless_ids_ran_out(lambda: index.add(-x), "no unused ids left")
    again = HnswIndex.from_bytes(index.to_bytes())
    assert len(again) == len(index)
    again.search(x, 3)


def _add_unless_ids_ran_out(add: Callable[[], object], message: str) -> None:
    """Adding (or a tick that adds) works, or is refused because the loaded ids reached their bound."""
    try:
        add()
    except ValueError as error:
        if message not in str(error):
            raise


_KINDS: dict[str, tuple[Callable[[bytes], Any], Callable[[Any], None]]] = {
    "IntelligentLLM": (IntelligentLLM.load, _work_engine),
    "HnswRouter": (HnswRouter.from_bytes, _work_router),
    "HnswIndex": (HnswIndex.from_bytes, _work_index),
}
