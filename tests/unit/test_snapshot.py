"""The snapshot container: bit-exact round trips and clear refusals of bad input."""

import json
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruvllm_web import snapshot


def _sample() -> bytes:
    arrays = {
        "vectors": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "ids": np.array([5, -1, 9], dtype=np.int64),
        "flags": np.array([True, False, True]),
    }
    return snapshot.pack("Thing", {"dim": 4, "name": "x"}, arrays)


def test_round_trip_is_bit_exact() -> None:
    meta, arrays = snapshot.unpack(_sample(), "Thing")
    assert meta == {"dim": 4, "name": "x"}
    np.testing.assert_array_equal(arrays["vectors"], np.arange(12, dtype=np.float32).reshape(3, 4) / 7)
    assert arrays["vectors"].dtype == np.float32 and arrays["vectors"].flags.writeable
    assert arrays["ids"].tolist() == [5, -1, 9]
    assert arrays["flags"].tolist() == [True, False, True]


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda b: b[:20], "truncated"),
        (lambda b: b[:-3], "truncated"),
        (lambda b: b + b"\x00", "unexpected bytes"),
        (lambda b: b"NOTOURS\x00" + b[8:], "wrong magic"),
        (lambda b: b[:8] + b"\x09\x00" + b[10:], "newer than this library"),
        (lambda b: b[:40] + bytes([b[40] ^ 0xFF]) + b[41:], "checksum"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 0x01]), "checksum"),
        (lambda b: b[:30] + b"\x01" + b[31:], "reserved"),
    ],
)
def test_damaged_snapshots_are_refused(mangle, message) -> None:
    with pytest.raises(ValueError, match=message):
        snapshot.unpack(mangle(_sample()), "Thing")


def test_wrong_kind_and_type_are_refused() -> None:
    with pytest.raises(ValueError, match="expected a 'Other'"):
        snapshot.unpack(_sample(), "Other")
    with pytest.raises(TypeError, match="must be bytes"):
        snapshot.unpack("text", "Thing")


def test_object_arrays_cannot_be_packed() -> None:
    with pytest.raises(TypeError, match="cannot hold"):
        snapshot.pack("Thing", {}, {"bad": np.array([object()])})


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255))
def test_any_single_byte_flip_is_detected(position: int, xor: int) -> None:
    data = bytearray(_sample())
    position %= len(data)
    data[position] ^= xor or 1
    try:
        meta, arrays = snapshot.unpack(bytes(data), "Thing")
    except ValueError:
        return
    # Only a flip that leaves every checked field valid may load, and then it must load the same thing.
    assert meta == {"dim": 4, "name": "x"} and arrays["ids"].tolist() == [5, -1, 9]


def _signed(metadata: bytes, payload: bytes = b"") -> bytes:
    """A snapshot of raw metadata bytes with right lengths and checksum (what a crafted file has)."""
    checksum = zlib.crc32(payload, zlib.crc32(metadata))
    header = struct.pack(
        "<8sHHIQII", snapshot.MAGIC, snapshot.FORMAT_VERSION, 0, len(metadata), len(payload), checksum, 0
    )
    return header + metadata + payload


@pytest.mark.parametrize("depth", [snapshot.MAX_METADATA_DEPTH + 1, 100_000])
def test_deep_metadata_is_refused_before_parsing(depth: int) -> None:
    """Deep nesting overflowed the parser's stack (RecursionError on CPython, a fatal error in Pyodide)."""
    nested = "[" * (depth - 2) + "]" * (depth - 2)
    data = _signed(f'{{"kind":"Thing","meta":{{"x":{nested}}},"arrays":[]}}'.encode())
    with pytest.raises(ValueError, match=f"nests {depth} levels deep, at most {snapshot.MAX_METADATA_DEPTH}"):
        snapshot.unpack(data, "Thing")


def test_depth_ignores_brackets_inside_strings() -> None:
    text = '[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{'
    data = _signed(('{"kind":"Thing","meta":{"name":' + json.dumps(text) + '},"arrays":[]}').encode())
    assert snapshot.unpack(data, "Thing")[0] == {"name": text}
    assert snapshot.json_depth(b'{"a":[{"b":"]]]]}}}}"}]}') == 3


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1" * 5000])
def test_non_json_numbers_are_refused(token: str) -> None:
    with pytest.raises(ValueError, match="metadata is not valid JSON"):
        snapshot.unpack(_signed(f'{{"kind":"Thing","meta":{{"x":{token}}},"arrays":[]}}'.encode()), "Thing")


@pytest.mark.parametrize("shape", [[2**70], [2**40, 2**40], [1, 1, 1], [True], [2.0]])
def test_hostile_array_shapes_are_refused(shape: list) -> None:
    """A shape whose element count overflowed int64 raised OverflowError, or wrapped around to pass."""
    entry = {"name": "a", "dtype": "<f4", "shape": shape, "offset": 0}
    data = _signed(json.dumps({"kind": "Thing", "meta": {}, "arrays": [entry]}).encode(), bytes(8))
    with pytest.raises(ValueError, match="array 'a'"):
        snapshot.unpack(data, "Thing")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    return 1 + max(map(_depth, value), default=0) if isinstance(value, list) else 0


_TRICKY_TEXT = st.text(alphabet='[]{}"\\\\ab', max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.integers() | _TRICKY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TRICKY_TEXT, children, max_size=4),
    max_leaves=40,
))
def test_json_depth_is_the_nesting_the_parser_sees(document: object) -> None:
    """Brackets, quotes and backslashes inside strings do not count; the scan matches the parse."""
    raw = json.dumps(document).encode()
    depth = snapshot.json_depth(raw)
    assert depth == _depth(document) or (depth <= snapshot.MAX_METADATA_DEPTH and _depth(document) <= depth)
