"""Assembles ``dist/`` from scratch.

``dist/`` holds the demo page, the worker, the client library (assembled by ``client.py``), the
official Pyodide 0.27.7 core, the Pyodide builds of numpy, micropip and packaging, our wheel, a
trimmed ``pyodide-lock.json`` that lists exactly those packages, Chart.js (``vendor.py``) and the
sentence encoder's files in ``dist/models/all-MiniLM-L6-v2/`` (``model.py``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from buildsys.client import CLIENT_DIR, assemble_client, client_constants, skip_client_sources
from buildsys.fetch import Fetcher, sha256_of
from buildsys.model import place_model
from buildsys.pins import CORE_SHA256, PACKAGES, PYODIDE_VERSION
from buildsys.step import ROOT, BuildError, log
from buildsys.vendor import vendor_chartjs
from buildsys.wheel import build_wheel

#: What goes into dist/ from the source tree besides Pyodide (static/ without static/client/, whose
#: modules build.py assembles into static/ruvllm.js and static/ruvllm.global.js instead).
SITE_FILES = ("index.html", "worker.js", "static", "examples")


def write_lock(official: Path, pyodide_dir: Path, wheel: Path) -> None:
    """Write a trimmed lock: the official entries of PACKAGES plus our wheel."""
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.spec import PackageSpec

    spec = PyodideLockSpec.from_json(official)
    kept = {name: spec.packages[name] for name in PACKAGES}
    version = wheel.name.split("-")[1]
    # Pyodide looks packages up by canonical name (PEP 503: lower case, "-").
    kept["ruvllm-web"] = PackageSpec(
        name="ruvllm-web",
        version=version,
        file_name=wheel.name,
        install_dir="site",
        sha256=sha256_of(wheel),
        package_type="package",
        imports=["ruvllm_web"],
        depends=["numpy"],
    )
    spec.packages = kept
    spec.to_json(pyodide_dir / "pyodide-lock.json", indent=1)


def build_dist(out: Path, fetcher: Fetcher) -> None:
    """Assemble ``out`` from scratch; see the module docstring."""
    core = {name: fetcher.get(name, digest) for name, digest in CORE_SHA256.items()}
    official = json.loads(core["pyodide-lock.json"].read_text())
    if official["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for {official['info']['version']}, expected {PYODIDE_VERSION}")
    packages = []
    for name in PACKAGES:
        entry = official["packages"][name]
        packages.append(fetcher.get(entry["file_name"], entry["sha256"]))
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    pyodide_dir = staging / "pyodide"
    pyodide_dir.mkdir(parents=True)
    for path in [*core.values(), *packages]:
        if path.name != "pyodide-lock.json":
            shutil.copyfile(path, pyodide_dir / path.name)
    wheel = build_wheel(pyodide_dir)
    write_lock(core["pyodide-lock.json"], pyodide_dir, wheel)
    for name in SITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, staging / name, ignore=skip_client_sources)
        else:
            shutil.copyfile(source, staging / name)
    for name, text in assemble_client(CLIENT_DIR, client_constants()).items():
        (staging / "static" / name).write_text(text)
    vendor_chartjs(staging / "static" / "vendor", fetcher.downloads, fetcher.downloads_allowed)
    place_model(staging / "models", fetcher.downloads, fetcher.downloads_allowed, fetcher.derived)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"dist ready: {out} ({size / 1e6:.1f} MB, wheel {wheel.name})")
