"""Our wheel: the pure ``ruvllm_web`` package, built from this source tree for ``dist/pyodide/``."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from buildsys.step import ROOT, run


def build_wheel(out_dir: Path) -> Path:
    """Build the pure ``ruvllm_web`` wheel from this source tree into ``out_dir``."""
    with tempfile.TemporaryDirectory() as scratch:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", scratch, str(ROOT)])
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        for egg in ROOT.glob("*.egg-info"):
            shutil.rmtree(egg)
        (wheel,) = Path(scratch).glob("ruvllm_web-*-py3-none-any.whl")
        return Path(shutil.copy(wheel, out_dir / wheel.name))
