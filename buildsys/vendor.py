"""The demo's chart library in ``dist/static/vendor/``.

Chart.js comes from its npm registry tarball, verified against the sha256 pinned in ``pins.py``,
and its UMD build and licence are copied into ``dist/static/vendor/``.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from buildsys.fetch import npm_tarball
from buildsys.pins import CHARTJS_FILES, CHARTJS_TARBALL_SHA256, CHARTJS_VERSION
from buildsys.step import BuildError, log


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
