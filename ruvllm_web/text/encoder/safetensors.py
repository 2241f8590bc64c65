"""A reader and writer of the safetensors format with numpy alone.

A safetensors file is: 8 bytes, the little-endian unsigned length ``n`` of a
header; ``n`` bytes of UTF-8 JSON mapping each tensor name to its ``dtype``,
``shape`` and ``data_offsets`` ``[begin, end)`` (relative to the end of the
header), plus an optional ``__metadata__`` entry; then the raw little-endian
data. Tensors are returned as read-only views of one buffer (no copies).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

#: safetensors dtype names this reader understands.
DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}
#: A header larger than this is refused before it is read (the format's own reference limit).
MAX_HEADER_BYTES = 100_000_000


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """Read every tensor of a safetensors file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict of str to ndarray
        Tensor name to a read-only array of its dtype and shape.

    Raises
    ------
    ValueError
        If the file is not a well-formed safetensors file (short, header
        too long or not JSON, an unknown dtype, a shape that does not
        match its byte range, a range outside the data).
    """
    data = Path(path).read_bytes()
    return parse_safetensors(data, str(path))


def parse_safetensors(data: bytes, name: str = "safetensors data") -> dict[str, np.ndarray]:
    """Parse safetensors bytes; see :func:`read_safetensors`. ``name`` is used in error messages."""
    if len(data) < 8:
        raise ValueError(f"{name} is not a safetensors file: {len(data)} bytes, shorter than its 8-byte header length")
    header_length = int.from_bytes(data[:8], "little")
    if header_length > min(MAX_HEADER_BYTES, len(data) - 8):
        raise ValueError(f"{name} is not a safetensors file: header length {header_length} exceeds the file")
    try:
        header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{name} is not a safetensors file: its header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{name} is not a safetensors file: its header is not a JSON object")
    body = memoryview(data)[8 + header_length :]
    tensors = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        tensors[key] = _tensor(body, key, entry, name)
    return tensors


def safetensors_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The safetensors file of ``tensors`` (in the given order) with ``metadata`` as ``__metadata__``.

    The header is compact JSON with keys in insertion order, so equal inputs give equal bytes.

    Raises
    ------
    ValueError
        If a tensor's dtype is not one of :data:`DTYPES` (after conversion to little-endian).
    """
    names = {dtype: name for name, dtype in DTYPES.items()}
    header: dict[str, object] = {"__metadata__": dict(metadata)}
    chunks = []
    offset = 0
    for key, tensor in tensors.items():
        data = np.ascontiguousarray(tensor, dtype=tensor.dtype.newbyteorder("<"))
        if data.dtype not in names:
            raise ValueError(f"tensor {key!r} has dtype {tensor.dtype}, expected one of {sorted(DTYPES)}")
        chunks.append(data.tobytes())
        end = offset + data.nbytes
        header[key] = {"dtype": names[data.dtype], "shape": list(data.shape), "data_offsets": [offset, end]}
        offset = end
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return len(encoded).to_bytes(8, "little") + encoded + b"".join(chunks)


def _tensor(body: memoryview, key: str, entry: object, name: str) -> np.ndarray:
    """The array of one header entry, checked against the data it claims."""
    where = f"{name}: tensor {key!r}"
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise ValueError(f"{where} needs dtype, shape and data_offsets")
    dtype = DTYPES.get(entry["dtype"])
    if dtype is None:
        raise ValueError(f"{where} has dtype {entry['dtype']!r}, expected one of {sorted(DTYPES)}")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
        raise ValueError(f"{where} has shape {shape!r}, expected a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise ValueError(f"{where} has data_offsets {offsets!r}, expected [begin, end]")
    begin, end = offsets
    if not 0 <= begin <= end <= len(body):
        raise ValueError(f"{where} has data_offsets {offsets}, outside the {len(body)} bytes of data")
    if end - begin != math.prod(shape) * dtype.itemsize:
        raise ValueError(f"{where}: {end - begin} bytes do not hold shape {shape} of {entry['dtype']}")
    return np.frombuffer(body[begin:end], dtype=dtype).reshape(shape)
