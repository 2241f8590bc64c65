"""static/ruvllm.d.ts type-checks the documents' examples with `tsc --strict` and refuses misuse."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("RUVLLM_CACHE") or Path.home() / ".cache" / "ruvllm-web")
TSC = CACHE / "node" / "node_modules" / ".bin" / "tsc"


def tsc(*args: str) -> subprocess.CompletedProcess[str]:
    if not TSC.exists():
        raise pytest.UsageError(f"{TSC} is missing: ./dev test installs typescript there")
    return subprocess.run([str(TSC), *args], cwd=HERE, capture_output=True, text=True)


def test_the_examples_type_check() -> None:
    result = tsc("-p", "tsconfig.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_misuse_is_refused() -> None:
    options = ("--strict", "--noEmit", "--target", "ES2022", "--module", "ES2022", "--moduleResolution", "bundler")
    result = tsc(*options, "--lib", "ES2022,DOM", "misuse.ts")
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if line.startswith("misuse.ts(")]
    assert [line.split(")")[0] for line in errors] == [
        "misuse.ts(6,21", "misuse.ts(7,34", "misuse.ts(8,9", "misuse.ts(10,31", "misuse.ts(11,9", "misuse.ts(12,55",
        "misuse.ts(14,45", "misuse.ts(15,9", "misuse.ts(16,18", "misuse.ts(17,42", "misuse.ts(18,45",
    ]
    assert "'number[]' is not assignable to parameter of type 'Input'" in errors[0]
    assert "'number' is not assignable to type 'string | URL | undefined'" in errors[-2]
    assert "'string[]' is not assignable to parameter of type 'string'" in errors[-1]
