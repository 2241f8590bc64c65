// Drives the real Arena of the client's module static/client/arena.js through random
// interleavings of alloc and release, and checks that no region handed out overlaps a live one.
//
//   node arena_property.js <arena.js> <seed> <steps> <floats> <staticFloats>
//
// Prints one JSON line: {allocated, refused, wraps, maxLive} or {error}.
"use strict";

const { pathToFileURL } = require("url");

const [file, seed, steps, floats, staticFloats] = process.argv.slice(2);

/** mulberry32: a small seeded PRNG, so a failing seed replays exactly. */
function random(state) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {typeof import("../../static/client/arena.js").Arena} Arena */
function check(Arena) {
  const next = random(Number(seed));
  const size = Number(floats);
  const ringStart = Number(staticFloats);
  const ring = size - ringStart;
  const arena = new Arena(size, ringStart);
  /** The model: the live regions in allocation order, each with the tag written into it. */
  const live = [];
  const stats = { allocated: 0, refused: 0, wraps: 0, maxLive: 0 };
  let tag = 1;
  let last = -1;
  for (let step = 0; step < Number(steps); step++) {
    if (live.length && next() < 0.45) {
      // Answers arrive in order: release the oldest few, after checking nothing overwrote them.
      const count = 1 + Math.floor(next() * Math.min(live.length, 4));
      for (const [start, end, mark] of live.splice(0, count)) {
        for (let i = start; i < end; i++) {
          if (arena.f32[i] !== mark) {
            return { error: `step ${step}: region [${start}, ${end}) tagged ${mark} holds ${arena.f32[i]} at ${i}` };
          }
        }
      }
      arena.release(count);
      if (arena.live.length !== live.length) return { error: `step ${step}: the arena keeps ${arena.live.length} regions` };
      continue;
    }
    // Mostly small regions, sometimes one near the ring's size, sometimes one larger than it.
    const roll = next();
    const length = roll < 0.8 ? 1 + Math.floor(next() * ring / 6)
      : roll < 0.97 ? 1 + Math.floor(next() * ring) : ring + 1 + Math.floor(next() * 4);
    const start = arena.alloc(length);
    if (start < 0) {
      stats.refused++;
      if (!live.length && length <= ring) return { error: `step ${step}: an empty ring refused ${length} floats` };
      continue;
    }
    const end = start + length;
    if (start < ringStart || end > size) return { error: `step ${step}: [${start}, ${end}) is outside the ring` };
    for (const [s, e, mark] of live) {
      if (start < e && s < end) return { error: `step ${step}: [${start}, ${end}) overlaps live [${s}, ${e}) (${mark})` };
    }
    if (start <= last) stats.wraps++;
    last = start;
    arena.f32.fill(tag, start, end);
    live.push([start, end, tag++]);
    stats.allocated++;
    stats.maxLive = Math.max(stats.maxLive, live.length);
  }
  return stats;
}

// static/client/package.json declares the folder's files ES modules, which import() loads from CommonJS.
import(pathToFileURL(file).href).then(({ Arena }) => process.stdout.write(JSON.stringify(check(Arena)) + "\n"));
