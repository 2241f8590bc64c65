"""Real-browser fixtures: our own server, headless Chromium and Firefox, and a trap for outside traffic.

Chromium is started with every non-loopback request routed to a recording proxy on
127.0.0.1 that refuses it, so a test can assert that nothing tried to leave the
machine (the worker's requests included), and nothing actually can.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildsys.serve import DistServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# The real binary, not Debian's /usr/bin/chromium wrapper, which adds API keys and remote extensions.
CHROMIUM = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Chromium features that phone home on their own (time sync, sign-in, updates, hints).
CHROMIUM_OWN_TRAFFIC = (
    "NetworkTimeServiceQuerying",
    "OptimizationHints",
    "OptimizationGuideModelDownloading",
    "MediaRouter",
    "Translate",
    "AutofillServerCommunication",
    "CertificateTransparencyComponentUpdater",
    "PreconnectToSearch",
    "AccountConsistency",
    "SigninInterceptBubble",
)
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_CHROMEDRIVER", CHROMEDRIVER)


#: Hosts the browsers themselves contact whatever their settings (Chromium's sign-in, updater and
#: the distribution's start page; Firefox's remote settings). They are refused like everything
#: else; they are only left out of `page_requests`, since no page of ours names them.
BROWSER_SERVICE_HOSTS = (
    "accounts.google.com",
    "update.googleapis.com",
    "clients2.google.com",
    "start.duckduckgo.com",
    "firefox.settings.services.mozilla.com",
)
#: The browser engines the tests run in; tests marked `both_engines` run in each, the rest in Chromium.
ENGINES = ("chromium", "firefox")


class OutsideTrafficTrap(DistServer):
    """A proxy that records every request sent to it and refuses them all (quiet, as the dist server,
    about a browser that hangs up before reading the refusal)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        trap = self

        class Refuse(http.server.BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                trap.requests.append(self.path)
                self.send_error(403, "ruvllm-web tests allow no traffic beyond loopback")

            do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _refuse

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Refuse)
        self.daemon_threads = True

    def page_requests(self) -> list[str]:
        """Trapped requests other than Chromium's own service traffic."""
        return [r for r in self.requests if not any(host in r for host in BROWSER_SERVICE_HOSTS)]


class Server:
    """`build.py serve` on a free loopback port, as a subprocess."""

    def __init__(self, isolation: bool) -> None:
        command = [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0"]
        if not isolation:
            command.append("--no-isolation")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"build.py serve did not start: {line!r}")
        self.url = match.group(1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


PAGES = Path(__file__).resolve().parent / "pages"


def install_test_pages() -> None:
    """Copy the test-only pages into dist/test-pages/ (dist/ is rebuilt by every test run)."""
    if not (ROOT / "dist" / "index.html").is_file():
        raise pytest.UsageError("dist/ is missing: run `python build.py dist` (./dev test does) first")
    shutil.copytree(PAGES, ROOT / "dist" / "test-pages", dirs_exist_ok=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The dist/ server with COOP/COEP/CORP headers."""
    install_test_pages()
    running = Server(isolation=True)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def plain_server() -> Iterator[Server]:
    """The dist/ server without isolation headers: no SharedArrayBuffer, the copying path."""
    install_test_pages()
    running = Server(isolation=False)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def trap() -> Iterator[OutsideTrafficTrap]:
    proxy = OutsideTrafficTrap()
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()


def start_chromium(trap: OutsideTrafficTrap, profile: str):
    """Headless Chromium routed through the trap; no downloads, no background traffic."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-default-browser-check",
        "--disable-client-side-phishing-detection",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--no-pings",
        "--metrics-recording-only",
        "--disable-field-trial-config",
        "--safebrowsing-disable-auto-update",
        "--disable-search-engine-choice-screen",
        "--password-store=basic",
        "--disable-features=" + ",".join(CHROMIUM_OWN_TRAFFIC),
        "--window-size=1280,900",
        f"--proxy-server=http://127.0.0.1:{trap.server_port}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_engines: run the test in Firefox as well as in Chromium")
    config.addinivalue_line("markers", "chromium_only(why): keep a `both_engines` module's test to Chromium")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every browser test its engine: both for `both_engines` tests, else Chromium."""
    if "engine" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker
        both = marked("both_engines") is not None and marked("chromium_only") is None
        metafunc.parametrize("engine", ENGINES if both else ENGINES[:1], scope="module")


def start_browser(engine: str, trap: OutsideTrafficTrap, profile: str):
    """A fresh headless `engine` with the given profile folder, all outside traffic sent to `trap`."""
    if engine == "chromium":
        return start_chromium(trap, profile)
    from tests.browser.firefox import FirefoxDriver, firefox_available

    missing = firefox_available()
    if missing:
        raise pytest.UsageError(f"the Firefox tests need Firefox and puppeteer-core ({missing}): run ./dev test")
    return FirefoxDriver(profile, trap.server_port)


@pytest.fixture(scope="module")
def browser(engine: str, trap: OutsideTrafficTrap) -> Iterator[object]:
    """One browser of `engine` per test module, with a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        driver = start_browser(engine, trap, profile)
        driver.set_script_timeout(120)
        try:
            yield driver
        finally:
            driver.quit()


def run_first_in_new_documents(driver: object, source: str) -> None:
    """Make every document the driver loads from now on run `source` before its own scripts."""
    from tests.browser.firefox import FirefoxDriver

    if isinstance(driver, FirefoxDriver):
        driver.add_script_to_new_documents(source)
    else:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})


def screenshot(driver: object, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (not committed) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def wait_for_state(driver: object, selector: str, timeout: float = 120) -> str:
    """Wait until the element's data-state leaves "loading"; return the final state."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def settled(d: object) -> str | bool:
        state = d.find_element(By.CSS_SELECTOR, selector).get_attribute("data-state")
        return state if state != "loading" else False

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(settled)
