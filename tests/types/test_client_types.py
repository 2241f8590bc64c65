"""The client's modules (static/client/*.js) and the worker (worker.js) type-check with `tsc --strict
--checkJs` against their JSDoc, the worker protocol's types (static/client/protocol.js) and Pyodide's own
typings."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import pytest
from test_types import tsc  # tests/types is not a package: pytest puts this folder on sys.path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from buildsys.fetch import default_cache, npm_tarball  # noqa: E402
from buildsys.pins import PYODIDE_TARBALL_SHA256, PYODIDE_VERSION  # noqa: E402


def test_the_client_modules_type_check() -> None:
    result = tsc("-p", "tsconfig.client.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_worker_type_checks(tmp_path: Path) -> None:
    # worker.js imports ./pyodide/pyodide.mjs, which only dist/ has: rootDirs lays a folder holding
    # the typings of the official pyodide@0.27.7 package (the tarball build.py verified) over the tree.
    tarball = npm_tarball(
        default_cache() / "downloads", "pyodide", PYODIDE_VERSION, PYODIDE_TARBALL_SHA256, False
    )
    if tarball is None:
        raise pytest.UsageError("the pyodide tarball is not in the cache: run `python build.py dist` first")
    (tmp_path / "pyodide").mkdir()
    with tarfile.open(tarball) as archive:
        typings = archive.extractfile("package/pyodide.d.ts")
        assert typings is not None
        (tmp_path / "pyodide" / "pyodide.d.mts").write_bytes(typings.read())
    options = json.loads((Path(__file__).parent / "tsconfig.client.json").read_text())["compilerOptions"]
    config = {
        "compilerOptions": {
            **options,
            # A worker's globals, not a page's; Pyodide's typings name page types (canvases) a worker
            # lacks, so declaration files are not checked here (ours are, by the other tests).
            "lib": ["ES2022", "WebWorker"],
            "skipLibCheck": True,
            "rootDirs": [str(ROOT), str(tmp_path)],
        },
        "files": [str(ROOT / "worker.js")],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    result = tsc("-p", str(tmp_path / "tsconfig.json"))
    assert result.returncode == 0, result.stdout + result.stderr
