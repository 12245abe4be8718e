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

/** Converts wire times to `clock` ms, from one reading of both taken at creation. */
export class WireAnchor {
  private readonly clockMs: number;
  private readonly wireNs: number;

  constructor(clock: Clock) {
    this.wireNs = wireNowNs();
    this.clockMs = clock.now();
  }

  toClockMs(ns: number): number {
    return this.clockMs + (ns - this.wireNs) / 1e6;
  }
}
