/**
 * The timestamps frames carry: CLOCK_MONOTONIC nanoseconds from `process.hrtime`, as a Number.
 *
 * Why not the injected Clock: a frame's timestamp is read by whoever receives it, which may be a
 * `faultline serve sink` in another process or a worker thread, and `performance.now()` has a
 * different origin in each of them. CLOCK_MONOTONIC is one clock for the whole host, so one-way
 * delay (arrival − send timestamp) is exact wherever the sender and receiver run on this machine.
 * Schedules still run on the injected Clock; `WireAnchor` maps a wire time onto it (for series
 * buckets), which is exact for the system clock because both read the same monotonic source.
 *
 * A Number holds nanoseconds exactly up to 2^53 ns (104 days of uptime) and to within a few ns
 * after that, far below anything measured here.
 */
import type { Clock } from '../core/clock.js';

/** Monotonic host-wide time in ns. */
export function wireNowNs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e9 + nanoseconds;
}

/** Attempts at a tight reading of both clocks. */
const ANCHOR_ATTEMPTS = 5;

/**
 * Converts wire times to `clock` ms, from one reading of both clocks. Get it from `wireAnchor`:
 * everything in a process that converts (a workload's sender and the built-in sink) must share one
 * anchor, so a frame's send time lands in the same series bucket on both sides.
 */
export class WireAnchor {
  private readonly clockMs: number;
  private readonly wireNs: number;

  constructor(clock: Clock) {
    // Read wire, clock, wire; keep the tightest bracket (a preemption between reads would
    // otherwise shift every conversion by its length).
    let best = { gapNs: Infinity, wireNs: 0, clockMs: 0 };
    for (let i = 0; i < ANCHOR_ATTEMPTS; i++) {
      const before = wireNowNs();
      const clockMs = clock.now();
      const after = wireNowNs();
      if (after - before < best.gapNs) best = { gapNs: after - before, wireNs: (before + after) / 2, clockMs };
    }
    this.wireNs = best.wireNs;
    this.clockMs = best.clockMs;
  }

  toClockMs(ns: number): number {
    return this.clockMs + (ns - this.wireNs) / 1e6;
  }

  /** The inverse: a clock time as wire time (a capture's timestamps are wire time). */
  toWireNs(clockMs: number): number {
    return this.wireNs + (clockMs - this.clockMs) * 1e6;
  }
}

const anchors = new WeakMap<Clock, WireAnchor>();

/** The process's one anchor for `clock`. */
export function wireAnchor(clock: Clock): WireAnchor {
  let anchor = anchors.get(clock);
  if (anchor === undefined) {
    anchor = new WireAnchor(clock);
    anchors.set(clock, anchor);
  }
  return anchor;
}
