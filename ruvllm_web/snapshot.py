"""The binary container every saved piece of engine state uses.

Layout (all integers little-endian; see docs/snapshot-format.md)::

    offset  size  field
    0       8     magic  b"RUVLLMW\\x00"
    8       2     format version (uint16), currently 1
    10      2     reserved, 0
    12      4     metadata length M in bytes (uint32)
    16      8     payload length P in bytes (uint64)
    24      4     CRC-32 of the M + P bytes that follow (uint32)
    28      4     reserved, 0
    32      M     metadata: UTF-8 JSON object
                  {"kind": str, "meta": {...}, "arrays": [{"name", "dtype", "shape", "offset"}]}
    32+M    P     payload: the arrays' raw little-endian bytes, each at its
                  offset (relative to the payload start, 8-byte aligned)

Loading checks, in this order, and raises ``ValueError`` naming the first
problem: length, magic, version, declared lengths, checksum, nesting depth
of the metadata (before it is parsed), JSON, kind, then every array entry
(allowed dtype, shape, bounds). Nothing in a snapshot is ever executed: the
metadata is plain JSON and arrays are raw numbers of a whitelisted dtype.

Every component bounds each number its state holds (named constants next to
the code that owns the field, listed in docs/snapshot-format.md) before it
allocates anything, so a crafted snapshot with a valid checksum is refused
with ``ValueError`` or loads into an engine that works. Counters share one
bound, :data:`MAX_COUNT`, and are written capped at it (:func:`capped`).
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from typing import Any, TypeVar

import numpy as np

MAGIC = b"RUVLLMW\x00"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sHHIQII")
#: Array dtypes a snapshot may hold, by their little-endian numpy codes.
ALLOWED_DTYPES = ("<f4", "<f8", "<i4", "<i8", "<u1", "|u1", "|b1")
#: Upper bound on the metadata block, a guard against hostile length fields.
MAX_METADATA_BYTES = 64 * 1024 * 1024
#: Deepest nesting of JSON objects and arrays the metadata may have. The deepest
#: real snapshot nests 6 levels (an engine's ``meta.router.index.rng.state``);
#: the JSON parser recurses once per level, and a few thousand levels overflow
#: the wasm stack inside Pyodide, which kills the runtime. Checked before parsing.
MAX_METADATA_DEPTH = 16
#: The largest integer a JS number holds exactly (``Number.MAX_SAFE_INTEGER``).
#: Nothing that reaches the page may exceed it in magnitude.
JS_SAFE_INTEGER = 2**53 - 1
#: Bound of every counter a snapshot holds (requests, queries, clock, adapter
#: steps, ...). A counter moves by one per operation, so a real engine reaches
#: 2**52 only after 142 years at a million operations a second; a loaded
#: counter can still count 2**52 more before it passes :data:`JS_SAFE_INTEGER`.
#: Components write counters capped at this bound (:func:`capped`), so a
#: snapshot of an engine loaded at the bound loads again.
MAX_COUNT = 2**52

Arrays = dict[str, np.ndarray]
_Count = TypeVar("_Count", int, float)
# +1 for the bytes that open a JSON object or array, -1 for those that close one, 0 for the others.
_BRACKET_STEPS = np.zeros(256, dtype=np.int8)
_BRACKET_STEPS[[ord("["), ord("{")]] = 1
_BRACKET_STEPS[[ord("]"), ord("}")]] = -1
# Most dimensions an array may have; snapshots hold vectors and matrices only.
_MAX_NDIM = 2


def pack(kind: str, meta: dict[str, Any], arrays: Arrays | None = None) -> bytes:
    """Serialise ``meta`` (JSON-able) and ``arrays`` into one snapshot.

    Parameters
    ----------
    kind : str
        What the snapshot holds, e.g. ``"HnswIndex"``; checked on load.
    meta : dict
        JSON-serialisable metadata (no NaN/Inf floats).
    arrays : dict of str to ndarray
        Named arrays; stored little-endian, bit-exact.
    """
    arrays = arrays or {}
    entries = []
    chunks = []
    offset = 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        dtype = data.dtype.newbyteorder("<") if data.dtype.byteorder not in ("|", "<", "=") else data.dtype
        code = np.dtype(dtype).str
        if code not in ALLOWED_DTYPES:
            raise TypeError(f"array {name!r} has dtype {data.dtype}, which snapshots cannot hold")
        raw = data.astype(code, copy=False).tobytes()
        padding = (-offset) % 8
        chunks.append(b"\x00" * padding)
        offset += padding
        entries.append({"name": name, "dtype": code, "shape": list(data.shape), "offset": offset})
        chunks.append(raw)
        offset += len(raw)
    metadata = json.dumps({"kind": kind, "meta": meta, "arrays": entries}, allow_nan=False, separators=(",", ":"))
    meta_bytes = metadata.encode("utf-8")
    payload = b"".join(chunks)
    checksum = zlib.crc32(payload, zlib.crc32(meta_bytes))
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(meta_bytes), len(payload), checksum, 0)
    return header + meta_bytes + payload


def unpack(data: object, kind: str) -> tuple[dict[str, Any], Arrays]:
    """Parse a snapshot made by :func:`pack` and return ``(meta, arrays)``.

    The arrays are fresh, writable, native-endian copies.

    Raises
    ------
    TypeError
        If ``data`` is not bytes-like.
    ValueError
        If the snapshot is truncated, corrupted, foreign, of a future format
        version, or holds something other than ``kind``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"snapshot must be bytes, got {type(data).__name__}")
    view = memoryview(data).cast("B")
    if len(view) < _HEADER.size:
        raise ValueError(f"truncated snapshot: {len(view)} bytes is shorter than the {_HEADER.size}-byte header")
    magic, version, reserved_a, meta_len, payload_len, checksum, reserved_b = _HEADER.unpack_from(view)
    if magic != MAGIC:
        raise ValueError("not a ruvllm-web snapshot (wrong magic bytes)")
    if version > FORMAT_VERSION:
        raise ValueError(f"snapshot format version {version} is newer than this library reads ({FORMAT_VERSION})")
    if version < 1:
        raise ValueError(f"snapshot format version {version} is invalid")
    if reserved_a or reserved_b:
        raise ValueError("corrupted snapshot: reserved header fields are not zero")
    if meta_len > MAX_METADATA_BYTES:
        raise ValueError(f"corrupted snapshot: metadata length {meta_len} is implausible")
    expected = _HEADER.size + meta_len + payload_len
    if len(view) < expected:
        raise ValueError(f"truncated snapshot: header promises {expected} bytes, got {len(view)}")
    if len(view) > expected:
        raise ValueError(f"corrupted snapshot: {len(view) - expected} unexpected bytes after the payload")
    body = view[_HEADER.size :]
    if zlib.crc32(body) != checksum:
        raise ValueError("corrupted snapshot: checksum mismatch")
    raw = bytes(body[:meta_len])
    depth = json_depth(raw)
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(
            f"corrupted snapshot: metadata nests {depth} levels deep, at most {MAX_METADATA_DEPTH} allowed"
        )
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # ValueError: also ints of over 4300 digits
        raise ValueError(f"corrupted snapshot: metadata is not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("meta"), dict):
        raise ValueError("corrupted snapshot: metadata is not an object with a 'meta' field")
    if document.get("kind") != kind:
        raise ValueError(f"snapshot holds a {document.get('kind')!r}, expected a {kind!r}")
    payload = body[meta_len:]
    return document["meta"], _read_arrays(document.get("arrays"), payload)


def json_depth(raw: bytes) -> int:
    """How deeply the JSON text ``raw`` nests objects and arrays, without parsing it.

    A quote preceded by an odd run of backslashes is escaped; the others
    open and close strings, and a bracket lies inside a string when an odd
    number of them precede it. The depth is the largest prefix sum of ``+1``
    per ``[``/``{`` and ``-1`` per ``]``/``}`` outside strings. On any text
    the parser accepts up to some point this is the nesting it reaches up to
    there (outside strings such text has no backslashes), so a parser that
    stops at the first error never goes deeper. Vectorised over the bytes,
    and over the quotes and brackets found: cheaper than parsing.
    """
    opens = raw.count(b"[") + raw.count(b"{")
    if opens <= MAX_METADATA_DEPTH:  # the common small case: no scan needed
        return opens
    data = np.frombuffer(raw, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    if quotes.size and raw.find(b"\\") >= 0:
        backslashes = data == ord("\\")
        positions = np.arange(data.size, dtype=np.int32)  # MAX_METADATA_BYTES < 2**31
        last_other = np.maximum.accumulate(np.where(backslashes, -1, positions))
        before = quotes - 1
        run = np.where(before >= 0, before - last_other[np.maximum(before, 0)], 0)  # backslashes right before
        quotes = quotes[(run & 1) == 0]
    steps = _BRACKET_STEPS[data]
    brackets = np.flatnonzero(steps)
    outside = (np.searchsorted(quotes, brackets) & 1) == 0  # an even number of quotes before it
    return int(np.cumsum(steps[brackets[outside]], dtype=np.int32).max(initial=0))


def capped(count: _Count) -> _Count:
    """``count`` capped at :data:`MAX_COUNT`, as components write their counters (see :data:`MAX_COUNT`)."""
    return count if count <= MAX_COUNT else type(count)(MAX_COUNT)


def nest(prefix: str, arrays: Arrays) -> Arrays:
    """A component's arrays renamed ``prefix/name``, for a snapshot that holds several components."""
    return {f"{prefix}/{name}": array for name, array in arrays.items()}


def section(arrays: Arrays, prefix: str) -> Arrays:
    """The arrays nested under ``prefix/``, with the prefix removed (the inverse of :func:`nest`)."""
    start = len(prefix) + 1
    return {name[start:]: array for name, array in arrays.items() if name.startswith(prefix + "/")}


def _refuse_constant(name: str) -> None:
    """JSON has no NaN or Infinity; Python's parser accepts them unless told not to."""
    raise ValueError(f"{name} is not a JSON number")


def _read_arrays(entries: object, payload: memoryview) -> Arrays:
    """Validate the array table and copy each array out of ``payload``."""
    if not isinstance(entries, list):
        raise ValueError("corrupted snapshot: array table is not a list")
    arrays: Arrays = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError("corrupted snapshot: array entry is not an object")
        name, code, shape, offset = (entry.get(k) for k in ("name", "dtype", "shape", "offset"))
        if not isinstance(name, str) or name in arrays:
            raise ValueError(f"corrupted snapshot: bad or repeated array name {name!r}")
        if code not in ALLOWED_DTYPES:
            raise ValueError(f"corrupted snapshot: array {name!r} has disallowed dtype {code!r}")
        if not (
            isinstance(shape, list) and len(shape) <= _MAX_NDIM
            and all(type(d) is int and d >= 0 for d in shape)
        ):
            raise ValueError(f"corrupted snapshot: array {name!r} has an invalid shape {shape!r}")
        if type(offset) is not int or offset < 0:
            raise ValueError(f"corrupted snapshot: array {name!r} has an invalid offset {offset!r}")
        dtype = np.dtype(code)
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: a hostile shape cannot overflow
        if offset + nbytes > len(payload):
            raise ValueError(f"corrupted snapshot: array {name!r} runs past the end of the payload")
        flat = np.frombuffer(payload[offset : offset + nbytes], dtype=dtype)
        arrays[name] = flat.reshape(shape).astype(dtype.newbyteorder("="), copy=True)
    return arrays
