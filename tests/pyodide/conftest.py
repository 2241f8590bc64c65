"""Tests that run inside real Pyodide (Node runtime) against the dist/ we build.

The wheel under test is the one in dist/pyodide, built from this source tree by
`python build.py dist`; the test command builds it first.
"""

from pathlib import Path

import pytest

DIST = Path(__file__).resolve().parents[2] / "dist" / "pyodide"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not (DIST / "pyodide-lock.json").is_file():
        raise pytest.UsageError(f"{DIST} is missing: run `python build.py dist` (./dev test does) first")
