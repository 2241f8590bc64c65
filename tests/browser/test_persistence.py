"""Persistence in a real browser: two tabs keeping one engine lose nothing either learned (patterns
and SONA's state), and storage the browser refuses leaves a working engine that says persistence is
off and why."""

from __future__ import annotations

import pytest

from tests.browser.test_client import run

pytestmark = pytest.mark.both_engines

HARNESS = "test-pages/harness.html"

#: Teach this tab's kept engine one pattern (its own agent, its own direction) and save it now.
LEARN_AND_SAVE = """
  await init({ persist: "same", persistDelayMs: 60000 });
  window.llm = window.llm || new IntelligentLLMWasm();
  const seed = /*SEED*/;
  const embedding = vec(384, (i) => Math.sin(seed * (i + 1)));
  await window.llm.learnPattern(embedding, `agent${seed}`, "task", `tab pattern ${seed}`, 1.0);
  await window.llm.persist();
  return JSON.parse(await window.llm.stats()).router.patterns_per_agent;
"""


def test_two_tabs_keeping_one_engine_lose_nothing_either_learned(browser, server) -> None:
    browser.get(server.url + HARNESS)
    first = browser.current_window_handle
    started = run(browser, server, "return (await init({ persist: 'same', persistDelayMs: 60000 })).persist;")
    browser.switch_to.new_window("tab")
    browser.get(server.url + HARNESS)
    second = browser.current_window_handle
    assert started == {"name": "same", "enabled": True, "restored": False}
    assert run(browser, server, "return (await init({ persist: 'same', persistDelayMs: 60000 })).persist;") == started
    # Both tabs started before anything was stored; their saves interleave.
    seen = {}
    for handle, seed in ((first, 1), (second, 2), (first, 3), (second, 4), (first, 5)):
        browser.switch_to.window(handle)
        seen[seed] = run(browser, server, LEARN_AND_SAVE.replace("/*SEED*/", str(seed)))
    every = {f"agent{seed}": 1 for seed in seen}
    assert seen[5] == every, "the last tab to save holds what both learned"
    browser.switch_to.window(second)
    browser.close()
    browser.switch_to.window(first)
    browser.refresh()
    reloaded = run(browser, server, """
      const info = await init({ persist: "same" });
      const llm = new IntelligentLLMWasm();
      const routes = [];
      for (const seed of [1, 2, 3, 4, 5]) {
        routes.push((await llm.route(vec(384, (i) => Math.sin(seed * (i + 1))))).agent);
      }
      const stats = JSON.parse(await llm.stats());
      return { info: info.persist, agents: stats.router.patterns_per_agent, routes, sona: stats.sona.requests };
    """)
    assert reloaded["info"] == {"name": "same", "enabled": True, "restored": True}
    assert reloaded["agents"] == every
    assert reloaded["sona"] == 5, "SONA holds what both tabs' adapters learned, not only the last saver's"
    assert reloaded["routes"] == [f"agent{seed}" for seed in (1, 2, 3, 4, 5)]


#: Ways a browser refuses IndexedDB: open() throwing (private modes, blocked storage), and a
#: database already at a newer version than the client opens (open fails with VersionError).
REFUSALS = {
    "open throws": """
      indexedDB.open = () => { throw new DOMException("storage is blocked for this page", "SecurityError"); };
    """,
    "newer version": """
      await new Promise((resolve, reject) => {
        const request = indexedDB.open("ruvllm-web", 7);
        request.onsuccess = () => { request.result.close(); resolve(); };
        request.onerror = () => reject(request.error);
      });
    """,
}


