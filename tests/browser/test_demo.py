"""The demo page (index.html) driven like a person would, in headless Chromium and Firefox, offline.

A fresh browser profile loads the page through the outside-traffic trap; the tests then type
requests, route them, give feedback, correct a route and see a similar request follow the
correction, save the engine to a file and load it back, reset it, reload the page and find
the correction kept, and run the benchmarks. Throughout, no request may leave loopback and
no Content Security Policy violation may happen (a listener is installed before any page
script runs). Screenshots of the main states go to test-artifacts/.

The tests run in file order on one page, each building on the state the previous ones left.
"""

from __future__ import annotations

import re
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from buildsys.serve import PAGE_CSP, WORKER_CSP
from buildsys.step import ROOT
from ruvllm_web import STARTER_AGENTS, IntelligentLLM, TextEmbedder, add_starter_library, starter_patterns

from .conftest import run_first_in_new_documents, screenshot, wait_for_state

pytestmark = pytest.mark.both_engines

#: Installed before any page script: collects CSP violations into `window.__csp`.
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""
#: A request the starter library is unsure about (low vote share), and a rewording of it:
#: the kind of request a correction should change.
AMBIGUOUS = "help me with the billing page"
SIMILAR = "help me with the billing page today"
MARKUP = '<img src=x onerror="window.__pwned = 1"><b>bold</b>'
#: The page's setting that routes with the lexical embedder only, as CPython's TextEmbedder does:
#: these tests compare its routes exactly (tests/browser/test_demo_encoder.py covers the default).
LEXICAL = "?embedder=lexical"


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def settle(driver, element_id: str, timeout: float = 120) -> str:
    """Wait until a status element is neither "sent" nor "busy"; return its state."""
    def done(d):
        state = d.find_element(By.ID, element_id).get_attribute("data-state")
        return state if state not in ("sent", "busy") else False

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(done)


def mark_sent(driver, element_id: str) -> None:
    driver.execute_script("document.getElementById(arguments[0]).dataset.state = 'sent'", element_id)


def route(driver, request: str) -> dict:
    """Type `request` and press Enter; return what the page shows."""
    box = driver.find_element(By.ID, "request")
    box.clear()
    mark_sent(driver, "route-status")
    box.send_keys(request + Keys.ENTER)
    state = settle(driver, "route-status")
    assert state == "routed", text(driver, "route-status")
    return {
        "agent": text(driver, "r-agent"),
        "embedder": text(driver, "r-embedder"),
        "task": text(driver, "r-task"),
        "confidence": float(text(driver, "r-confidence").rstrip(" %")) / 100,
        "alternatives": [li.text.split(":")[0] for li in driver.find_elements(By.CSS_SELECTOR, "#r-alternatives li")],
        "neighbors": [
            [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, "#r-neighbors tr")
        ],
        "timings": [
            [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, "#r-timings tr")
        ],
    }


def click(driver, element_id: str, status_id: str) -> str:
    """Click a button and return the status text once settled."""
    mark_sent(driver, status_id)
    driver.find_element(By.ID, element_id).click()
    state = settle(driver, status_id)
    assert state not in ("error", "failed"), text(driver, status_id)
    return text(driver, status_id)


def chart_series(driver, canvas_id: str) -> list[list[float]]:
    """The data of each dataset of the Chart.js chart on a canvas."""
    return driver.execute_script(
        "return Chart.getChart(document.getElementById(arguments[0])).data.datasets.map((d) => d.data)", canvas_id
    )


def counter(driver, name: str) -> str:
    return text(driver, f"c-{name}")


