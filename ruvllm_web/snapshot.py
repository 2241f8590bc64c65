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
problem: length, magic, version, declared lengths, checksum, JSON, kind,
then every array entry (allowed dtype, shape, bounds). Nothing in a
snapshot is ever executed: the metadata is plain JSON and arrays are raw
numbers of a whitelisted dtype.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np

MAGIC = b"RUVLLMW\x00"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sHHIQII")
#: Array dtypes a snapshot may hold, by their little-endian numpy codes.
ALLOWED_DTYPES = ("<f4", "<f8", "<i4", "<i8", "<u1", "|u1", "|b1")
#: Upper bound on the metadata block, a guard against hostile length fields.
MAX_METADATA_BYTES = 64 * 1024 * 1024

Arrays = dict[str, np.ndarray]


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
    try:
        document = json.loads(bytes(body[:meta_len]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"corrupted snapshot: metadata is not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("meta"), dict):
        raise ValueError("corrupted snapshot: metadata is not an object with a 'meta' field")
    if document.get("kind") != kind:
        raise ValueError(f"snapshot holds a {document.get('kind')!r}, expected a {kind!r}")
    payload = body[meta_len:]
    return document["meta"], _read_arrays(document.get("arrays"), payload)


def nest(prefix: str, arrays: Arrays) -> Arrays:
    """A component's arrays renamed ``prefix/name``, for a snapshot that holds several components."""
    return {f"{prefix}/{name}": array for name, array in arrays.items()}


def section(arrays: Arrays, prefix: str) -> Arrays:
    """The arrays nested under ``prefix/``, with the prefix removed (the inverse of :func:`nest`)."""
    start = len(prefix) + 1
    return {name[start:]: array for name, array in arrays.items() if name.startswith(prefix + "/")}


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
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise ValueError(f"corrupted snapshot: array {name!r} has an invalid shape {shape!r}")
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(f"corrupted snapshot: array {name!r} has an invalid offset {offset!r}")
        dtype = np.dtype(code)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if offset + nbytes > len(payload):
            raise ValueError(f"corrupted snapshot: array {name!r} runs past the end of the payload")
        flat = np.frombuffer(payload[offset : offset + nbytes], dtype=dtype)
        arrays[name] = flat.reshape(shape).astype(dtype.newbyteorder("="), copy=True)
    return arrays
