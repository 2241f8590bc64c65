"""Page loads for the browser benchmarks: `build.py serve` behind the outside-traffic trap, and
a headless browser (Chromium or Firefox) with a new profile (cold HTTP cache, empty storage) for each load."""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import ENGINES, OutsideTrafficTrap, Server, install_test_pages, start_browser  # noqa: E402


@contextmanager
def served(isolation: bool = True) -> Iterator[tuple[Server, OutsideTrafficTrap]]:
    """dist/ served on loopback (with the isolation headers by default) and the trap, both stopped after."""
    install_test_pages()
    trap = OutsideTrafficTrap()
    threading.Thread(target=trap.serve_forever, daemon=True).start()
    server = Server(isolation=isolation)
    try:
        yield server, trap
    finally:
        server.stop()
        trap.shutdown()


def fresh_browsers(
    trap: OutsideTrafficTrap, count: int, script_timeout: float = 300, engine: str = "chromium"
) -> Iterator[object]:
    """Yield `count` drivers of `engine` one after the other, each with a new profile, quit after use."""
    for _ in range(count):
        with tempfile.TemporaryDirectory() as profile:
            driver = start_browser(engine, trap, profile)
            try:
                driver.set_script_timeout(script_timeout)
                yield driver
            finally:
                driver.quit()


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """The `--engine` option every browser benchmark takes."""
    parser.add_argument("--engine", choices=ENGINES, default="chromium", help="the browser to measure in")


def script_in_fresh_pages(script: str, count: int, engine: str) -> tuple[list[dict], list[str]]:
    """Run `script` (async WebDriver script, given the client module's URL) once in each of `count`
    fresh browsers on the harness page; its results, and the requests that tried to leave loopback."""
    results = []
    with served() as (server, trap):
        for driver in fresh_browsers(trap, count, engine=engine):
            driver.get(server.url + "test-pages/harness.html")
            result = driver.execute_async_script(script, server.url + "static/ruvllm.js")
            if "error" in result:
                raise SystemExit(result["error"])
            results.append(result)
        return results, trap.page_requests()