def full_page_screenshot(driver, name: str) -> Path:
    """Resize the window to the document's height, screenshot, and restore the size."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    total = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(total + 150, 6000))
    time.sleep(0.3)  # let Chart.js's resize observer redraw before the picture
    try:
        return screenshot(driver, name)
    finally:
        driver.set_window_size(width, height)


@pytest.fixture(scope="module")
def reference() -> tuple[IntelligentLLM, TextEmbedder]:
    """The CPython engine with the starter library, as the page builds it."""
    embedder = TextEmbedder(384)
    llm = IntelligentLLM()
    add_starter_library(llm, embedder)
    return llm, embedder


@pytest.fixture(scope="module")
def downloads() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def demo(browser, engine, server, downloads):
    run_first_in_new_documents(browser, CSP_LISTENER)
    if engine == "chromium":
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.get(server.url + LEXICAL)
    state = wait_for_state(browser, "#status")
    assert state == "ready", text(browser, "status")
    full_page_screenshot(browser, "demo-loaded")
    return browser


@pytest.fixture(autouse=True)
def nothing_leaves_and_nothing_is_refused(request, trap):
    """After every test: no request left loopback and the page saw no CSP violation."""
    yield
    if "demo" in request.fixturenames:
        driver = request.getfixturevalue("demo")
        assert driver.execute_script("return window.__csp") == []
        # The worker's own refusals reach only the console (source "worker").
        logged = [entry["message"] for entry in driver.get_log("browser")]
        assert [message for message in logged if "content security policy" in message.lower()] == []
    assert trap.page_requests() == []


def steps(driver) -> list[str]:
    """The names of the loading steps the page lists."""
    return [item.find_element(By.TAG_NAME, "span").text for item in driver.find_elements(By.CSS_SELECTOR, "#load-steps li")]


def test_loads_offline_and_shows_every_step(demo, server) -> None:
    assert steps(demo) == ["runtime", "numpy", "engine", "saved state", "starter library"]
    assert demo.find_element(By.ID, "load-progress").get_attribute("value") == "1"
    assert text(demo, "v-pyodide") == "0.27.7" and text(demo, "v-numpy") == "2.0.2"
    assert text(demo, "v-persist") == 'on ("ruvllm-web-demo"), nothing stored yet'
    assert counter(demo, "patterns") == str(len(starter_patterns()))
    urls = demo.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert any(url.endswith("static/vendor/chart.umd.js") for url in urls)
    assert all(url.startswith(server.url) for url in urls), urls


def test_the_page_and_worker_carry_strict_policies(demo, server) -> None:
    meta = demo.find_element(By.CSS_SELECTOR, 'meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert meta == PAGE_CSP and "'wasm-unsafe-eval'" not in meta
    assert WORKER_CSP == meta.replace("script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';")
    for path, policy in (("", PAGE_CSP), ("index.html", PAGE_CSP), ("worker.js", WORKER_CSP)):
        with urllib.request.urlopen(server.url + path) as response:
            assert response.headers["Content-Security-Policy"] == policy
    html = (ROOT / "index.html").read_text()
    assert "style=" not in html and "<style" not in html
    scripts = demo.find_elements(By.TAG_NAME, "script")
    assert scripts and all(script.get_attribute("src") for script in scripts), "no inline scripts"


def test_enter_routes_a_typed_request_like_the_engine_in_cpython(demo, reference) -> None:
    request = "write unit tests for the login form"
    shown = route(demo, request)
    llm, embedder = reference
    llm.process(embedder.embed(request), request)
    expected = llm.last_result
    assert shown["agent"] == expected.agent and shown["task"] == expected.task_type
    assert shown["confidence"] == pytest.approx(expected.confidence, abs=0.001)
    assert shown["alternatives"] == [agent for agent, _ in expected.alternatives]
    assert shown["embedder"] == "the lexical embedder"
    assert demo.find_element(By.ID, "embedder").get_attribute("data-state") == "lexical"
    assert [row[:3] for row in shown["neighbors"]] == [[f"#{n.pattern_id}", n.agent, n.task_type] for n in expected.neighbors]
    similarities = [float(row[3]) for row in shown["neighbors"]]
    np.testing.assert_allclose(similarities, [n.similarity for n in expected.neighbors], atol=1e-3)
    assert [row[4] for row in shown["neighbors"]] == [n.description for n in expected.neighbors]
    assert all(row[4] for row in shown["neighbors"]), "every starter pattern has a description"
    assert [row[0] for row in shown["timings"]] == [
        "embed (in the page's call)", "LoRA", "route", "SONA", "whole process() in the engine", "request, as the page saw it",
    ]
    assert all(row[1].endswith(("µs", "ms", " s")) for row in shown["timings"])
    assert counter(demo, "routed") == "1"
    assert sum(chart_series(demo, "chart-latency")[0]) == 1
    assert text(demo, "route-status").startswith(f"Routed to {expected.agent} ({expected.task_type})")
    full_page_screenshot(demo, "demo-routed")


def test_user_text_is_shown_as_text_never_as_markup(demo) -> None:
    route(demo, MARKUP)
    assert text(demo, "r-request") == MARKUP
    assert demo.execute_script("return document.querySelectorAll('img, b').length") == 0
    assert demo.execute_script("return window.__pwned") is None


def test_a_request_without_words_is_refused_clearly(demo) -> None:
    routed = counter(demo, "routed")
    box = demo.find_element(By.ID, "request")
    box.clear()
    mark_sent(demo, "route-status")
    box.send_keys("  !!! ?" + Keys.ENTER)
    assert settle(demo, "route-status") == "error"
    shown = demo.execute_script("return document.getElementById('route-status').textContent")
    assert shown == "text has no letters or digits to embed: '  !!! ?'"
    assert counter(demo, "routed") == routed


def test_good_and_wrong_feedback_move_the_quality_ema_and_counters(demo) -> None:
    route(demo, "profile the memory use of the image resizer")
    before = chart_series(demo, "chart-quality")[0][-1]
    assert "was right" in click(demo, "fb-good", "feedback-status")
    up = chart_series(demo, "chart-quality")[0][-1]
    assert up > before
    assert demo.find_element(By.ID, "feedback").get_attribute("disabled") is not None, "one feedback per route"
    route(demo, "profile the memory use of the image resizer")
    assert "was wrong" in click(demo, "fb-wrong", "feedback-status")
    assert chart_series(demo, "chart-quality")[0][-1] < up
    assert (counter(demo, "good"), counter(demo, "wrong")) == ("1", "1")
    loops = chart_series(demo, "chart-loops")[0]
    assert loops[0] >= 2, loops  # two instant updates at least
    assert chart_series(demo, "chart-delta")[0][-1] > 0


def test_the_deep_loop_runs_on_demand_and_its_chart_moves(demo) -> None:
    before = chart_series(demo, "chart-loops")[0][2]
    said = click(demo, "run-deep", "deep-status")
    assert said.startswith("Deep loop done in"), said
    assert chart_series(demo, "chart-loops")[0][2] == before + 1
    found = re.search(r"(\d+) patterns in \d+ clusters, (\d+) merged, (\d+) pruned\.$", said)
    assert found, said
    considered, merged, pruned = map(int, found.groups())
    assert int(counter(demo, "patterns")) == considered - merged - pruned


def test_reset_forgets_and_brings_back_the_starter_library(demo) -> None:
    assert click(demo, "reset", "state-status").startswith("Reset")
    assert counter(demo, "patterns") == str(len(starter_patterns()))
    per_agent = demo.execute_script(
        "const c = Chart.getChart(document.getElementById('chart-agents')); return [c.data.labels, c.data.datasets[0].data]"
    )
    counts = {agent: sum(p.agent == agent for p in starter_patterns()) for agent in STARTER_AGENTS}
    assert dict(zip(*per_agent)) == counts


def test_a_correction_reroutes_a_similar_request(demo) -> None:
    first = route(demo, SIMILAR)
    routed = route(demo, AMBIGUOUS)
    assert routed["agent"] == first["agent"], "the rewording starts on the same agent"
    wanted = routed["alternatives"][0]
    Select(demo.find_element(By.ID, "fb-agent")).select_by_value(wanted)
    task = Select(demo.find_element(By.ID, "fb-task")).first_selected_option.text
    said = click(demo, "fb-correct", "feedback-status")
    assert said == f"Learned: requests like this one go to {wanted} ({task}). Saved in this browser."
    assert counter(demo, "corrected") == "1"
    after = route(demo, SIMILAR)
    assert after["agent"] == wanted, (first, after)
    assert after["neighbors"][0][1:3] == [wanted, task], "the learned pattern is the nearest one"
    full_page_screenshot(demo, "demo-corrected")


def test_one_correction_moves_a_confident_route(demo) -> None:
    """A request the starter library routes with confidence goes, after one correction, where the user said."""
    request = "write a unit test for the login form"
    before = route(demo, request)
    assert before["agent"] == "Tester" and before["confidence"] > 0.8, before
    assert "Security" not in before["alternatives"], "Security gets no votes at all before the correction"
    Select(demo.find_element(By.ID, "fb-agent")).select_by_value("Security")
    click(demo, "fb-correct", "feedback-status")
    after = route(demo, request)
    assert after["agent"] == "Security" and after["confidence"] > 0.5, after
    assert route(demo, "write unit tests for the signup form")["agent"] == "Tester", "one request moved, not the topic"


@pytest.mark.chromium_only("Firefox's downloads folder cannot be set once it runs (a CDP command in Chromium)")
def test_save_to_a_file_and_load_it_back(demo, downloads, reference) -> None:
    said = click(demo, "save", "state-status")
    path = downloads / "ruvllm-engine.bin"
    WebDriverWait(demo, 30).until(lambda _: path.is_file() and path.stat().st_size > 0)
    assert said == f"Saved {path.stat().st_size:,} bytes as ruvllm-engine.bin."
    saved = IntelligentLLM.load(path.read_bytes())  # the file is a real engine snapshot
    _, embedder = reference
    saved.process(embedder.embed(SIMILAR), SIMILAR)
    expected = saved.last_result.agent
    mark_sent(demo, "state-status")
    demo.find_element(By.ID, "load-file").send_keys(str(path))
    assert settle(demo, "state-status") == "done", text(demo, "state-status")
    assert text(demo, "state-status").startswith(f"Loaded ruvllm-engine.bin: {len(saved.router)} patterns.")
    assert route(demo, SIMILAR)["agent"] == expected


def test_a_reload_keeps_what_it_learned(demo) -> None:
    corrected = route(demo, SIMILAR)["agent"]
    demo.refresh()
    assert wait_for_state(demo, "#status") == "ready", text(demo, "status")
    assert steps(demo) == ["runtime", "numpy", "engine", "saved state"], "restored, so no starter library"
    assert text(demo, "v-persist") == 'on ("ruvllm-web-demo"), restored from an earlier visit'
    assert route(demo, SIMILAR)["agent"] == corrected


def test_benchmarks_run_in_the_page(demo) -> None:
    Select(demo.find_element(By.ID, "bench-size")).select_by_value("1000")
    mark_sent(demo, "bench-status")
    demo.find_element(By.CSS_SELECTOR, "#bench-form button").click()
    assert settle(demo, "bench-status", timeout=180) == "done", text(demo, "bench-status")
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in demo.find_elements(By.CSS_SELECTOR, "#bench-rows tr")]
    assert rows[0][0] == "HNSW, 1,000 × 384"
    recall = float(next(row[2] for row in rows if row[1].startswith("recall@10")).rstrip(" %"))
    assert 0 <= recall <= 100
    assert rows[-1][0] == "Page ↔ worker"
    bars = chart_series(demo, "bench-chart")[0]
    assert len(bars) == 8 and all(value > 0 for value in bars)
    full_page_screenshot(demo, "demo-bench")


@pytest.mark.chromium_only("walks the page with Selenium's key actions, which the Firefox bridge does not offer")
def test_controls_are_labelled_and_reachable_by_keyboard(demo) -> None:
    unlabelled = demo.execute_script("""
      return [...document.querySelectorAll("input, select, button, meter, progress")]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.textContent.trim())
        .map((el) => el.outerHTML);
    """)
    assert unlabelled == []
    demo.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    reached, outlines = [], set()
    for _ in range(40):
        ActionChains(demo).send_keys(Keys.TAB).perform()
        name, outline = demo.execute_script(
            "const el = document.activeElement;"
            "return el === document.body ? ['(page)', 'n/a'] : [el.id || el.textContent, getComputedStyle(el).outlineStyle]"
        )
        reached.append(name)
        if name != "(page)":  # Tab past the last control leaves the page
            outlines.add((name, outline))
    for wanted in ("request", "save", "load-file", "reset", "persist", "bench-size"):
        assert wanted in reached, reached
    hidden = [name for name, outline in outlines if outline != "solid"]
    assert hidden == [], "every focused control shows a visible outline"


def test_readable_at_360_px(demo) -> None:
    size = demo.get_window_size()
    demo.set_window_size(360, 800)
    try:
        time.sleep(0.3)
        overflow = demo.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a 360 px screen"
        full_page_screenshot(demo, "demo-360px")
    finally:
        demo.set_window_size(size["width"], size["height"])


@pytest.mark.chromium_only("reads the policy's refusals from Chromium's console log")
def test_the_policy_refuses_inline_script_and_outside_requests(demo) -> None:
    """The no-violation checks are not vacuous: the listener sees what the policy refuses."""
    refused = demo.execute_async_script("""
      const done = arguments[arguments.length - 1];
      const script = document.createElement("script");
      script.textContent = "window.__inline = 1";
      document.body.append(script);
      fetch("http://example.invalid/probe").then(() => done("answered"), () => done("refused"));
    """)
    assert refused == "refused"
    assert demo.execute_script("return window.__inline") is None
    seen = demo.execute_script("const seen = window.__csp; window.__csp = []; return seen")
    assert any(v.startswith("script-src") for v in seen) and any(v.startswith("connect-src") for v in seen), seen
    logged = [entry["message"].lower() for entry in demo.get_log("browser")]
    assert sum("content security policy" in message for message in logged) >= 2, logged


def test_agent_and_task_names_from_a_loaded_file_stay_text(demo, downloads) -> None:
    """An engine file can name agents anything; the page shows those names as text, never markup."""
    embedder = TextEmbedder(384)
    crafted = IntelligentLLM()
    crafted.add_pattern(embedder.embed("route me to the crafted agent"), MARKUP, "<i>task</i>", MARKUP)
    crafted.add_pattern(embedder.embed("a different crafted request"), "<u>other</u>", "<s>plain</s>", "")
    path = downloads / "crafted.bin"
    path.write_bytes(crafted.save())
    mark_sent(demo, "state-status")
    demo.find_element(By.ID, "load-file").send_keys(str(path))
    assert settle(demo, "state-status") == "done", text(demo, "state-status")
    shown = route(demo, "route me to the crafted agent")
    crafted.process(embedder.embed("route me to the crafted agent"), "")
    expected = crafted.last_result
    assert (shown["agent"], shown["task"]) == (MARKUP, "<i>task</i>") == (expected.agent, expected.task_type)
    assert shown["alternatives"] == [agent for agent, _ in expected.alternatives]
    assert [row[1:3] for row in shown["neighbors"]] == [[n.agent, n.task_type] for n in expected.neighbors]
    assert {row[1] for row in shown["neighbors"]} == {MARKUP, "<u>other</u>"}
    assert [row[4] for row in shown["neighbors"]] == [n.description for n in expected.neighbors]
    assert demo.execute_script("return document.querySelectorAll('img, b, i, u, s').length") == 0
    assert demo.execute_script("return window.__pwned") is None


def test_turning_persistence_off_starts_fresh_on_the_next_load(demo) -> None:
    box = demo.find_element(By.ID, "persist")
    box.click()
    assert not box.is_selected()
    assert "now off" in text(demo, "state-status")
    demo.refresh()
    assert wait_for_state(demo, "#status") == "ready", text(demo, "status")
    assert text(demo, "v-persist") == "off"
    assert steps(demo) == ["runtime", "numpy", "engine", "starter library"]
    fresh, embedder = IntelligentLLM(), TextEmbedder(384)
    add_starter_library(fresh, embedder)
    fresh.process(embedder.embed(SIMILAR), SIMILAR)
    assert route(demo, SIMILAR)["agent"] == fresh.last_result.agent, "the correction lived only in the stored engine"


def test_without_cross_origin_isolation_the_demo_copies_and_routes_alike(demo, plain_server) -> None:
    """Served without COOP/COEP (no SharedArrayBuffer), vectors travel as copies: same routes."""
    demo.get(plain_server.url + LEXICAL)
    assert wait_for_state(demo, "#status") == "ready", text(demo, "status")
    assert text(demo, "v-isolated") == "no"
    request = "write unit tests for the login form"
    fresh, embedder = IntelligentLLM(), TextEmbedder(384)
    add_starter_library(fresh, embedder)
    fresh.process(embedder.embed(request), request)
    shown = route(demo, request)
    assert (shown["agent"], shown["task"]) == (fresh.last_result.agent, fresh.last_result.task_type)
    assert shown["confidence"] == pytest.approx(fresh.last_result.confidence, abs=0.001)
