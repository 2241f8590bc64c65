// The messages between the client (static/client/*.js) and the engine's Web Worker (worker.js).
//
// Types only: both sides name them in JSDoc (`import("./protocol.js").Request`), nothing is
// imported at run time, and build.py leaves this file out of the assembled client.
//
// The page starts the worker, which posts progress until it is "ready" (or "failed"). The page
// may then share an arena and sets the background timer; every other request is a bridge call,
// answered once, in the order the calls were made (a "fetch_model" call is answered beside that
// queue, so that the engine keeps answering while the model downloads). Ticks and model progress
// arrive in between, unasked.
//
// Vectors: a Float32Array argument or result travels in the message (results are transferred,
// not copied) unless the page shared an arena (a SharedArrayBuffer, only where the page is
// cross-origin isolated): then the page writes it into the arena and sends an `ArenaSlice`, and
// a request's `out` names where the worker writes a Float32Array result, answering with that
// slice instead of the values.

/**
 * `[offset, length]` in float32s of a region of the shared arena.
 * @typedef {[number, number]} Region
 */

/**
 * A vector that lies in the shared arena instead of in the message.
 * @typedef {{$f32: Region}} ArenaSlice
 */

/**
 * page -> worker: share `buffer` (a SharedArrayBuffer of float32s) for vectors. Optional; sent
 * once, before any call.
 * @typedef {{type: "arena", buffer: SharedArrayBuffer}} ArenaMessage
 */

/**
 * page -> worker: run SONA's background loop every `intervalMs` between requests; 0 pauses it.
 * @typedef {{type: "timer", intervalMs: number}} TimerMessage
 */

/**
 * page -> worker: call the bridge function `call` (a name in `ruvllm_web.bridge.CALLS`, or
 * "load_encoder") with `args`, answered by an `Answer` with the same `id`. "fetch_model" (args
 * `[handle, folderUrl, className]`, className "SentenceEncoder" or "StaticEncoder") fetches and
 * verifies the files that encoder reads, posting `ModelProgressEvent`s meanwhile; "load_encoder"
 * (args `[handle]`) then builds the encoder.
 * With `out`, a Float32Array result is written into the arena there.
 * @typedef {object} CallRequest
 * @property {number} id the client's number for this call, unique per connection
 * @property {string} call
 * @property {unknown[]} args values the worker converts to Python, vectors as Float32Array or ArenaSlice
 * @property {Region | null} [out]
 */

/** @typedef {ArenaMessage | TimerMessage | CallRequest} Request */

/**
 * Why a call failed: the Python exception's class name ("ValueError", "TypeError", ...) or the
 * JS error's name, and its message.
 * @typedef {{type: string, message: string}} ErrorInfo
 */

/**
 * worker -> page: the answer to the `CallRequest` with the same `id`. A Float32Array result
 * computed into the arena comes back as the `ArenaSlice` where it was written.
 * @typedef {{id: number, ok: true, result: unknown} | {id: number, ok: false, error: ErrorInfo}} Answer
 */

/**
 * worker -> page, while it starts: how far loading is (`fraction` in [0, 1]).
 * @typedef {{type: "progress", stage: string, fraction: number, detail: string}} ProgressEvent
 */

/**
 * The versions the worker reports once ready: `ruvllm_web.bridge.version_info()` plus Pyodide's
 * version and the start's wall time.
 * @typedef {{ruvllm_web: string, numpy: string, python: string, platform: string, pyodide: string, loadMs: number}} Versions
 */

/**
 * worker -> page: the engine is loaded and takes calls.
 * @typedef {{type: "ready", versions: Versions}} ReadyEvent
 */

/**
 * worker -> page: the engine could not be loaded; the worker takes no calls.
 * @typedef {{type: "failed", message: string}} FailedEvent
 */

/**
 * worker -> page: a background tick ran `ran` pieces of work in `ms`, or failed with `error`.
 * @typedef {{type: "tick", ran: number, ms?: number, error?: ErrorInfo}} TickEvent
 */

/**
 * worker -> page, during a "fetch_model" call: `loaded` of `total` bytes of the encoder under
 * `handle` have arrived.
 * @typedef {{type: "model-progress", handle: number, loaded: number, total: number, detail: string}} ModelProgressEvent
 */

/** @typedef {ProgressEvent | ReadyEvent | FailedEvent} StartEvent */

/** @typedef {StartEvent | Answer | TickEvent | ModelProgressEvent} Reply */

export {};
