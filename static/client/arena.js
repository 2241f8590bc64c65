// The shared-memory arena: vectors cross to the worker through it when the page is
// cross-origin isolated (see protocol.js).

/** Arena size in float32s: 16 MiB. */
export const ARENA_FLOATS = 4 << 20;
/** The static part for zero-allocation views, 4 MiB of it; the ring takes the rest. */
export const STATIC_FLOATS = 1 << 20;

/**
 * A SharedArrayBuffer of float32s: a bump-allocated static part, then a FIFO ring for per-call
 * vectors. Ring regions are released oldest first (answers arrive in call order), so the live
 * regions are one run [tail, head) or, once wrapped, [tail, end) and [ringStart, head) with
 * head <= tail. A region that does not fit is refused, and the caller copies the vector into
 * its message instead, so a full ring costs speed, never correctness.
 */
export class Arena {
  /** @param {number} [floats] arena size @param {number} [staticFloats] the static part's size */
  constructor(floats = ARENA_FLOATS, staticFloats = STATIC_FLOATS) {
    this.buffer = new SharedArrayBuffer(floats * 4);
    this.f32 = new Float32Array(this.buffer);
    this.staticTop = 0;
    this.ringStart = staticFloats;
    this.end = floats;
    this.head = staticFloats;
    /** @type {Array<[number, number]>} live ring allocations [start, end), oldest first */
    this.live = [];
  }

  /** A region that lives as long as the page (zero-allocation views); -1 when full. */
  /** @param {number} length @returns {number} */
  allocStatic(length) {
    if (this.staticTop + length > this.ringStart) return -1;
    const start = this.staticTop;
    this.staticTop += length;
    return start;
  }

  /** A ring region of `length` (>= 1) floats for one call; -1 when it does not fit now. */
  /** @param {number} length @returns {number} */
  alloc(length) {
    const tail = this.live.length ? this.live[0][0] : null;
    let start = this.head;
    let limit = this.end;
    if (tail === null) {
      start = this.ringStart;
    } else if (start <= tail) {
      limit = tail; // wrapped: the free space is [head, tail), none at all when head === tail
    } else if (start + length > limit) {
      start = this.ringStart; // wrap below the oldest live region
      limit = tail;
    }
    if (start + length > limit) return -1;
    this.head = start + length;
    this.live.push([start, start + length]);
    return start;
  }

  /** Release the oldest `count` ring regions (answers arrive in call order). */
  /** @param {number} count */
  release(count) {
    this.live.splice(0, count);
  }
}
