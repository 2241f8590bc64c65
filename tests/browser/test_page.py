"""The served page in headless Chromium and Firefox: it loads the engine from its own origin only,
is cross-origin isolated, and numpy inside the worker answers the page."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from .conftest import screenshot, wait_for_state

pytestmark = pytest.mark.both_engines

CALL = """
const done = arguments[arguments.length - 1];
import(arguments[0]).then(async (lib) => {
  await lib.default();
  const results = {};
  results.unit = Array.from(await lib.l2Normalize(new Float32Array([3, 4, 12])));
  for (const [name, bad] of [["zeros", new Float32Array(2)], ["text", "abc"], ["nan", new Float32Array([1, NaN])]]) {
    try { await lib.l2Normalize(bad); results[name] = "accepted"; }
    catch (error) { results[name] = `${error.name}: ${error.message}`; }
  }
  done(results);
}).catch((error) => done({ failed: String(error) }));
"""


@pytest.fixture(scope="module")
def page(browser, server):
    browser.get(server.url)
    state = wait_for_state(browser, "#status")
    screenshot(browser, "page-ready")
    assert state == "ready", browser.find_element(By.ID, "status").text
    return browser


def test_page_shows_versions_and_isolation(page) -> None:
    assert page.find_element(By.ID, "v-numpy").text == "2.0.2"
    assert page.find_element(By.ID, "v-pyodide").text == "0.27.7"
    assert page.find_element(By.ID, "v-engine").text
    assert page.find_element(By.ID, "v-isolated").text.startswith("yes")
    assert page.execute_script("return crossOriginIsolated") is True


def test_numpy_in_the_worker_answers_with_float32(page, server) -> None:
    results = page.execute_async_script(CALL, server.url + "static/ruvllm.js")
    assert "failed" not in results, results
    assert results["unit"] == pytest.approx([3 / 13, 4 / 13, 12 / 13], rel=1e-6)
    assert results["zeros"] == "Error: vector is all zeros and has no direction"
    assert results["text"].startswith("TypeError: vector must be a Float32Array")
    assert results["nan"].startswith("Error: vector contains NaN or Inf")


def test_no_request_leaves_loopback(page, server, trap) -> None:
    page.get(server.url)
    assert wait_for_state(page, "#status") == "ready"
    urls = page.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert urls and all(url.startswith(server.url) for url in urls), urls
    assert trap.page_requests() == []


def test_a_plain_script_tag_page_on_another_path_works(browser, server, trap) -> None:
    browser.get(server.url + "examples/script-tag.html")
    state = wait_for_state(browser, "#out")
    screenshot(browser, "script-tag-page")
    assert state == "ready", browser.find_element(By.ID, "out").text
    # It routes text sharing no word with either pattern, embedded by the sentence encoder.
    assert browser.find_element(By.ID, "out").text.startswith("Coder (confidence ")
    assert browser.find_element(By.ID, "model").text == "model 100%"
    assert trap.page_requests() == []


def test_the_trap_sees_a_page_reaching_outside(browser, server, trap) -> None:
    """The loopback check above is not vacuous: an outside fetch is caught (and refused).

    On a page without the demo's Content Security Policy, which would stop the fetch before it
    leaves (tests/browser/test_demo.py checks that)."""
    browser.get(server.url + "test-pages/harness.html")
    outcome = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch("http://example.invalid/probe", {mode: "no-cors"}).then(() => done("answered"), () => done("refused"));"""
    )
    assert outcome == "refused"
    assert any("example.invalid" in request for request in trap.page_requests())
    trap.requests.clear()
