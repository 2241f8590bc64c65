#!/usr/bin/env python3
"""Run a benchmark program on CPython and inside Pyodide (Node), with the same arguments.

    python benchmarks/run.py bench_hnsw.py [--runtime cpython|pyodide|both] [-- program args]

Each program prints one JSON document; this prints ``{"cpython": ..., "pyodide": ...}``.
The Pyodide run uses the wheel in dist/ (``python build.py dist`` first).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def run(runtime: str, program: Path, args: list[str]) -> object:
    """Run ``program`` in ``runtime`` and return its parsed JSON output."""
    if runtime == "cpython":
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, str(program), *args]
    else:
        env = dict(os.environ)
        command = ["node", str(HERE / "pyodide_runner.mjs"), str(ROOT / "dist" / "pyodide"), str(program), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"{runtime} run of {program.name} failed:\n{result.stderr}")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(("{", "[")))
    return json.loads("\n".join(lines[start:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("program", help="a file in benchmarks/ (or a path)")
    parser.add_argument("--runtime", choices=("cpython", "pyodide", "both"), default="both")
    parser.epilog = "arguments after -- go to the program"
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    options = parser.parse_args(argv[:split])  # options may follow the program name
    args = argv[split + 1 :]
    program = Path(options.program)
    if not program.exists():
        program = HERE / options.program
    runtimes = ("cpython", "pyodide") if options.runtime == "both" else (options.runtime,)
    print(json.dumps({runtime: run(runtime, program, args) for runtime in runtimes}, indent=1))


if __name__ == "__main__":
    main()
