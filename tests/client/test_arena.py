"""The shared-memory arena of the client (static/client/arena.js), the real module run by Node: no region it
hands out ever overlaps a live one, whatever the interleaving of calls and answers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "arena_property.js"
NODE = shutil.which("node")


def drive(seed: int, steps: int, floats: int, static_floats: int) -> dict:
    if NODE is None:
        raise pytest.UsageError("node is missing: the client's tests run the library in Node")
    command = [NODE, str(SCRIPT), str(ROOT / "static" / "client" / "arena.js"), str(seed), str(steps), str(floats),
               str(static_floats)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


# Small rings wrap every few calls; the sizes include a ring of one float and rings of odd sizes.
@pytest.mark.parametrize(("floats", "static_floats"), [(64, 8), (37, 0), (9, 8), (1000, 999), (4096, 1024)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_interleaving_of_alloc_and_release_overlaps_live_regions(seed, floats, static_floats) -> None:
    stats = drive(seed, 5000, floats, static_floats)
    assert "error" not in stats, stats.get("error")
    # The run exercised what matters: many allocations, wrapping, a full ring, and several live at once.
    assert stats["allocated"] > 1000 and stats["wraps"] > 100 and stats["refused"] > 100
    assert stats["maxLive"] >= (2 if floats - static_floats > 1 else 1)
