#!/usr/bin/env python3
"""Build the offline distribution of ruvllm-web and serve it.

``python build.py dist``  builds our wheel and assembles ``dist/``: the demo page, the worker, the
client library, Pyodide 0.27.7 with numpy, our wheel, Chart.js and the sentence encoder's weights,
every download verified by sha256 and cached in ``$RUVLLM_CACHE`` (default ``~/.cache/ruvllm-web``).

``python build.py serve`` serves ``dist/`` with the cross-origin isolation headers (COOP, COEP,
CORP) that SharedArrayBuffer needs, and the Content Security Policy of the demo page.

This file is the command line only; the package ``buildsys/`` does the work, one job a module (its
``__init__.py`` lists them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from buildsys.dist import build_dist
from buildsys.fetch import Fetcher, default_cache
from buildsys.serve import serve
from buildsys.step import ROOT, BuildError


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


if __name__ == "__main__":
    sys.exit(main())
