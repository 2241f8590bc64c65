"""build.py: every Pyodide file is verified; bad or missing files stop the build with both hashes named."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import build  # noqa: E402

NUMPY = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
NUMPY_SHA = "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08"


@pytest.fixture(scope="module")
def good_files() -> Path:
    """The verified files the test command's own build put in dist/pyodide (and the cache)."""
    source = ROOT / "dist" / "pyodide"
    if not (source / NUMPY).is_file():
        raise pytest.UsageError("dist/ is missing: run `python build.py dist` (./dev test does) first")
    return source


def make_cache(tmp_path: Path, good_files: Path, corrupt: str | None) -> Path:
    """A cache holding every Pyodide file, with `corrupt` (if any) damaged."""
    files = tmp_path / "cache" / f"pyodide-{build.PYODIDE_VERSION}"
    files.mkdir(parents=True)
    for path in good_files.iterdir():
        if path.name != "pyodide-lock.json" and not path.name.startswith("ruvllm_web"):
            shutil.copyfile(path, files / path.name)
    official = build.Fetcher(build.default_cache(), None, cdn=False, downloads=False).get(
        "pyodide-lock.json", build.CORE_SHA256["pyodide-lock.json"]
    )
    shutil.copyfile(official, files / "pyodide-lock.json")
    if corrupt:
        data = bytearray((files / corrupt).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (files / corrupt).write_bytes(bytes(data))
    return tmp_path / "cache"


def run_build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "dist", *args], capture_output=True, text=True)


def test_offline_build_from_a_good_cache(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=None)
    result = run_build("--offline", "--cache", str(cache), "--out", str(tmp_path / "dist"))
    assert result.returncode == 0, result.stderr
    lock = json.loads((tmp_path / "dist" / "pyodide" / "pyodide-lock.json").read_text())
    assert sorted(lock["packages"]) == ["micropip", "numpy", "packaging", "ruvllm-web"]
    assert lock["info"]["version"] == build.PYODIDE_VERSION
    ours = lock["packages"]["ruvllm-web"]
    assert ours["depends"] == ["numpy"] and ours["imports"] == ["ruvllm_web"]
    for entry in lock["packages"].values():
        assert build.sha256_of(tmp_path / "dist" / "pyodide" / entry["file_name"]) == entry["sha256"]
    assert (tmp_path / "dist" / "index.html").is_file() and (tmp_path / "dist" / "worker.js").is_file()


def test_a_corrupted_cached_file_is_refused(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=NUMPY)
    bad_sha = build.sha256_of(cache / f"pyodide-{build.PYODIDE_VERSION}" / NUMPY)
    result = run_build("--offline", "--cache", str(cache), "--out", str(tmp_path / "dist"))
    assert result.returncode == 1
    assert f"refusing cached {NUMPY}: sha256 {bad_sha}, official {NUMPY_SHA}" in result.stderr
    assert f"{NUMPY} (sha256 {NUMPY_SHA}) is in no available source" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_corrupted_cache_is_repaired_from_a_pyodide_dist(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=NUMPY)
    args = ("--offline", "--cache", str(cache), "--pyodide-dist", str(good_files), "--out", str(tmp_path / "dist"))
    result = run_build(*args)
    assert result.returncode == 0, result.stderr
    assert build.sha256_of(cache / f"pyodide-{build.PYODIDE_VERSION}" / NUMPY) == NUMPY_SHA


def test_a_mismatching_source_stops_the_build_naming_both_hashes(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=None)
    (cache / f"pyodide-{build.PYODIDE_VERSION}" / NUMPY).unlink()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / NUMPY).write_bytes(b"not numpy")
    result = run_build("--offline", "--cache", str(cache), "--pyodide-dist", str(foreign), "--out", str(tmp_path / "d"))
    assert result.returncode == 1
    assert f"{NUMPY} from --pyodide-dist {foreign} has sha256 {build.sha256_of(foreign / NUMPY)}" in result.stderr
    assert f"but the official lock says {NUMPY_SHA}" in result.stderr
