"""The demo page's default embedder, all-MiniLM-L6-v2, in headless Chromium and Firefox, offline.

A fresh profile loads index.html (no `?embedder=` setting) through the outside-traffic trap:
the lexical starter library routes while the model loads, then the kept engine, embedded by
the sentence encoder, routes requests that share no word with the starter library to the
right agent, exactly as CPython's `SentenceEncoder` engine does; the page names the embedder
of each route, a correction goes to the encoder's engine and a reload restores it.

The tests run in file order on one page, each building on the state the previous ones left.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ruvllm_web import IntelligentLLM, SentenceEncoder, TextEmbedder, add_starter_library, starter_patterns

from .conftest import run_first_in_new_documents, wait_for_state
from .test_demo import CSP_LISTENER, click, nothing_leaves_and_nothing_is_refused, route, settle, steps, text  # noqa: F401

pytestmark = pytest.mark.both_engines

MODEL = Path(__file__).resolve().parents[2] / "dist" / "models" / "all-MiniLM-L6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
#: Requests sharing no word with the starter library, and the agent each means; the lexical
#: embedder routes each of them elsewhere.
UNSEEN = {
    "scholarly insights regarding sleep": "Researcher",
    "webpages appear sluggishly": "Performance",
    "gigabytes vanish overnight": "Performance",
}


#: Installed before any page script: the moment the page says ready (the model's download has
#: only just been asked for), submit a request once per tab, and note what the embedder status said.
ROUTE_AT_READY = """
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("status");
  const seen = new MutationObserver(() => {
    if (status.dataset.state !== "ready" || sessionStorage.getItem("routed at ready")) return;
    seen.disconnect();
    sessionStorage.setItem("routed at ready", "yes");
    const embedder = document.getElementById("embedder");
    window.__embedderAtReady = [embedder.dataset.state, embedder.textContent];
    window.__engineFileAtReady = [
      document.getElementById("state-controls").disabled, document.getElementById("state-status").textContent,
    ];
    document.getElementById("request").value = arguments_request;
    document.getElementById("route-form").requestSubmit();
  });
  seen.observe(status, { attributes: true, attributeFilter: ["data-state"] });
});
"""
#: The request ROUTE_AT_READY submits.
AT_READY = "write unit tests for the login form"


def words(request: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", request.lower()))


@pytest.fixture(scope="module")
def reference(engine: str) -> tuple[IntelligentLLM, SentenceEncoder]:
    """The CPython engine with the starter library embedded by the sentence encoder, as the page builds it
    (one per browser engine: the tests teach it what they teach the page)."""
    encoder = SentenceEncoder(MODEL)
    llm = IntelligentLLM()
    add_starter_library(llm, encoder)
    return llm, encoder


@pytest.fixture(scope="module")
def demo(browser, engine, server):
    run_first_in_new_documents(browser, CSP_LISTENER + ROUTE_AT_READY.replace("arguments_request", repr(AT_READY)))
    browser.get(server.url)
    assert wait_for_state(browser, "#status") == "ready", text(browser, "status")
    return browser


def test_the_lexical_engine_routes_while_the_model_loads(demo) -> None:
    state, said = demo.execute_script("return window.__embedderAtReady")
    assert (state, said) == ("loading", f"lexical while {MODEL_NAME} loads")
    assert settle(demo, "route-status") == "routed", text(demo, "route-status")
    assert text(demo, "r-request") == AT_READY
    assert text(demo, "r-embedder") == f"the lexical embedder ({MODEL_NAME} loading)"
    lexical, embedder = IntelligentLLM(), TextEmbedder(384)
    add_starter_library(lexical, embedder)
    lexical.process(embedder.embed(AT_READY), AT_READY)
    assert (text(demo, "r-agent"), text(demo, "r-task")) == (lexical.last_result.agent, lexical.last_result.task_type)


def test_the_engine_file_controls_wait_for_the_model(demo) -> None:
    """Save, load and reset would act on the lexical stand-in, which the model's engine replaces."""
    disabled, said = demo.execute_script("return window.__engineFileAtReady")
    assert disabled is True
    assert said == f"Saving, loading and resetting open once {MODEL_NAME} is loaded."
    assert wait_for_state(demo, "#embedder", timeout=300) == "ready", text(demo, "embedder")
    assert demo.find_element(By.ID, "state-controls").is_enabled()
    assert text(demo, "state-status") == ""


def test_the_model_loads_into_its_own_kept_engine(demo) -> None:
    assert wait_for_state(demo, "#embedder", timeout=300) == "ready", text(demo, "embedder")
    assert text(demo, "embedder") == MODEL_NAME
    assert steps(demo) == ["runtime", "numpy", "engine", "saved state", "lexical starter library"]
    assert text(demo, "v-persist") == 'on ("ruvllm-web-demo-minilm"), nothing stored yet'
    assert text(demo, "c-patterns") == str(len(starter_patterns()))


def test_a_request_sharing_no_word_with_the_starter_library_reaches_the_right_agent(demo, reference) -> None:
    starter_words = set().union(*(words(pattern.text) for pattern in starter_patterns()))
    llm, encoder = reference
    lexical, embedder = IntelligentLLM(), TextEmbedder(384)
    add_starter_library(lexical, embedder)
    for request, agent in UNSEEN.items():
        assert words(request).isdisjoint(starter_words), request
        shown = route(demo, request)
        llm.process(encoder.encode(request), request)
        expected = llm.last_result
        assert shown["agent"] == agent == expected.agent, (request, shown)
        assert shown["task"] == expected.task_type
        assert shown["confidence"] == pytest.approx(expected.confidence, abs=0.001)
        assert shown["alternatives"] == ([other for other, _ in expected.alternatives] or ["none"])
        assert shown["embedder"] == MODEL_NAME
        lexical.process(embedder.embed(request), request)
        assert lexical.last_result.agent != agent, "the lexical embedder alone misroutes it"


def test_a_correction_is_kept_in_the_encoder_engine_across_a_reload(demo, reference) -> None:
    request = "gigabytes vanish overnight"
    assert route(demo, request)["agent"] == "Performance"
    Select(demo.find_element(By.ID, "fb-agent")).select_by_value("Architect")
    task = Select(demo.find_element(By.ID, "fb-task")).first_selected_option.text
    said = click(demo, "fb-correct", "feedback-status")
    assert said == f"Learned: requests like this one go to Architect ({task}). Saved in this browser."
    llm, encoder = reference
    x = encoder.encode(request)
    llm.process(x, request)  # the page routed it once more before the correction
    llm.record_outcome(False)
    llm.learn_pattern(x, "Architect", task, request, 1.0)
    llm.process(x, request)
    assert llm.last_result.agent == "Architect"
    assert route(demo, request)["agent"] == "Architect"
    demo.refresh()
    assert wait_for_state(demo, "#status") == "ready", text(demo, "status")
    assert wait_for_state(demo, "#embedder", timeout=300) == "ready", text(demo, "embedder")
    assert text(demo, "v-persist") == 'on ("ruvllm-web-demo-minilm"), restored from an earlier visit'
    assert steps(demo) == ["runtime", "numpy", "engine", "saved state", "lexical starter library"]
    shown = route(demo, request)
    assert (shown["agent"], shown["embedder"]) == ("Architect", MODEL_NAME)
    assert text(demo, "c-patterns") == str(len(starter_patterns()) + 1)
