"""What every build step uses: the repository root, the error a failed step raises, the progress log,
and running a command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: The repository root (this package's parent): the source tree the wheel and dist/ are built from.
ROOT = Path(__file__).resolve().parent.parent


class BuildError(Exception):
    """A build step failed; the message says which file and why."""


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[build] {message}", file=sys.stderr, flush=True)


def run(command: list[str], cwd: Path | None = None) -> None:
    """Run a command, raising BuildError with its output when it fails."""
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(command)} failed:\n{result.stdout}")
