"""The snapshot container: bit-exact round trips and clear refusals of bad input."""

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
