// DOM helpers of the demo page. Text always goes in through textContent: no string
// from the user or the engine is ever parsed as HTML.

/**
 * The element with this id; throws when the page lacks it (a broken page should fail loudly).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no element #${id}`);
  return element;
}

/**
 * A new element holding `text` as plain text.
 * @param {string} tag
 * @param {string | number} [text]
 * @param {string} [className]
 * @returns {HTMLElement}
 */
export function make(tag, text, className) {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = String(text);
  if (className) element.className = className;
  return element;
}

/**
 * Replace a table body's rows: one row per entry of `rows`, one cell per value.
 * @param {HTMLTableSectionElement} body
 * @param {Array<Array<string | number>>} rows
 */
export function fillRows(body, rows) {
  body.replaceChildren(...rows.map((cells) => {
    const row = make("tr");
    row.append(...cells.map((cell) => make("td", cell)));
    return row;
  }));
}

/**
 * Replace a list's items with one item per text.
 * @param {HTMLElement} list
 * @param {string[]} items
 */
export function fillList(list, items) {
  list.replaceChildren(...items.map((item) => make("li", item)));
}

/**
 * Replace a <select>'s options.
 * @param {HTMLSelectElement} select
 * @param {string[]} values
 */
export function fillOptions(select, values) {
  select.replaceChildren(...values.map((value) => new Option(value, value)));
}

/**
 * Show a state ("loading", "ready", "busy", "failed", ...) and its text on a status element.
 * @param {HTMLElement} element
 * @param {string} state
 * @param {string} text
 */
export function setStatus(element, state, text) {
  element.dataset.state = state;
  element.textContent = text;
}

/**
 * A duration given in microseconds, in the unit that reads best ("85 µs", "1.24 ms", "2.1 s").
 * @param {number} us
 * @returns {string}
 */
export function formatUs(us) {
  if (us < 1000) return `${us.toFixed(us < 10 ? 1 : 0)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(1)} s`;
}

/**
 * A fraction in [0, 1] as a percentage ("82.3 %").
 * @param {number} fraction
 * @returns {string}
 */
export function formatPercent(fraction) {
  return `${(100 * fraction).toFixed(1)} %`;
}

/**
 * Run one user action, ignoring repeats while it runs (the controls stay focusable, marked
 * aria-busy), and report on `status`: `busyText` meanwhile, then the action's text with state
 * `doneState`, or the error's message with state "error".
 * @param {HTMLElement} controls
 * @param {HTMLElement} status
 * @param {string} busyText
 * @param {string} doneState
 * @param {() => Promise<string>} action
 */
export async function act(controls, status, busyText, doneState, action) {
  if (controls.getAttribute("aria-busy") === "true") return;
  controls.setAttribute("aria-busy", "true");
  setStatus(status, "busy", busyText);
  try {
    setStatus(status, doneState, await action());
  } catch (error) {
    setStatus(status, "error", error instanceof Error ? error.message : String(error));
  } finally {
    controls.removeAttribute("aria-busy");
  }
}
