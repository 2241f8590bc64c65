// Drives headless Firefox over WebDriver BiDi (puppeteer-core) for the Python tests.
//
//   node firefox_bridge.mjs PUPPETEER_CORE_DIR FIREFOX PROFILE_DIR PROXY_PORT
//
// geckodriver is in no registry we can reach, but Firefox speaks WebDriver BiDi itself, so
// puppeteer-core drives it directly. This process reads one JSON request per line on stdin,
// {id, op, ...}, and answers each with one line {id, ok: true, value} or {id, ok: false, error}.
// tests/browser/firefox.py wraps it in the part of Selenium's WebDriver API the tests use, so
// one test body runs in both engines.

import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [puppeteerDir, executablePath, profile, proxyPort] = process.argv.slice(2);
const { default: puppeteer } = await import(pathToFileURL(join(puppeteerDir, "lib", "esm", "puppeteer", "puppeteer-core.js")).href);

/** Firefox's own background services, off: nothing but our pages may make a request. */
const QUIET = {
  "app.normandy.enabled": false,
  "app.update.auto": false,
  "browser.newtabpage.enabled": false,
  "browser.ping-centre.telemetry": false,
  "browser.safebrowsing.downloads.remote.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.search.update": false,
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "extensions.update.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "services.settings.server": "http://127.0.0.1:1/",
  "toolkit.telemetry.enabled": false,
};

/** Every request that does not go to loopback goes to the tests' refusing, recording proxy. */
const PROXY = {
  "network.proxy.type": 1,
  "network.proxy.http": "127.0.0.1",
  "network.proxy.http_port": Number(proxyPort),
  "network.proxy.ssl": "127.0.0.1",
  "network.proxy.ssl_port": Number(proxyPort),
  "network.proxy.no_proxies_on": "127.0.0.1,localhost",
  "network.proxy.allow_hijacking_localhost": false,
};

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath,
  headless: true,
  userDataDir: profile,
  extraPrefsFirefox: { ...QUIET, ...PROXY },
});
/** The window size Selenium's tests get and set (the Chromium tests start at 1280 x 900 too). */
let size = { width: 1280, height: 900 };
/** What the pages wrote to the console, as Selenium's `get_log("browser")` entries. */
let logged = [];
/** Scripts every new document runs first (Selenium: CDP's addScriptToEvaluateOnNewDocument). */
const preloads = [];

async function open(target) {
  target.on("console", (message) => logged.push({ level: message.type(), message: message.text() }));
  for (const source of preloads) await target.evaluateOnNewDocument(source);
  await target.setViewport(size);
  return target;
}

let page = await open((await browser.pages())[0] || (await browser.newPage()));
/** The tabs by the handles the tests name them with (Selenium's window handles). */
const tabs = new Map([["tab-1", page]]);
let nextTab = 2;

function handleOf(target) {
  for (const [handle, tab] of tabs) if (tab === target) return handle;
  throw new Error("this tab has no handle");
}
/** @type {Map<number, import("puppeteer-core").ElementHandle>} */
const elements = new Map();
let nextElement = 1;
let scriptTimeoutMs = 30000;

/**
 * Run a WebDriver-style script body: `arguments` holds `args` (and, when `async`, a callback that
 * settles the call); the result crosses as JSON, as WebDriver's own JSON clone does.
 */
async function execute({ script, args, async }) {
  const source = `new Promise((resolve, reject) => {
    const args = ${JSON.stringify(args)};
    if (${async}) args.push(resolve);
    try {
      const value = (function () { ${script}\n }).apply(null, args);
      if (!${async}) resolve(value);
    } catch (error) { reject(error); }
  }).then((value) => JSON.stringify(value === undefined ? null : value))`;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`script timeout after ${scriptTimeoutMs} ms`)), scriptTimeoutMs);
  });
  try {
    return JSON.parse(await Promise.race([page.evaluate(source), timeout]));
  } finally {
    clearTimeout(timer);
  }
}

function element(id) {
  const handle = elements.get(id);
  if (!handle) throw new Error(`no element ${id}`);
  return handle;
}

const OPS = {
  get: async ({ url }) => { elements.clear(); await page.goto(url, { waitUntil: "load" }); },
  refresh: async () => { elements.clear(); await page.reload({ waitUntil: "load" }); },
  url: async () => page.url(),
  execute,
  scriptTimeout: async ({ ms }) => { scriptTimeoutMs = ms; },
  find: async ({ css, within }) => {
    const root = within ? element(within) : page;
    return (await root.$$(css)).map((handle) => {
      elements.set(nextElement, handle);
      return nextElement++;
    });
  },
  click: async ({ element: id }) => {
    // As WebDriver's Element Click does for an <option>: select it and tell its <select>, since an
    // open drop-down list is not part of the page a pointer could reach.
    const chosen = await element(id).evaluate((node) => {
      if (node.tagName !== "OPTION") return false;
      node.selected = true;
      const list = node.closest("select");
      list.dispatchEvent(new Event("input", { bubbles: true }));
      list.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    });
    if (!chosen) await element(id).click();
  },
  upload: async ({ element: id, path }) => element(id).uploadFile(path),
  type: async ({ element: id, text, key }) => {
    // Selenium's send_keys focuses the element first, then types into whatever has the focus.
    await element(id).focus();
    if (text) await page.keyboard.type(text);
    if (key) await page.keyboard.press(key);
  },
  clear: async ({ element: id }) => element(id).evaluate((node) => { node.value = ""; }),
  text: async ({ element: id }) => element(id).evaluate((node) => node.innerText.trim()),
  property: async ({ element: id, name }) =>
    element(id).evaluate((node, key) => (key in node ? node[key] : node.getAttribute(key)), name),
  attribute: async ({ element: id, name }) => element(id).evaluate((node, key) => node.getAttribute(key), name),
  screenshot: async ({ path }) => { await page.screenshot({ path }); },
  newTab: async () => {
    page = await open(await browser.newPage());
    tabs.set(`tab-${nextTab++}`, page);
    elements.clear();
  },
  tab: async () => handleOf(page),
  tabs: async () => [...tabs.keys()],
  switchTab: async ({ handle }) => {
    if (!tabs.has(handle)) throw new Error(`no tab ${handle}`);
    page = tabs.get(handle);
    await page.bringToFront();
    elements.clear();
  },
  closeTab: async () => {
    tabs.delete(handleOf(page));
    await page.close();
    elements.clear();
  },
  preload: async ({ source }) => { preloads.push(source); await page.evaluateOnNewDocument(source); },
  log: async () => { const entries = logged; logged = []; return entries; },
  viewport: async () => size,
  setViewport: async ({ width, height }) => { size = { width, height }; await page.setViewport(size); },
  quit: async () => { await browser.close(); process.exit(0); },
};

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const request = JSON.parse(line);
  try {
    const value = await OPS[request.op](request);
    process.stdout.write(JSON.stringify({ id: request.id, ok: true, value: value ?? null }) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ id: request.id, ok: false, error: String((error && error.message) || error) }) + "\n");
  }
});
lines.on("close", () => browser.close().then(() => process.exit(0)));
