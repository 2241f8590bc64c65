"""The README's Python example runs as written, on the model `build.py dist` placed in dist/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ruvllm_web import STARTER_AGENTS

ROOT = Path(__file__).resolve().parents[2]


def python_example() -> str:
    """The README's one ```python block."""
    (block,) = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return block


def test_the_readme_python_example_runs_and_routes() -> None:
    if not (ROOT / "dist" / "models" / "all-MiniLM-L6-v2" / "model.safetensors").is_file():
        raise pytest.UsageError("dist/ is missing: run `python build.py dist` (./dev test does) first")
    example = python_example()
    assert len(example.strip().splitlines()) <= 10
    result = subprocess.run(
        [sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr
    agent, confidence = result.stdout.split()
    assert agent in STARTER_AGENTS
    assert 0.0 < float(confidence) <= 1.0
