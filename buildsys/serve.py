"""The dev server: serves ``dist/`` with the cross-origin isolation headers (COOP, COEP, CORP) that
SharedArrayBuffer needs, and the Content Security Policy of the demo page (workers take theirs from
these headers)."""

from __future__ import annotations

import http.server
import sys
from functools import partial
from pathlib import Path

from buildsys.step import BuildError

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