@pytest.mark.parametrize("refusal, reason", [("open throws", "SecurityError"), ("newer version", "VersionError")])
def test_refused_storage_starts_the_engine_without_persistence_and_says_why(browser, server, refusal, reason) -> None:
    browser.get(server.url + HARNESS)
    try:
        out = run(browser, server, REFUSALS[refusal] + """
          const reported = [];
          const info = await init({ persist: "refused", onPersistError: (error) => reported.push(error.message) });
          const llm = new IntelligentLLMWasm();
          await llm.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
          const route = await llm.route(vec(384, (i) => Math.sin(i)));
          return {
            info, reported, agent: route.agent,
            again: await init({ persist: "refused" }), version: await lib.versionInfo(),
            persistCall: await failure(llm.persist()),
          };
        """)
    finally:
        browser.execute_async_script("""
          const done = arguments[arguments.length - 1];
          const request = IDBFactory.prototype.deleteDatabase.call(indexedDB, "ruvllm-web");
          request.onsuccess = request.onerror = request.onblocked = () => done();
        """)
    persist = out["info"]["persist"]
    assert persist["enabled"] is False and persist["restored"] is False and persist["name"] == "refused"
    assert persist["error"].startswith(f"persistence is off: the browser refused storage ({reason}")
    assert out["reported"] == [persist["error"]]
    assert out["agent"] == "coder"
    assert out["again"] == out["info"] and out["version"] == out["info"]
    assert out["persistCall"] == f"Error: {persist['error']}"


#: `idb(mode, (store) => request)`: one transaction on the client's store, resolving to the request's result.
IDB = """
  const idb = (mode, action) => new Promise((resolve, reject) => {
    const open = indexedDB.open("ruvllm-web", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("snapshots");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction("snapshots", mode);
      const request = action(tx.objectStore("snapshots"));
      tx.oncomplete = () => { open.result.close(); resolve(request.result); };
      tx.onerror = () => reject(tx.error);
    };
  });
"""


def test_a_record_another_tab_left_that_cannot_be_merged_is_set_aside(browser, server) -> None:
    browser.get(server.url + HARNESS)
    out = run(browser, server, IDB + """
      const reported = [];
      await init({ persist: "clash", persistDelayMs: 60000, onPersistError: (error) => reported.push(error.message) });
      const llm = new IntelligentLLMWasm();
      await llm.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
      const foreign = await new HnswRouterWasm(new HnswRouterConfigWasm()).save();
      await idb("readwrite", (store) => store.put({ generation: "another tab", bytes: foreign }, "clash"));
      await llm.persist();
      const stored = await idb("readonly", (store) => store.get("clash"));
      return { reported, keys: await idb("readonly", (store) => store.getAllKeys()),
               storedGeneration: typeof stored.generation, storedLength: stored.bytes.length,
               savedLength: (await llm.save()).length };
    """)
    assert len(out["reported"]) == 1
    assert out["reported"][0].startswith("stored snapshot could not be merged (snapshot holds a 'HnswRouter'")
    aside = [key for key in out["keys"] if key.startswith("clash.corrupt.")]
    assert len(aside) == 1 and f'kept aside as "{aside[0]}"' in out["reported"][0]
    assert out["storedGeneration"] == "string" and out["storedLength"] == out["savedLength"]


def test_a_snapshot_stored_bare_by_an_earlier_version_is_restored(browser, server) -> None:
    browser.get(server.url + HARNESS)
    out = run(browser, server, IDB + """
      await init();
      const old = new IntelligentLLMWasm();
      await old.addPattern(vec(384, (i) => Math.sin(i)), "coder", "code");
      const bytes = await old.save();
      await idb("readwrite", (store) => store.put(bytes, "bare"));
      lib.close();
      const info = await init({ persist: "bare", persistDelayMs: 60000 });
      const llm = new IntelligentLLMWasm();
      await llm.addPattern(vec(384, (i) => Math.cos(i)), "writer", "prose");
      await llm.persist();
      const stored = await idb("readonly", (store) => store.get("bare"));
      return { info: info.persist, agents: JSON.parse(await llm.stats()).router.patterns_per_agent,
               stored: typeof stored.generation };
    """)
    assert out["info"] == {"name": "bare", "enabled": True, "restored": True}
    assert out["agents"] == {"coder": 1, "writer": 1} and out["stored"] == "string"
