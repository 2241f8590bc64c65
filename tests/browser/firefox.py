"""Headless Firefox behind the part of Selenium's WebDriver API that our browser tests use.

No reachable registry ships geckodriver, but Firefox speaks WebDriver BiDi itself, and
``puppeteer-core`` (npm) drives it. :class:`FirefoxDriver` runs ``firefox_bridge.mjs`` in Node
and sends it one JSON request per call, so a test body written against Selenium's Chromium
driver (``get``, ``execute_async_script``, ``find_element``, ``send_keys`` ...) runs unchanged in
Firefox. What it does not offer (Chrome DevTools commands, browser logs) marks a test as
Chromium-only.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from selenium.common.exceptions import JavascriptException, NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

BRIDGE = Path(__file__).resolve().parent / "firefox_bridge.mjs"
CACHE = Path(os.environ.get("RUVLLM_CACHE") or Path.home() / ".cache" / "ruvllm-web")
PUPPETEER_CORE = CACHE / "node" / "node_modules" / "puppeteer-core"
FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
#: Selenium's key codes the tests press, by the names puppeteer gives them.
KEYS = {Keys.ENTER: "Enter", Keys.RETURN: "Enter", Keys.TAB: "Tab", Keys.ESCAPE: "Escape"}


def firefox_available() -> str | None:
    """Why Firefox cannot run here, or None when it can (``./dev test`` installs both parts)."""
    if not os.path.exists(FIREFOX):
        return f"no Firefox at {FIREFOX} (Debian's firefox-esr)"
    if not (PUPPETEER_CORE / "package.json").is_file():
        return f"no puppeteer-core in {PUPPETEER_CORE.parent}"
    return None


def _css(by: str, value: str) -> str:
    if by == By.ID:
        return "#" + value.replace(":", "\\:").replace(".", "\\.")
    if by in (By.CSS_SELECTOR, By.TAG_NAME):
        return value
    raise ValueError(f"FirefoxDriver finds elements by id, CSS selector or tag name, not {by!r}")


class FirefoxElement:
    """A page element, as Selenium's WebElement offers it."""

    def __init__(self, driver: FirefoxDriver, number: int) -> None:
        self._driver = driver
        self._number = number

    @property
    def text(self) -> str:
        return self._driver._call("text", element=self._number)

    def click(self) -> None:
        self._driver._call("click", element=self._number)

    def clear(self) -> None:
        self._driver._call("clear", element=self._number)

    @property
    def tag_name(self) -> str:
        return self._driver._call("property", element=self._number, name="tagName").lower()

    def is_selected(self) -> bool:
        return bool(self._driver._call("property", element=self._number, name="selected")
                    or self._driver._call("property", element=self._number, name="checked"))

    def is_enabled(self) -> bool:
        return not self._driver._call("property", element=self._number, name="disabled")

    def send_keys(self, *values: str) -> None:
        """Type ``values`` into the element; into a file input, choose the file at that path (as Selenium)."""
        if self._driver._call("property", element=self._number, name="type") == "file":
            self._driver._call("upload", element=self._number, path="".join(values))
            return
        for value in values:
            if value in KEYS:
                self._driver._call("type", element=self._number, key=KEYS[value])
            else:
                self._driver._call("type", element=self._number, text=value)

    def get_attribute(self, name: str) -> str | None:
        """The property ``name``, else the attribute, as a string (None when absent or false), as Selenium does."""
        value = self._driver._call("property", element=self._number, name=name)
        if value is None or value is False:
            return None
        return "true" if value is True else str(value)

    def get_dom_attribute(self, name: str) -> Any:
        return self._driver._call("attribute", element=self._number, name=name)

    def find_element(self, by: str, value: str) -> FirefoxElement:
        return self._driver._first(by, value, within=self._number)

    def find_elements(self, by: str, value: str) -> list[FirefoxElement]:
        return self._driver._all(by, value, within=self._number)


class _SwitchTo:
    """``driver.switch_to``: Selenium's tab switching."""

    def __init__(self, driver: FirefoxDriver) -> None:
        self._driver = driver

    def new_window(self, kind: str = "tab") -> None:
        """Open a new tab (``kind`` "window" opens one too) and switch to it."""
        self._driver._call("newTab")

    def window(self, handle: str) -> None:
        self._driver._call("switchTab", handle=handle)


class FirefoxDriver:
    """Headless Firefox (a new profile), every non-loopback request sent to the proxy at ``proxy_port``."""

    name = "firefox"

    def __init__(self, profile: str, proxy_port: int) -> None:
        self._process = subprocess.Popen(
            ["node", str(BRIDGE), str(PUPPETEER_CORE), FIREFOX, profile, str(proxy_port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._ids = itertools.count(1)
        self.switch_to = _SwitchTo(self)
        self._call("url")  # answers once Firefox is up

    def _call(self, op: str, **fields: Any) -> Any:
        request = {"id": next(self._ids), "op": op, **fields}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Firefox bridge stopped (exit code {self._process.poll()})")
        answer = json.loads(line)
        if not answer["ok"]:
            raise JavascriptException(answer["error"])
        return answer["value"]

    def _all(self, by: str, value: str, within: int | None = None) -> list[FirefoxElement]:
        numbers = self._call("find", css=_css(by, value), within=within)
        return [FirefoxElement(self, number) for number in numbers]

    def _first(self, by: str, value: str, within: int | None = None) -> FirefoxElement:
        found = self._all(by, value, within)
        if not found:
            raise NoSuchElementException(f"no element matches {by}={value!r}")
        return found[0]

    @property
    def current_url(self) -> str:
        return self._call("url")

    @property
    def current_window_handle(self) -> str:
        return self._call("tab")

    @property
    def window_handles(self) -> list[str]:
        return self._call("tabs")

    def close(self) -> None:
        """Close the current tab (switch to another before the next call, as in Selenium)."""
        self._call("closeTab")

    def get(self, url: str) -> None:
        self._call("get", url=url)

    def refresh(self) -> None:
        self._call("refresh")

    def set_script_timeout(self, seconds: float) -> None:
        self._call("scriptTimeout", ms=int(seconds * 1000))

    def execute_script(self, script: str, *args: Any) -> Any:
        return self._call("execute", script=script, args=list(args), **{"async": False})

    def execute_async_script(self, script: str, *args: Any) -> Any:
        return self._call("execute", script=script, args=list(args), **{"async": True})

    def find_element(self, by: str, value: str) -> FirefoxElement:
        return self._first(by, value)

    def find_elements(self, by: str, value: str) -> list[FirefoxElement]:
        return self._all(by, value)

    def get_log(self, kind: str) -> list[dict[str, str]]:
        """The console messages since the last call (``kind`` "browser", as in Selenium)."""
        if kind != "browser":
            raise ValueError(f"FirefoxDriver keeps only the browser log, not {kind!r}")
        return self._call("log")

    def add_script_to_new_documents(self, source: str) -> None:
        """Run ``source`` first in every document loaded from now on."""
        self._call("preload", source=source)

    def get_window_size(self) -> dict[str, int]:
        return self._call("viewport")

    def set_window_size(self, width: int, height: int) -> None:
        self._call("setViewport", width=width, height=height)

    def save_screenshot(self, path: str) -> bool:
        self._call("screenshot", path=path)
        return True

    def quit(self) -> None:
        if self._process.poll() is None:
            try:
                self._call("quit")
            except RuntimeError:
                pass  # the bridge exits as it answers
            self._process.wait(timeout=30)
