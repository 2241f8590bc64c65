// Test fault injection: the real worker, which fails with an uncaught error when asked to reset.
import "../worker.js";

self.addEventListener("message", (event) => {
  const { call, args } = event.data || {};
  if (call === "invoke" && Array.isArray(args) && args[1] === "reset") {
    throw new Error("simulated worker crash");
  }
});
